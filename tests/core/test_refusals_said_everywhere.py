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
    return {
        **_register_api_cases(e, tree),
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
    assert Snapshot.objects.get().note == "报" * 200
    client.post(
        f"{reverse('research:new')}?org={tree.branch_a1.pk}",
        {"title": "走访课题", "leader_name": "张三", "campaign": campaign.pk},
    )
    assert ResearchTopic.objects.get(title="走访课题").campaign_id == campaign.pk
