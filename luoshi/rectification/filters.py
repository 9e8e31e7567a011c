"""The ledger filter as the query string gives it: one reading for the ledger page and the
ledger's Excel export, so that the export holds what the page lists."""

from luoshi.core.params import chosen, id_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification import selectors


def ledger_filter(request, campaigns=None) -> tuple[selectors.LedgerFilter, dict]:
    """The ledger filter in the request's query string, and what it chose (the visible
    campaigns, the campaign, the organisation)."""
    user = request.user
    campaigns = list(selectors.visible_campaigns(user)) if campaigns is None else campaigns
    work = request.GET.get("work", "")
    work = work if work in selectors.WORK_LISTS else ""
    # A section of the work page counts every campaign: its list does too unless one is chosen.
    campaign = chosen(campaigns, request.GET, first=not work)
    org = None
    if org_id := id_param(request.GET, "org"):
        org = get_visible_or_404(Organization.objects, user, request=request, pk=org_id)
    f = selectors.LedgerFilter(
        org_path=org.path if org else None,
        campaign_id=campaign.pk if campaign else None,
        source_id=id_param(request.GET, "source"),
        category_id=id_param(request.GET, "category"),
        level=request.GET.get("level", ""),
        status=request.GET.get("status", ""),
        overdue=request.GET.get("overdue") == "1",
        immediate=request.GET.get("immediate") == "1",
        leader=request.GET.get("leader", ""),
        text=request.GET.get("q", ""),
        sort=request.GET.get("sort", "org"),
        work=work,
    )
    return f, {"campaigns": campaigns, "campaign": campaign, "org": org}
