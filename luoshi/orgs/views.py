from urllib.parse import urlencode

from django.shortcuts import render
from django.views.decorators.http import require_GET

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import MANAGE_TREE, account_admin_paths, has_role_over
from luoshi.core.params import page_param
from luoshi.core.registry import subtree_figures
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs import selectors
from luoshi.orgs.models import Organization

MEMBERS_PER_PAGE = 50
CHILDREN_PER_PAGE = 100


def _org(request, pk):
    return get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)


@require_GET
def tree(request):
    roots = selectors.with_child_counts(selectors.scope_roots(request.user))
    return render(
        request,
        "orgs/tree.html",
        {
            "roots": roots,
            "is_admin": has_role_over(request.user, "/", Role.ADMIN),
            "may_import": bool(account_admin_paths(request.user)),
            "empty": not Organization.objects.exists(),
        },
    )


@require_GET
def tree_children(request, pk):
    org = _org(request, pk)
    return render(
        request,
        "orgs/_tree_nodes.html",
        {"nodes": selectors.visible_children(request.user, org)[:500]},
    )


@require_GET
def search(request):
    text = request.GET.get("q", "")
    results = list(selectors.search_organizations(request.user, text))
    crumbs = {o.pk: selectors.breadcrumbs(request.user, o) for o in results}
    return render(
        request,
        "orgs/_search_results.html",
        {"text": text, "results": [(o, crumbs[o.pk]) for o in results]},
    )


@require_GET
def detail(request, pk):
    org = _org(request, pk)
    children = selectors.with_subtree_counts(selectors.visible_children(request.user, org))
    page = selectors.page_of(children, page_param(request.GET), CHILDREN_PER_PAGE)
    may_manage = has_role_over(request.user, org.path, *MANAGE_TREE)
    return render(
        request,
        "orgs/detail.html",
        {
            "org": org,
            "crumbs": selectors.breadcrumbs(request.user, org),
            "figures": subtree_figures(org.path),
            "children_page": page,
            "teams": selectors.teams_of(org),
            "may_manage": may_manage,
        },
    )


@require_GET
def members(request, pk):
    org = _org(request, pk)
    # An organisation with children lists its whole subtree unless asked for its own members.
    default = "subtree" if org.children.exists() else "own"
    subtree = request.GET.get("scope", default) == "subtree"
    text = request.GET.get("q", "")
    standing = request.GET.get("standing", "current")
    if standing not in selectors.STANDINGS:
        standing = "current"
    rows = selectors.members_of(request.user, org, subtree=subtree, text=text, standing=standing)
    page = selectors.page_of(rows, page_param(request.GET), MEMBERS_PER_PAGE)
    template = "orgs/_member_rows.html" if request.htmx else "orgs/members.html"
    return render(
        request,
        template,
        {
            "org": org,
            "crumbs": selectors.breadcrumbs(request.user, org),
            "page": page,
            "subtree": subtree,
            "text": text,
            "offset": (page.number - 1) * MEMBERS_PER_PAGE,
            "standing": standing,
            "standings": selectors.STANDINGS,
            "standing_label": selectors.STANDINGS[standing],
            "may_manage": has_role_over(request.user, org.path, *MANAGE_TREE),
            "query": urlencode(
                {"scope": "subtree" if subtree else "own", "q": text, "standing": standing}
            ),
        },
    )
