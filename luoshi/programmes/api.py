"""The API of special rectification: the pages' services and selectors, the pages' scoping."""

from datetime import date

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from luoshi.campaigns.models import Campaign
from luoshi.core.api_schemas import ErrorOut, Id, items, text_of
from luoshi.core.errors import Invalid
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404, scope_paths
from luoshi.orgs.models import Organization
from luoshi.programmes import selectors, services
from luoshi.programmes.models import ProgrammePlan, SetBy, SpecialProgramme
from luoshi.rectification.api import MAX_MEASURES, MeasureIn
from luoshi.rectification.models import Problem

router = Router(tags=["专项整治"])


class ProgrammeOut(Schema):
    id: int
    org_id: int
    campaign_id: int
    name: str
    set_by: str
    issuer: str
    goals: str
    starts_on: date
    ends_on: date
    lead_unit: str
    co_units: str


class ProgrammeListOut(ProgrammeOut):
    plans: int
    items: int
    items_closed: int
    adopted_here: bool


class PlanOut(Schema):
    id: int
    org_id: int
    org_name: str
    title: str
    doc_number: str
    issued_on: date
    file_name: str


class ProgrammeDetail(ProgrammeOut):
    plans: list[PlanOut]


class ItemOut(Schema):
    id: int
    org_id: int
    problem_id: int
    title: str
    status: str
    closed: bool
    measures: int
    light: str


class ProgrammeIn(Schema):
    org_id: Id
    campaign_id: Id
    name: text_of(SpecialProgramme, "name")
    set_by: text_of(SpecialProgramme, "set_by") = SetBy.OWN.value
    goals: text_of(SpecialProgramme, "goals") = ""
    starts_on: date
    ends_on: date
    lead_unit: text_of(SpecialProgramme, "lead_unit")
    co_units: text_of(SpecialProgramme, "co_units") = ""


class ItemIn(Schema):
    org_id: Id
    title: text_of(Problem, "title")
    description: text_of(Problem, "description") = ""
    responsible_leaders: text_of(Problem, "responsible_leaders") = ""
    responsible_units: text_of(Problem, "responsible_units") = ""
    measures: items(MeasureIn, MAX_MEASURES) = []


def _out(p: SpecialProgramme) -> dict:
    return {
        "id": p.pk,
        "org_id": p.org_id,
        "campaign_id": p.campaign_id,
        "name": p.name,
        "set_by": p.set_by,
        "issuer": p.issuer,
        "goals": p.goals,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "lead_unit": p.lead_unit,
        "co_units": p.co_units,
    }


def _plan_out(p: ProgrammePlan) -> dict:
    return {
        "id": p.pk,
        "org_id": p.org_id,
        "org_name": p.org.name,
        "title": p.title,
        "doc_number": p.doc_number,
        "issued_on": p.issued_on,
        "file_name": p.original_name,
    }


def _path(user, org: int | None, programme=None) -> str:
    """The subtree asked for (default: the top of the user's scope, or the programme's own
    organisation when that lies below it)."""
    if org is not None:
        path = get_visible_or_404(Organization.objects, user, pk=org).path
    else:
        path = scope_paths(user)[0] if scope_paths(user) else "/"
    if programme is not None and not path.startswith(programme.org_path):
        if not programme.org_path.startswith(path):
            from django.http import Http404

            raise Http404
        path = programme.org_path
    return path


@router.get("/programmes", response={200: list[ProgrammeListOut], 404: ErrorOut})
def list_programmes(request, org: Id | None = None, limit: int = 50, offset: int = 0):
    """Programmes that appear at `org` (default: the top of the token user's scope), with their
    plans, items and closed items in its subtree."""
    path = _path(request.user, org)
    limit, offset = bounded(limit, offset)
    rows = selectors.programmes_at(request.user, path)[offset : offset + limit]
    return [
        {
            **_out(p),
            "plans": p.n_plans,
            "items": p.n_items,
            "items_closed": p.n_closed,
            "adopted_here": p.adopted_here,
        }
        for p in rows
    ]


def _programme(request, programme_id: int) -> SpecialProgramme:
    return get_visible_or_404(
        SpecialProgramme.objects.select_related("org", "campaign"),
        request.user,
        pk=programme_id,
    )


