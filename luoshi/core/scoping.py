"""The one place that decides what a user may see.

A user's scope is the set of subtrees of the organisations they are assigned to. Every model that
belongs to an organisation inherits `OrgOwned` (luoshi.core.models), whose manager offers
`.visible_to(user)`; views, forms, exports and the API take their querysets from it, and fetch
single objects with `get_visible_or_404`, which answers 404 (never 403: a foreign object's
existence is not revealed) and records the refusal."""

from django.db import models
from django.db.models import Q
from django.http import Http404

from luoshi.core.paths import outermost, subtree_q

_CACHE_ATTR = "_luoshi_scope_paths"
_ASSIGNED_ATTR = "_luoshi_assigned"


class SystemActor:
    """The operator at the command line (imports, seeding): sees and may do everything, and is
    recorded as such in the history."""

    is_authenticated = True
    is_active = True
    is_system = True
    pk = id = None

    def get_username(self) -> str:
        return "system"

    def get_full_name(self) -> str:
        return "命令行"


SYSTEM = SystemActor()


def assigned(user) -> list[tuple[str, str]]:
    """(organisation path, role) of each of the user's assignments: one query per request,
    cached on the user object, from which both the scope (here) and the roles
    (accounts.permissions.role_paths) are read."""
    cached = getattr(user, _ASSIGNED_ATTR, None)
    if cached is None:
        from luoshi.core.registry import assignments

        cached = assignments(user)
        setattr(user, _ASSIGNED_ATTR, cached)
    return cached


def scope_paths(user) -> tuple[str, ...]:
    """The outermost organisation paths the user is assigned to (cached on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ()
    if getattr(user, "is_system", False):
        return ("/",)
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = outermost(path for path, _ in assigned(user))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_scope(user) -> None:
    for attr in (_CACHE_ATTR, _ASSIGNED_ATTR):
        if hasattr(user, attr):
            delattr(user, attr)


def scope_q(user, field: str) -> Q | None:
    """A filter for rows whose `field` path lies in the user's scope; None for an empty scope."""
    paths = scope_paths(user)
    if not paths:
        return None
    q = Q()
    for path in paths:
        q |= subtree_q(field, path)
    return q


def can_see_path(user, path: str) -> bool:
    return any(path.startswith(p) for p in scope_paths(user))


class ScopedQuerySet(models.QuerySet):
    """Querysets of rows that belong to an organisation, filtered by the path in `scope_field`."""

    scope_field = "org_path"

    def visible_to(self, user, within: str | None = None):
        """Rows in the user's scope; with `within`, only those in that subtree. When the subtree
        lies inside the scope, one range is enough (and SQLite picks the narrow index range)."""
        if within is not None:
            if can_see_path(user, within):
                return self.filter(subtree_q(self.scope_field, within))
            q = scope_q(user, self.scope_field)
            return self.none() if q is None else self.filter(q).in_subtree(within)
        q = scope_q(user, self.scope_field)
        return self.none() if q is None else self.filter(q)

    def in_subtree(self, path: str):
        return self.filter(subtree_q(self.scope_field, path))


def get_visible_or_404(queryset: ScopedQuerySet, user, request=None, **lookup):
    """The object matching `lookup` if the user may see it; else 404, with the refusal logged."""
    found = queryset.visible_to(user).filter(**lookup)
    if lookup.keys() <= {"pk", "id"}:
        # One row at most: no ORDER BY (compiling the model's ordering costs more than the rest).
        obj = next(iter(found.order_by()[:1]), None)
    else:
        obj = found.first()
    if obj is None:
        from luoshi.core.audit import record_refusal

        record_refusal(user=user, request=request, model=queryset.model, lookup=lookup)
        raise Http404
    return obj
