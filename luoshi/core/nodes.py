"""Which organisation a subtree page is about: the `org` parameter if the user may see it,
otherwise the top of the user's scope."""

from luoshi.core.scoping import get_visible_or_404, scope_paths


def node_from_request(request, *, param: str = "org", within: str | None = None):
    from luoshi.orgs.models import Organization

    raw = request.GET.get(param) or request.POST.get(param) or ""
    if raw.isdigit():
        return get_visible_or_404(Organization.objects, request.user, request=request, pk=raw)
    paths = scope_paths(request.user)
    if within:
        inside = [p for p in paths if p.startswith(within)]
        paths = inside or ([within] if any(within.startswith(p) for p in paths) else paths)
    if not paths:
        from django.http import Http404

        raise Http404
    return Organization.objects.get(path=sorted(paths)[0])
