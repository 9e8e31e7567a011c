from pathlib import Path
from typing import Literal

from django.core.exceptions import ValidationError
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from luoshi.accounts.permissions import account_admin_paths
from luoshi.core.api_schemas import ERRORS, ErrorOut, Id, text_of
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.ledger_io.workbook import max_import_bytes
from luoshi.orgs import selectors, services
from luoshi.orgs.models import Organization, OrgKind, OrgLevel, UnitType

router = Router(tags=["组织"])


class OrganizationOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    level: int
    unit_type: str
    parent_id: int | None


class OrganizationDetail(OrganizationOut):
    figures: dict[str, float | int]


@router.get("/organizations", response={200: list[OrganizationOut], 404: ErrorOut})
def list_organizations(
    request, parent: Id | None = None, q: str = "", limit: int = 100, offset: int = 0
):
    """Organisations the token's user may see: the tops of their scope, a parent's children, or
    those matching a search."""
    limit, offset = bounded(limit, offset, max_limit=500)
    if q:
        return list(selectors.search_organizations(request.user, q, limit=limit))
    if parent is not None:
        org = get_visible_or_404(Organization.objects, request.user, pk=parent)
        rows = selectors.visible_children(request.user, org)
    else:
        rows = selectors.scope_roots(request.user)
    return list(rows[offset : offset + limit])


@router.get("/organizations/{org_id}", response={200: OrganizationDetail, 404: ErrorOut})
def get_organization(request, org_id: Id):
    from luoshi.core.registry import subtree_figures

    org = get_visible_or_404(Organization.objects, request.user, pk=org_id)
    org.figures = subtree_figures(org.path)
    return org


# --- the register: the same services as the pages ---------------------------------------------
Kind = Literal[tuple(OrgKind.values)]  # type: ignore[valid-type]
Level = Literal[tuple(OrgLevel.values)]  # type: ignore[valid-type]
Unit = Literal[tuple(UnitType.values)]  # type: ignore[valid-type]


class OrganizationIn(Schema):
    parent_id: Id | None = None
    code: text_of(Organization, "code")  # type: ignore[valid-type]
    name: text_of(Organization, "name")  # type: ignore[valid-type]
    short_name: text_of(Organization, "short_name") = ""  # type: ignore[valid-type]
    kind: Kind
    level: Level
    unit_type: Unit = UnitType.OTHER.value


class OrganizationPatch(Schema):
    name: text_of(Organization, "name") | None = None  # type: ignore[valid-type]
    short_name: text_of(Organization, "short_name") | None = None  # type: ignore[valid-type]
    kind: Kind | None = None


class ReceiverIn(Schema):
    target_id: Id


class DissolveIn(Schema):
    receiver_id: Id | None = None


class MovedOut(Schema):
    organizations: int
    rows: int


class OrgImportOut(Schema):
    rows: int
    created: int
    updated: int
    written: bool
    errors: list[dict]
    changes: list[dict]


def _managed(request, org_id: int) -> Organization:
    return get_visible_or_404(Organization.objects, request.user, pk=org_id)


def _refused(exc) -> Invalid:
    """A tree error or a field check of the services, as the API's 400."""
    if isinstance(exc, ValidationError):
        return Invalid("；".join(m for ms in exc.message_dict.values() for m in ms))
    return Invalid(str(exc))


@router.post("/organizations", response={201: OrganizationOut, **ERRORS})
def create_org(request, data: OrganizationIn):
    """Add an organisation under a parent of the token user's subtree (a top one: the system
    admin only)."""
    parent = _managed(request, data.parent_id) if data.parent_id else None
    fields = data.dict(exclude={"parent_id"})
    try:
        org = services.create_organization(actor=request.user, parent=parent, **fields)
    except (services.TreeError, ValidationError) as exc:
        raise _refused(exc) from exc
    return Status(201, org)


@router.post("/organizations/{org_id}/edit", response={200: OrganizationOut, **ERRORS})
def update_org(request, org_id: Id, data: OrganizationPatch):
    """Rename an organisation or change its short name or kind."""
    org = _managed(request, org_id)
    fields = {k: v for k, v in data.dict().items() if v is not None}
    try:
        services.update_organization(actor=request.user, org=org, **fields)
    except ValidationError as exc:
        raise _refused(exc) from exc
    return org


@router.post("/organizations/{org_id}/move", response={200: MovedOut, **ERRORS})
def move_org(request, org_id: Id, data: ReceiverIn):
    """Move the organisation and its subtree under another parent."""
    org, parent = _managed(request, org_id), _managed(request, data.target_id)
    counts = services.transfer_counts(org)
    try:
        services.move_subtree(actor=request.user, org=org, new_parent=parent)
    except services.TreeError as exc:
        raise _refused(exc) from exc
    return counts


@router.post("/organizations/{org_id}/merge", response={200: MovedOut, **ERRORS})
def merge_org(request, org_id: Id, data: ReceiverIn):
    """Merge the organisation into another: everything of it goes there."""
    org, into = _managed(request, org_id), _managed(request, data.target_id)
    moved = services.merge_organization(actor=request.user, org=org, into=into)
    return {"organizations": moved["organizations"], "rows": moved["rows"]}


@router.post("/organizations/{org_id}/dissolve", response={200: MovedOut, **ERRORS})
def dissolve_org(request, org_id: Id, data: DissolveIn):
    """Dissolve the organisation; what hangs on it goes to the receiver (default its parent)."""
    org = _managed(request, org_id)
    receiver = _managed(request, data.receiver_id) if data.receiver_id else None
    moved = services.dissolve_organization(actor=request.user, org=org, receiver=receiver)
    return {"organizations": moved["organizations"], "rows": moved["rows"]}


@router.post("/organization-imports", response={200: OrgImportOut, **ERRORS})
def import_orgs_api(request, file: File[UploadedFile], dry_run: Form[bool] = True):
    """Import organisations from a sheet (组织代码, 组织名称, 上级组织代码, 组织类别; optional
    简称, 层级, 单位类型): with dry_run (the default) what it would do; without, all or nothing.
    The report lists each row's change and each error (sheet, row, column, why); `written`
    says whether anything was stored (never when there is an error)."""
    from luoshi.ledger_io.tables import import_orgs
    from luoshi.ledger_io.workbook import WorkbookError, check_upload, checked

    if not account_admin_paths(request.user):
        raise NotAllowed("当前岗位无权导入组织")
    name = Path(file.name or "组织.xlsx").name[:120]
    data = file.read(max_import_bytes() + 1)
    try:
        check_upload(data, name)
    except WorkbookError as exc:
        raise Invalid(str(exc)) from exc
    with checked(data):
        result = import_orgs(actor=request.user, data=data, name=name, dry_run=dry_run)
    return result.as_json()
