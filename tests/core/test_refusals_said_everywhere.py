"""Issue 22: every page form and API write of every app, posted by every demo role (office,
leader, liaison, guidance, viewer) with a change the rules refuse (no permission, or an invalid
value): the answer says so in Chinese (an error on the page, or a 4xx page that says why; a 4xx JSON
`detail` from the API) and no stored row changes. The write paths are discovered from the URL
resolver (views that take POST) and the OpenAPI document (POST/PUT/PATCH/DELETE); a new one
fails `test_every_write_path_has_a_refused_change_case` until a case is added here. The ledger's
own forms and writes are in tests/rectification/test_refusals_said.py."""

import json
import re
import uuid
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from luoshi.accounts.models import ApiToken, Assignment
from luoshi.accounts.tokens import issue_token
from luoshi.core.models import AuditEvent
from tests.core.test_sweep import _patterns
from tests.factories import user_with
from tests.rectification import conftest as ledger_fixtures
from tests.rectification import test_refusals_said as ledger_refusals

# The ledger's fixtures and its refusal test's helpers, shared rather than copied.
campaign, ledger, people = ledger_fixtures.campaign, ledger_fixtures.ledger, ledger_fixtures.people
world, _forms = ledger_refusals.world, ledger_refusals._forms
ERROR, ROLES = ledger_refusals.ERROR, ledger_refusals.ROLES

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# A 4xx page that says why (the 404 and 无权访问 pages: "不在您负责的组织范围内", …).
SAID_PAGE = re.compile(r'(empty-title|empty-subtitle[^"]*)"[^>]*>\s*[^<]*[\u4e00-\u9fff]')
STORED = ("luoshi.", "django.contrib.auth.")  # whose tables are compared before and after
# Fields a request may touch without a change: the API token's last use.
VOLATILE = {"accounts.ApiToken": {"last_used_at"}}
WRITE_METHODS = {"post", "put", "patch", "delete"}
# Write pages this file does not post to, and where their refusals are tested instead.
ELSEWHERE = {
    "login": "Django's sign-in (tests/core/test_login_throttle.py)",
    "logout": "signing out changes no row",
    "password_change": "the user's own password (tests/accounts/test_account_admin.py)",
    "password_change_done": "a confirmation page",
    "ledger_io:import": "an upload judged before it is stored (tests/ledger_io)",
    "ledger_io:confirm": "bound to the session's pending import (tests/ledger_io)",
    "ledger_io:map": "bound to the session's pending import (tests/ledger_io)",
    "opinions:public_form": "public, no role (tests/opinions)",
    "opinions:track": "public, no role (tests/opinions)",
    "opinions:rate": "public, no role (tests/opinions)",
    "supervision:read_all": "marks the user's own messages read: nothing to refuse",
    "assessment:public_survey": "public, no role (tests/assessment)",
}
# The ledger's API writes, posted by tests/rectification/test_refusals_said.py.
LEDGER_API = {"create_problem", "transition", "report_progress"}
PATCHED = {"update_campaign"}  # the API writes sent as PATCH (the others are POSTs)


def _method_list(view) -> set[str] | None:
    """The methods a view's require_http_methods allows, or None when it has none."""
    while view is not None:
        code = getattr(view, "__code__", None)
        if code and "request_method_list" in code.co_freevars:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]
            return set(cell.cell_contents)
        view = getattr(view, "__wrapped__", None)
    return None


def write_pages() -> set[str]:
    """URL names of the pages (not the API) whose view takes POST, or may (no method guard)."""
    names = set()
    for name, pattern in _patterns():
        if name.startswith("api:"):
            continue
        allowed = _method_list(pattern.callback)
        if allowed is None or "POST" in allowed:
            names.add(name)
    return names


def write_operations() -> set[str]:
    """The API's write operations, by the name of their function (the end of operationId)."""
    from luoshi.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return {
        op["operationId"].rsplit("_api_", 1)[1]
        for ops in schema["paths"].values()
        for method, op in ops.items()
        if method in WRITE_METHODS
    }


def _stored():
    """Every row of the app's tables except the audit log (which records each refusal)."""
    rows = {}
    for model in apps.get_models():
        if model is AuditEvent or not model.__module__.startswith(STORED):
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        fields = [f for f in fields if f not in VOLATILE.get(model._meta.label, ())]
        rows[model._meta.label] = list(model.objects.order_by("pk").values_list(*fields))
    return rows


def _changed(before, after) -> list[str]:
    return [label for label in before if before[label] != after[label]]


