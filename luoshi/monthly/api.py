"""The monthly cycle over the API: targets, visits (POST with the phone's idempotency key, then
their photos as multipart with the same key), findings of a month and the meeting's judgement
of one."""

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from luoshi.campaigns.models import Campaign
from luoshi.core.api_schemas import ErrorOut, Id, items, text_of
from luoshi.core.errors import BadParameter
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404, scope_paths
from luoshi.monthly import selectors, services
from luoshi.monthly.models import Finding, FindingKind, MonthlyVisit, TargetKind, VisitTarget
from luoshi.monthly.months import current_month, month_param
from luoshi.orgs.models import Organization

router = Router(tags=["一月一走访"])


class TargetOut(Schema):
    id: int
    org_id: int
    name: str
    kind: str
    contact: str  # masked
    cadre: str | None
    visited_this_month: bool
    active: bool
    retired_on: date | None


class TargetEditIn(Schema):
    name: text_of(VisitTarget, "name")
    kind: Literal[tuple(TargetKind.values)]  # type: ignore[valid-type]
    contact: text_of(VisitTarget, "contact") | None = None  # None: unchanged
    address: text_of(VisitTarget, "address") | None = None


class RetireIn(Schema):
    retired_on: date
    reason: text_of(VisitTarget, "retired_reason")


class FindingIn(Schema):
    kind: Literal[tuple(FindingKind.values)]  # type: ignore[valid-type]
    text: text_of(Finding, "text")


class VisitIn(Schema):
    key: UUID
    target_id: Id
    visited_at: datetime
    asked: text_of(MonthlyVisit, "asked") = ""
    findings: items(FindingIn, services.MAX_FINDINGS) = []


class FindingOut(Schema):
    id: int
    org_id: int
    visit_id: int
    target: str
    kind: str
    text: str
    month: date
    months_open: int
    state: str
    problem_id: int | None
    merged_into_id: int | None
    decision_note: str


class PhotoOut(Schema):
    id: int
    width: int
    height: int


class VisitOut(Schema):
    id: int
    key: UUID
    target_id: int
    visited_at: datetime
    month: date
    asked: str
    created: bool
    findings: list[FindingOut]
    photos: list[PhotoOut]


class DecisionIn(Schema):
    decision: Literal["resolve", "pass_up", "merge", "no_action"]
    note: text_of(Finding, "decision_note") = ""
    into_id: Id | None = None
    campaign_id: Id | None = None


def _finding_out(f: Finding, month: date) -> dict:
    return {
        "id": f.pk,
        "org_id": f.org_id,
        "visit_id": f.visit_id,
        "target": f.visit.target.name,
        "kind": f.kind,
        "text": f.text,
        "month": f.month,
        "months_open": (month.year - f.month.year) * 12 + month.month - f.month.month,
        "state": f.state,
        "problem_id": f.problem_id,
        "merged_into_id": f.merged_into_id,
        "decision_note": f.decision_note,
    }


def _visit_out(v: MonthlyVisit, created: bool) -> dict:
    findings = v.findings.select_related("visit__target").order_by("id")
    return {
        "id": v.pk,
        "key": v.key,
        "target_id": v.target_id,
        "visited_at": v.visited_at,
        "month": v.month,
        "asked": v.asked,
        "created": created,
        "findings": [_finding_out(f, v.month) for f in findings],
        "photos": [
            {"id": p.pk, "width": p.width, "height": p.height} for p in v.photos.order_by("id")
        ],
    }


def _month(month: str) -> date:
    try:
        return month_param({"month": month})
    except BadParameter:
        raise


@router.get("/monthly/targets", response={200: list[TargetOut], 404: ErrorOut})
def list_targets(
    request, org: Id | None = None, mine: bool = False, limit: int = 50, offset: int = 0
):
    """The targets of a subtree (or the caller's own with `mine`), contact masked."""
    limit, offset = bounded(limit, offset)
    if mine:
        rows = selectors.my_targets(request.user)
    else:
        path = (
            get_visible_or_404(Organization.objects, request.user, pk=org).path
            if org is not None
            else (scope_paths(request.user) or ("/nothing/",))[0]
        )
        rows = selectors.targets(request.user, path)
    return [
        {
            "id": t.pk,
            "org_id": t.org_id,
            "name": t.name,
            "kind": t.kind,
            "contact": t.masked_contact,
            "cadre": t.cadre.username if t.cadre_id and not mine else None,
            "visited_this_month": t.visited,
            "active": t.active,
            "retired_on": t.retired_on,
        }
        for t in rows.select_related("cadre")[offset : offset + limit]
    ]


