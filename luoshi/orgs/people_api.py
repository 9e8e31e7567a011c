"""The register's people in the HTTP API: leadership teams and seats, members (list, add, edit,
transfer, 流动党员, leave) and the member import (dry run, then apply). The same selectors and
services as the pages (orgs.selectors, orgs.people, ledger_io.tables.import_members): 404 outside
the token user's scope, 403 for a role that may not change the register, 400 for a refused
value, 409 for a stale version. Phone numbers are only ever given masked."""

from datetime import date, datetime
from typing import Annotated

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from luoshi.accounts.permissions import MANAGE_TREE, has_role_over, require_role_over
from luoshi.core.api_schemas import ERRORS, ErrorOut, Id, text_of
from luoshi.core.errors import Invalid
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.ledger_io.tables import import_members
from luoshi.ledger_io.workbook import WorkbookError, check_upload, checked, max_import_bytes
from luoshi.orgs import people, selectors
from luoshi.orgs.models import LeadershipTeam, Member, Organization, TeamPosition
from luoshi.orgs.titles import seat_titles

router = Router(tags=["组织"])
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]


class SeatOut(Schema):
    id: int
    title: str
    person_name: str
    member_id: int | None


class TeamOut(Schema):
    id: int
    name: str
    seats: list[SeatOut]


class TeamsOut(Schema):
    titles: list[str]
    may_manage: bool
    teams: list[TeamOut]


class TeamIn(Schema):
    name: text_of(LeadershipTeam, "name")


class RemoveIn(Schema):
    reason: text_of(Member, "left_reason")


class SeatIn(Schema):
    title: text_of(TeamPosition, "title")
    person_name: text_of(TeamPosition, "person_name") = ""
    member_id: Id | None = None


def _teams_out(request, org: Organization) -> dict:
    return {
        "titles": list(seat_titles(org)),
        "may_manage": has_role_over(request.user, org.path, *MANAGE_TREE),
        "teams": [{"id": t.pk, "name": t.name, "seats": t.seats} for t in selectors.teams_of(org)],
    }


def _org(request, org_id: int) -> Organization:
    return get_visible_or_404(Organization.objects, request.user, pk=org_id)


@router.get("/organizations/{org_id}/teams", response={200: TeamsOut, 404: ErrorOut})
def list_teams(request, org_id: Id):
    """The organisation's leadership teams with their seats, and the titles a seat may have."""
    return _teams_out(request, _org(request, org_id))


@router.post("/organizations/{org_id}/teams", response={201: TeamsOut, **ERRORS})
def create_team(request, org_id: Id, body: TeamIn):
    org = _org(request, org_id)
    people.add_team(actor=request.user, org=org, name=body.name)
    return Status(201, _teams_out(request, org))


def _team_org(request, team_id: int) -> Organization:
    team = get_visible_or_404(
        LeadershipTeam.objects.select_related("org"), request.user, pk=team_id
    )
    return team.org


@router.post("/teams/{team_id}/rename", response={200: TeamsOut, **ERRORS})
def rename_team(request, team_id: Id, body: TeamIn):
    org = _team_org(request, team_id)
    people.rename_team(actor=request.user, team_id=team_id, name=body.name)
    return _teams_out(request, org)


@router.post("/teams/{team_id}/remove", response={200: TeamsOut, **ERRORS})
def remove_team(request, team_id: Id, body: RemoveIn):
    """Remove a team and its seats, saying why."""
    org = _team_org(request, team_id)
    people.remove_team(actor=request.user, team_id=team_id, reason=body.reason)
    return _teams_out(request, org)


@router.post("/teams/{team_id}/seats", response={201: TeamsOut, **ERRORS})
def add_seat(request, team_id: Id, body: SeatIn):
    """Add a seat; its title must be one of the organisation's titles (`titles`)."""
    org = _team_org(request, team_id)
    people.add_seat(actor=request.user, team_id=team_id, **body.model_dump())
    return Status(201, _teams_out(request, org))


def _seat_org(request, seat_id: int) -> Organization:
    seat = get_visible_or_404(TeamPosition.objects.select_related("org"), request.user, pk=seat_id)
    return seat.org


@router.post("/seats/{seat_id}", response={200: TeamsOut, **ERRORS})
def update_seat(request, seat_id: Id, body: SeatIn):
    org = _seat_org(request, seat_id)
    people.update_seat(actor=request.user, seat_id=seat_id, **body.model_dump())
    return _teams_out(request, org)


@router.post("/seats/{seat_id}/remove", response={200: TeamsOut, **ERRORS})
def remove_seat(request, seat_id: Id, body: RemoveIn):
    """Take a seat out of its team, saying why (免职、调离…)."""
    org = _seat_org(request, seat_id)
    people.remove_seat(actor=request.user, seat_id=seat_id, reason=body.reason)
    return _teams_out(request, org)


# --- members ----------------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    org_id: int
    name: str
    gender: str
    birth_year: int | None
    joined_on: date | None
    status: str
    post: str
    phone: str  # masked
    standing: str
    mobile: bool
    mobile_place: str
    left_on: date | None
    left_reason: str
    version: int


class HistoryOut(Schema):
    at: datetime
    on: date | None
    what: str
    text: str
    by: str


class MemberDetail(MemberOut):
    history: list[HistoryOut]


def _member_out(m: Member) -> dict:
    out = {f: getattr(m, f) for f in MemberOut.model_fields if f != "phone"}
    out["phone"] = m.masked_phone
    return out


