"""Issue 19, guidance: a group's members see only their assigned subtrees, for the group's
period, and write nothing there but verifying and returning closures; samples are reproducible
from their seed; findings feed problems (督导反馈) back with a reply deadline, replies are
accepted or returned; circulars are confirmed once by each recipient; figures are counts."""

import io
import json
from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from docx import Document

from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.guidance import rules, selectors, services
from luoshi.guidance.models import (
    Circular,
    CircularRecipient,
    Finding,
    FindingState,
    Inspection,
    SampledMember,
)
from luoshi.orgs.models import Member
from luoshi.rectification import services as ledger
from luoshi.rectification.models import MeasureState, Problem, today
from tests.factories import user_with
from tests.rectification.conftest import act, progress

pytestmark = pytest.mark.django_db


def inspect(guide, group, org, **more):
    fields = {"kind": "interviews", "visited_on": today(), "sample_size": 3, **more}
    return services.plan_inspection(actor=guide, group_id=group.pk, org=org, **fields)


def fed_back(guide, inspection, title="三会一课记录不全", days=10):
    return services.feed_back(
        actor=guide,
        inspection_id=inspection.pk,
        title=title,
        reply_due_on=today() + timedelta(days=days),
    )


# --- scope -------------------------------------------------------------------------------------
def test_a_group_member_sees_the_assigned_subtree_and_gets_404_elsewhere(
    client, tree, group, guide, users
):
    client.force_login(guide)
    assert client.get(reverse("dashboards:node", args=[tree.county_a.pk])).status_code == 200
    assert client.get(reverse("dashboards:node", args=[tree.town_a.pk])).status_code == 200
    ledger_page = client.get(reverse("rectification:ledger") + f"?org={tree.branch_a1.pk}")
    assert ledger_page.status_code == 200
    for org in (tree.county_b, tree.town_b, tree.branch_b1, tree.city):
        assert client.get(reverse("dashboards:node", args=[org.pk])).status_code == 404
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(guide)}"}
    assert client.get(f"/api/v1/organizations/{tree.town_a.pk}", **auth).status_code == 200
    assert client.get(f"/api/v1/organizations/{tree.town_b.pk}", **auth).status_code == 404


