"""Guidance in the API: groups, inspections (with the sample), findings and replies, circulars.
The same selectors and services as the pages: 404 outside the scope, 403 for a role that may not
act, 409 for a stale version, 400 for a refused change."""

from datetime import date, datetime
from typing import Annotated

from ninja import Router, Schema, Status
from pydantic import Field

from luoshi.campaigns.models import Campaign
from luoshi.core.api_schemas import ERRORS, ErrorOut, Id, items, text_of
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.guidance import selectors, services
from luoshi.guidance.models import Circular, Finding, GuidanceGroup, Inspection
from luoshi.orgs.models import Organization

router = Router(tags=["督导指导"])
NAMES = 200  # accounts or organisations named in one request


def text(most: int):
    return Annotated[str, Field(max_length=most)]


class GroupOut(Schema):
    id: int
    name: str
    campaign_id: int
    leader: str
    members: list[str]
    subtree_ids: list[int]
    starts_on: date
    ends_on: date


class GroupIn(Schema):
    campaign_id: Id
    org_id: Id | None = None
    name: text_of(GuidanceGroup, "name")
    leader: text(150) = ""
    members: items(text(150), NAMES) = []
    subtree_ids: items(Id, NAMES)
    starts_on: date
    ends_on: date


class SampleOut(Schema):
    member_id: int
    member_name: str
    rank: int
    talked: bool


class InspectionOut(Schema):
    id: int
    group_id: int
    org_id: int
    kind: str
    unannounced: bool
    visited_on: date
    sample_size: int
    sample_seed: int | None
    talked_to: str
    found: str
    version: int


class InspectionDetail(InspectionOut):
    sample: list[SampleOut]
    finding_ids: list[int]


class InspectionIn(Schema):
    group_id: Id
    org_id: Id
    kind: text_of(Inspection, "kind")
    visited_on: date
    sample_size: Annotated[int, Field(ge=0, le=50)] = 0
    unannounced: bool = False


class FindingIn(Schema):
    title: text(300)
    description: text(20_000) = ""
    reply_due_on: date


class FindingOut(Schema):
    id: int
    inspection_id: int
    org_id: int
    problem_id: int
    title: str
    reply_due_on: date
    state: str
    reply: str
    first_replied_on: date | None
    return_reason: str
    version: int


class ReplyIn(Schema):
    version: int
    reply: text_of(Finding, "reply")


class CheckIn(Schema):
    version: int
    accept: bool
    reason: text_of(Finding, "return_reason") = ""


class RecipientOut(Schema):
    org_id: int
    org_name: str
    confirmed_at: datetime | None


class CircularOut(Schema):
    id: int
    group_id: int | None
    issuer_name: str
    number: str
    title: str
    state: str
    issued_to_id: int
    issued_on: date | None


class CircularDetail(CircularOut):
    body: str
    good_practice: str
    problems_text: str
    figures: list
    recipients: list[RecipientOut]


class CircularIn(Schema):
    issued_to_id: Id
    group_id: Id | None = None
    title: text_of(Circular, "title")
    body: text_of(Circular, "body")
    good_practice: text_of(Circular, "good_practice") = ""
    problems_text: text_of(Circular, "problems_text") = ""
    praised_ids: items(Id, NAMES) = []
    criticised_ids: items(Id, NAMES) = []
    problem_ids: items(Id, NAMES) = []
    figure_keys: items(text(40), 20) = []


# --- out ----------------------------------------------------------------------------------------
def _group_out(g: GuidanceGroup) -> dict:
    return {
        "id": g.pk,
        "name": g.name,
        "campaign_id": g.campaign_id,
        "leader": g.leader.username,
        "members": sorted(g.members.values_list("username", flat=True)),
        "subtree_ids": sorted(g.subtrees.values_list("pk", flat=True)),
        "starts_on": g.starts_on,
        "ends_on": g.ends_on,
    }


INSPECTION_FIELDS = [
    "id", "group_id", "org_id", "kind", "unannounced", "visited_on", "sample_size",
    "sample_seed", "talked_to", "found", "version",
]  # fmt: skip


def _inspection_out(i: Inspection) -> dict:
    return {f: getattr(i, f) for f in INSPECTION_FIELDS}


