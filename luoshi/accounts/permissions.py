"""The one place that decides what a user may do: roles held over an organisation's subtree."""

from django.http import Http404

from luoshi.accounts.models import Assignment, Role
from luoshi.core.scoping import can_see_path

_CACHE_ATTR = "_luoshi_role_paths"


def role_paths(user) -> list[tuple[str, str]]:
    """(organisation path, role) for each of the user's assignments (cached on the user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if getattr(user, "is_system", False):
        return [("/", Role.ADMIN)]
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(Assignment.objects.filter(user=user).values_list("org__path", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def roles_over(user, path: str) -> set[str]:
    """Roles the user holds at `path` or at any of its ancestors."""
    return {role for assigned, role in role_paths(user) if path.startswith(assigned)}


def has_role_over(user, path: str, *roles: str) -> bool:
    return bool(roles_over(user, path) & set(roles))


def require_role_over(user, path: str, *roles: str) -> None:
    """404 outside the user's scope; PermissionError inside it without one of the roles."""
    if not can_see_path(user, path):
        raise Http404
    if not has_role_over(user, path, *roles):
        raise PermissionError("当前岗位无权执行此操作")


MANAGE_TREE = (Role.ADMIN, Role.OFFICE)
