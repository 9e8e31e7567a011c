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


def may_see_sender(user, org_path: str) -> bool:
    """Whether the user sees the name and contact of an opinion's sender at the organisation of
    `org_path`. The public form promises they are only used to call back (只用于回访，不会公开):
    by default only the campaign office (and an administrator) over that organisation, the
    roles of OPINION_SENDER_ROLES; everyone else in scope sees the opinion without them."""
    return has_role_over(user, org_path, *settings.OPINION_SENDER_ROLES)
