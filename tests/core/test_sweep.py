"""R1: every URL pattern and API operation, as a user of one branch, with the ids of another
branch's objects: 404 (405 for a method the view never takes), never foreign data, never 500.
A new URL with an id fails `test_every_url_with_an_id_is_swept` until it is added below."""

from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from luoshi.accounts.tokens import issue_token
from luoshi.campaigns.models import Campaign
from luoshi.core.models import AuditEvent
from luoshi.rectification import services
from tests.factories import user_with
from tests.rectification.conftest import PDF, campaign  # noqa: F401

pytestmark = pytest.mark.django_db

SECRET = "乙支部的秘密问题"
# url name -> which foreign object's id goes into it
PAGES = {
    "dashboards:submit": "org",
    "dashboards:snapshots": "org",
    "dashboards:report": "org",
    "dashboards:report_job": "report_job",
    "dashboards:report_download": "report_job",
    "ledger_io:job": "job",
    "dashboards:node": "org",
    "dashboards:statistics": "org",
    "orgs:detail": "org",
    "orgs:children": "org",
    "orgs:members": "org",
    "campaigns:detail": "campaign",
    "campaigns:vocabulary": "campaign",
    "campaigns:edit": "campaign",
    "campaigns:advance": "campaign",
    "campaigns:batches": "campaign",
    "campaigns:batch_save": "campaign",
    "campaigns:batch_rule": "campaign",
    "campaigns:batch_place": "campaign",
    "rectification:problem": "problem",
    "rectification:problem_edit": "problem",
    "rectification:measure_add": "problem",
    "rectification:similar": "problem",
    "rectification:measure_edit": "measure",
    "rectification:transition": "measure",
    "rectification:progress": "measure",
    "rectification:report": "measure",
    "rectification:extension": "measure",
    "rectification:regulation": "measure",
    "rectification:extension_decide": "extension",
    "rectification:evidence": "evidence",
    "rectification:thumbnail": "evidence",
    "campaigns:key_actions": "campaign",
    "campaigns:define_action": "campaign",
    "campaigns:launch": "campaign",
    "campaigns:key_actions_export": "campaign",
    "campaigns:checklist": "org",
    "campaigns:action_done": "action_item",
    "campaigns:action_reopen": "action_item",
    "campaigns:action_evidence": "action_item",
    "study:detail": "activity",
    "study:make_up": "attendance",
    "study:file": "study_file",
    "study:member": "member",
    "study:set_target": "campaign",
    "research:topic": "topic",
    "research:visit_add": "topic",
    "research:conclude": "topic",
    "research:finding_problem": "finding",
    "monthly:target": "target",
    "monthly:assign": "target",
    "monthly:target_edit": "target",
    "monthly:target_retire": "target",
    "monthly:visit": "monthly_visit",
    "monthly:photo": "visit_photo",
    "monthly:decide": "monthly_finding",
    "opinions:detail": "opinion",
    "opinions:accept": "opinion",
    "opinions:answer": "opinion",
    "opinions:decline": "opinion",
    "opinions:transfer": "opinion",
    "opinions:photo": "opinion_photo",
    "opinions:symposium": "symposium",
    "opinions:poster": "org",
    "token_revoke": "api_token",
    "accounts:detail": "account",
    "accounts:rename": "account",
    "accounts:assign": "account",
    "accounts:unassign": "account",
    "accounts:lock": "account",
    "accounts:reset": "account",
    "orgs:register_add": "org",
    "orgs:register_edit": "org",
    "orgs:register_move": "org",
    "orgs:register_merge": "org",
    "orgs:register_dissolve": "org",
    "orgs:teams": "org",
    "orgs:team_add": "org",
    "orgs:member_options": "org",
    "orgs:team_rename": "team",
    "orgs:team_remove": "team",
    "orgs:seat_add": "team",
    "orgs:seat_edit": "seat",
    "orgs:seat_remove": "seat",
    "orgs:member_new": "org",
    "orgs:member_import": "org",
    "orgs:member_import_confirm": "org",
    "orgs:member": "member",
    "orgs:member_edit": "member",
    "orgs:member_transfer": "member",
    "orgs:member_mobile": "member",
    "orgs:member_leave": "member",
    "supervision:escalation": "escalation",
    "supervision:reply": "escalation",
    "supervision:rules": "campaign",
    "supervision:read": "notification",
    "supervision:demand": "demand",
    "supervision:submit": "demand",
    "supervision:submission": "submission",
    "supervision:decide": "submission",
    "programmes:detail": "programme",
    "programmes:adopt": "programme",
    "programmes:item_new": "programme",
    "programmes:export": "programme",
    "programmes:plan_file": "programme_plan",
    "weakorgs:case": "weak_case",
    "weakorgs:support": "weak_case",
    "weakorgs:milestone_add": "weak_case",
    "weakorgs:progress_add": "weak_case",
    "weakorgs:plan_add": "weak_case",
    "weakorgs:accept": "weak_case",
    "weakorgs:milestone_done": "weak_milestone",
    "weakorgs:acceptance_file": "weak_acceptance",
    "assessment:scheme": "scheme",
    "assessment:indicator_add": "scheme",
    "assessment:publish": "scheme",
    "assessment:card": "scheme",
    "assessment:manual": "scheme",
    "assessment:adjust": "scheme",
    "assessment:self": "scheme",
    "assessment:export": "scheme",
    "assessment:publication": "publication",
    "assessment:survey": "survey",
    "assessment:survey_codes": "survey",
    "registers:inquiry": "inquiry",
    "registers:inquiry_step": "inquiry",
    "registers:tolerance_case": "tolerance_case",
    "registers:tolerance_case_step": "tolerance_case",
    "registers:rotation": "rotation",
    "guidance:group": "guidance_group",
    "guidance:group_change": "guidance_group",
    "guidance:group_end": "guidance_group",
    "guidance:group_delete": "guidance_group",
    "guidance:inspection": "inspection",
    "guidance:sample": "inspection",
    "guidance:notes": "inspection",
    "guidance:feed_back": "inspection",
    "guidance:finding": "guidance_finding",
    "guidance:check": "guidance_finding",
    "guidance:circular": "circular",
    "guidance:circular_issue": "circular",
    "guidance:circular_confirm": "circular",
    "guidance:circular_download": "circular",
}
API = {
    "api:get_organization": ("org_id", "org", "get"),
    "api:get_problem": ("problem_id", "problem", "get"),
    "api:get_measure": ("measure_id", "measure", "get"),
    "api:transition": ("measure_id", "measure", "post"),
    "api:report_progress": ("measure_id", "measure", "post"),
    "api:get_opinion": ("opinion_id", "opinion", "get"),
    "api:accept_opinion": ("opinion_id", "opinion", "post"),
    "api:answer_opinion": ("opinion_id", "opinion", "post"),
    "api:decline_opinion": ("opinion_id", "opinion", "post"),
    "api:transfer_opinion": ("opinion_id", "opinion", "post"),
    "api:key_action_progress": ("campaign_id", "campaign", "get"),
    "api:get_campaign": ("campaign_id", "campaign", "get"),
    "api:update_campaign": ("campaign_id", "campaign", "patch"),
    "api:advance_campaign": ("campaign_id", "campaign", "post"),
    "api:pending_actions": ("campaign_id", "campaign", "get"),
    "api:org_checklist": ("org_id", "org", "get"),
    "api:list_batches": ("campaign_id", "campaign", "get"),
    "api:create_batch": ("campaign_id", "campaign", "post"),
    "api:update_batch": ("batch_id", "batch", "post"),
    "api:apply_batch_rule": ("campaign_id", "campaign", "post"),
    "api:place_in_batch": ("campaign_id", "campaign", "post"),
    "api:batch_coverage": ("campaign_id", "campaign", "get"),
    "api:action_item_done": ("item_id", "action_item", "post"),
    "api:get_activity": ("activity_id", "activity", "get"),
    "api:make_up": ("attendance_id", "attendance", "post"),
    "api:get_topic": ("topic_id", "topic", "get"),
    "api:add_visit": ("topic_id", "topic", "post"),
    "api:finding_to_problem": ("finding_id", "finding", "post"),
    "api:get_visit": ("visit_id", "monthly_visit", "get"),
    "api:add_visit_photos": ("visit_id", "monthly_visit", "post"),
    "api:edit_target": ("target_id", "target", "post"),
    "api:retire_target": ("target_id", "target", "post"),
    "api:decide_finding": ("finding_id", "monthly_finding", "post"),
    "api:get_account": ("account_id", "account", "get"),
    "api:lock_account": ("account_id", "account", "post"),
    "api:reset_password": ("account_id", "account", "post"),
    "api:add_assignment": ("account_id", "account", "post"),
    "api:remove_assignment": ("account_id", "account", "post"),
    "api:update_org": ("org_id", "org", "post"),
    "api:move_org": ("org_id", "org", "post"),
    "api:merge_org": ("org_id", "org", "post"),
    "api:dissolve_org": ("org_id", "org", "post"),
    "api:list_teams": ("org_id", "org", "get"),
    "api:create_team": ("org_id", "org", "post"),
    "api:rename_team": ("team_id", "team", "post"),
    "api:remove_team": ("team_id", "team", "post"),
    "api:add_seat": ("team_id", "team", "post"),
    "api:update_seat": ("seat_id", "seat", "post"),
    "api:remove_seat": ("seat_id", "seat", "post"),
    "api:list_members": ("org_id", "org", "get"),
    "api:create_member": ("org_id", "org", "post"),
    "api:get_member": ("member_id", "member", "get"),
    "api:update_member": ("member_id", "member", "post"),
    "api:transfer_member": ("member_id", "member", "post"),
    "api:mark_mobile": ("member_id", "member", "post"),
    "api:mark_left": ("member_id", "member", "post"),
    "api:import_members_sheet": ("org_id", "org", "post"),
    "api:get_escalation": ("escalation_id", "escalation", "get"),
    "api:reply_escalation": ("escalation_id", "escalation", "post"),
    "api:read_notification": ("notification_id", "notification", "post"),
    "api:demand_status": ("demand_id", "demand", "get"),
    "api:submit_report": ("demand_id", "demand", "post"),
    "api:decide_submission": ("submission_id", "submission", "post"),
    "api:get_programme": ("programme_id", "programme", "get"),
    "api:adopt_programme": ("programme_id", "programme", "post"),
    "api:list_programme_items": ("programme_id", "programme", "get"),
    "api:add_programme_item": ("programme_id", "programme", "post"),
    "api:get_weak_org": ("case_id", "weak_case", "get"),
    "api:set_weak_org_support": ("case_id", "weak_case", "post"),
    "api:accept_weak_org": ("case_id", "weak_case", "post"),
    "api:scheme_score": ("scheme_id", "scheme", "get"),
    "api:scheme_ranking": ("scheme_id", "scheme", "get"),
    "api:give_manual_score": ("scheme_id", "scheme", "post"),
    "api:get_inquiry": ("case_id", "inquiry", "get"),
    "api:inquiry_step": ("case_id", "inquiry", "post"),
    "api:get_tolerance_case": ("case_id", "tolerance_case", "get"),
    "api:tolerance_case_step": ("case_id", "tolerance_case", "post"),
    "api:get_rotation": ("case_id", "rotation", "get"),
    "api:get_guidance_group": ("group_id", "guidance_group", "get"),
    "api:get_inspection": ("inspection_id", "inspection", "get"),
    "api:draw_inspection_sample": ("inspection_id", "inspection", "post"),
    "api:feed_back_finding": ("inspection_id", "inspection", "post"),
    "api:get_guidance_finding": ("finding_id", "guidance_finding", "get"),
    "api:reply_to_finding": ("finding_id", "guidance_finding", "post"),
    "api:check_finding_reply": ("finding_id", "guidance_finding", "post"),
    "api:get_circular": ("circular_id", "circular", "get"),
    "api:issue_circular": ("circular_id", "circular", "post"),
    "api:confirm_circular": ("circular_id", "circular", "post"),
}
JSON_BODIES = {
    "api:transition": {"action": "verify", "version": 1},
    "api:make_up": {"made_up_on": "2026-01-02", "note": "x"},
    "api:add_visit": {"visited_on": "2026-01-02", "place": "x", "findings": ["x"]},
    "api:finding_to_problem": {},
    "api:decide_finding": {"decision": "resolve"},
    "api:edit_target": {"name": "x", "kind": "household"},
    "api:retire_target": {"retired_on": "2026-01-02", "reason": "x"},
    "api:accept_opinion": {"version": 1, "title": "x"},
    "api:answer_opinion": {"version": 1, "answer": "x"},
    "api:decline_opinion": {"version": 1, "reason": "x"},
    "api:transfer_opinion": {"version": 1, "org_id": 1},
    "api:lock_account": {"locked": True},
    "api:create_batch": {"name": "x", "starts_on": "2026-01-02", "ends_on": "2026-05-02"},
    "api:update_batch": {"name": "x", "starts_on": "2026-01-02", "ends_on": "2026-05-02"},
    "api:apply_batch_rule": {"batch_id": 1, "kind": "rest"},
    "api:place_in_batch": {"org_id": 1},
    "api:add_assignment": {"org_code": "x", "role": "viewer"},
    "api:remove_assignment": {"assignment_id": 1},
    "api:update_org": {"name": "x"},
    "api:move_org": {"target_id": 1},
    "api:merge_org": {"target_id": 1},
    "api:dissolve_org": {},
    "api:update_campaign": {"name": "x"},
    "api:advance_campaign": {"action": "launch"},
    "api:create_team": {"name": "x"},
    "api:rename_team": {"name": "x"},
    "api:remove_team": {"reason": "x"},
    "api:remove_seat": {"reason": "x"},
    "api:add_seat": {"title": "书记", "person_name": "x"},
    "api:update_seat": {"title": "书记", "person_name": "x"},
    "api:create_member": {"name": "x", "gender": "M", "status": "full"},
    "api:update_member": {"version": 1, "name": "x"},
    "api:transfer_member": {"version": 1, "to_org_id": 1, "reason": "x"},
    "api:mark_mobile": {"version": 1, "mobile": True, "place": "x"},
    "api:mark_left": {"version": 1, "reason": "x"},
    "api:reply_escalation": {"text": "x"},
    "api:read_notification": {},
    "api:submit_report": {"org_id": 1},
    "api:decide_submission": {"receive": True},
    "api:add_programme_item": {
        "org_id": 1,
        "title": "x",
        "measures": [{"content": "x", "deadline_kind": "ongoing"}],
    },
    "api:set_weak_org_support": {"version": 1, "county_leader": "x"},
    "api:give_manual_score": {"indicator_id": 1, "org_id": 1, "points": 1, "reason": "x"},
    "api:inquiry_step": {"step": "decide", "fields": {}},
    "api:tolerance_case_step": {"step": "judge", "fields": {}},
    "api:feed_back_finding": {"title": "x", "reply_due_on": "2099-01-02"},
    "api:reply_to_finding": {"version": 1, "reply": "x"},
    "api:check_finding_reply": {"version": 1, "accept": True},
}
TOKEN_URLS = {"ledger_io:confirm", "ledger_io:report", "ledger_io:map"}  # session-bound
# Public pages (no account) keyed by organisation code: they show no personal data and no
# opinion's text (tests/opinions); swept below for the foreign branch's secrets.
PUBLIC = {"opinions:public_form", "opinions:public_thanks", "opinions:board", "opinions:qr"}
# Public pages keyed by a survey's unguessable key (tests/assessment): the survey's questions.
PUBLIC_KEYED = {"assessment:public_survey", "assessment:survey_qr"}


