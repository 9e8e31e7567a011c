"""Cache marks are made by the writers, not by signals (core.versions): every kind of write (a
service's save, a bulk import, an `.update()`) shows on a dashboard rendered and cached before it,
every service that writes a table what is cached reads marks it, and a request that writes one
without marking fails the tests (versions.checking_marks, on in tests/conftest.py)."""

import ast
import io
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from luoshi.accounts import services as accounts
from luoshi.accounts.models import Assignment
from luoshi.assessment import services as assessment
from luoshi.campaigns import services as campaigns
from luoshi.campaigns.models import ActionItem, KeyAction, Proof
from luoshi.core import versions
from luoshi.core.scoping import SYSTEM
from luoshi.dashboards import services as dashboards
from luoshi.guidance import services as guidance
from luoshi.ledger_io.importer import import_ledger
from luoshi.ledger_io.tables import import_orgs
from luoshi.monthly import importer as monthly_import
from luoshi.monthly import services as monthly
from luoshi.orgs import services as orgs
from luoshi.programmes import services as programmes
from luoshi.rectification import services as rectification
from luoshi.rectification.models import Problem, today
from luoshi.research import services as research
from luoshi.supervision import services as supervision
from luoshi.supervision.models import Escalation
from luoshi.weakorgs import reasons as weak_reasons
from luoshi.weakorgs import services as weakorgs
from tests.factories import user_with
from tests.ledger_io.builders import simple_ledger
from tests.rectification.conftest import (  # noqa: F401
    _media,
    act,
    campaign,
    ledger,
    people,
    progress,
)

pytestmark = pytest.mark.django_db


def computed(response) -> bool:
    return "dashboards/_figures.html" in {t.name for t in response.templates}


@pytest.fixture
def board(client, users):
    """Open a node's dashboard as the city office; the first view computes and caches it."""
    client.force_login(users.office)

    def page(org, cached=None):
        response = client.get(reverse("dashboards:node", args=[org.pk]))
        assert response.status_code == 200
        if cached is not None:
            assert computed(response) != cached, "served from the cache" if cached else "new"
        return response

    return page


def org_book(rows) -> bytes:
    book = Workbook()
    book.active.append(["组织代码", "组织名称", "上级组织代码", "组织类别"])
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- each kind of write shows on a dashboard cached before it ----------------------------------
def test_a_ledger_import_shows_on_the_cached_dashboards_above_it(board, tree, campaign):  # noqa: F811
    before = board(tree.city).context["measures"]["measures"]
    board(tree.city, cached=True)
    rows = [
        (1, "导入的问题一", "措施一", "2030年6月底前", "张三"),
        (2, "问题二", "措施二", "长期坚持", ""),
    ]
    liaison = user_with(tree.county_a, "liaison", username="import_marks")
    result = import_ledger(
        actor=liaison, data=simple_ledger(rows), name="台账.xlsx", org=tree.county_a
    )
    assert result.errors == [] and result.written
    after = board(tree.city, cached=False)
    assert after.context["measures"]["measures"] == before + 2


def test_an_org_import_adding_an_organisation_shows_in_its_parents_table(board, tree):
    assert "新设社区党委" not in board(tree.county_a).content.decode()
    board(tree.county_a, cached=True)
    data = org_book([("NEW-1", "新设社区党委", tree.county_a.code, "党委")])
    result = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    assert result.errors == [] and result.created == 1
    page = board(tree.county_a, cached=False)
    assert "新设社区党委" in [r.org.name for r in page.context["rows"]]


def test_a_move_by_update_shows_on_both_sides(board, tree, ledger):  # noqa: F811
    """move_subtree rewrites paths with `.update()`: both parents' cached figures are new."""
    town_a = board(tree.town_a).context["measures"]["measures"]
    town_b = board(tree.town_b).context["measures"]["measures"]
    board(tree.town_b, cached=True)
    orgs.move_subtree(actor=SYSTEM, org=tree.branch_a1, new_parent=tree.town_b)
    moved_b = board(tree.town_b, cached=False)
    assert tree.branch_a1.name in [r.org.name for r in moved_b.context["rows"]]
    assert moved_b.context["measures"]["measures"] == town_b + 1
    assert board(tree.town_a).context["measures"]["measures"] == town_a - 1


