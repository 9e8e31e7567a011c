"""The one place that decides what a user may do: roles held over an organisation's subtree."""

from django.conf import settings
from django.http import Http404

from luoshi.accounts.models import Role
from luoshi.core.errors import NotAllowed
from luoshi.core.scoping import assigned, can_see_path


def role_paths(user) -> list[tuple[str, str]]:
    """(organisation path, role) for each of the user's assignments (cached on the user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if getattr(user, "is_system", False):
        return [("/", Role.ADMIN)]
    return assigned(user)


def roles_over(user, path: str) -> set[str]:
    """Roles the user holds at `path` or at any of its ancestors."""
    return {role for assigned, role in role_paths(user) if path.startswith(assigned)}


def has_role_over(user, path: str, *roles: str) -> bool:
    return bool(roles_over(user, path) & set(roles))


def require_role_over(user, path: str, *roles: str) -> None:
    """404 outside the user's scope; NotAllowed inside it without one of the roles."""
    if not can_see_path(user, path):
        raise Http404
    if not has_role_over(user, path, *roles):
        raise NotAllowed("当前岗位无权执行此操作")


MANAGE_TREE = (Role.ADMIN, Role.OFFICE)


# --- the ledger: who keeps it, who reports the work, who verifies it ---------------------------
# Keeping a unit's ledger (listing its problems and measures, importing it, handling opinions)
# is open to its own liaison or office and to those of the levels above. Reporting the work
# (progress, starting, asking for 销号) is the unit's own: an upper office reports for it only
# when it says so (代为填报), and that is recorded. Verifying is for an office strictly above, or
# a guidance group over it, from another organisation than the one that asked for 销号.
OWNER_ROLES = frozenset({Role.LIAISON, Role.OFFICE, Role.ADMIN})
ABOVE_ROLES = frozenset({Role.OFFICE, Role.ADMIN})


def may_keep_ledger(user, org_path: str) -> bool:
    """May the user list problems and measures of the organisation at `org_path` (its own
    liaison, office or admin, or those of a level above it)?"""
    return any(org_path.startswith(p) and r in OWNER_ROLES for p, r in role_paths(user))


def reporting_path(user, org_path: str, *, on_behalf: bool = False) -> str | None:
    """The organisation in whose name the user reports the work of the organisation at
    `org_path`: that organisation itself when the user is its liaison, office or admin; with
    `on_behalf`, otherwise the nearest level above where the user holds such a role. None when
    the user may not report it."""
    held = [p for p, r in role_paths(user) if r in OWNER_ROLES and org_path.startswith(p)]
    if org_path in held:
        return org_path
    if on_behalf and held:
        return max(held, key=len)
    return None


def may_report(user, org_path: str, *, on_behalf: bool = False) -> bool:
    """May the user report progress on, start or ask 销号 for work of the organisation at
    `org_path` (see `reporting_path`)?"""
    return reporting_path(user, org_path, on_behalf=on_behalf) is not None


def reports_only_on_behalf(user, org_path: str) -> bool:
    """Does the user keep this ledger from a level above only (so reports as 代为填报)?"""
    return reporting_path(user, org_path) is None and may_report(user, org_path, on_behalf=True)


def verifier_role(user, org_path: str, *, not_from: str = "") -> str | None:
    """The role in which the user may verify work of the organisation at `org_path`, if any: an
    office or admin strictly above it, or a guidance group over it (a group of its own, never
    the unit itself). `not_from` is the organisation that asked for 销号: an assignment there
    does not count, so that a colleague of the one who asked cannot close it."""
    for path, role in role_paths(user):
        if not org_path.startswith(path):
            continue
        if role == Role.GUIDANCE:
            return role
        if role in ABOVE_ROLES and path != org_path and path != not_from:
            return role
    return None


def may_verify(user, measure) -> bool:
    """May the user close, return or reopen the measure (see `verifier_role`)?"""
    return verifier_role(user, measure.org_path, not_from=measure.submitted_from) is not None


def may_see_sender(user, org_path: str) -> bool:
    """Whether the user sees the name and contact of an opinion's sender at the organisation of
    `org_path`. The public form promises they are only used to call back (只用于回访，不会公开):
    by default only the campaign office (and an administrator) over that organisation, the
    roles of OPINION_SENDER_ROLES; everyone else in scope sees the opinion without them."""
    return has_role_over(user, org_path, *settings.OPINION_SENDER_ROLES)