def _target_out(t: VisitTarget) -> dict:
    return {
        "id": t.pk,
        "org_id": t.org_id,
        "name": t.name,
        "kind": t.kind,
        "contact": t.masked_contact,
        "cadre": t.cadre.username if t.cadre_id else None,
        "visited_this_month": t.visits.filter(month=current_month()).exists(),
        "active": t.active,
        "retired_on": t.retired_on,
    }


TARGET_WRITE = {200: TargetOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.post("/monthly/targets/{target_id}", response=TARGET_WRITE)
def edit_target(request, target_id: Id, payload: TargetEditIn):
    """Correct a target's name, kind, contact or address (contact/address left out: kept)."""
    target = services.edit_target(
        actor=request.user,
        target_id=target_id,
        name=payload.name,
        kind=payload.kind,
        contact=payload.contact,
        address=payload.address,
    )
    return _target_out(target)


@router.post("/monthly/targets/{target_id}/retire", response=TARGET_WRITE)
def retire_target(request, target_id: Id, payload: RetireIn):
    """Take a target off the visit list from `retired_on`, with a reason; history kept."""
    target = services.retire_target(
        actor=request.user,
        target_id=target_id,
        retired_on=payload.retired_on,
        reason=payload.reason,
    )
    return _target_out(target)


@router.post(
    "/monthly/visits",
    response={
        200: VisitOut,
        201: VisitOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
)
def record_visit(request, payload: VisitIn):
    """Record a visit; sent again with the same `key`, the first one is answered (200)."""
    visit, created = services.record_visit(
        actor=request.user,
        key=payload.key,
        target_id=payload.target_id,
        visited_at=payload.visited_at,
        asked=payload.asked,
        findings=[(f.kind, f.text) for f in payload.findings],
    )
    return Status(201 if created else 200, _visit_out(visit, created))


@router.post(
    "/monthly/visits/{visit_id}/photos",
    response={
        200: VisitOut,
        201: VisitOut,
        400: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
)
def add_visit_photos(
    request,
    visit_id: Id,
    key: UUID = Form(...),
    photos: list[UploadedFile] = File(None),
):
    """The visit's photos (multipart/form-data, at most 3, JPEG/PNG), sent after the visit with
    its `key`: once, all together (201); sent again, the visit with the photos it has is
    answered (200) and nothing more is stored."""
    visit, created = services.add_visit_photos(
        actor=request.user, visit_id=visit_id, key=key, photos=photos or []
    )
    return Status(201 if created else 200, _visit_out(visit, created))


@router.get("/monthly/visits/{visit_id}", response={200: VisitOut, 404: ErrorOut})
def get_visit(request, visit_id: Id):
    return _visit_out(get_visible_or_404(MonthlyVisit.objects, request.user, pk=visit_id), False)


@router.get("/monthly/findings", response={200: list[FindingOut], 400: ErrorOut, 404: ErrorOut})
def list_findings(request, org: Id | None = None, month: str = ""):
    """What the month's meeting sees: open findings (carried-over first) and those it decided."""
    month_ = _month(month) if month else current_month()
    if org is not None:
        path = get_visible_or_404(Organization.objects, request.user, pk=org).path
    else:
        path = (scope_paths(request.user) or ("/nothing/",))[0]
    return [_finding_out(f, month_) for f in selectors.meeting_findings(request.user, path, month_)]


@router.post(
    "/monthly/findings/{finding_id}/decide",
    response={200: FindingOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def decide_finding(request, finding_id: Id, payload: DecisionIn):
    """The monthly meeting's judgement: resolve, pass_up (a problem, source 走访发现), merge
    (into_id) or no_action (a reason in note)."""
    get_visible_or_404(Finding.objects, request.user, pk=finding_id)
    campaign = (
        get_visible_or_404(Campaign.objects, request.user, pk=payload.campaign_id)
        if payload.campaign_id
        else None
    )
    finding = services.decide_finding(
        actor=request.user,
        finding_id=finding_id,
        decision=payload.decision,
        note=payload.note,
        into_id=payload.into_id,
        campaign=campaign,
    )
    finding = Finding.objects.select_related("visit__target").get(pk=finding.pk)
    return _finding_out(finding, current_month())