def test_a_verified_closure_and_a_reopening_show_at_once(board, tree, ledger, people):  # noqa: F811
    """Transitions write the measure with a versioned `.update()`."""
    closed = board(tree.city).context["measures"]["closed"]
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    board(tree.city)
    board(tree.city, cached=True)
    act(people.county_office_a, m, "verify")
    assert board(tree.city, cached=False).context["measures"]["closed"] == closed + 1
    act(people.county_office_a, m, "reopen", reason="群众反映问题仍然存在")
    assert board(tree.city, cached=False).context["measures"]["closed"] == closed


def test_key_actions_launched_done_and_sent_back_show_at_once(board, tree, users, campaign):  # noqa: F811
    """A launch writes the checklists with COPY / executemany and the actions with `.update()`,
    records complete items with `.update()`, sending an item back saves it."""
    board(tree.city, cached=False)
    campaigns.define_key_action(
        actor=users.office, campaign_id=campaign.pk, name="召开专题民主生活会", due_on=today()
    )
    assert board(tree.city, cached=False).context["figures"]["key_action_items"] == 0
    created = campaigns.launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    assert created > 0
    assert KeyAction.objects.get(campaign=campaign).launched_at is not None
    figures = board(tree.city, cached=False).context["figures"]
    assert figures["key_action_items"] == created and figures["key_action_items_done"] == 0
    campaigns.complete_from_records(
        org_ids=[tree.branch_b1.pk], proof=Proof.MANUAL, on=today(), note="已完成"
    )
    assert board(tree.city, cached=False).context["figures"]["key_action_items_done"] == 1
    item = ActionItem.objects.get(org=tree.branch_b1)
    campaigns.reopen_action(actor=users.office, item_id=item.pk, reason="佐证不足")
    assert board(tree.city, cached=False).context["figures"]["key_action_items_done"] == 0


def test_a_submission_shows_in_the_comparison_at_once(client, board, tree, users):
    assert board(tree.county_a).context["since_last"] is None
    board(tree.county_a, cached=True)
    response = client.post(reverse("dashboards:submit", args=[tree.county_a.pk]), {"note": "月报"})
    assert response.status_code == 302
    assert board(tree.county_a, cached=False).context["since_last"] is not None


# --- every service that writes what is cached marks it ----------------------------------------
def _pdf():
    from tests.rectification.conftest import pdf

    return pdf()


def _research(s):
    topic = research.create_topic(
        actor=s.office, org=s.tree.county_a, title="课题", leader_name="王"
    )
    visit = research.record_visit(
        actor=s.office, topic_id=topic.pk, visited_on=today(), place="甲村", findings=["路灯不亮"]
    )
    return topic, visit


def _target(s):
    return monthly.create_target(
        actor=s.office, org=s.tree.branch_a1, name="李四户", kind="household", cadre=s.office
    )


def _monthly_finding(s):
    visit, _ = monthly.record_visit(
        actor=s.office,
        key=uuid.uuid4(),
        target_id=_target(s).pk,
        visited_at=timezone.now(),
        findings=[("other", "积水")],
    )
    return visit.findings.get()