def _inspection_detail(i: Inspection) -> dict:
    sample = selectors.current_sample(i).select_related("member")
    return {
        **_inspection_out(i),
        "sample": [
            {
                "member_id": s.member_id,
                "member_name": s.member.name,
                "rank": s.rank,
                "talked": s.talked,
            }
            for s in sample
        ],
        "finding_ids": list(i.findings.order_by("id").values_list("pk", flat=True)),
    }


def _finding_out(f: Finding) -> dict:
    return {
        "id": f.pk,
        "inspection_id": f.inspection_id,
        "org_id": f.org_id,
        "problem_id": f.problem_id,
        "title": f.problem.title,
        "reply_due_on": f.reply_due_on,
        "state": f.state,
        "reply": f.reply,
        "first_replied_on": f.first_replied_on,
        "return_reason": f.return_reason,
        "version": f.version,
    }


def _circular_out(c: Circular) -> dict:
    return {
        "id": c.pk,
        "group_id": c.group_id,
        "issuer_name": c.issuer_name,
        "number": c.number,
        "title": c.title,
        "state": c.state,
        "issued_to_id": c.issued_to_id,
        "issued_on": c.issued_on,
    }


def _circular_detail(c: Circular) -> dict:
    return {
        **_circular_out(c),
        "body": c.body,
        "good_practice": c.good_practice,
        "problems_text": c.problems_text,
        "figures": c.figures,
        "recipients": [
            {"org_id": r.org_id, "org_name": r.org.name, "confirmed_at": r.confirmed_at}
            for r in c.recipients.select_related("org")
        ],
    }


def _orgs(user, ids) -> list[Organization]:
    return [get_visible_or_404(Organization.objects, user, pk=pk) for pk in dict.fromkeys(ids)]


# --- groups -------------------------------------------------------------------------------------
@router.get("/guidance/groups", response={200: list[GroupOut]})
def list_guidance_groups(request, limit: int = 50, offset: int = 0):
    limit, offset = bounded(limit, offset)
    rows = selectors.visible_groups(request.user).select_related("leader").order_by("id")
    return [_group_out(g) for g in rows[offset : offset + limit]]


@router.get("/guidance/groups/{group_id}", response={200: GroupOut, 404: ErrorOut})
def get_guidance_group(request, group_id: Id):
    return _group_out(selectors.group_or_404(request.user, group_id))


