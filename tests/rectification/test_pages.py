import pytest
from django.urls import reverse

from luoshi.rectification import services
from luoshi.rectification.models import MeasureState, Problem
from tests.rectification.conftest import act, future, pdf, progress, reload

pytestmark = pytest.mark.django_db


def _titles(response):
    return [p.title for p in response.context["page"].rows]


@pytest.fixture
def two_branches(tree, campaign, people, ledger):
    other = services.create_problem(
        actor=people.branch_b1, org=tree.branch_b1, campaign=campaign, title="村务公开不及时"
    )
    services.add_measure(
        actor=people.branch_b1, problem=other, content="每月公开村务", due_on=future(-3)
    )
    return other


def test_ledger_shows_only_the_users_subtree(client, people, two_branches):
    client.force_login(people.branch_a1)
    assert _titles(client.get(reverse("rectification:ledger"))) == ["服务群众的意识不够强"]
    client.force_login(people.office)
    assert sorted(_titles(client.get(reverse("rectification:ledger")))) == [
        "服务群众的意识不够强",
        "村务公开不及时",
    ]


def test_ledger_filters_overdue_org_text_and_leader(client, tree, people, two_branches):
    client.force_login(people.office)
    url = reverse("rectification:ledger")
    assert _titles(client.get(url, {"overdue": "1"})) == ["村务公开不及时"]
    assert _titles(client.get(url, {"org": tree.county_a.pk})) == ["服务群众的意识不够强"]
    assert _titles(client.get(url, {"q": "公开"})) == ["村务公开不及时"]
    assert _titles(client.get(url, {"leader": "李四"})) == ["服务群众的意识不够强"]
    html = client.get(url, {"overdue": "1"}).content.decode()
    assert "红灯" in html


def test_ledger_org_filter_outside_scope_is_404(client, tree, people, two_branches):
    client.force_login(people.branch_a1)
    url = reverse("rectification:ledger")
    assert client.get(url, {"org": tree.branch_b1.pk}).status_code == 404


def test_problem_page_is_404_for_another_branch(client, people, ledger):
    client.force_login(people.branch_b1)
    response = client.get(reverse("rectification:problem", args=[ledger.problem.pk]))
    assert response.status_code == 404
    assert "服务群众" not in response.content.decode()


def test_create_problem_with_first_measure_through_the_form(client, tree, campaign, people):
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:problem_create"),
        {
            "org": tree.branch_a1.pk,
            "campaign": campaign.pk,
            "title": "组织生活不规范",
            "level": "team",
            "m-content": "制定三会一课计划",
            "m-deadline_kind": "date",
            "m-due_on": future(20).isoformat(),
        },
    )
    problem = Problem.objects.get(title="组织生活不规范")
    assert response.status_code == 302
    assert problem.measures.get().content == "制定三会一课计划"


def test_create_problem_for_an_org_outside_scope_is_refused(client, tree, campaign, people):
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:problem_create"),
        {
            "org": tree.branch_b1.pk,
            "campaign": campaign.pk,
            "title": "越权录入",
            "level": "team",
            "m-content": "x",
            "m-deadline_kind": "ongoing",
        },
    )
    assert response.status_code in (200, 400, 404)
    assert not Problem.objects.filter(title="越权录入").exists()


def test_second_editor_is_told_it_changed_and_keeps_what_they_typed(client, people, ledger):
    p = ledger.problem
    url = reverse("rectification:problem_edit", args=[p.pk])
    client.force_login(people.branch_a1)
    form = client.get(url).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    services.update_problem(
        actor=people.county_a, problem_id=p.pk, version=p.version, description="先保存的修改"
    )
    data["description"] = "我后来输入的一大段内容"
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 409
    assert "已被他人修改" in html and "我后来输入的一大段内容" in html
    p.refresh_from_db()
    assert p.description == "先保存的修改"


def test_progress_with_file_then_submit_and_verify_through_pages(client, people, ledger):
    m = ledger.measure
    client.force_login(people.branch_a1)
    client.post(
        reverse("rectification:progress", args=[m.pk]),
        {"version": m.version, "text": "已建立台账", "progress": 100, "files": [pdf()]},
    )
    m = reload(m)
    assert m.state == MeasureState.IN_PROGRESS and m.evidence.count() == 1
    client.post(
        reverse("rectification:transition", args=[m.pk]), {"action": "submit", "version": m.version}
    )
    client.force_login(people.guidance_a)
    page = client.get(reverse("rectification:problem", args=[m.problem_id])).content.decode()
    assert "同意销号" in page and "退回整改" in page
    m = reload(m)
    client.post(
        reverse("rectification:transition", args=[m.pk]), {"action": "verify", "version": m.version}
    )
    assert reload(m).state == MeasureState.CLOSED


def test_stale_transition_post_answers_409_with_a_message(client, people, ledger):
    m = progress(people.branch_a1, ledger.measure)
    stale = m.version - 1
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:transition", args=[m.pk]), {"action": "submit", "version": stale}
    )
    assert response.status_code == 409
    assert "已被他人修改" in response.content.decode()
    assert reload(m).state == MeasureState.IN_PROGRESS