def _patterns(resolver=None, ns=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p, f"{ns}{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern):
            yield f"{ns}{p.name}", p


@pytest.fixture
def foreign(tree, campaign):  # noqa: F811
    owner = user_with(tree.branch_b1, "liaison", username="b1_owner")
    problem = services.create_problem(
        actor=owner, org=tree.branch_b1, campaign=campaign, title=SECRET
    )
    measure = services.add_measure(
        actor=owner, problem=problem, content="秘密措施", due_on=date.today() + timedelta(days=9)
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.report_progress(
        actor=owner,
        measure_id=measure.pk,
        version=measure.version,
        text="进展",
        progress=50,
        files=[SimpleUploadedFile("秘密.pdf", PDF)],
    )
    extension = services.request_extension(
        actor=owner,
        measure_id=measure.pk,
        new_due_on=date.today() + timedelta(days=99),
        reason="秘密理由",
    )
    county_campaign = Campaign.objects.create(
        org=tree.county_b,
        slug="b-only",
        name="乙县专项",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    from luoshi.campaigns.models import Batch

    batch = Batch.objects.create(
        campaign=county_campaign,
        name="秘密批次",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 6, 30),
    )
    from luoshi.ledger_io.models import ImportJob

    job = ImportJob.objects.create(
        org=tree.branch_b1,
        org_path=tree.branch_b1.path,
        user=owner,
        campaign=campaign,
        file_name="秘密台账.xlsx",
        stored_file="x.xlsx",
        result={"note": SECRET},
    )
    from luoshi.dashboards.models import ReportJob

    report_job = ReportJob.objects.create(
        org=tree.branch_b1,
        org_path=tree.branch_b1.path,
        user=owner,
        campaign=campaign,
        kind="progress",
        state="done",
        stored_file="x.docx",
    )
    from luoshi.opinions import services as opinions
    from tests.opinions.conftest import png

    opinion, _ = opinions.record_opinion(
        actor=owner,
        org=tree.branch_b1,
        channel="talk",
        topic="other",
        text=SECRET,
        contact="13900001111",
        photos=[png()],
    )
    symposium = opinions.create_symposium(
        actor=owner,
        org=tree.branch_b1,
        held_on=date.today(),
        title="秘密座谈会",
        attendees="村民代表",
    )
    from luoshi.campaigns import services as campaign_services
    from luoshi.research import services as research_services
    from luoshi.study import services as study_services

    office = user_with(tree.city, "office", username="city_office_sweep")
    action = campaign_services.define_key_action(
        actor=office,
        campaign_id=campaign.pk,
        name="秘密动作",
        due_on=campaign.starts_on + timedelta(days=30),
    )
    campaign_services.launch_key_actions(actor=office, campaign_id=campaign.pk)
    city_batch, _, _ = campaign_services.save_batch(
        actor=office,
        campaign_id=campaign.pk,
        name="第一批",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    campaign_services.apply_batch_rule(
        actor=office, campaign_id=campaign.pk, batch_id=city_batch.pk, rule={"kind": "rest"}
    )
    campaign_services.remove_from_batches(
        actor=office, campaign_id=campaign.pk, org_id=tree.branch_b1.pk
    )
    item = action.items.get(org=tree.branch_b1)
    campaign_services.mark_action_done(
        actor=owner,
        item_id=item.pk,
        done_on=date.today(),
        note="秘密说明",
        upload=SimpleUploadedFile("秘密佐证.pdf", PDF),
    )
    b1_members = tree.members[tree.branch_b1.pk]
    activity = study_services.record_activity(
        actor=owner,
        org=tree.branch_b1,
        kind="lesson",
        topic="秘密党课",
        speaker="秘密主讲人",
        starts_on=date.today(),
        present=[m.pk for m in b1_members[1:]],
        absent={b1_members[0].pk: "秘密原因"},
        files=[SimpleUploadedFile("秘密照片.pdf", PDF)],
    )
    topic = research_services.create_topic(
        actor=owner, org=tree.branch_b1, title="秘密课题", leader_name="秘密领导", campaign=campaign
    )
    visit = research_services.record_visit(
        actor=owner,
        topic_id=topic.pk,
        visited_on=date.today(),
        place="秘密村",
        findings=["秘密发现"],
    )
    from luoshi.core.scoping import SYSTEM
    from luoshi.monthly import services as monthly
    from luoshi.orgs import people

    target = monthly.create_target(
        actor=owner, org=tree.branch_b1, name="秘密户", kind="household", cadre=owner
    )
    monthly_visit, _ = monthly.record_visit(
        actor=owner,
        key="5f0c6c1e-0000-4000-8000-000000000001",
        target_id=target.pk,
        visited_at=timezone.now(),
        asked="秘密情况",
        findings=[("other", "秘密走访发现")],
        photos=[png()],
    )
    team = people.add_team(actor=SYSTEM, org=tree.branch_b1, name="秘密支委会")
    seat = people.add_seat(actor=SYSTEM, team_id=team.pk, title="书记", person_name="秘密书记")
    supervision = _supervision(tree, owner, campaign)
    programme, plan = _foreign_programme(tree, campaign, owner)
    weak = _weak_case(tree, campaign, office, owner)
    return {
        **supervision,
        "programme": programme.pk,
        "programme_plan": plan.pk,
        **weak,
        **_assessment_and_registers(tree, county_campaign, owner),
        **_guidance(tree, campaign, office),
        "team": team.pk,
        "seat": seat.pk,
        "action_item": item.pk,
        "activity": activity.pk,
        "attendance": activity.attendance.get(member=b1_members[0]).pk,
        "study_file": activity.files.get().pk,
        "member": b1_members[0].pk,
        "topic": topic.pk,
        "finding": visit.findings.get().pk,
        "target": target.pk,
        "monthly_visit": monthly_visit.pk,
        "visit_photo": monthly_visit.photos.get().pk,
        "monthly_finding": monthly_visit.findings.get().pk,
        "opinion": opinion.pk,
        "opinion_photo": opinion.photos.get().pk,
        "symposium": symposium.pk,
        "org_code": tree.branch_b1.code,
        "report_job": report_job.pk,
        "job": job.pk,
        "org": tree.branch_b1.pk,
        "campaign": county_campaign.pk,
        "batch": batch.pk,
        "problem": problem.pk,
        "measure": measure.pk,
        "evidence": measure.evidence.get().pk,
        "extension": extension.pk,
        "api_token": _token_of(owner),
        "account": owner.pk,
    }


def _supervision(tree, owner, campaign) -> dict:  # noqa: F811
    """A 督办单 on branch b1's measure (overdue ten days on), its owner's inbox message, and a
    report town b's office expects, sent by branch b1."""
    from luoshi.supervision import services as supervision
    from luoshi.supervision.models import Escalation, Notification

    supervision.sweep(date.today() + timedelta(days=10), send=False)
    escalation = Escalation.objects.filter(org_path=tree.branch_b1.path).first()
    town_office = user_with(tree.town_b, "office", username="town_b_office")
    demand = supervision.create_demand(
        actor=town_office,
        org=tree.town_b,
        campaign=campaign,
        title="秘密周报",
        kind="statistics",
        period="weekly",
        first_due_on=date.today(),
    )
    submission = supervision.submit_report(
        actor=owner, demand_id=demand.pk, org=tree.branch_b1, text="秘密报告"
    )
    return {
        "escalation": escalation.pk,
        "notification": Notification.objects.filter(user=owner).first().pk,
        "demand": demand.pk,
        "submission": submission.pk,
    }


def _foreign_programme(tree, campaign, owner):  # noqa: F811
    """County b's own programme (专项整治), branch b1's plan for it and an item."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from luoshi.programmes import services as programmes

    county_office = user_with(tree.county_b, "office", username="b_office_sweep")
    programme = programmes.create_programme(
        actor=county_office,
        org=tree.county_b,
        campaign=campaign,
        name="乙县秘密专项",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        lead_unit="秘密牵头单位",
    )
    plan = programmes.adopt_programme(
        actor=owner,
        programme_id=programme.pk,
        org=tree.branch_b1,
        doc_number="秘密文号",
        issued_on=date.today(),
        upload=SimpleUploadedFile("秘密方案.pdf", PDF),
    )
    programmes.add_item(
        actor=owner,
        programme_id=programme.pk,
        org=tree.branch_b1,
        title="秘密整治事项",
        measures=[{"content": "秘密措施", "deadline_kind": "ongoing"}],
    )
    return programme, plan


def _weak_case(tree, campaign, office, owner) -> dict:  # noqa: F811
    """Branch b1 listed as weak, with a milestone and a 不合格 acceptance with its file."""

    from luoshi.weakorgs import reasons
    from luoshi.weakorgs import services as weak

    case = weak.list_organization(
        actor=office,
        org=tree.branch_b1,
        year=date.today().year,
        reasons=reasons.ensure_standard()[:1],
        campaign=campaign,
        situation="秘密情况",
    )
    weak.set_support(
        actor=office,
        case_id=case.pk,
        version=case.version,
        county_leader="秘密县领导",
        township_leader="秘密镇领导",
        first_secretary="秘密书记",
        paired_unit="秘密单位",
    )
    weak.add_plan_problem(
        actor=owner, case_id=case.pk, title="秘密整顿问题", measure="秘密措施", due_on=None
    )
    milestone = weak.add_milestone(
        actor=owner, case_id=case.pk, title="秘密节点", due_on=date.today()
    )
    from luoshi.weakorgs.models import Acceptance

    acceptance = Acceptance.objects.create(
        org=tree.branch_b1,
        case=case,
        accepted_on=date.today(),
        result="failed",
        note="秘密意见",
        original_name="秘密验收.pdf",
        stored_name="x.pdf",
        kind="pdf",
    )
    return {"weak_case": case.pk, "weak_milestone": milestone.pk, "weak_acceptance": acceptance.pk}


def _assessment_and_registers(tree, county_campaign, owner) -> dict:
    """County b's scheme, published ranking and branch b1's survey; register cases of b1."""
    from luoshi.assessment import services as assessment
    from luoshi.registers import services as registers

    county_office = user_with(tree.county_b, "office", username="county_b_office_sweep")
    scheme = assessment.create_scheme(
        actor=county_office, org=tree.county_b, campaign=county_campaign, name="秘密方案", level=4
    )
    publication = assessment.publish_rankings(
        actor=county_office, scheme=scheme, org=tree.county_b, as_of=date.today()
    )
    survey = assessment.create_survey(
        actor=owner, org=tree.branch_b1, title="秘密测评", opens_on=date.today(),
        closes_on=date.today(),
    )  # fmt: skip
    jiwei = user_with(tree.county_b, "discipline", username="county_b_jiwei")
    zuzhi = user_with(tree.county_b, "organization_dept", username="county_b_zuzhi")
    day = date.today().isoformat()
    inquiry = registers.open_case(
        actor=jiwei, kind="inquiries", org=tree.branch_b1,
        data={"subject": "秘密", "clue_source": "petition", "clue_received_on": day,
              "clue_summary": SECRET},
    )  # fmt: skip
    tolerance = registers.open_case(
        actor=jiwei, kind="tolerance", org=tree.branch_b1,
        data={"subject": "秘密", "happened_on": day, "case_summary": SECRET},
    )  # fmt: skip
    rotation = registers.open_case(
        actor=zuzhi, kind="rotations", org=tree.branch_b1,
        data={"cadre_name": "秘密", "kind": "rotation", "from_org": tree.town_b.code,
              "from_post": "x", "to_post": "y", "starts_on": day},
    )  # fmt: skip
    return {
        "scheme": scheme.pk,
        "publication": publication.pk,
        "survey": survey.pk,
        "inquiry": inquiry.pk,
        "tolerance_case": tolerance.pk,
        "rotation": rotation.pk,
    }


def _guidance(tree, campaign, office) -> dict:  # noqa: F811
    """A group over county b, its inspection of branch b1 with a finding fed back, a circular
    issued to township b (issue 19)."""
    from luoshi.guidance import services as guidance

    user_with(tree.county_a, "viewer", username="b_guide")  # cross-inspection: a county a cadre
    group = guidance.create_group(
        actor=office,
        campaign=campaign,
        name="秘密指导组",
        leader="b_guide",
        members=[],
        subtrees=[tree.county_b],
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    guide = group.leader
    inspection = guidance.plan_inspection(
        actor=guide, group_id=group.pk, org=tree.branch_b1, kind="interviews",
        visited_on=date.today(), sample_size=2,
    )  # fmt: skip
    guidance.draw_sample(actor=guide, inspection_id=inspection.pk)
    finding = guidance.feed_back(
        actor=guide,
        inspection_id=inspection.pk,
        title="秘密督导问题",
        reply_due_on=date.today() + timedelta(days=9),
    )
    circular = guidance.draft_circular(
        actor=guide, group=group, issued_to=tree.town_b, title="秘密通报", body="秘密正文"
    )
    guidance.issue_circular(actor=guide, circular_id=circular.pk)
    return {
        "guidance_group": group.pk,
        "inspection": inspection.pk,
        "guidance_finding": finding.pk,
        "circular": circular.pk,
    }


def _token_of(user) -> int:
    from luoshi.accounts.models import ApiToken

    issue_token(user)
    return ApiToken.objects.filter(user=user).latest("pk").pk


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_every_url_with_an_id_is_swept():
    with_ids = {name for name, p in _patterns() if p.pattern.converters or "<" in str(p.pattern)}
    assert with_ids - set(PAGES) - set(API) - TOKEN_URLS - PUBLIC - PUBLIC_KEYED == set()


def test_branch_user_gets_404_for_every_foreign_object_on_every_page(client, tree, foreign):
    viewer = user_with(tree.branch_a1, "liaison", username="a1_viewer")
    client.force_login(viewer)
    for name, kind in PAGES.items():
        url = reverse(name, args=[foreign[kind]])
        for method in ("get", "post"):
            response = getattr(client, method)(
                url,
                {
                    "version": 1,
                    "action": "verify",
                    "text": "x",
                    "progress": 1,
                    "content": "x",
                    "deadline_kind": "ongoing",
                    "name": "x",
                    "what": "source",
                    "decision": "approve",
                    "other": 1,
                },
            )
            assert response.status_code in (404, 405), (name, method, response.status_code)
            if response.status_code == 405:
                continue
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert SECRET.encode() not in body and "秘密".encode() not in body, (name, method)
    assert AuditEvent.objects.filter(kind="refused", actor=viewer).count() >= len(PAGES)


def test_branch_user_gets_404_for_every_foreign_object_in_the_api(client, tree, foreign):
    viewer = user_with(tree.branch_a1, "liaison", username="a1_api")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(viewer)}"}
    for name, (param, kind, method) in API.items():
        url = reverse(name, kwargs={param: foreign[kind]})
        if method == "get":
            response = client.get(url, **auth)
        else:
            response = _post(client, url, name, auth)
        assert response.status_code == 404, (name, response.status_code, response.content)
        assert SECRET.encode() not in response.content
    listing = client.get("/api/v1/problems", **auth).json()
    assert listing == []
    for url in (
        "/api/v1/study/activities",
        "/api/v1/research/topics",
        "/api/v1/programmes",
        "/api/v1/weak-orgs",
        "/api/v1/guidance/groups",
        "/api/v1/guidance/inspections",
        "/api/v1/guidance/circulars",
        "/api/v1/search?q=秘密",
        "/api/v1/search?q=秘密&kind=measure",
    ):
        response = client.get(url, **auth)
        assert response.status_code == 200 and "秘密".encode() not in response.content, url
    assert client.get("/api/v1/opinions?state=", **auth).json() == []
    assert client.get(f"/api/v1/organizations?parent={foreign['org']}", **auth).status_code == 404


def _post(client, url, name, auth):
    import json

    if name in JSON_BODIES:
        send = client.patch if API[name][2] == "patch" else client.post
        return send(url, json.dumps(JSON_BODIES[name]), content_type="application/json", **auth)
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        url,
        {
            "version": 1,
            "text": "x",
            "progress": 1,
            "done_on": "2026-01-02",
            "result": "passed",
            "accepted_on": "2026-01-02",
            "evidence": SimpleUploadedFile("x.pdf", PDF),
            "file": SimpleUploadedFile("x.xlsx", b"x"),
            "key": "00000000-0000-4000-8000-000000000000",
        },
        **auth,
    )


def test_lists_searches_counts_and_exports_hold_no_foreign_rows(client, tree, foreign, campaign):  # noqa: F811
    viewer = user_with(tree.branch_a1, "liaison", username="a1_lists")
    client.force_login(viewer)
    for url in (
        "/ledger/",
        "/ledger/?overdue=1",
        "/my-work/",
        "/ledger/?work=overdue",
        "/ledger/?work=to_verify",
        "/ledger/?work=due_week",
        "/ledger/?work=unreported",
        "/search/?q=秘密",
        f"/dashboard/{tree.branch_a1.pk}/",
        "/orgs/",
        "/orgs/search/?q=乙",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/actions/",
        f"/campaigns/{campaign.pk}/actions/?overdue=1",
        f"/campaigns/{campaign.pk}/batches/",
        f"/campaigns/checklist/{tree.branch_a1.pk}/",
        "/study/",
        "/study/?q=秘密",
        f"/study/new/?org={tree.branch_a1.pk}",
        "/research/",
        "/research/?q=秘密",
        "/problems/pick/",
        "/problems/pick/?pq=秘密",
        f"/orgs/{tree.branch_a1.pk}/",
        "/ledger/export.xlsx",
        "/opinions/",
        "/opinions/?state=",
        "/opinions/symposia/",
        "/opinions/export.xlsx",
        "/supervision/",
        "/supervision/?step=yellow",
        "/supervision/inbox/",
        "/supervision/reports/",
        "/programmes/",
        f"/programmes/?org={tree.branch_a1.pk}",
        "/weak-orgs/",
        "/weak-orgs/?year=0",
        "/weak-orgs/export.xlsx",
        "/weak-orgs/org-options/?q=乙",
        "/weak-orgs/new/",
        "/assessment/",
        "/guidance/",
        "/guidance/mine/",
        "/guidance/inspections/",
        "/guidance/circulars/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert SECRET.encode() not in body and "乙一村".encode() not in body, url


def test_anonymous_visitors_are_sent_to_login_and_the_api_says_401(client, foreign):
    for name, kind in PAGES.items():
        response = client.get(reverse(name, args=[foreign[kind]]))
        assert response.status_code in (302, 405), name
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))
    for name, (param, kind, _) in API.items():
        assert client.get(reverse(name, kwargs={param: foreign[kind]})).status_code in (401, 405)


def test_public_pages_of_an_organisation_show_none_of_its_opinions(client, tree, foreign):
    for name in sorted(PUBLIC):
        response = client.get(reverse(name, args=[foreign["org_code"]]))
        assert response.status_code in (200, 302), name
        assert SECRET.encode() not in response.content and b"13900001111" not in response.content