def _target_book(s) -> bytes:
    book = Workbook()
    book.active.append(["走访对象", "对象类别", "所属组织代码", "联系方式", "住址", "包联干部账号"])
    book.active.append(
        ["王五户", "农户", s.tree.branch_a1.code, "", "", s.people.branch_a1.username]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _account(s):
    user, _ = accounts.create_account(
        actor=s.office, username="marked", name="张三", assignments=[(s.tree.county_a, "liaison")]
    )
    return user


def _topic(s):
    return _research(s)[0]


def _programme(s):
    return programmes.create_programme(
        actor=s.office,
        org=s.tree.city,
        campaign=s.campaign,
        name="整治形式主义官僚主义问题",
        starts_on=s.campaign.starts_on,
        ends_on=s.campaign.ends_on,
        lead_unit="市委办公室",
    )


def _adopted(s):
    programme = _programme(s)
    programmes.adopt_programme(
        actor=s.office,
        programme_id=programme.pk,
        org=s.tree.city,
        doc_number="1号",
        issued_on=today(),
        upload=_pdf(),
    )
    return programme


def _new_campaign(s):
    return campaigns.create_campaign(
        actor=s.office,
        org=s.tree.city,
        preset="2019",
        name="另一次主题教育",
        starts_on=today(),
        ends_on=today() + timedelta(days=200),
    )


def _weak_case(s):
    return weakorgs.list_organization(
        actor=s.office,
        org=s.tree.branch_a1,
        year=today().year,
        reasons=weak_reasons.ensure_standard()[:1],
        campaign=s.campaign,
    )


def _weak_case_ready(s):
    """A weak case with its four supports and its plan's measure closed: ready for 验收."""
    from luoshi.rectification.models import Measure

    case = _weak_case(s)
    names = ("county_leader", "township_leader", "first_secretary", "paired_unit")
    weakorgs.set_support(
        actor=s.office, case_id=case.pk, version=case.version, **dict.fromkeys(names, "张三")
    )
    link = weakorgs.add_plan_problem(
        actor=s.people.branch_a1,
        case_id=case.pk,
        title="组织生活不正常",
        measure="按月开会",
        due_on=None,
    )
    measure = Measure.objects.get(problem=link.problem)
    progress(s.people.branch_a1, measure)
    act(s.people.branch_a1, measure, "submit")
    act(s.people.county_office_a, measure, "verify")
    return case


def _weak_accept(s, case):
    from tests.rectification.conftest import pdf

    return weakorgs.accept_case(
        actor=s.office, case_id=case.pk, result="passed", accepted_on=today(), upload=pdf()
    )


def _survey(s):
    survey = assessment.create_survey(
        actor=s.office, org=s.tree.county_a, title="测评", opens_on=today(), closes_on=today()
    )
    [code] = assessment.issue_codes(actor=s.office, survey=survey, count=1)
    return survey, code


SERVICES = {
    # assessment: the surveys' figures are counted directly from their rows
    "assessment.create_survey": lambda s: _survey(s)[0],
    "assessment.answer_survey": lambda s, made: assessment.answer_survey(
        survey=made[0], code=made[1], ratings=["satisfied"] * len(made[0].questions)
    ),
    # weak organisations: counted directly from the cases
    "weakorgs.list_organization": _weak_case,
    "weakorgs.set_support": lambda s, case: weakorgs.set_support(
        actor=s.office, case_id=case.pk, version=case.version, county_leader="王县长"
    ),
    "weakorgs.accept_case": _weak_accept,
    # research: counted directly from its rows
    "research.create_topic": lambda s: research.create_topic(
        actor=s.office, org=s.tree.county_a, title="课题", leader_name="王"
    ),
    "research.record_visit": lambda s, topic: research.record_visit(
        actor=s.office, topic_id=topic.pk, visited_on=today(), place="乙村", findings=["积水"]
    ),
    "research.finding_to_problem": lambda s, topic: research.finding_to_problem(
        actor=s.office, finding_id=topic.visits.get().findings.get().pk, campaign=s.campaign
    ),
    "research.conclude_topic": lambda s, topic: research.conclude_topic(
        actor=s.office, topic_id=topic.pk, report="调研报告"
    ),
    # the monthly cycle: counted directly from its rows
    "monthly.create_target": lambda s: monthly.create_target(
        actor=s.office, org=s.tree.branch_a1, name="张三户", kind="household"
    ),
    "monthly.assign_target": lambda s, target: monthly.assign_target(
        actor=s.office, target_id=target.pk, cadre=s.people.branch_a1
    ),
    "monthly.record_visit": lambda s, target: monthly.record_visit(
        actor=s.people.branch_a1,
        key=uuid.uuid4(),
        target_id=target.pk,
        visited_at=timezone.now(),
        findings=[("other", "路灯不亮")],
    )[0],
    "monthly.record_meeting": lambda s: monthly.record_meeting(
        actor=s.office,
        org=s.tree.branch_a1,
        month=today().replace(day=1),
        held_on=today(),
        attendees="支委会成员",
    ),
    "monthly.decide_finding": lambda s, finding: monthly.decide_finding(
        actor=s.office, finding_id=finding.pk, decision="pass_up", campaign=s.campaign
    ),
    "monthly.edit_target": lambda s, target: monthly.edit_target(
        actor=s.office, target_id=target.pk, name="李四家", kind="enterprise"
    ),
    "monthly.retire_target": lambda s, target: monthly.retire_target(
        actor=s.office, target_id=target.pk, retired_on=today(), reason="搬迁"
    ),
    "monthly.import_targets": lambda s: monthly_import.import_targets(
        actor=s.office, org=s.tree.county_a, data=_target_book(s), name="包联.xlsx"
    ),
    # the tree and campaign settings: every node
    "orgs.create_organization": lambda s: orgs.create_organization(
        actor=s.office, parent=s.tree.county_a, code="M-1", name="新支部", kind="branch", level=5
    ),
    "orgs.update_organization": lambda s: orgs.update_organization(
        actor=s.office, org=s.tree.branch_a1, name="改名支部"
    ),
    "orgs.move_subtree": lambda s: orgs.move_subtree(
        actor=s.office, org=s.tree.branch_a1, new_parent=s.tree.town_b
    ),
    "campaigns.add_category": lambda s: campaigns.add_category(
        actor=s.office, campaign_id=s.campaign.pk, name="新类别"
    ),
    "campaigns.rename_category": lambda s: campaigns.rename_category(
        actor=s.office, category_id=s.campaign.categories.first().pk, name="改名类别"
    ),
    "campaigns.add_source": lambda s: campaigns.add_source(
        actor=s.office, campaign_id=s.campaign.pk, name="新来源"
    ),
    "campaigns.define_key_action": lambda s: campaigns.define_key_action(
        actor=s.office, campaign_id=s.campaign.pk, name="动作", due_on=today()
    ),
    "campaigns.launch_key_actions": lambda s, action: campaigns.launch_key_actions(
        actor=s.office, campaign_id=s.campaign.pk
    ),
    "campaigns.create_campaign": lambda s: _new_campaign(s),
    "campaigns.advance_campaign": lambda s, new: campaigns.advance_campaign(
        actor=s.office, campaign_id=new.pk, action="launch"
    ),
    "campaigns.update_campaign": lambda s, new: campaigns.update_campaign(
        actor=s.office, campaign_id=new.pk, name="改名的主题教育"
    ),
    "campaigns.save_batch": lambda s, new: campaigns.save_batch(
        actor=s.office,
        campaign_id=new.pk,
        name="第一批",
        starts_on=new.starts_on,
        ends_on=new.starts_on + timedelta(days=95),
    ),
    "orgs.merge_organization": lambda s: orgs.merge_organization(
        actor=s.office, org=s.tree.branch_a2, into=s.tree.branch_a1
    ),
    "orgs.dissolve_organization": lambda s: orgs.dissolve_organization(
        actor=s.office, org=s.tree.branch_b1
    ),
    # the ledger: measures and problems listed on the dashboards
    "rectification.create_problem": lambda s: rectification.create_problem(
        actor=s.people.branch_a1, org=s.tree.branch_a1, campaign=s.campaign, title="新问题"
    ),
    "rectification.update_measure": lambda s: rectification.update_measure(
        actor=s.people.branch_a1,
        measure_id=s.measure.pk,
        version=s.measure.version,
        due_on=today() + timedelta(days=3),
    ),
    "rectification.transition_measure": lambda s: act(s.people.branch_a1, s.measure, "start"),
    "rectification.record_regulation": lambda s: rectification.record_regulation(
        actor=s.people.branch_a1, measure_id=s.measure.pk, title="制度"
    ),
    "rectification.delete_problem": lambda s: rectification.delete_problem(
        actor=s.people.branch_a1,
        problem_id=s.measure.problem_id,
        version=Problem.objects.get(pk=s.measure.problem_id).version,
        reason="重复录入",
    ),
    # imports
    "ledger_io.import_ledger": lambda s: import_ledger(
        actor=s.people.county_a,
        data=simple_ledger([(1, "导入的问题", "导入的措施", "2030年6月底前", "张三")]),
        name="台账.xlsx",
        org=s.tree.county_a,
    ),
    "ledger_io.import_orgs": lambda s: import_orgs(
        actor=SYSTEM,
        data=org_book([("I-1", "导入支部", s.tree.town_a.code, "党支部")]),
        name="组织.xlsx",
    ),
    # special rectification: a programme and a plan are in force in a whole subtree
    "programmes.create_programme": _programme,
    "programmes.adopt_programme": lambda s, programme: programmes.adopt_programme(
        actor=s.office,
        programme_id=programme.pk,
        org=s.tree.county_a,
        doc_number="甲党发〔2019〕2号",
        issued_on=today(),
        upload=_pdf(),
    ),
    "programmes.add_item": lambda s, programme: programmes.add_item(
        actor=s.office,
        programme_id=programme.pk,
        org=s.tree.branch_a1,
        title="文山会海",
        measures=[{"content": "精简会议", "deadline_kind": "ongoing"}],
    ),
    # the submitted figures
    "dashboards.submit_figures": lambda s: dashboards.submit_figures(
        actor=s.office, org=s.tree.county_a, campaign=s.campaign
    ),
    # accounts: the signed-in user is cached per account version
    "accounts.create_account": _account,
    "accounts.rename_account": lambda s, user: accounts.rename_account(
        actor=s.office, user_id=user.pk, name="李四"
    ),
    "accounts.add_assignment": lambda s, user: accounts.add_assignment(
        actor=s.office, user_id=user.pk, org=s.tree.county_b, role="liaison"
    ),
    "accounts.remove_assignment": lambda s, user: accounts.remove_assignment(
        actor=s.office,
        user_id=user.pk,
        assignment_id=Assignment.objects.filter(user=user).first().pk,
    ),
    "accounts.reset_password": lambda s, user: accounts.reset_password(
        actor=s.office, user_id=user.pk
    ),
    "accounts.set_locked": lambda s, user: accounts.set_locked(
        actor=s.office, user_id=user.pk, locked=True
    ),
    "accounts.password_changed": lambda s, user: accounts.password_changed(user=user),
    # supervision: the 督办单 and the reports owed, on the dashboards' tiles
    "supervision.sweep": lambda s: supervision.sweep(today() + timedelta(days=31), send=False),
    "supervision.reply_escalation": lambda s, e: supervision.reply_escalation(
        actor=s.people.branch_a1, escalation_id=e.pk, text="正在整改"
    ),
    "supervision.create_demand": lambda s: _demand(s),
    "supervision.submit_report": lambda s, d: supervision.submit_report(
        actor=s.people.branch_a1, demand_id=d.pk, org=s.tree.branch_a1
    ),
    "supervision.decide_submission": lambda s, sent: supervision.decide_submission(
        actor=s.office, submission_id=sent.pk, receive=True
    ),
}


def _demand(s):
    return supervision.create_demand(
        actor=s.office,
        org=s.tree.town_a,
        campaign=s.campaign,
        title="周报",
        kind="statistics",
        period="weekly",
        first_due_on=today(),
    )


def _escalation(s):
    supervision.sweep(today() + timedelta(days=31), send=False)
    return Escalation.objects.exclude(step="remind").first()


def _sent(s):
    return supervision.submit_report(
        actor=s.people.branch_a1, demand_id=_demand(s).pk, org=s.tree.branch_a1
    )


# guidance (issue 19): a group over county a, its inspection of township a, a finding fed back
# and replied, a circular of the city office drafted and issued
def _g_group(s):

    user_with(s.tree.county_b, "viewer", username="g_mark")  # cross-inspection: county b's cadre
    return guidance.create_group(
        actor=s.office,
        campaign=s.campaign,
        name="第一指导组",
        leader="g_mark",
        members=[],
        subtrees=[s.tree.county_a],
        starts_on=s.campaign.starts_on,
        ends_on=s.campaign.ends_on,
    )


def _g_inspection(s):
    group = _g_group(s)
    return guidance.plan_inspection(
        actor=group.leader, group_id=group.pk, org=s.tree.town_a, kind="interviews",
        visited_on=today(), sample_size=2,
    )  # fmt: skip


def _g_finding(s):
    inspection = _g_inspection(s)
    return guidance.feed_back(
        actor=inspection.group.leader,
        inspection_id=inspection.pk,
        title="台账不全",
        reply_due_on=today() + timedelta(days=9),
    )


def _g_town(s):
    return user_with(s.tree.town_a, "liaison", username="g_town")


def _g_replied(s):
    finding = _g_finding(s)
    return guidance.reply_to_finding(
        actor=_g_town(s), finding_id=finding.pk, version=finding.version, reply="已整改"
    )


def _g_circular(s):
    return guidance.draft_circular(actor=s.office, issued_to=s.tree.city, title="通报", body="正文")


def _g_issued(s):
    return guidance.issue_circular(actor=s.office, circular_id=_g_circular(s).pk)


SERVICES.update(
    {
        "guidance.create_group": _g_group,
        "guidance.change_group": lambda s, g: guidance.change_group(
            actor=s.office, group_id=g.pk, members=[], subtrees=[s.tree.county_a], ends_on=today()
        ),
        "guidance.end_group": lambda s, g: guidance.end_group(actor=s.office, group_id=g.pk),
        "guidance.delete_group": lambda s, g: guidance.delete_group(actor=s.office, group_id=g.pk),
        "guidance.plan_inspection": lambda s, g: guidance.plan_inspection(
            actor=g.leader, group_id=g.pk, org=s.tree.town_a, kind="ledgers", visited_on=today()
        ),
        "guidance.draw_sample": lambda s, i: guidance.draw_sample(
            actor=i.group.leader, inspection_id=i.pk
        ),
        "guidance.record_notes": lambda s, i: guidance.record_notes(
            actor=i.group.leader,
            inspection_id=i.pk,
            version=i.version,
            talked_to="与书记谈话",
            found="台账不全",
            talked=[],
        ),
        "guidance.feed_back": lambda s, i: guidance.feed_back(
            actor=i.group.leader,
            inspection_id=i.pk,
            title="台账不全",
            reply_due_on=today() + timedelta(days=9),
        ),
        "guidance.reply_to_finding": lambda s, f: guidance.reply_to_finding(
            actor=_g_town(s), finding_id=f.pk, version=f.version, reply="已整改"
        ),
        "guidance.check_reply": lambda s, f: guidance.check_reply(
            actor=f.inspection.group.leader, finding_id=f.pk, version=f.version, accept=True
        ),
        "guidance.draft_circular": _g_circular,
        "guidance.issue_circular": lambda s, c: guidance.issue_circular(
            actor=s.office, circular_id=c.pk
        ),
        "guidance.confirm_circular": lambda s, c: guidance.confirm_circular(
            actor=s.people.county_a, circular_id=c.pk
        ),
    }
)
# what a service needs made before it (made outside the check)
SETUP = {
    "guidance.change_group": _g_group,
    "guidance.end_group": _g_group,
    "guidance.delete_group": _g_group,
    "guidance.plan_inspection": _g_group,
    "guidance.draw_sample": _g_inspection,
    "guidance.record_notes": _g_inspection,
    "guidance.feed_back": _g_inspection,
    "guidance.reply_to_finding": _g_finding,
    "guidance.check_reply": _g_replied,
    "guidance.issue_circular": _g_circular,
    "guidance.confirm_circular": _g_issued,
    "assessment.answer_survey": _survey,
    "supervision.reply_escalation": _escalation,
    "supervision.submit_report": _demand,
    "supervision.decide_submission": _sent,
    "weakorgs.set_support": _weak_case,
    "weakorgs.accept_case": _weak_case_ready,
    "monthly.assign_target": lambda s: _target(s),
    "monthly.record_visit": lambda s: _target(s),
    "monthly.decide_finding": lambda s: _monthly_finding(s),
    "monthly.edit_target": lambda s: _target(s),
    "monthly.retire_target": lambda s: _target(s),
    "research.record_visit": _topic,
    "research.finding_to_problem": _topic,
    "research.conclude_topic": _topic,
    "campaigns.launch_key_actions": lambda s: SERVICES["campaigns.define_key_action"](s),
    "campaigns.advance_campaign": _new_campaign,
    "campaigns.update_campaign": _new_campaign,
    "campaigns.save_batch": _new_campaign,
    "accounts.rename_account": _account,
    "programmes.adopt_programme": _programme,
    "programmes.add_item": _adopted,
    "accounts.add_assignment": _account,
    "accounts.reset_password": _account,
    "accounts.set_locked": _account,
    "accounts.password_changed": _account,
}


def _remove_setup(s):
    user = _account(s)
    accounts.add_assignment(actor=s.office, user_id=user.pk, org=s.tree.county_b, role="liaison")
    return user


SETUP["accounts.remove_assignment"] = _remove_setup


@pytest.fixture
def world(tree, users, campaign, people, ledger):  # noqa: F811
    from types import SimpleNamespace

    from luoshi.campaigns.models import ProblemSource

    ProblemSource.objects.create(campaign=campaign, name="调研发现")
    return SimpleNamespace(
        tree=tree,
        office=users.office,
        campaign=campaign,
        people=people,
        measure=ledger.measure,
    )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_that_writes_what_is_cached_marks_it(world, name):
    """Each service is run under the check the tests' requests run under: it fails when the
    service writes a table declared with `versions.read_from` and makes no mark of its kind."""
    args = (SETUP[name](world),) if name in SETUP else ()
    with versions.checking_marks(name) as check:
        result = SERVICES[name](world, *args)
    assert not getattr(result, "errors", None), result.errors
    assert check.written, f"{name} wrote no table that what is cached reads"


def test_a_service_that_forgets_its_mark_fails_the_check(world, monkeypatch):
    monkeypatch.setattr(versions, "changed", lambda paths: None)
    with pytest.raises(AssertionError, match="research_researchtopic"):
        with versions.checking_marks("create_topic"):
            SERVICES["research.create_topic"](world)


def test_a_request_that_writes_without_marking_fails_the_tests(client, world, monkeypatch):
    """The middleware's check (tests/conftest.py turns it on): a page or API operation whose
    service forgot its mark is an error in the first test that calls it."""
    monkeypatch.setattr(versions, "changed", lambda paths: None)
    client.force_login(world.office)
    with pytest.raises(AssertionError, match="POST /dashboard/"):
        client.post(reverse("dashboards:submit", args=[world.tree.county_a.pk]), {"note": ""})


def test_a_login_writes_the_users_time_without_a_mark(client, tree):
    """A login's time is shown by nothing cached: the check lets it pass unmarked."""
    user_with(tree.county_a, "liaison", username="login_time")
    response = client.post(
        reverse("login"), {"username": "login_time", "password": "secret-pass-1"}
    )
    assert response.status_code == 302 and "_auth_user_id" in client.session


# --- every writer of those tables is in the list above -----------------------------------------
ROOT = Path(__file__).resolve().parents[2] / "luoshi"
WRITERS = [
    "*/services.py",
    "ledger_io/importer.py",
    "ledger_io/tables.py",
    "*/tasks.py",
    "*/views.py",
    "*/api.py",
    "*/admin_views.py",
]
WRITES = {"create", "update", "bulk_create", "bulk_update", "delete"}
BULK_WRITES = {"insert_rows", "update_rows"}
WRITES |= {"get_or_create", "update_or_create", "create_user", "create_superuser"}
# functions that write a declared table and the service (above) whose check covers them
COVERED_BY = {
    "guidance._feedback_source": "guidance.feed_back",
    "campaigns._write_checklists": "campaigns.launch_key_actions",
    "campaigns.copy_vocabulary": "campaigns.create_campaign",
    "campaigns._copy_key_actions": "campaigns.create_campaign",
    "orgs._relink": "orgs.merge_organization",
    "orgs._transfer": "orgs.merge_organization",
    "ledger_io._Writer._changed_problem": "ledger_io.import_ledger",
    "ledger_io._Writer._update_measures": "ledger_io.import_ledger",
    "ledger_io._Writer._added_measure": "ledger_io.import_ledger",
    "ledger_io._Writer._insert": "ledger_io.import_ledger",
    "accounts._set_must_change": "accounts.reset_password",
    "rectification.refresh_problem_status": "rectification.transition_measure",
    "rectification.add_measure": "rectification.update_measure",
    "rectification.report_progress": "rectification.transition_measure",
    "rectification.decide_extension": "rectification.update_measure",
    "rectification.update_problem": "rectification.create_problem",
    "supervision._write_escalation": "supervision.sweep",
    "supervision.stop_standing": "supervision.sweep",
    "monthly._write_visit": "monthly.record_visit",
    "monthly._pass_up": "monthly.decide_finding",
}


def _declared_models() -> set[str]:
    from django.apps import apps

    return {m.__name__ for m in apps.get_models() if m._meta.db_table in versions.READ}


def _writers() -> set[str]:
    """`app.function` (or `app.Class.method`) for every function of the services, importers,
    tasks, views and API that names a declared model in a write (`Model.objects…update(…)` and
    the like, `insert_rows(Model, …)`)."""
    declared, found = _declared_models(), set()
    for pattern in WRITERS:
        for path in ROOT.glob(pattern):
            app = path.parent.name
            tree = ast.parse(path.read_text())
            for scope, func in _functions(tree):
                if _writes_declared(func, declared):
                    found.add(".".join([app, *scope, func.name]))
    return found


def _functions(tree, scope=()):
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef):
            yield scope, node
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, (*scope, node.name))


def _writes_declared(func, declared: set[str]) -> bool:
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func
        if isinstance(callee, ast.Name) and callee.id in BULK_WRITES and node.args:
            if isinstance(node.args[0], ast.Name) and node.args[0].id in declared:
                return True
        if isinstance(callee, ast.Attribute) and callee.attr in WRITES:
            names = {n.id for n in ast.walk(callee.value) if isinstance(n, ast.Name)}
            if names & declared and "objects" in ast.unparse(callee.value):
                return True
    return False


def test_every_writer_of_a_cached_table_has_its_marks_checked():
    """A new service that writes a table what is cached reads must be added to SERVICES (where
    its mark is checked) or to COVERED_BY; direct saves of loaded rows are caught by the request
    check instead."""
    covered = set(SERVICES) | set(COVERED_BY)
    missing = sorted(_writers() - covered)
    assert not missing, f"add these writers to SERVICES with a call that runs them: {missing}"
    assert set(COVERED_BY.values()) <= set(SERVICES)
