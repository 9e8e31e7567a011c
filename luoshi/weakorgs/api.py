"""The API of 软弱涣散党组织整顿: list and read cases, list an organisation, set its support,
accept it. Scoped and ruled as the pages are (selectors, services, rules)."""

from datetime import date

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from luoshi.campaigns.models import Campaign
from luoshi.core.api_schemas import ErrorOut, Id, items, text_of
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404, scope_paths
from luoshi.orgs.models import Organization
from luoshi.weakorgs import selectors, services
from luoshi.weakorgs.models import Acceptance, WeakOrgCase

router = Router(tags=["软弱涣散党组织整顿"])
Name = text_of(WeakOrgCase, "paired_unit")
Phone = text_of(WeakOrgCase, "paired_unit_phone")


class SupportOut(Schema):
    field: str
    label: str
    name: str
    phone: str


class AcceptanceOut(Schema):
    id: int
    accepted_on: date
    result: str
    accepted_by: str
    note: str


class CaseOut(Schema):
    id: int
    org_id: int
    org_name: str
    year: int
    listed_on: date
    state: str
    reasons: list[str]
    supports: list[SupportOut]
    missing_supports: list[str]
    version: int


class MeasureOut(Schema):
    id: int
    problem_id: int
    content: str
    state: str
    light: str


class CaseDetail(CaseOut):
    situation: str
    measures: list[MeasureOut]
    acceptances: list[AcceptanceOut]
    earlier_rounds: list[int]


class ListIn(Schema):
    org_id: Id
    year: int
    reason_ids: items(Id, 20)
    campaign_id: Id | None = None
    listed_on: date | None = None
    situation: text_of(WeakOrgCase, "situation") = ""


class SupportIn(Schema):
    version: int
    county_leader: Name | None = None
    county_leader_phone: Phone | None = None
    township_leader: Name | None = None
    township_leader_phone: Phone | None = None
    first_secretary: Name | None = None
    first_secretary_phone: Phone | None = None
    paired_unit: Name | None = None
    paired_unit_phone: Phone | None = None


def _out(c: WeakOrgCase) -> dict:
    return {
        "id": c.pk,
        "org_id": c.org_id,
        "org_name": c.org.name,
        "year": c.year,
        "listed_on": c.listed_on,
        "state": c.state,
        "reasons": [r.name for r in c.reasons.all()],
        "supports": [{k: s[k] for k in ("field", "label", "name", "phone")} for s in c.supports],
        "missing_supports": c.missing_supports,
        "version": c.version,
    }


def _acceptance_out(a: Acceptance) -> dict:
    return {
        "id": a.pk,
        "accepted_on": a.accepted_on,
        "result": a.result,
        "accepted_by": a.accepted_by_name,
        "note": a.note,
    }


def _detail(user, c: WeakOrgCase) -> dict:
    return {
        **_out(c),
        "situation": c.situation,
        "measures": [
            {
                "id": m.pk,
                "problem_id": m.problem_id,
                "content": m.content,
                "state": m.state,
                "light": m.light,
            }
            for m in selectors.plan_measures(user, c)
        ],
        "acceptances": [_acceptance_out(a) for a in c.acceptances.all()],
        "earlier_rounds": [e.pk for e in selectors.earlier_rounds(user, c)],
    }


def _case(user, case_id: int) -> WeakOrgCase:
    return get_visible_or_404(WeakOrgCase.objects.select_related("org"), user, pk=case_id)


@router.get("/weak-orgs", response={200: list[CaseOut], 404: ErrorOut})
def list_weak_orgs(
    request,
    org: Id | None = None,
    year: int = 0,
    state: str = "",
    limit: int = 50,
    offset: int = 0,
):
    """Cases in the subtree of `org` (default: the token user's whole scope)."""
    if org is not None:
        paths = [get_visible_or_404(Organization.objects, request.user, pk=org).path]
    else:
        paths = list(scope_paths(request.user))
    limit, offset = bounded(limit, offset)
    found = []
    for path in paths:
        found += list(selectors.cases(request.user, path, year=year, state=state))
    return [_out(c) for c in found[offset : offset + limit]]


@router.get("/weak-orgs/{case_id}", response={200: CaseDetail, 404: ErrorOut})
def get_weak_org(request, case_id: Id):
    return _detail(request.user, _case(request.user, case_id))


@router.post("/weak-orgs", response={201: CaseDetail, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def list_weak_org(request, payload: ListIn):
    """Put an organisation on a year's list with its reasons."""
    org = get_visible_or_404(Organization.objects, request.user, pk=payload.org_id)
    campaign = (
        get_visible_or_404(Campaign.objects, request.user, pk=payload.campaign_id)
        if payload.campaign_id
        else None
    )
    case = services.list_organization(
        actor=request.user,
        org=org,
        year=payload.year,
        reasons=payload.reason_ids,
        listed_on=payload.listed_on,
        campaign=campaign,
        situation=payload.situation,
    )
    return Status(201, _detail(request.user, _case(request.user, case.pk)))


@router.post(
    "/weak-orgs/{case_id}/support",
    response={200: CaseDetail, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def set_weak_org_support(request, case_id: Id, payload: SupportIn):
    """Assign the "四个一" support; fields left out are kept."""
    fields = {k: v for k, v in payload.dict(exclude={"version"}).items() if v is not None}
    services.set_support(actor=request.user, case_id=case_id, version=payload.version, **fields)
    return Status(200, _detail(request.user, _case(request.user, case_id)))


@router.post(
    "/weak-orgs/{case_id}/accept",
    response={200: AcceptanceOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def accept_weak_org(
    request,
    case_id: Id,
    result: Form[str],
    accepted_on: Form[date],
    evidence: File[UploadedFile] = None,
    note: str = Form("", max_length=5000),
    accepted_by_name: str = Form("", max_length=60),
):
    """验收 (multipart form: 合格 needs the evidence file)."""
    acceptance = services.accept_case(
        actor=request.user,
        case_id=case_id,
        result=result,
        accepted_on=accepted_on,
        note=note,
        accepted_by_name=accepted_by_name,
        upload=evidence,
    )
    return Status(200, _acceptance_out(acceptance))