class MemberIn(Schema):
    name: text_of(Member, "name")
    gender: text_of(Member, "gender")
    status: text_of(Member, "status")
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    joined_on: date | None = None
    post: text_of(Member, "post") = ""
    phone: text_of(Member, "phone") = ""


class MemberChange(Schema):
    version: Version
    name: text_of(Member, "name") | None = None
    gender: text_of(Member, "gender") | None = None
    status: text_of(Member, "status") | None = None
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    joined_on: date | None = None
    post: text_of(Member, "post") | None = None
    phone: text_of(Member, "phone") | None = None


class TransferIn(Schema):
    version: Version
    to_org_id: Id
    reason: text_of(Member, "left_reason")
    on_date: date | None = None


class MobileIn(Schema):
    version: Version
    mobile: bool
    place: text_of(Member, "mobile_place") = ""


class LeaveIn(Schema):
    version: Version
    reason: text_of(Member, "left_reason")
    on_date: date | None = None


@router.get("/organizations/{org_id}/members", response={200: list[MemberOut], 404: ErrorOut})
def list_members(
    request,
    org_id: Id,
    subtree: bool = False,
    q: str = "",
    standing: str = "current",
    limit: int = 100,
    offset: int = 0,
):
    """Members of the organisation (with `subtree`, of its whole subtree): on the rolls
    (`current`, the default), `mobile`, `left` or `all`."""
    limit, offset = bounded(limit, offset, max_limit=500)
    if standing not in selectors.STANDINGS:
        raise Invalid(f"standing 应为 {'、'.join(selectors.STANDINGS)} 之一")
    org = _org(request, org_id)
    rows = selectors.members_of(request.user, org, subtree=subtree, text=q[:40], standing=standing)
    return [_member_out(m) for m in rows[offset : offset + limit]]


@router.post("/organizations/{org_id}/members", response={201: MemberOut, **ERRORS})
def create_member(request, org_id: Id, body: MemberIn):
    member = people.create_member(
        actor=request.user, org=_org(request, org_id), **body.model_dump()
    )
    return Status(201, _member_out(member))


def _member_detail(request, member_id: int) -> dict:
    member = get_visible_or_404(Member.objects, request.user, pk=member_id)
    return {**_member_out(member), "history": selectors.member_history(member)}


@router.get("/members/{member_id}", response={200: MemberDetail, 404: ErrorOut})
def get_member(request, member_id: Id):
    """A member (phone masked) with its history: transfers, edits, 流动, leaving."""
    return _member_detail(request, member_id)


@router.post("/members/{member_id}", response={200: MemberDetail, **ERRORS})
def update_member(request, member_id: Id, body: MemberChange):
    """Change the fields given (the others stay); `version` as read, else 409."""
    fields = body.model_dump(exclude_unset=True)
    version = fields.pop("version")
    people.update_member(actor=request.user, member_id=member_id, version=version, **fields)
    return _member_detail(request, member_id)


@router.post("/members/{member_id}/transfer", response={200: MemberDetail, **ERRORS})
def transfer_member(request, member_id: Id, body: TransferIn):
    """组织关系转接: the token's user needs an office or admin role over both organisations."""
    get_visible_or_404(Member.objects, request.user, pk=member_id)
    target = _org(request, body.to_org_id)
    people.transfer_member(
        actor=request.user,
        member_id=member_id,
        to_org=target,
        reason=body.reason,
        on_date=body.on_date,
        version=body.version,
    )
    return _member_detail(request, member_id)


@router.post("/members/{member_id}/mobile", response={200: MemberDetail, **ERRORS})
def mark_mobile(request, member_id: Id, body: MobileIn):
    people.mark_mobile(actor=request.user, member_id=member_id, **body.model_dump())
    return _member_detail(request, member_id)


@router.post("/members/{member_id}/leave", response={200: MemberDetail, **ERRORS})
def mark_left(request, member_id: Id, body: LeaveIn):
    people.mark_left(actor=request.user, member_id=member_id, **body.model_dump())
    return _member_detail(request, member_id)


class ImportIssueOut(Schema):
    sheet: str
    row: int
    column: str
    message: str


class ImportRowOut(Schema):
    sheet: str
    row: int
    name: str
    org: str
    action: str


class ImportOut(Schema):
    detail: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    written: bool = False
    errors: list[ImportIssueOut] = []
    plan: list[ImportRowOut] = []


@router.post(
    "/organizations/{org_id}/members/import",
    response={200: ImportOut, 400: ImportOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut},
)
def import_members_sheet(request, org_id: Id, file: File[UploadedFile], dry_run: Form[bool] = True):
    """Import a member sheet into the organisation's subtree, as the page does: `dry_run`
    (the default) reports each row's outcome and every error and writes nothing; without it the
    import is all or nothing. 400 with the errors when any row is wrong."""
    org = _org(request, org_id)
    require_role_over(request.user, org.path, *MANAGE_TREE)  # before the file is looked at
    name = (file.name or "党员名册.xlsx").rsplit("/", 1)[-1][:120]
    if file.size > max_import_bytes():
        return Status(413, {"detail": f"文件“{name}”超过 {max_import_bytes() // 2**20} MB 的上限"})
    data = file.read()
    try:
        check_upload(data, name)
    except WorkbookError as exc:
        return Status(400, {"detail": str(exc)})
    with checked(data):
        result = import_members(
            actor=request.user, data=data, name=name, under=org, dry_run=dry_run
        )
    out = result.as_json()
    if result.errors:
        out["detail"] = f"有 {len(result.errors)} 处错误，未写入任何数据"
        return Status(400, out)
    return out