def test_another_groups_inspection_is_404_for_pages_and_api(client, tree, users, campaign, guide):
    other = user_with(tree.city, "viewer", username="other_guide")
    b_group = services.create_group(
        actor=users.office,
        campaign=campaign,
        name="市委第二指导组",
        leader=other.username,
        members=[],
        subtrees=[tree.county_b],
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    services.create_group(
        actor=users.office,
        campaign=campaign,
        name="市委第一指导组",
        leader="guide",
        members=[],
        subtrees=[tree.county_a],
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    b_visit = inspect(other, b_group, tree.town_b)
    finding = fed_back(other, b_visit)
    client.force_login(guide)
    for url in (
        reverse("guidance:inspection", args=[b_visit.pk]),
        reverse("guidance:finding", args=[finding.pk]),
        reverse("guidance:group", args=[b_group.pk]),
    ):
        assert client.get(url).status_code == 404, url
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(guide)}"}
    assert client.get(f"/api/v1/guidance/inspections/{b_visit.pk}", **auth).status_code == 404
    assert client.get(f"/api/v1/guidance/findings/{finding.pk}", **auth).status_code == 404
    listed = client.get("/api/v1/guidance/inspections", **auth).json()
    assert b_visit.pk not in [row["id"] for row in listed]
    with pytest.raises(Http404):  # another group: not even seen
        inspect(guide, b_group, tree.town_b)


def test_the_role_begins_and_ends_with_the_groups_period(client, tree, group, guide, users):
    client.force_login(guide)
    url = reverse("dashboards:node", args=[tree.county_a.pk])
    assert client.get(url).status_code == 200
    services.change_group(
        actor=users.office,
        group_id=group.pk,
        members=[],
        subtrees=[tree.county_a],
        ends_on=today() - timedelta(days=1),
    )
    assert client.get(url).status_code == 404
    with pytest.raises(NotAllowed, match="不在期限内"):
        inspect(guide, group, tree.town_a)
    assert rules.is_member(guide, group)  # still listed as a member of the past group


def test_a_group_member_verifies_and_returns_closures_and_writes_nothing_else(
    tree, group, guide, users, campaign
):
    problem = ledger.create_problem(
        actor=users.branch_a1, org=tree.branch_a1, campaign=campaign, title="服务意识不强"
    )
    measure = ledger.add_measure(
        actor=users.branch_a1, problem=problem, content="建立台账", due_on=today() + timedelta(9)
    )
    act(users.branch_a1, progress(users.branch_a1, measure), "submit")
    act(guide, measure, "return", reason="佐证材料不足")
    measure.refresh_from_db()
    assert measure.state == MeasureState.RETURNED
    act(users.branch_a1, progress(users.branch_a1, measure), "submit")
    assert act(guide, measure, "verify").state == MeasureState.CLOSED
    with pytest.raises(NotAllowed):
        ledger.create_problem(actor=guide, org=tree.branch_a1, campaign=campaign, title="自己写的")
    with pytest.raises(NotAllowed):
        ledger.add_measure(actor=guide, problem=problem, content="代写措施")
    with pytest.raises(NotAllowed):
        services.create_group(
            actor=guide,
            campaign=campaign,
            name="自封的指导组",
            leader="guide",
            members=[],
            subtrees=[tree.town_a],
            starts_on=today(),
            ends_on=today(),
        )


# --- samples -------------------------------------------------------------------------------------
def test_the_same_seed_draws_the_same_members_whatever_order_they_are_read(tree):
    ids = [m.pk for ms in tree.members.values() for m in ms]
    assert rules.sample_members(ids, 7, 4) == rules.sample_members(list(reversed(ids)), 7, 4)
    draws = {tuple(rules.sample_members(ids, seed, 4)) for seed in range(30)}
    assert len(draws) > 1  # the seed decides


def test_a_drawn_sample_is_reproduced_from_its_stored_seed(tree, group, guide):
    first = inspect(guide, group, tree.town_a)
    services.draw_sample(actor=guide, inspection_id=first.pk)
    first.refresh_from_db()
    drawn = list(SampledMember.objects.filter(inspection=first).values_list("member_id", flat=True))
    members = Member.objects.filter(org_path__startswith=tree.town_a.path).values_list(
        "pk", flat=True
    )
    assert drawn == rules.sample_members(list(members), first.sample_seed, 3)
    again = inspect(guide, group, tree.town_a)
    services.draw_sample(actor=guide, inspection_id=again.pk, seed=first.sample_seed)
    assert drawn == list(
        SampledMember.objects.filter(inspection=again).values_list("member_id", flat=True)
    )
    assert set(drawn) <= set(members) and len(drawn) == 3
    with pytest.raises(Invalid, match="重新抽取须说明原因"):
        services.draw_sample(actor=guide, inspection_id=first.pk)


# --- findings and replies ------------------------------------------------------------------------
def test_a_finding_feeds_a_problem_of_source_feedback_that_the_unit_replies_to(
    tree, group, guide, town
):
    visit = inspect(guide, group, tree.town_a, kind="ledgers", sample_size=0)
    finding = fed_back(guide, visit, days=10)
    problem = Problem.objects.get(pk=finding.problem_id)
    assert problem.source.name == "督导反馈" and problem.org_id == tree.town_a.pk
    assert finding.reply_due_on == today() + timedelta(days=10)
    assert finding.state == FindingState.AWAITING
    with pytest.raises(NotAllowed):  # the group does not reply for the unit, nor the county
        services.reply_to_finding(actor=guide, finding_id=finding.pk, version=1, reply="x")
    with pytest.raises(NotAllowed):
        services.reply_to_finding(
            actor=town.county_office, finding_id=finding.pk, version=1, reply="代为回复"
        )
    replied = services.reply_to_finding(
        actor=town.liaison, finding_id=finding.pk, version=1, reply="已补齐记录"
    )
    assert replied.state == FindingState.REPLIED and replied.replied_on_time
    with pytest.raises(Invalid, match="理由"):
        services.check_reply(actor=guide, finding_id=finding.pk, version=2, accept=False)
    returned = services.check_reply(
        actor=guide, finding_id=finding.pk, version=2, accept=False, reason="记录仍不全"
    )
    assert returned.state == FindingState.RETURNED and returned.return_reason == "记录仍不全"
    with pytest.raises(NotAllowed):  # the unit does not accept its own reply
        services.check_reply(actor=town.liaison, finding_id=finding.pk, version=3, accept=True)
    services.reply_to_finding(
        actor=town.liaison, finding_id=finding.pk, version=3, reply="已逐月补齐并公示"
    )
    accepted = services.check_reply(actor=guide, finding_id=finding.pk, version=4, accept=True)
    assert accepted.state == FindingState.ACCEPTED
    assert accepted.first_replied_on == today() and accepted.reply == "已逐月补齐并公示"


def test_a_reply_deadline_in_the_past_and_a_stale_version_are_refused(tree, group, guide, town):
    visit = inspect(guide, group, tree.town_a)
    with pytest.raises(Invalid, match="回复时限"):
        fed_back(guide, visit, days=0)
    assert not Problem.objects.exists()
    finding = fed_back(guide, visit)
    from luoshi.core.errors import Conflict

    with pytest.raises(Conflict):
        services.reply_to_finding(actor=town.liaison, finding_id=finding.pk, version=9, reply="x")


def test_an_unannounced_visit_is_not_shown_to_the_unit_visited(tree, group, guide, town):
    visit = inspect(guide, group, tree.town_a, kind="unannounced", sample_size=0)
    assert visit.unannounced
    assert not selectors.inspections_for(town.liaison).filter(pk=visit.pk).exists()
    assert selectors.inspections_for(town.county_office).filter(pk=visit.pk).exists()
    assert selectors.inspections_for(guide).filter(pk=visit.pk).exists()


# --- circulars -----------------------------------------------------------------------------------
def test_a_circular_is_confirmed_once_by_each_recipient(client, tree, users, campaign):
    circular = services.draft_circular(
        actor=users.office,
        issued_to=tree.city,
        title="关于整改落实情况的通报",
        body="现将有关情况通报如下。",
        praised=[tree.county_a],
        criticised=[tree.county_b],
        figure_keys=["organizations", "inspections"],
    )
    assert circular.figures == [["党组织数", 9], ["督导检查次数", 0]]
    issued = services.issue_circular(actor=users.office, circular_id=circular.pk)
    assert issued.number.endswith(f"〔{today().year}〕1号")
    assert set(issued.recipients.values_list("org_id", flat=True)) == {
        tree.county_a.pk,
        tree.county_b.pk,
    }
    a = user_with(tree.county_a, "office", username="county_a_office")
    b = user_with(tree.county_b, "liaison", username="county_b_liaison")
    (done,) = services.confirm_circular(actor=a, circular_id=circular.pk)
    assert done.org_id == tree.county_a.pk
    with pytest.raises(Invalid, match="不需重复确认"):
        services.confirm_circular(actor=a, circular_id=circular.pk)
    with pytest.raises(NotAllowed):  # the issuer is no recipient
        services.confirm_circular(actor=users.office, circular_id=circular.pk)
    client.force_login(b)
    page = client.get(reverse("guidance:circular", args=[circular.pk]))
    assert [r.org_id for r in page.context["pending"]] == [tree.county_b.pk]
    client.post(reverse("guidance:circular_confirm", args=[circular.pk]))
    assert CircularRecipient.objects.filter(confirmed_at__isnull=True).count() == 0
    client.force_login(users.branch_a1)  # below the recipients: not shown
    assert client.get(reverse("guidance:circular", args=[circular.pk])).status_code == 404


def test_a_group_writes_circulars_only_to_its_subtrees_and_they_download_as_word(
    client, tree, group, guide
):
    with pytest.raises(NotAllowed, match="负责范围"):
        services.draft_circular(
            actor=guide, group=group, issued_to=tree.city, title="越权", body="x"
        )
    circular = services.draft_circular(
        actor=guide,
        group=group,
        issued_to=tree.county_a,
        title="关于甲区整改情况的通报",
        body="根据督导检查情况，现通报如下。",
        good_practice="建立三张清单",
    )
    services.issue_circular(actor=guide, circular_id=circular.pk)
    circular.refresh_from_db()
    client.force_login(guide)
    response = client.get(reverse("guidance:circular_download", args=[circular.pk]))
    assert response.status_code == 200
    text = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert text[0] == "关于甲区整改情况的通报" and circular.number in text
    assert "市委第一指导组" in text and f"{today().year}年{today().month}月{today().day}日" in text
    assert "一、好的做法" in text and "建立三张清单" in text


# --- figures -------------------------------------------------------------------------------------
def test_figures_equal_direct_counts_for_every_node(tree, group, guide, town, users):
    visit = inspect(guide, group, tree.town_a, kind="unannounced")
    on_time = fed_back(guide, visit, "问题一")
    fed_back(guide, visit, "问题二")
    services.reply_to_finding(actor=town.liaison, finding_id=on_time.pk, version=1, reply="已改")
    services.check_reply(actor=guide, finding_id=on_time.pk, version=2, accept=True)
    inspect(guide, group, tree.branch_a1)
    circular = services.draft_circular(
        actor=users.office, issued_to=tree.city, title="通报", body="正文"
    )
    services.issue_circular(actor=users.office, circular_id=circular.pk)
    services.confirm_circular(
        actor=user_with(tree.county_a, "liaison", username="a_liaison"), circular_id=circular.pk
    )
    for org in (tree.city, tree.county_a, tree.town_a, tree.branch_a1, tree.county_b):
        f = selectors.guidance_figures(org.path)
        inside = [i for i in Inspection.objects.all() if i.org_path.startswith(org.path)]
        findings = [x for x in Finding.objects.all() if x.org_path.startswith(org.path)]
        got = [r for r in CircularRecipient.objects.all() if r.org_path.startswith(org.path)]
        assert f["inspections"] == len(inside)
        assert f["inspections_unannounced"] == sum(i.unannounced for i in inside)
        assert f["inspections_findings"] == len(findings)
        assert f["inspections_replied_on_time"] == sum(x.replied_on_time for x in findings)
        assert f["inspections_accepted"] == sum(x.state == "accepted" for x in findings)
        assert f["circulars_issued"] == sum(
            c.state == "issued" and c.org_path.startswith(org.path) for c in Circular.objects.all()
        )
        assert f["circulars_received"] == len(got)
        assert f["circulars_confirmed"] == sum(r.confirmed_at is not None for r in got)
    city = selectors.guidance_figures(tree.city.path)
    assert (city["inspections"], city["inspections_findings"], city["circulars_confirmed"]) == (
        2,
        2,
        1,
    )


def test_the_figures_reach_stats_the_dashboard_tile_and_the_report(client, tree, group, guide):
    from django.core.management import call_command

    fed_back(guide, inspect(guide, group, tree.town_a))
    out = io.StringIO()
    call_command("stats", "--org", tree.city.code, "--json", stdout=out)
    stats = json.loads(out.getvalue())
    assert stats["inspections"] == 1 and stats["inspections_findings"] == 1
    assert stats["circulars_issued"] == 0
    client.force_login(guide)
    page = client.get(reverse("dashboards:node", args=[tree.county_a.pk])).content.decode()
    assert 'data-testid="tile-inspections"' in page
    from luoshi.core.registry import report_paragraphs

    (line,) = report_paragraphs(tree.city, selectors.guidance_figures(tree.city.path))
    assert "督导检查1次" in line and "反馈问题1个" in line


def test_my_work_lists_replies_due_replies_to_check_and_circulars_to_confirm(
    client, tree, group, guide, town, users
):
    finding = fed_back(guide, inspect(guide, group, tree.town_a))
    client.force_login(town.liaison)
    page = client.get(reverse("rectification:my_work")).content.decode()
    assert "待回复的督导反馈" in page and "三会一课记录不全" in page
    services.reply_to_finding(actor=town.liaison, finding_id=finding.pk, version=1, reply="已改")
    client.force_login(guide)
    assert "待审核的整改回复" in client.get(reverse("rectification:my_work")).content.decode()
    circular = services.draft_circular(
        actor=users.office, issued_to=tree.county_a, title="甲区通报", body="正文"
    )
    services.issue_circular(actor=users.office, circular_id=circular.pk)
    client.force_login(town.liaison)
    assert "待确认已阅的通报" in client.get(reverse("rectification:my_work")).content.decode()


def test_a_circular_with_markup_characters_downloads_as_they_were_typed(client, tree, users):
    title = '关于<script>alert("x")</script> & “三会一课”的通报'
    circular = services.draft_circular(
        actor=users.office, issued_to=tree.county_a, title=title, body="A&B <b>正文</b>"
    )
    client.force_login(users.office)
    response = client.get(reverse("guidance:circular_download", args=[circular.pk]))
    text = [p.text for p in Document(io.BytesIO(response.content)).paragraphs]
    assert text[0] == title and "A&B <b>正文</b>" in text and "（草稿，未印发）" in text
    page = client.get(reverse("guidance:circular", args=[circular.pk])).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_a_measure_of_a_guided_county_waits_for_its_guidance_group_when_no_office_verifies(
    tree,
    users,
    campaign,
    group,
    guide,  # noqa: F811
):
    """The "等待 … 核验" line (permissions.waiting_verifiers) reads a group in force as the
    guidance role it gives its members: with no office and no guidance assignment over county
    a, its measures wait for the group that guides it, and the group's member may verify."""
    from luoshi.accounts.models import Assignment
    from luoshi.accounts.permissions import verifier_role, waiting_verifiers

    Assignment.objects.filter(org__path__in=[tree.county_a.path, tree.city.path]).delete()
    branch = tree.branch_a1.path
    found = waiting_verifiers([(branch, branch)])
    assert found[(branch, branch)] == (tree.county_a.path, "guidance")
    assert verifier_role(guide, branch, not_from=branch) == "guidance"