@router.get("/programmes/{programme_id}", response={200: ProgrammeDetail, 404: ErrorOut})
def get_programme(request, programme_id: Id, org: Id | None = None):
    programme = _programme(request, programme_id)
    path = _path(request.user, org, programme)
    plans = selectors.plans(request.user, programme, path)
    return {**_out(programme), "plans": [_plan_out(p) for p in plans]}


@router.post(
    "/programmes",
    response={201: ProgrammeOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def create_programme(request, payload: ProgrammeIn):
    """Set a programme at an organisation: it appears in the organisation's whole subtree."""
    org = get_visible_or_404(Organization.objects, request.user, pk=payload.org_id)
    campaign = get_visible_or_404(Campaign.objects, request.user, pk=payload.campaign_id)
    programme = services.create_programme(
        actor=request.user,
        org=org,
        campaign=campaign,
        name=payload.name,
        set_by=payload.set_by,
        goals=payload.goals,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        lead_unit=payload.lead_unit,
        co_units=payload.co_units,
    )
    return Status(201, _out(SpecialProgramme.objects.select_related("org").get(pk=programme.pk)))


@router.post(
    "/programmes/{programme_id}/plans",
    response={201: PlanOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def adopt_programme(
    request,
    programme_id: Id,
    file: File[UploadedFile],
    org_id: Id | None = Form(None),
    doc_number: str = Form("", max_length=ProgrammePlan._meta.get_field("doc_number").max_length),
    issued_on: date | None = Form(None),
    title: str = Form("", max_length=ProgrammePlan._meta.get_field("title").max_length),
):
    """The organisation adopts the programme for its subtree with its implementation plan."""
    programme = _programme(request, programme_id)
    if org_id is None:
        raise Invalid("请选择制定实施方案的组织")
    org = get_visible_or_404(Organization.objects, request.user, pk=org_id)
    plan = services.adopt_programme(
        actor=request.user,
        programme_id=programme.pk,
        org=org,
        title=title,
        doc_number=doc_number,
        issued_on=issued_on,
        upload=file,
    )
    return Status(201, _plan_out(plan))


@router.get("/programmes/{programme_id}/items", response={200: list[ItemOut], 404: ErrorOut})
def list_programme_items(
    request, programme_id: Id, org: Id | None = None, limit: int = 100, offset: int = 0
):
    """The programme's items in the subtree of `org`, with their state from their measures."""
    programme = _programme(request, programme_id)
    path = _path(request.user, org, programme)
    limit, offset = bounded(limit, offset)
    rows = selectors.item_rows(request.user, programme, path)[offset : offset + limit]
    return [_item_out(r) for r in rows]


def _item_out(row) -> dict:
    item = row.item
    return {
        "id": item.pk,
        "org_id": item.org_id,
        "problem_id": item.problem_id,
        "title": item.problem.title,
        "status": item.problem.status,
        "closed": item.problem.status == "closed",
        "measures": len(row.measures),
        "light": row.light,
    }


@router.post(
    "/programmes/{programme_id}/items",
    response={201: ItemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def add_programme_item(request, programme_id: Id, payload: ItemIn):
    """List an item: a problem of the ledger with its measures, tagged to the programme. It is
    closed only when its measures are 销号 in the ledger."""
    programme = _programme(request, programme_id)
    user = request.user
    org = get_visible_or_404(Organization.objects, user, pk=payload.org_id)
    measures = [
        {
            "content": m.content,
            "org": get_visible_or_404(Organization.objects, user, pk=m.org_id)
            if m.org_id
            else None,
            "deadline_kind": m.deadline_kind,
            "due_on": m.due_on,
            "long_term": m.long_term,
            "owner_name": m.owner_name,
            "responsible_leader": m.responsible_leader,
        }
        for m in payload.measures
    ]
    item = services.add_item(
        actor=user,
        programme_id=programme.pk,
        org=org,
        title=payload.title,
        description=payload.description,
        responsible_leaders=payload.responsible_leaders,
        responsible_units=payload.responsible_units,
        measures=measures,
    )
    (row,) = selectors.item_rows(user, programme, org.path, pk=item.pk)
    return Status(201, _item_out(row))