@pytest.fixture
def everything(world, tree, people, campaign):
    """Objects of branch a1 (seen by every demo role) for each app's write paths."""
    from luoshi.campaigns import services as campaigns
    from luoshi.opinions import services as opinions
    from luoshi.research import services as research
    from luoshi.study import services as study

    a1 = people.branch_a1
    opinion, _ = opinions.record_opinion(
        actor=a1, org=tree.branch_a1, channel="talk", topic="other", text="村口的路灯坏了很久"
    )
    symposium = opinions.create_symposium(
        actor=a1, org=tree.branch_a1, held_on=date.today(), title="座谈会", attendees="村民代表"
    )
    action = campaigns.define_key_action(
        actor=people.office,
        campaign_id=campaign.pk,
        name="专题党课",
        due_on=campaign.starts_on + timedelta(days=60),
    )
    campaigns.launch_key_actions(actor=people.office, campaign_id=campaign.pk)
    batch, _, _ = campaigns.save_batch(
        actor=people.office,
        campaign_id=campaign.pk,
        name="第一批",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    members = tree.members[tree.branch_a1.pk]
    activity = study.record_activity(
        actor=a1,
        org=tree.branch_a1,
        kind="lesson",
        topic="党课",
        speaker="书记",
        starts_on=date.today(),
        present=[m.pk for m in members[1:]],
        absent={members[0].pk: "出差"},
    )
    topic = research.create_topic(
        actor=a1, org=tree.branch_a1, title="调研课题", leader_name="张三", campaign=campaign
    )
    visit = research.record_visit(
        actor=a1, topic_id=topic.pk, visited_on=date.today(), place="村委会", findings=["发现"]
    )
    from luoshi.monthly import services as monthly

    target = monthly.create_target(
        actor=a1, org=tree.branch_a1, name="张三户", kind="household", cadre=a1
    )
    monthly_visit, _ = monthly.record_visit(
        actor=a1,
        key=uuid.uuid4(),
        target_id=target.pk,
        visited_at=timezone.now(),
        findings=[("other", "路灯不亮")],
    )
    # An administrator of the whole city: no demo role may manage that account.
    top = user_with(tree.city, "admin", username="city_admin")
    other = user_with(tree.branch_a1, "liaison", username="token_owner")
    issue_token(other)
    from luoshi.core.scoping import SYSTEM
    from luoshi.orgs import people as register

    team = register.add_team(actor=SYSTEM, org=tree.branch_a1, name="支委会")
    seat = register.add_seat(actor=SYSTEM, team_id=team.pk, title="书记", person_name="张三")
    return {
        **world,
        **_supervision(tree, people, campaign, top),
        "programme": _adopted_programme(people, tree, campaign),
        **_weak_case(tree, people, campaign),
        **_assessment_objects(people, tree, campaign),
        **_guidance(tree, people, campaign),
        "team": team,
        "seat": seat,
        "member": members[0],
        "opinion": opinion,
        "symposium": symposium,
        "item": action.items.get(org=tree.branch_a1),
        "batch": batch,
        "attendance": activity.attendance.get(member=members[0]),
        "topic": topic,
        "finding": visit.findings.get(),
        "target": target,
        "monthly_finding": monthly_visit.findings.get(),
        "top": top,
        "top_assignment": Assignment.objects.get(user=top),
        "foreign_token": ApiToken.objects.get(user=other),
    }


def _supervision(tree, people, campaign, top):
    """A 督办单 on branch a1's measure, a message in another person's inbox, and a progress
    report town a expects, already sent by branch a1."""
    from luoshi.supervision import services as supervision
    from luoshi.supervision.models import Escalation, Notification

    supervision.sweep(date.today() + timedelta(days=31), send=False)
    demand = supervision.create_demand(
        actor=people.office,
        org=tree.town_a,
        campaign=campaign,
        title="进展报告",
        kind="progress",
        period="weekly",
        first_due_on=date.today(),
    )
    sent = supervision.submit_report(
        actor=people.office, demand_id=demand.pk, org=tree.branch_a1, text="报告"
    )
    note = Notification.objects.create(user=top, title="别人的消息", day=date.today())
    return {
        "escalation": Escalation.objects.filter(org_path=tree.branch_a1.path).first(),
        "foreign_note": note,
        "demand": demand,
        "submission": sent,
    }


def _supervision_page_cases(e, tree, campaign):
    esc, demand, sent = e["escalation"].pk, e["demand"].pk, e["submission"].pk
    return {
        "supervision:reply": (reverse("supervision:reply", args=[esc]), {"text": " "}),
        "supervision:rules": (
            reverse("supervision:rules", args=[campaign.pk]),
            {"step": "bogus", "days": 3, "reply_days": 3},
        ),
        "supervision:read": (reverse("supervision:read", args=[e["foreign_note"].pk]), {}),
        "supervision:demands": (
            reverse("supervision:demands"),
            {
                "org": tree.branch_a1.pk,
                "campaign": campaign.pk,
                "title": "",
                "kind": "statistics",
                "period": "weekly",
                "first_due_on": date.today().isoformat(),
            },
        ),
        "supervision:submit": (
            reverse("supervision:submit", args=[demand]),
            {"org": tree.branch_a2.pk, "text": ""},
        ),
        "supervision:decide": (
            reverse("supervision:decide", args=[sent]),
            {"action": "return", "reason": ""},
        ),
        "supervision:remind": (  # a measure closed already (and for most, not theirs to remind)
            reverse("supervision:remind"),
            {"measure": [e["extension"].measure_id]},
        ),
    }


def _weak_case(tree, people, campaign):
    """Branch a1 listed as weak by the county office, with a milestone (its four supports not
    yet assigned, so no one may accept it)."""
    from luoshi.weakorgs import reasons
    from luoshi.weakorgs import services as weak

    case = weak.list_organization(
        actor=people.county_office_a,
        org=tree.branch_a1,
        year=date.today().year,
        reasons=reasons.ensure_standard()[:1],
        campaign=campaign,
    )
    milestone = weak.add_milestone(
        actor=people.branch_a1, case_id=case.pk, title="完成班子调整", due_on=date.today()
    )
    return {"weak_case": case, "weak_milestone": milestone}


def _weak_page_cases(e, tree):
    """软弱涣散整顿: a second listing this year, a stale version, empty fields, a date in the
    future, an acceptance while the support is missing."""
    case, a1 = e["weak_case"].pk, tree.branch_a1
    later = (date.today() + timedelta(days=400)).isoformat()
    return {
        "weakorgs:reasons": (reverse("weakorgs:reasons"), {"action": "add", "name": " "}),
        "weakorgs:new": (
            reverse("weakorgs:new"),
            {"org": a1.code, "year": date.today().year, "reasons": []},
        ),
        "weakorgs:support": (
            reverse("weakorgs:support", args=[case]),
            {"version": 999, "county_leader": "王县长"},
        ),
        "weakorgs:milestone_add": (
            reverse("weakorgs:milestone_add", args=[case]),
            {"title": " ", "due_on": date.today().isoformat()},
        ),
        "weakorgs:milestone_done": (
            reverse("weakorgs:milestone_done", args=[e["weak_milestone"].pk]),
            {"done_on": later},
        ),
        "weakorgs:progress_add": (
            reverse("weakorgs:progress_add", args=[case]),
            {"month": date.today().strftime("%Y-%m"), "text": " "},
        ),
        "weakorgs:plan_add": (
            reverse("weakorgs:plan_add", args=[case]),
            {"title": " ", "measure": "每月召开党员大会"},
        ),
        "weakorgs:accept": (
            reverse("weakorgs:accept", args=[case]),
            {"result": "passed", "accepted_on": date.today().isoformat()},
        ),
    }


def _supervision_api_cases(e, tree):
    return {
        "reply_escalation": (f"/api/v1/escalations/{e['escalation'].pk}/reply", {"text": ""}),
        "read_notification": (f"/api/v1/notifications/{e['foreign_note'].pk}/read", {}),
        "remind": ("/api/v1/reminders", {"measure_ids": [e["extension"].measure_id]}),
        "submit_report": (
            f"/api/v1/report-demands/{e['demand'].pk}/submissions",
            {"org_id": tree.branch_a1.pk, "text": ""},
        ),
        "decide_submission": (
            f"/api/v1/submissions/{e['submission'].pk}/decide",
            {"receive": False, "reason": ""},
        ),
    }


def _adopted_programme(people, tree, campaign):
    """A programme (专项整治) the city set and adopted with its plan."""
    from luoshi.programmes import services as programmes
    from tests.rectification.conftest import pdf

    programme = programmes.create_programme(
        actor=people.office,
        org=tree.city,
        campaign=campaign,
        name="整治形式主义官僚主义问题",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        lead_unit="市委办公室",
    )
    programmes.adopt_programme(
        actor=people.office,
        programme_id=programme.pk,
        org=tree.city,
        doc_number="党办发〔2019〕1号",
        issued_on=date.today(),
        upload=pdf("实施方案.pdf"),
    )
    return programme


def _programme_page_cases(e, tree, campaign):
    """Special rectification: an unnamed programme, a plan without its 文号, an untitled item."""
    programme, a1 = e["programme"].pk, tree.branch_a1.pk
    return {
        "programmes:new": (
            f"{reverse('programmes:new')}?org={a1}",
            {
                "campaign": campaign.pk,
                "name": "",
                "set_by": "own",
                "starts_on": campaign.starts_on.isoformat(),
                "ends_on": campaign.ends_on.isoformat(),
                "lead_unit": "支部",
            },
        ),
        "programmes:adopt": (
            f"{reverse('programmes:adopt', args=[programme])}?org={a1}",
            {"doc_number": "", "issued_on": date.today().isoformat()},
        ),
        "programmes:item_new": (
            f"{reverse('programmes:item_new', args=[programme])}?org={a1}",
            {"org": a1, "title": "", "m-content": "措施", "m-deadline_kind": "ongoing"},
        ),
    }


def _weak_api_cases(e, tree):
    case = e["weak_case"].pk
    return {
        "list_weak_org": (
            "/api/v1/weak-orgs",
            {"org_id": tree.branch_a1.pk, "year": date.today().year, "reason_ids": []},
        ),
        "set_weak_org_support": (
            f"/api/v1/weak-orgs/{case}/support",
            {"version": 999, "county_leader": "王县长"},
        ),
        "accept_weak_org": (f"/api/v1/weak-orgs/{case}/accept", None),  # no result, no file
    }


def _assessment_objects(people, tree, campaign):
    """The city's scheme for its counties (one manual indicator) and branch a1's survey."""
    from luoshi.assessment import services as assessment

    scheme = assessment.create_scheme(
        actor=people.office, org=tree.city, campaign=campaign, name="考核", level=3
    )
    manual = assessment.add_indicator(
        actor=people.office, scheme=scheme, name="评价", weight=10, kind="manual"
    )
    survey = assessment.create_survey(
        actor=people.office, org=tree.branch_a1, title="测评", opens_on=date.today(),
        closes_on=date.today(),
    )  # fmt: skip
    return {"scheme": scheme, "manual": manual, "survey": survey}


def _assessment_page_cases(e, tree, campaign):
    """Assessment's forms with values refused for every role (and the registers' pages, which
    are not there for any of these roles: 404)."""
    scheme, manual, survey = e["scheme"].pk, e["manual"].pk, e["survey"].pk
    county, a1 = tree.county_a.pk, tree.branch_a1.pk
    cases = {
        "assessment:scheme_new": (
            f"{reverse('assessment:scheme_new')}?org={tree.city.pk}",
            {"name": "", "campaign": campaign.pk, "level": 3},
        ),
        "assessment:indicator_add": (
            reverse("assessment:indicator_add", args=[scheme]),
            {"name": "", "weight": 5, "kind": "manual"},
        ),
        "assessment:publish": (reverse("assessment:publish", args=[scheme]), {"org": a1}),
        "assessment:manual": (
            reverse("assessment:manual", args=[scheme]),
            {"org": county, "indicator": manual, "points": 5, "reason": ""},
        ),
        "assessment:adjust": (
            reverse("assessment:adjust", args=[scheme]),
            {"org": county, "kind": "bogus", "points": 5, "reason": "x"},
        ),
        "assessment:self": (
            reverse("assessment:self", args=[scheme]),
            {"org": county, "points": 95, "summary": "自评"},
        ),
        "assessment:survey_new": (
            f"{reverse('assessment:survey_new')}?org={a1}",
            {"title": "", "opens_on": date.today().isoformat()},
        ),
        "assessment:survey_codes": (
            reverse("assessment:survey_codes", args=[survey]),
            {"count": 0},
        ),
    }
    for name in ("inquiry", "tolerance_case", "rotation"):
        cases[f"registers:{name}_new"] = (reverse(f"registers:{name}_new"), {"subject": "x"})
    for name in ("inquiry", "tolerance_case"):
        cases[f"registers:{name}_step"] = (reverse(f"registers:{name}_step", args=[1]), {})
    return cases


def _guidance(tree, people, campaign):
    """Issue 19: a group over county a (its one member holds none of the demo roles), its
    inspection of branch a1 with a finding, and a circular to township a read by both branches."""
    from luoshi.guidance import services as guidance

    user_with(tree.county_b, "viewer", username="g_member")  # cross-inspection: county b's cadre
    group = guidance.create_group(
        actor=people.office,
        campaign=campaign,
        name="第一指导组",
        leader="g_member",
        members=[],
        subtrees=[tree.county_a],
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    member = group.leader
    inspection = guidance.plan_inspection(
        actor=member, group_id=group.pk, org=tree.branch_a1, kind="ledgers", visited_on=date.today()
    )
    finding = guidance.feed_back(
        actor=member,
        inspection_id=inspection.pk,
        title="台账不全",
        reply_due_on=date.today() + timedelta(days=9),
    )
    circular = guidance.draft_circular(
        actor=member, group=group, issued_to=tree.town_a, title="通报", body="正文"
    )
    guidance.issue_circular(actor=member, circular_id=circular.pk)
    guidance.confirm_circular(actor=people.branch_a1, circular_id=circular.pk)
    a2 = user_with(tree.branch_a2, "liaison", username="a2_reader")
    guidance.confirm_circular(actor=a2, circular_id=circular.pk)
    later = guidance.create_group(  # not started yet: nobody ends it
        actor=people.office,
        campaign=campaign,
        name="第二指导组",
        leader="g_member",
        members=[],
        subtrees=[tree.county_a],
        starts_on=date.today() + timedelta(days=5),
        ends_on=campaign.ends_on,
    )
    return {
        "group": group,
        "later_group": later,
        "inspection": inspection,
        "gfinding": finding,
        "circular": circular,
    }


def _guidance_page_cases(e, tree, campaign):
    """Guidance's pages: an empty form, or a step only the group's member may take (none of the
    demo roles is one), or one already taken (a circular issued and confirmed)."""
    g, i, f, c, a1 = (
        e["group"].pk,
        e["inspection"].pk,
        e["gfinding"].pk,
        e["circular"].pk,
        tree.branch_a1.pk,
    )
    return {
        "guidance:group_new": (
            f"{reverse('guidance:group_new')}?org={a1}",
            {"campaign": campaign.pk, "name": "", "leader": "g_member", "subtrees": "x"},
        ),
        "guidance:group_change": (
            reverse("guidance:group_change", args=[g]),
            {"members": "", "subtrees": "", "ends_on": ""},
        ),
        # it has acted: deleted by nobody; the later one has not started: ended by nobody
        "guidance:group_delete": (reverse("guidance:group_delete", args=[g]), {}),
        "guidance:group_end": (reverse("guidance:group_end", args=[e["later_group"].pk]), {}),
        "guidance:inspection_new": (
            f"{reverse('guidance:inspection_new')}?group={g}",
            {"org": a1, "kind": "no-such-kind", "visited_on": date.today().isoformat()},
        ),
        "guidance:sample": (reverse("guidance:sample", args=[i]), {}),
        "guidance:notes": (reverse("guidance:notes", args=[i]), {"version": 1, "found": "x"}),
        "guidance:feed_back": (
            reverse("guidance:feed_back", args=[i]),
            {"title": "问题", "reply_due_on": "2000-01-01"},
        ),
        "guidance:finding": (reverse("guidance:finding", args=[f]), {"version": 1, "reply": ""}),
        "guidance:check": (
            reverse("guidance:check", args=[f]),
            {"version": 1, "decision": "accept", "reason": ""},
        ),
        "guidance:circular_new": (
            f"{reverse('guidance:circular_new')}?org={a1}",
            {"title": "", "body": "正文"},
        ),
        "guidance:circular_issue": (reverse("guidance:circular_issue", args=[c]), {}),
        "guidance:circular_confirm": (reverse("guidance:circular_confirm", args=[c]), {}),
    }


def _guidance_api_cases(e, tree, campaign):
    g, i, f, c, a1 = (
        e["group"].pk,
        e["inspection"].pk,
        e["gfinding"].pk,
        e["circular"].pk,
        tree.branch_a1.pk,
    )
    return {
        "create_guidance_group": (
            "/api/v1/guidance/groups",
            {
                "campaign_id": campaign.pk,
                "name": " ",
                "leader": "g_member",
                "subtree_ids": [a1],
                "starts_on": str(campaign.starts_on),
                "ends_on": str(campaign.ends_on),
            },
        ),
        "create_inspection": (
            "/api/v1/guidance/inspections",
            {"group_id": g, "org_id": a1, "kind": "no-such-kind", "visited_on": str(date.today())},
        ),
        "draw_inspection_sample": (f"/api/v1/guidance/inspections/{i}/sample", {}),
        "feed_back_finding": (
            f"/api/v1/guidance/inspections/{i}/findings",
            {"title": "问题", "reply_due_on": "2000-01-01"},
        ),
        "reply_to_finding": (f"/api/v1/guidance/findings/{f}/reply", {"version": 1, "reply": ""}),
        "check_finding_reply": (
            f"/api/v1/guidance/findings/{f}/check",
            {"version": 1, "accept": False, "reason": ""},
        ),
        "create_circular": (
            "/api/v1/guidance/circulars",
            {"issued_to_id": a1, "title": "", "body": "x"},
        ),
        "issue_circular": (f"/api/v1/guidance/circulars/{c}/issue", {}),
        "confirm_circular": (f"/api/v1/guidance/circulars/{c}/confirm", {}),
    }


def _register_page_cases(e, tree):
    """The register's people (orgs.member_views): values the rules refuse, for every role."""
    team, seat, member, a1 = e["team"], e["seat"], e["member"].pk, tree.branch_a1.pk
    bad_seat = {"title": "常委", "person_name": "张三"}  # a branch has no 常委
    return {
        "orgs:team_add": (reverse("orgs:team_add", args=[a1]), {"name": " "}),
        "orgs:team_rename": (reverse("orgs:team_rename", args=[team.pk]), {"name": ""}),
        "orgs:team_remove": (reverse("orgs:team_remove", args=[team.pk]), {"reason": ""}),
        "orgs:seat_add": (reverse("orgs:seat_add", args=[team.pk]), bad_seat),
        "orgs:seat_edit": (reverse("orgs:seat_edit", args=[seat.pk]), bad_seat),
        "orgs:seat_remove": (reverse("orgs:seat_remove", args=[seat.pk]), {"reason": ""}),
        "orgs:member_new": (
            reverse("orgs:member_new", args=[a1]),
            {"name": "", "gender": "M", "status": "full"},
        ),
        "orgs:member_import": (reverse("orgs:member_import", args=[a1]), {}),
        "orgs:member_import_confirm": (
            reverse("orgs:member_import_confirm", args=[a1]),
            {"token": "no-such-preview"},
        ),
        "orgs:member_edit": (
            reverse("orgs:member_edit", args=[member]),
            {"name": "", "gender": "M", "status": "full", "version": 1},
        ),
        "orgs:member_transfer": (
            reverse("orgs:member_transfer", args=[member]),
            {"to_org": "NO-SUCH-CODE", "reason": "调动", "version": 1},
        ),
        "orgs:member_mobile": (
            reverse("orgs:member_mobile", args=[member]),
            {"place": "", "version": 1},
        ),
        "orgs:member_leave": (
            reverse("orgs:member_leave", args=[member]),
            {"reason": "", "version": 1},
        ),
    }


def _register_api_cases(e, tree):
    team, seat, member = e["team"].pk, e["seat"].pk, e["member"].pk
    bad_seat = {"title": "常委", "person_name": "张三"}
    return {
        "create_team": (f"/api/v1/organizations/{tree.branch_a1.pk}/teams", {"name": ""}),
        "rename_team": (f"/api/v1/teams/{team}/rename", {"name": ""}),
        "remove_team": (f"/api/v1/teams/{team}/remove", {"reason": ""}),
        "add_seat": (f"/api/v1/teams/{team}/seats", bad_seat),
        "update_seat": (f"/api/v1/seats/{seat}", bad_seat),
        "remove_seat": (f"/api/v1/seats/{seat}/remove", {"reason": ""}),
        "create_member": (
            f"/api/v1/organizations/{tree.branch_a1.pk}/members",
            {"name": "", "gender": "M", "status": "full"},
        ),
        "update_member": (f"/api/v1/members/{member}", {"version": 1, "name": ""}),
        "transfer_member": (
            f"/api/v1/members/{member}/transfer",
            {"version": 1, "to_org_id": tree.branch_a2.pk, "reason": ""},
        ),
        "mark_mobile": (
            f"/api/v1/members/{member}/mobile",
            {"version": 1, "mobile": True, "place": ""},
        ),
        "mark_left": (f"/api/v1/members/{member}/leave", {"version": 1, "reason": ""}),
        # no file: refused before anything is read
        "import_members_sheet": (f"/api/v1/organizations/{tree.branch_a1.pk}/members/import", None),
    }


def _page_cases(e, tree, campaign):
    """URL name -> (url, data): a change the rules refuse, whoever posts it."""
    o, item, top = e["opinion"], e["item"], e["top"]
    topic, a1 = e["topic"], tree.branch_a1
    return {
        **_register_page_cases(e, tree),
        **_supervision_page_cases(e, tree, campaign),
        **_programme_page_cases(e, tree, campaign),
        **_weak_page_cases(e, tree),
        **_assessment_page_cases(e, tree, campaign),
        **_guidance_page_cases(e, tree, campaign),
        "tokens": (reverse("tokens"), {"label": "程序", "days": 0}),
        "token_revoke": (reverse("token_revoke", args=[e["foreign_token"].pk]), {}),
        "accounts:create": (
            reverse("accounts:create"),
            {"username": "new_one", "name": "新人", "org": [tree.city.code], "role": ["admin"]},
        ),
        "accounts:rename": (reverse("accounts:rename", args=[top.pk]), {"name": "改名"}),
        "accounts:assign": (
            reverse("accounts:assign", args=[top.pk]),
            {"org": [a1.code], "role": ["liaison"]},
        ),
        "accounts:unassign": (
            reverse("accounts:unassign", args=[top.pk]),
            {"assignment": e["top_assignment"].pk},
        ),
        "accounts:lock": (reverse("accounts:lock", args=[top.pk]), {"action": "lock"}),
        "accounts:reset": (reverse("accounts:reset", args=[top.pk]), {}),
        "campaigns:vocabulary": (
            reverse("campaigns:vocabulary", args=[campaign.pk]),
            {"what": "category", "name": ""},
        ),
        "campaigns:new": (  # ends before it starts (and only an office may create one)
            reverse("campaigns:new"),
            {
                "org": tree.city.pk,
                "preset": "2019",
                "name": "新的主题教育",
                "starts_on": date.today().isoformat(),
                "ends_on": (date.today() - timedelta(days=1)).isoformat(),
            },
        ),
        "campaigns:edit": (
            reverse("campaigns:edit", args=[campaign.pk]),
            {
                "name": "",
                "starts_on": campaign.starts_on.isoformat(),
                "ends_on": campaign.ends_on.isoformat(),
            },
        ),
        "campaigns:advance": (  # a step out of order: 筹备 cannot end
            reverse("campaigns:advance", args=[campaign.pk]),
            {"action": "end"},
        ),
        "campaigns:define_action": (
            reverse("campaigns:define_action", args=[campaign.pk]),
            {"name": "没有时限的动作", "due_on": ""},
        ),
        "campaigns:launch": (
            reverse("campaigns:launch", args=[campaign.pk]),
            {"batch": 999999},
        ),
        "campaigns:batch_save": (
            reverse("campaigns:batch_save", args=[campaign.pk]),
            {"name": " ", "starts_on": campaign.starts_on, "ends_on": campaign.ends_on},
        ),
        "campaigns:batch_rule": (
            reverse("campaigns:batch_rule", args=[campaign.pk]),
            {"batch": 999999, "kind": "rest"},
        ),
        "campaigns:batch_place": (
            reverse("campaigns:batch_place", args=[campaign.pk]),
            {"org": "NO-SUCH-CODE", "action": "move"},
        ),
        "campaigns:action_done": (  # no evidence file
            reverse("campaigns:action_done", args=[item.pk]),
            {"done_on": date.today().isoformat(), "note": "做完了"},
        ),
        "campaigns:action_reopen": (  # not done yet
            reverse("campaigns:action_reopen", args=[item.pk]),
            {"reason": "佐证不足"},
        ),
        "dashboards:submit": (
            reverse("dashboards:submit", args=[a1.pk]),
            {"note": "报" * 201},
        ),
        "dashboards:report": (reverse("dashboards:report", args=[a1.pk]), {"kind": "bogus"}),
        "study:new": (
            f"{reverse('study:new')}?org={a1.pk}",
            {"kind": "lesson", "topic": "", "starts_on": date.today().isoformat()},
        ),
        "study:make_up": (
            reverse("study:make_up", args=[e["attendance"].pk]),
            {"made_up_on": "", "note": "自学"},
        ),
        "study:set_target": (
            reverse("study:set_target", args=[campaign.pk]),
            {"kind": "no-such-kind", "per_team": 4},
        ),
        "research:new": (
            f"{reverse('research:new')}?org={a1.pk}",
            {"title": "走访课题", "leader_name": "张三", "campaign": 999999},
        ),
        "research:visit_add": (
            reverse("research:visit_add", args=[topic.pk]),
            {"visited_on": "", "place": "村委会", "findings": "又一个发现"},
        ),
        "research:conclude": (
            reverse("research:conclude", args=[topic.pk]),
            {"report": "", "outcome": ""},
        ),
        "research:finding_problem": (
            reverse("research:finding_problem", args=[e["finding"].pk]),
            {"campaign": 999999, "title": "问题"},
        ),
        # the monthly cycle: an empty name, no file, an unknown cadre, no target, no
        # attendees, no action without a reason
        "monthly:targets": (
            reverse("monthly:targets"),
            {"org": a1.pk, "name": " ", "kind": "household"},
        ),
        "monthly:import": (f"{reverse('monthly:import')}?org={a1.pk}", {}),
        "monthly:assign": (
            reverse("monthly:assign", args=[e["target"].pk]),
            {"cadre": "no-such-account"},
        ),
        "monthly:target_edit": (
            reverse("monthly:target_edit", args=[e["target"].pk]),
            {"name": " ", "kind": "household"},
        ),
        "monthly:target_retire": (
            reverse("monthly:target_retire", args=[e["target"].pk]),
            {"retired_on": date.today().isoformat(), "reason": " "},
        ),
        "monthly:visit_submit": (
            reverse("monthly:visit_submit"),
            {"key": str(uuid.uuid4()), "asked": "x"},
        ),
        "monthly:meeting": (
            f"{reverse('monthly:meeting')}?org={a1.pk}",
            {"org": a1.pk, "held_on": date.today().isoformat(), "attendees": " "},
        ),
        "monthly:decide": (
            reverse("monthly:decide", args=[e["monthly_finding"].pk]),
            {"org": a1.pk, "decision": "no_action", "note": ""},
        ),
        "opinions:record": (
            reverse("opinions:record"),
            {"org": a1.pk, "channel": "talk", "topic": "other", "text": ""},
        ),
        "opinions:symposia": (
            reverse("opinions:symposia"),
            {"org": a1.pk, "held_on": date.today().isoformat(), "title": "", "attendees": "x"},
        ),
        "opinions:accept": (
            reverse("opinions:accept", args=[o.pk]),
            {"version": o.version + 5, "title": "采纳的问题"},
        ),
        "opinions:answer": (
            reverse("opinions:answer", args=[o.pk]),
            {"version": o.version + 5, "answer": "已处理"},
        ),
        "opinions:decline": (
            reverse("opinions:decline", args=[o.pk]),
            {"version": o.version, "reason": ""},
        ),
        "opinions:transfer": (
            reverse("opinions:transfer", args=[o.pk]),
            {"version": o.version, "org_code": "NO-SUCH-CODE"},
        ),
        # the register: a top organisation (system admin only), a branch under a branch, an
        # empty name, an organisation moved, merged or dissolved into itself, no file
        "orgs:register_new_root": (
            reverse("orgs:register_new_root"),
            {"code": "T-1", "name": "某市委", "kind": "committee", "level": 2},
        ),
        "orgs:register_add": (
            reverse("orgs:register_add", args=[a1.pk]),
            {"code": "N-1", "name": "某支部", "kind": "branch", "level": 5},
        ),
        "orgs:register_edit": (
            reverse("orgs:register_edit", args=[a1.pk]),
            {"name": "", "short_name": "", "kind": "branch"},
        ),
        "orgs:register_move": (
            reverse("orgs:register_move", args=[a1.pk]),
            {"target": a1.pk, "confirm": "1"},
        ),
        "orgs:register_merge": (
            reverse("orgs:register_merge", args=[a1.pk]),
            {"target": a1.pk, "confirm": "1"},
        ),
        "orgs:register_dissolve": (
            reverse("orgs:register_dissolve", args=[a1.pk]),
            {"code": "NO-SUCH-CODE", "confirm": "1"},
        ),
        "orgs:register_import": (reverse("orgs:register_import"), {}),
    }


def _api_cases(e, tree, campaign):
    """Operation -> (url, JSON body or None for a form): a change the rules refuse."""
    o, top, a1 = e["opinion"], e["top"], tree.branch_a1
    manual = {"indicator_id": e["manual"].pk, "org_id": tree.county_a.pk, "points": 5}
    return {
        **_register_api_cases(e, tree),
        **_supervision_api_cases(e, tree),
        **_weak_api_cases(e, tree),
        "give_manual_score": (
            f"/api/v1/assessment/schemes/{e['scheme'].pk}/manual-scores",
            {**manual, "reason": ""},
        ),
        # the registers: not there for any of these roles (404 未找到)
        "open_inquiry": ("/api/v1/registers/inquiries", {"org_id": a1.pk, "fields": {}}),
        "inquiry_step": ("/api/v1/registers/inquiries/1/step", {"step": "decide", "fields": {}}),
        "open_tolerance_case": ("/api/v1/registers/tolerance", {"org_id": a1.pk, "fields": {}}),
        "tolerance_case_step": (
            "/api/v1/registers/tolerance/1/step",
            {"step": "judge", "fields": {}},
        ),
        "open_rotation": ("/api/v1/registers/rotations", {"org_id": a1.pk, "fields": {}}),
        **_guidance_api_cases(e, tree, campaign),
        "action_item_done": (f"/api/v1/action-items/{e['item'].pk}/done", None),  # no file
        "create_campaign": (  # ends before it starts (and only an office may create one)
            "/api/v1/campaigns",
            {
                "org_id": tree.city.pk,
                "preset": "blank",
                "name": "新的主题教育",
                "starts_on": date.today().isoformat(),
                "ends_on": (date.today() - timedelta(days=1)).isoformat(),
            },
        ),
        "update_campaign": (f"/api/v1/campaigns/{campaign.pk}", {"name": ""}),
        "advance_campaign": (f"/api/v1/campaigns/{campaign.pk}/advance", {"action": "end"}),
        "create_batch": (
            f"/api/v1/campaigns/{campaign.pk}/batches",
            {"name": "第三批", "starts_on": "2100-01-01", "ends_on": "2100-06-01"},
        ),
        "update_batch": (
            f"/api/v1/batches/{e['batch'].pk}",
            {"name": " ", "starts_on": str(campaign.starts_on), "ends_on": str(campaign.ends_on)},
        ),
        "apply_batch_rule": (
            f"/api/v1/campaigns/{campaign.pk}/batch-rule",
            {"batch_id": e["batch"].pk, "kind": "no-such-rule"},
        ),
        "place_in_batch": (
            f"/api/v1/campaigns/{campaign.pk}/batch-members",
            {"org_id": a1.pk, "batch_id": 999999},
        ),
        "create_activity": (
            "/api/v1/study/activities",
            {"org_id": a1.pk, "kind": "lesson", "topic": "", "starts_on": "2026-01-02"},
        ),
        "make_up": (
            f"/api/v1/study/attendance/{e['attendance'].pk}/make-up",
            {"made_up_on": (date.today() + timedelta(days=400)).isoformat(), "note": ""},
        ),
        "create_topic": (
            "/api/v1/research/topics",
            {"org_id": a1.pk, "title": "", "leader_name": "张三"},
        ),
        "add_visit": (
            f"/api/v1/research/topics/{e['topic'].pk}/visits",
            {"visited_on": "2026-01-02", "place": "", "findings": []},
        ),
        "finding_to_problem": (
            f"/api/v1/research/findings/{e['finding'].pk}/problem",
            {"campaign_id": 999999, "title": "问题"},
        ),
        "record_visit": (  # made tomorrow
            "/api/v1/monthly/visits",
            {
                "key": str(uuid.uuid4()),
                "target_id": e["target"].pk,
                "visited_at": (timezone.now() + timedelta(days=1)).isoformat(),
            },
        ),
        "edit_target": (
            f"/api/v1/monthly/targets/{e['target'].pk}",
            {"name": " ", "kind": "household"},
        ),
        "retire_target": (
            f"/api/v1/monthly/targets/{e['target'].pk}/retire",
            {"retired_on": date.today().isoformat(), "reason": " "},
        ),
        "add_visit_photos": (  # another visit's key
            f"/api/v1/monthly/visits/{e['monthly_finding'].visit_id}/photos",
            None,
        ),
        "decide_finding": (
            f"/api/v1/monthly/findings/{e['monthly_finding'].pk}/decide",
            {"decision": "no_action", "note": ""},
        ),
        "accept_opinion": (
            f"/api/v1/opinions/{o.pk}/accept",
            {"version": o.version + 5, "title": "采纳的问题"},
        ),
        "answer_opinion": (
            f"/api/v1/opinions/{o.pk}/answer",
            {"version": o.version + 5, "answer": "已处理"},
        ),
        "decline_opinion": (
            f"/api/v1/opinions/{o.pk}/decline",
            {"version": o.version, "reason": ""},
        ),
        "transfer_opinion": (
            f"/api/v1/opinions/{o.pk}/transfer",
            {"version": o.version + 5, "org_id": tree.branch_a2.pk},
        ),
        "create_account": (
            "/api/v1/accounts",
            {
                "username": "new_one",
                "name": "新人",
                "assignments": [{"org_code": tree.city.code, "role": "admin"}],
            },
        ),
        "lock_account": (f"/api/v1/accounts/{top.pk}/lock", {"locked": True}),
        "reset_password": (f"/api/v1/accounts/{top.pk}/password", {}),
        "add_assignment": (
            f"/api/v1/accounts/{top.pk}/assignments",
            {"org_code": a1.code, "role": "liaison"},
        ),
        "remove_assignment": (
            f"/api/v1/accounts/{top.pk}/assignments/remove",
            {"assignment_id": e["top_assignment"].pk},
        ),
        "create_org": (
            "/api/v1/organizations",
            {"parent_id": a1.pk, "code": "N-1", "name": "某支部", "kind": "branch", "level": 5},
        ),
        "update_org": (f"/api/v1/organizations/{a1.pk}/edit", {"name": ""}),
        "move_org": (f"/api/v1/organizations/{a1.pk}/move", {"target_id": a1.pk}),
        "merge_org": (f"/api/v1/organizations/{a1.pk}/merge", {"target_id": a1.pk}),
        "dissolve_org": (f"/api/v1/organizations/{a1.pk}/dissolve", {"receiver_id": a1.pk}),
        "import_orgs_api": ("/api/v1/organization-imports", None),  # no file
        "create_programme": (  # no name (and only an office may set one)
            "/api/v1/programmes",
            {
                "org_id": a1.pk,
                "campaign_id": campaign.pk,
                "name": "",
                "starts_on": campaign.starts_on.isoformat(),
                "ends_on": campaign.ends_on.isoformat(),
                "lead_unit": "支部",
            },
        ),
        "adopt_programme": (f"/api/v1/programmes/{e['programme'].pk}/plans", None),  # no file
        "add_programme_item": (  # no measure
            f"/api/v1/programmes/{e['programme'].pk}/items",
            {"org_id": a1.pk, "title": "文山会海", "measures": []},
        ),
    }


def test_every_write_path_has_a_refused_change_case(everything, tree, campaign):
    assert {"opinions:accept", "accounts:create", "rectification:bulk"} <= write_pages()
    assert {"accept_opinion", "create_account", "transition"} <= write_operations()
    pages = {f"rectification:{name}" for name, *_ in _forms(everything, tree, campaign)}
    pages |= set(_page_cases(everything, tree, campaign)) | set(ELSEWHERE)
    for name in sorted(write_pages()):
        assert name in pages, f"add a refused-change case for the page {name}"
    operations = set(_api_cases(everything, tree, campaign)) | LEDGER_API
    for name in sorted(write_operations()):
        assert name in operations, f"add a refused-change case for the API operation {name}"


def _said(response) -> bool:
    html = response.content.decode()
    if response.status_code == 200:  # the page the redirect led to, or the form again
        return bool(ERROR.search(html))
    return 400 <= response.status_code < 500 and bool(ERROR.search(html) or SAID_PAGE.search(html))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_form_says_a_refused_change_and_stores_nothing(
    client,
    everything,
    people,
    tree,
    campaign,
    role,
):
    client.force_login(getattr(people, ROLES[role]))
    for name, (url, data) in _page_cases(everything, tree, campaign).items():
        before = _stored()
        response = client.post(url, data, follow=True)
        assert response.status_code != 405, (role, name, "the case posts to no write")
        assert _said(response), (role, name, response.status_code, "the refusal is not said")
        changed = _changed(before, _stored())
        assert not changed, (role, name, "stored rows changed", changed)


@pytest.mark.parametrize("role", ROLES)
def test_every_api_write_answers_4xx_in_chinese_and_stores_nothing(
    client,
    everything,
    people,
    tree,
    campaign,
    role,
):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(getattr(people, ROLES[role]))}"}
    for name, (url, body) in _api_cases(everything, tree, campaign).items():
        before = _stored()
        if body is None:
            response = client.post(url, {"done_on": "2026-01-02"}, **auth)
        else:
            send = client.patch if name in PATCHED else client.post
            response = send(url, json.dumps(body), content_type="application/json", **auth)
        assert 400 <= response.status_code < 500, (role, name, response.status_code)
        assert CHINESE.search(response.json()["detail"]), (role, name, response.json())
        changed = _changed(before, _stored())
        assert not changed, (role, name, "stored rows changed", changed)


def test_the_refused_values_above_are_only_just_refused(client, everything, people, tree, campaign):
    """The limits the cases cross still let the nearest allowed change through: a 200-character
    报送 note is stored whole, and a research topic keeps the campaign chosen for it."""
    from luoshi.dashboards.models import Snapshot
    from luoshi.research.models import ResearchTopic

    client.force_login(people.branch_a1)
    client.post(reverse("dashboards:submit", args=[tree.branch_a1.pk]), {"note": "报" * 200})
    assert Snapshot.objects.latest("pk").note == "报" * 200  # (the fixture's report sent one)
    client.post(
        f"{reverse('research:new')}?org={tree.branch_a1.pk}",
        {"title": "走访课题", "leader_name": "张三", "campaign": campaign.pk},
    )
    assert ResearchTopic.objects.get(title="走访课题").campaign_id == campaign.pk
