"""The ledger filter as the query string gives it: one reading for the ledger page and the
ledger's Excel export, so that the export holds what the page lists."""

from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification import selectors


def query_int(value) -> int | None:
    """A query-string number, or None when it is missing or not a number."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def ledger_filter(request, campaigns=None) -> tuple[selectors.LedgerFilter, dict]:
    """The ledger filter in the request's query string, and what it chose (the visible
    campaigns, the campaign, the organisation)."""
    user = request.user
    campaigns = list(selectors.visible_campaigns(user)) if campaigns is None else campaigns
    campaign = next((c for c in campaigns if c.pk == query_int(request.GET.get("campaign"))), None)
    campaign = campaign or (campaigns[0] if campaigns else None)
    org = None
    if org_id := query_int(request.GET.get("org")):
        org = get_visible_or_404(Organization.objects, user, request=request, pk=org_id)
    f = selectors.LedgerFilter(
        org_path=org.path if org else None,
        campaign_id=campaign.pk if campaign else None,
        source_id=query_int(request.GET.get("source")),
        category_id=query_int(request.GET.get("category")),
        level=request.GET.get("level", ""),
        status=request.GET.get("status", ""),
        overdue=request.GET.get("overdue") == "1",
        immediate=request.GET.get("immediate") == "1",
        leader=request.GET.get("leader", ""),
        text=request.GET.get("q", ""),
        sort=request.GET.get("sort", "org"),
    )
    return f, {"campaigns": campaigns, "campaign": campaign, "org": org}
