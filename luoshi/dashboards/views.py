import tempfile

from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from luoshi.core.audit import record_event
from luoshi.core.registry import subtree_figures
from luoshi.core.scoping import get_visible_or_404
from luoshi.dashboards import reports, selectors
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import breadcrumbs, scope_roots
from luoshi.rectification.selectors import visible_campaigns

SORTS = {
    "closure_rate": ("销号率", False),
    "on_time_rate": ("按期销号率", False),
    "overdue": ("逾期措施", True),
    "red": ("红灯", True),
    "problems": ("问题数", True),
}


def _campaign(request):
    campaigns = list(visible_campaigns(request.user))
    chosen = request.GET.get("campaign", "")
    campaign = next((c for c in campaigns if str(c.pk) == chosen), None)
    return campaigns, campaign or (campaigns[0] if campaigns else None)


@require_GET
def home(request):
    root = scope_roots(request.user).first()
    if root is None:
        return redirect("home")
    return redirect("dashboards:node", pk=root.pk)


@require_GET
def node(request, pk):
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)
    campaigns, campaign = _campaign(request)
    rows = selectors.children_rows(request.user, org, campaign)
    sort = request.GET.get("sort", "")
    worst_first = request.GET.get("order") == "worst"
    if sort in SORTS:
        _, higher_is_worse = SORTS[sort]
        best_first = not higher_is_worse
        reverse = best_first != worst_first
        rows.sort(key=lambda r: r.figures[sort], reverse=reverse)
    chart_data = selectors.charts(org.path, campaign)
    overdue_by_child = [(r.org.display_name, r.figures["overdue"]) for r in rows]
    chart_data["overdue_by_child"] = overdue_by_child
    return render(
        request,
        "dashboards/node.html",
        {
            "org": org,
            "crumbs": breadcrumbs(request.user, org),
            "campaign": campaign,
            "campaigns": campaigns,
            "figures": subtree_figures(org.path),
            "measures": selectors.node_measure_figures(org.path, campaign),
            "rows": rows,
            "sorts": SORTS,
            "sort": sort,
            "worst_first": worst_first,
            "charts": chart_data,
            "overdue": selectors.most_overdue(request.user, org.path, campaign),
        },
    )


@require_GET
def statistics(request, pk):
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)
    _, campaign = _campaign(request)
    out = tempfile.TemporaryFile()
    reports.statistics_xlsx(user=request.user, org=org, campaign=campaign, target=out)
    out.seek(0)
    record_event(
        "export", user=request.user, request=request, org_path=org.path, target="statistics.xlsx"
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        out,
        as_attachment=True,
        filename=f"{org.display_name}统计表-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