def test_branch_liaison_cannot_verify_by_direct_post(client, people, ledger):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    m = reload(m)
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:transition", args=[m.pk]), {"action": "verify", "version": m.version}
    )
    assert response.status_code == 403
    assert reload(m).state == MeasureState.SUBMITTED


def test_my_work_lists_what_to_update_and_what_to_verify(client, people, ledger, two_branches):
    client.force_login(people.branch_a1)
    work = client.get(reverse("rectification:my_work")).context["work"]
    assert [m.content for m in work.to_update] == ["建立群众诉求台账，逐项销号"]
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    client.force_login(people.guidance_a)
    work = client.get(reverse("rectification:my_work")).context["work"]
    assert [x.pk for x in work.to_verify] == [m.pk]
    client.force_login(people.office)
    work = client.get(reverse("rectification:my_work")).context["work"]
    assert [x.content for x in work.overdue] == ["每月公开村务"]


def test_bulk_assign_owner_and_extension(client, people, ledger):
    m = ledger.measure
    client.force_login(people.branch_a1)
    client.post(
        reverse("rectification:bulk"), {"measure": [m.pk], "action": "assign", "owner_name": "赵六"}
    )
    assert reload(m).owner_name == "赵六"
    client.post(
        reverse("rectification:bulk"),
        {
            "measure": [m.pk],
            "action": "extend",
            "new_due_on": future(90).isoformat(),
            "reason": "汛期影响施工",
        },
    )
    assert m.extension_requests.get().reason == "汛期影响施工"


def test_organisation_page_shows_ledger_figures_of_its_subtree_only(
    client, tree, people, two_branches
):
    client.force_login(people.office)
    county_a = client.get(reverse("orgs:detail", args=[tree.county_a.pk]))
    assert county_a.context["figures"]["problems"] == 1
    assert county_a.context["figures"]["measures_overdue"] == 0
    county_b = client.get(reverse("orgs:detail", args=[tree.county_b.pk]))
    assert county_b.context["figures"]["measures_overdue"] == 1
    assert 'data-testid="fig-problems">1<' in county_b.content.decode()


def test_measure_edit_form_changes_owner_and_records_history(client, people, ledger):
    m = ledger.measure
    client.force_login(people.branch_a1)
    client.post(
        reverse("rectification:measure_edit", args=[m.pk]),
        {
            "version": m.version,
            "content": m.content,
            "deadline_kind": "date",
            "due_on": future(45).isoformat(),
            "owner_name": "钱七",
            "responsible_leader": "",
        },
    )
    m = reload(m)
    assert m.owner_name == "钱七" and m.due_on == future(45)
    assert m.events.filter(action="measure_updated").exists()


def test_similar_problem_link_only_to_visible_problems(client, people, ledger, two_branches):
    client.force_login(people.branch_a1)
    client.post(
        reverse("rectification:similar", args=[ledger.problem.pk]), {"other": two_branches.pk}
    )
    assert not ledger.problem.similar.exists()
    client.force_login(people.office)
    client.post(
        reverse("rectification:similar", args=[ledger.problem.pk]), {"other": two_branches.pk}
    )
    assert list(ledger.problem.similar.all()) == [two_branches]


def test_ledger_pages_by_keyset_without_gaps_or_repeats(client, tree, campaign, people):
    for i in range(65):
        p = services.create_problem(
            actor=people.branch_a1, org=tree.branch_a1, campaign=campaign, title=f"问题{i:02d}"
        )
        services.add_measure(
            actor=people.branch_a1, problem=p, content="措施", deadline_kind="ongoing"
        )
    client.force_login(people.office)
    seen, url, params = [], reverse("rectification:ledger"), {}
    for _ in range(5):
        response = client.get(url, params)
        seen += [p.pk for p in response.context["page"].rows]
        cursor = response.context["next_cursor"]
        if not cursor:
            break
        params = {"after": cursor, "page": response.context["page"].number + 1}
    assert len(seen) == 65 and len(set(seen)) == 65
    assert seen == sorted(seen)


def test_submitted_measure_tells_its_owner_who_acts_next(client, people, ledger, tree):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    client.force_login(people.branch_a1)
    page = client.get(reverse("rectification:problem", args=[m.problem_id])).content.decode()
    # the nearest office strictly above the branch verifies (permissions.verifier_role)
    assert f"等待 {tree.county_a.name} 主题教育办公室 核验" in page
    client.force_login(people.guidance_a)
    page = client.get(reverse("rectification:problem", args=[m.problem_id])).content.decode()
    assert "同意销号" in page and "等待" not in page.split('data-testid="measure"')[1]


def test_problem_history_names_edited_fields_in_chinese(client, people, ledger):
    p = ledger.problem
    services.update_problem(
        actor=people.branch_a1, problem_id=p.pk, version=p.version, title="服务意识不强"
    )
    client.force_login(people.branch_a1)
    page = client.get(reverse("rectification:problem", args=[p.pk])).content.decode()
    assert "修改问题（问题）" in page and "修改问题（title）" not in page
