from ninja import Router, Schema

from luoshi.core.api_schemas import ErrorOut, Id
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs import selectors
from luoshi.orgs.models import Organization

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
