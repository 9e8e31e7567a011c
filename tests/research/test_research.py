"""Research (调查研究): topics, visits and findings; a finding becomes a problem in one step,
linked both ways; figures, exports, the API; all within the user's subtree."""

import json
from io import BytesIO

import pytest
from django.http import Http404
from python_calamine import CalamineWorkbook

from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.rectification.models import Problem, today
from luoshi.research import selectors, services
from luoshi.research.models import Finding, Visit
from tests.factories import user_with
from tests.rectification.conftest import _media, campaign  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def topic(tree, users, campaign):  # noqa: F811
    from luoshi.campaigns.models import ProblemSource

    ProblemSource.objects.create(campaign=campaign, name="调研发现")
    return services.create_topic(
        actor=users.county_a,
        org=tree.county_a,
        title="关于优化营商环境的调研",
        leader_name="王明",
        leader_title="区委书记",
        campaign=campaign,
    )


def _visit(users, topic, findings=("企业反映审批时限长", "园区配套不足")):
    return services.record_visit(
        actor=users.county_a,
        topic_id=topic.pk,
        visited_on=today(),
        place="甲区工业园",
        place_kind="enterprise",
        met_whom="企业负责人",
        findings=list(findings) + ["  "],
    )


def test_a_finding_becomes_a_problem_linked_both_ways(tree, users, topic, client):
    visit = _visit(users, topic)
    finding = visit.findings.get(text="企业反映审批时限长")
    problem = services.finding_to_problem(actor=users.county_a, finding_id=finding.pk)
    finding.refresh_from_db()
    assert finding.problem == problem
    assert problem.source.name == "调研发现" and problem.org == tree.county_a
    assert problem.title == "企业反映审批时限长" and problem.responsible_leaders == "王明"
    assert "甲区工业园" in problem.description
    client.force_login(users.county_a)
    page = client.get(f"/problems/{problem.pk}/").content.decode()
    assert "调研发现：关于优化营商环境的调研" in page
    assert f"/research/{topic.pk}/#visit-{visit.pk}" in page
    topic_page = client.get(f"/research/{topic.pk}/").content.decode()
    assert f"/problems/{problem.pk}/" in topic_page and "已转入问题清单" in topic_page
    with pytest.raises(Conflict, match="已转入问题清单"):
        services.finding_to_problem(actor=users.county_a, finding_id=finding.pk)
    assert Problem.objects.count() == 1


def test_the_finding_page_action_opens_the_new_problem(tree, users, topic, client):
    finding = _visit(users, topic).findings.first()
    client.force_login(users.county_a)
    response = client.post(f"/research/findings/{finding.pk}/problem/", {"campaign": ""})
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/problems/{problem.pk}/"


def test_only_record_keepers_of_the_subtree_write_research(tree, users, topic):
    leader = user_with(tree.county_a, "leader", username="a_leader")
    with pytest.raises(NotAllowed):
        services.record_visit(actor=leader, topic_id=topic.pk, visited_on=today(), place="甲村")
    with pytest.raises(Http404):
        services.record_visit(
            actor=users.branch_b1, topic_id=topic.pk, visited_on=today(), place="乙村"
        )
    finding = _visit(users, topic).findings.first()
    with pytest.raises(Http404):
        services.finding_to_problem(actor=users.branch_b1, finding_id=finding.pk)
    assert not Problem.objects.exists()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"place": " "}, "请填写走访地点"),
        ({"visited_on": today().replace(year=today().year + 1)}, "不能晚于今天"),
        ({"findings": ["长" * 301]}, "不超过 300 字"),
        ({"place_kind": "moon"}, "未知的走访对象类别"),
    ],
)
def test_a_bad_visit_is_refused_and_nothing_is_written(users, topic, changes, message):
    args = {"visited_on": today(), "place": "甲村", "findings": ["x"]}
    args.update(changes)
    with pytest.raises(Invalid, match=message):
        services.record_visit(actor=users.county_a, topic_id=topic.pk, **args)
    assert not Visit.objects.exists() and not Finding.objects.exists()


def test_a_topic_is_concluded_with_its_report_after_visits(users, topic):
    with pytest.raises(Invalid, match="尚无调研走访记录"):
        services.conclude_topic(actor=users.county_a, topic_id=topic.pk, report="报告")
    _visit(users, topic)
    with pytest.raises(Invalid, match="请填写调研报告"):
        services.conclude_topic(actor=users.county_a, topic_id=topic.pk, report=" ")
    concluded = services.conclude_topic(
        actor=users.county_a, topic_id=topic.pk, report="调研报告全文", outcome="出台十条措施"
    )
    assert concluded.state == "concluded" and concluded.concluded_on == today()


def test_figures_count_the_subtree_and_the_export_lists_topics(tree, users, topic, client):
    visit = _visit(users, topic)
    services.finding_to_problem(actor=users.county_a, finding_id=visit.findings.first().pk)
    other = services.create_topic(
        actor=users.branch_b1, org=tree.branch_b1, title="乙一村调研", leader_name="赵"
    )
    services.record_visit(
        actor=users.branch_b1, topic_id=other.pk, visited_on=today(), place="乙一村"
    )
    assert selectors.research_figures(tree.county_a.path) == {
        "research_topics": 1,
        "research_topics_concluded": 0,
        "research_visits": 1,
        "research_findings": 2,
        "research_findings_to_problems": 1,
    }
    assert selectors.research_figures(tree.city.path)["research_visits"] == 2
    client.force_login(users.county_a)
    page = client.get("/research/").content.decode()
    assert "关于优化营商环境的调研" in page and "乙一村调研" not in page
    response = client.get("/research/export/")
    rows = CalamineWorkbook.from_filelike(BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert rows[0][0] == "甲区委调查研究课题台账"
    assert rows[3][1:8] == ["甲区委", "关于优化营商环境的调研", "王明", "区委书记", 1, 2, 1]
    assert len(rows) == 4


def test_the_api_records_a_visit_and_turns_a_finding_into_a_problem(tree, users, topic, client):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.county_a)}"}
    response = client.post(
        f"/api/v1/research/topics/{topic.pk}/visits",
        json.dumps({"visited_on": today().isoformat(), "place": "甲村", "findings": ["路灯不亮"]}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    finding_id = response.json()["visits"][0]["findings"][0]["id"]
    made = client.post(
        f"/api/v1/research/findings/{finding_id}/problem",
        "{}",
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201
    again = client.post(
        f"/api/v1/research/findings/{finding_id}/problem",
        "{}",
        content_type="application/json",
        **auth,
    )
    assert again.status_code == 409
    problem = client.get(f"/api/v1/problems/{made.json()['problem_id']}", **auth).json()
    assert problem["source"] == "调研发现" and problem["title"] == "路灯不亮"
    topics = client.get("/api/v1/research/topics", **auth).json()
    assert [t["title"] for t in topics] == ["关于优化营商环境的调研"]
