"""Which organisation a subtree page is about: the `org` parameter if the user may see it,
otherwise the top of the user's scope (inside `within`, e.g. a campaign's subtree, if any)."""

from django.http import Http404

from luoshi.core.params import id_param
from luoshi.core.registry import organizations, scope_roots
from luoshi.core.scoping import get_visible_or_404

NO_TREE = "尚未建立任何党组织"
"""Why a subtree page has no organisation to show on a new installation (core.views.not_found
says it, and where to begin)."""


def node_from_request(request, *, param: str = "org", within: str | None = None):
    pk = id_param(request.GET, param) or id_param(request.POST, param)
    if pk is not None:
        return get_visible_or_404(organizations(), request.user, request=request, pk=pk)
    roots = scope_roots(request.user)
    if within:
        inside = roots.filter(path__startswith=within).first()
        if inside is not None:
            return inside
        if any(within.startswith(r.path) for r in roots):
            return organizations().get(path=within)
    root = roots.first()
    if root is None:
        raise Http404(NO_TREE if not organizations().exists() else "")
    return root
