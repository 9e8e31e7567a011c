"""账号管理 in the HTTP API: the same selectors and services as the pages (accounts of the
token user's subtrees; 404 for any other; 403 for a role that may not be granted)."""

from datetime import datetime

from django.http import Http404
from ninja import Router, Schema, Status

from luoshi.accounts import selectors, services
from luoshi.accounts.permissions import account_admin_paths
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.paging import bounded

router = Router(tags=["账号"])


class ErrorOut(Schema):
    detail: str


class AssignmentOut(Schema):
    id: int
    org_id: int
    org_code: str
    org_name: str
    role: str
    role_label: str


class AccountOut(Schema):
    id: int
    username: str
    name: str
    is_active: bool
    last_login: datetime | None
    assignments: list[AssignmentOut]
    assignments_elsewhere: int
    may_change: bool


class AssignmentIn(Schema):
    org_code: str
    role: str


class AccountIn(Schema):
    username: str
    name: str
    assignments: list[AssignmentIn]


class CreatedOut(Schema):
    account: AccountOut
    one_time_password: str


class LockIn(Schema):
    locked: bool


class PasswordOut(Schema):
    one_time_password: str


def _out(account) -> dict:
    return {
        "id": account.pk,
        "username": account.username,
        "name": account.first_name,
        "is_active": account.is_active,
        "last_login": account.last_login,
        "assignments": [
            {
                "id": a.pk,
                "org_id": a.org_id,
                "org_code": a.org.code,
                "org_name": a.org.name,
                "role": a.role,
                "role_label": a.get_role_display(),
            }
            for a in account.shown
        ],
        "assignments_elsewhere": account.hidden,
        "may_change": account.refusal is None,
    }


def _manager(request) -> None:
    if not account_admin_paths(request.user):
        raise NotAllowed("只有主题教育办公室和系统管理员可以管理账号")


def _account(request, account_id: int):
    account = selectors.accounts_of(request.user).filter(pk=account_id).first()
    if account is None:
        raise Http404
    return selectors.annotate(request.user, [account])[0]


def _org(request, code: str):
    org = selectors.organisation_named(request.user, code)
    if org is None:
        raise Invalid(f"找不到组织“{code}”，请填写本级及下级范围内的组织代码")
    return org


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}


@router.get("/accounts", response={200: list[AccountOut], 403: ErrorOut})
def list_accounts(request, q: str = "", limit: int = 100, offset: int = 0):
    """Accounts with an assignment in the subtrees where the token's user is office or admin."""
    _manager(request)
    limit, offset = bounded(limit, offset)
    rows = list(selectors.accounts_of(request.user, q)[offset : offset + limit])
    return [_out(a) for a in selectors.annotate(request.user, rows)]


@router.post("/accounts", response={201: CreatedOut, **ERRORS})
def create_account(request, payload: AccountIn):
    """A new account; its one-time password is in this answer only."""
    _manager(request)
    pairs = [(_org(request, a.org_code), a.role) for a in payload.assignments]
    user, password = services.create_account(
        actor=request.user, username=payload.username, name=payload.name, assignments=pairs
    )
    return Status(201, {"account": _out(_account(request, user.pk)), "one_time_password": password})


@router.get("/accounts/{account_id}", response={200: AccountOut, **ERRORS})
def get_account(request, account_id: int):
    return _out(_account(request, account_id))


@router.post("/accounts/{account_id}/lock", response={200: AccountOut, **ERRORS})
def lock_account(request, account_id: int, payload: LockIn):
    """Lock (true) or unlock (false): a locked account's sessions and tokens stop at once."""
    account = _account(request, account_id)
    services.set_locked(actor=request.user, user_id=account.pk, locked=payload.locked)
    return _out(_account(request, account_id))


@router.post("/accounts/{account_id}/password", response={200: PasswordOut, **ERRORS})
def reset_password(request, account_id: int):
    """A new one-time password (in this answer only), to be changed at the next login."""
    account = _account(request, account_id)
    return {"one_time_password": services.reset_password(actor=request.user, user_id=account.pk)}


@router.post("/accounts/{account_id}/assignments", response={200: AccountOut, **ERRORS})
def add_assignment(request, account_id: int, payload: AssignmentIn):
    account = _account(request, account_id)
    services.add_assignment(
        actor=request.user,
        user_id=account.pk,
        org=_org(request, payload.org_code),
        role=payload.role,
    )
    return _out(_account(request, account_id))


class RemoveIn(Schema):
    assignment_id: int


@router.post("/accounts/{account_id}/assignments/remove", response={200: AccountOut, **ERRORS})
def remove_assignment(request, account_id: int, payload: RemoveIn):
    """Withdraw one assignment (the last one stays: lock the account instead)."""
    account = _account(request, account_id)
    services.remove_assignment(
        actor=request.user, user_id=account.pk, assignment_id=payload.assignment_id
    )
    return _out(_account(request, account_id))