@router.post("/guidance/groups", response={201: GroupOut, **ERRORS})
def create_guidance_group(request, payload: GroupIn):
    campaign = get_visible_or_404(Campaign.objects, request.user, pk=payload.campaign_id)
    org = (
        get_visible_or_404(Organization.objects, request.user, pk=payload.org_id)
        if payload.org_id
        else None
    )
    group = services.create_group(
        actor=request.user,
        campaign=campaign,
        org=org,
        name=payload.name,
        leader=payload.leader,
        members=payload.members,
        subtrees=_orgs(request.user, payload.subtree_ids),
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return Status(201, _group_out(group))


# --- inspections --------------------------------------------------------------------------------
@router.get("/guidance/inspections", response={200: list[InspectionOut]})
def list_inspections(request, group: Id | None = None, limit: int = 50, offset: int = 0):
    limit, offset = bounded(limit, offset)
    rows = selectors.inspections_for(request.user).order_by("-visited_on", "-id")
    if group is not None:
        rows = rows.filter(group_id=group)
    return [_inspection_out(i) for i in rows[offset : offset + limit]]


def _inspection(request, inspection_id: int) -> Inspection:
    rows = selectors.inspections_for(request.user)
    return get_visible_or_404(rows, request.user, pk=inspection_id)


DETAIL_OR_404 = {200: InspectionDetail, 404: ErrorOut}


@router.get("/guidance/inspections/{inspection_id}", response=DETAIL_OR_404)
def get_inspection(request, inspection_id: Id):
    return _inspection_detail(_inspection(request, inspection_id))


@router.post("/guidance/inspections", response={201: InspectionDetail, **ERRORS})
def create_inspection(request, payload: InspectionIn):
    org = get_visible_or_404(Organization.objects, request.user, pk=payload.org_id)
    inspection = services.plan_inspection(
        actor=request.user,
        group_id=payload.group_id,
        org=org,
        kind=payload.kind,
        visited_on=payload.visited_on,
        sample_size=payload.sample_size,
        unannounced=payload.unannounced,
    )
    return Status(201, _inspection_detail(inspection))


@router.post(
    "/guidance/inspections/{inspection_id}/sample", response={200: InspectionDetail, **ERRORS}
)
def draw_inspection_sample(request, inspection_id: Id):
    """Draw the members to interview at random (once); the seed is kept with the inspection."""
    inspection = _inspection(request, inspection_id)
    services.draw_sample(actor=request.user, inspection_id=inspection.pk)
    inspection.refresh_from_db()
    return Status(200, _inspection_detail(inspection))


@router.post("/guidance/inspections/{inspection_id}/findings", response={201: FindingOut, **ERRORS})
def feed_back_finding(request, inspection_id: Id, payload: FindingIn):
    """Feed a finding back: a problem of source 督导反馈 in the organisation's list."""
    inspection = _inspection(request, inspection_id)
    finding = services.feed_back(
        actor=request.user,
        inspection_id=inspection.pk,
        title=payload.title,
        description=payload.description,
        reply_due_on=payload.reply_due_on,
    )
    return Status(201, _finding_out(finding))


# --- findings -----------------------------------------------------------------------------------
def _finding(request, finding_id: int) -> Finding:
    return get_visible_or_404(
        selectors.findings_for(request.user).select_related("problem"), request.user, pk=finding_id
    )


@router.get("/guidance/findings/{finding_id}", response={200: FindingOut, 404: ErrorOut})
def get_guidance_finding(request, finding_id: Id):
    return _finding_out(_finding(request, finding_id))


@router.post("/guidance/findings/{finding_id}/reply", response={200: FindingOut, **ERRORS})
def reply_to_finding(request, finding_id: Id, payload: ReplyIn):
    finding = _finding(request, finding_id)
    services.reply_to_finding(
        actor=request.user, finding_id=finding.pk, version=payload.version, reply=payload.reply
    )
    return Status(200, _finding_out(_finding(request, finding_id)))


@router.post("/guidance/findings/{finding_id}/check", response={200: FindingOut, **ERRORS})
def check_finding_reply(request, finding_id: Id, payload: CheckIn):
    finding = _finding(request, finding_id)
    services.check_reply(
        actor=request.user,
        finding_id=finding.pk,
        version=payload.version,
        accept=payload.accept,
        reason=payload.reason,
    )
    return Status(200, _finding_out(_finding(request, finding_id)))


# --- circulars ----------------------------------------------------------------------------------
@router.get("/guidance/circulars", response={200: list[CircularOut]})
def list_circulars(request, limit: int = 50, offset: int = 0):
    limit, offset = bounded(limit, offset)
    rows = selectors.circulars_for(request.user).order_by("-created_at", "-id")
    return [_circular_out(c) for c in rows[offset : offset + limit]]


@router.get("/guidance/circulars/{circular_id}", response={200: CircularDetail, 404: ErrorOut})
def get_circular(request, circular_id: Id):
    return _circular_detail(selectors.circular_or_404(request.user, circular_id))


@router.post("/guidance/circulars", response={201: CircularDetail, **ERRORS})
def create_circular(request, payload: CircularIn):
    issued_to = get_visible_or_404(Organization.objects, request.user, pk=payload.issued_to_id)
    group = selectors.group_or_404(request.user, payload.group_id) if payload.group_id else None
    circular = services.draft_circular(
        actor=request.user,
        issued_to=issued_to,
        group=group,
        title=payload.title,
        body=payload.body,
        good_practice=payload.good_practice,
        problems_text=payload.problems_text,
        praised=_orgs(request.user, payload.praised_ids),
        criticised=_orgs(request.user, payload.criticised_ids),
        problem_ids=payload.problem_ids,
        figure_keys=payload.figure_keys,
    )
    return Status(201, _circular_detail(circular))


@router.post("/guidance/circulars/{circular_id}/issue", response={200: CircularDetail, **ERRORS})
def issue_circular(request, circular_id: Id):
    circular = selectors.circular_or_404(request.user, circular_id)
    issued = services.issue_circular(actor=request.user, circular_id=circular.pk)
    return Status(200, _circular_detail(issued))


@router.post("/guidance/circulars/{circular_id}/confirm", response={200: CircularDetail, **ERRORS})
def confirm_circular(request, circular_id: Id):
    """The recipient organisation confirms reading (已阅确认), once."""
    circular = selectors.circular_or_404(request.user, circular_id)
    services.confirm_circular(actor=request.user, circular_id=circular.pk)
    return Status(200, _circular_detail(selectors.circular_or_404(request.user, circular_id)))
