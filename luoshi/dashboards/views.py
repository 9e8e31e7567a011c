import tempfile

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.permissions import may_keep_ledger
from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.errors import Invalid
from luoshi.core.params import chosen, date_param
from luoshi.core.registry import module_charts, subtree_figures, subtree_figures_as_of, tiles
from luoshi.core.scoping import SYSTEM, can_see_path, get_visible_or_404
from luoshi.dashboards import reports, selectors, services
from luoshi.dashboards.models import ReportJob, Snapshot
from luoshi.dashboards.tasks import build_report, reports_dir
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import breadcrumbs, scope_roots
from luoshi.rectification.models import today
from luoshi.rectification.selectors import org_week_todo, visible_campaigns

FIGURES_SECONDS = 600  # a node's rendered figures, at most (a new version replaces them sooner)
SORTS = {
    "closure_rate": ("销号率", False),
    "on_time_rate": ("按期销号率", False),
    "overdue": ("逾期措施", True),
    "red": ("红灯", True),
    "problems": ("问题数", True),
}


def _campaign(request):
    campaigns = list(visible_campaigns(request.user))
    return campaigns, chosen(campaigns, request.GET)


@require_GET
def home(request):
    root = scope_roots(request.user).first()
    if root is None:
        return redirect("home")
    # the query string goes along: a chosen campaign or date is the node's, and a malformed one
    # is refused there (400) instead of dropped on the way
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return redirect(reverse("dashboards:node", args=[root.pk]) + query)


# A rate means nothing where there is nothing to rate: those units show "—" and rank last,
# whichever way the list is ranked (never as the worst at 0 %).
RATE_BASES = {"closure_rate": "measures", "on_time_rate": "closed"}


def _ranked(rows: list, sort: str, worst_first: bool) -> list:
    _, higher_is_worse = SORTS[sort]
    reverse = (not higher_is_worse) != worst_first
    base = RATE_BASES.get(sort)
    rated = [r for r in rows if not base or r.figures[base]]
    unrated = [r for r in rows if base and not r.figures[base]]
    return sorted(rated, key=lambda r: r.figures[sort], reverse=reverse) + unrated


def _figures(user, org, campaign, sort: str, worst_first: bool) -> dict:
    """The node's figures rendered (headline, children, charts, the most overdue measures) and
    its measure figures: the same for everyone who may open the node (who sees all below it),
    so cached per version of the subtree's figures (core.versions) and per day (overdue and the
    lights are read against today's date)."""
    version = versions.version(org.path)
    campaign_pk = campaign.pk if campaign else 0
    key = f"dashboard:{org.pk}:{campaign_pk}:{sort}:{worst_first:d}:{today()}:{version}"
    part = cache.get(key) if version else None
    if part is not None:
        return part
    board = selectors.board(user, org, campaign)
    rows = board.rows
    if sort in SORTS:
        rows = _ranked(rows, sort, worst_first)
    # The rows cover the whole subtree (a user who sees the node sees all below it).
    ledger = selectors.rows_total(rows) if rows else selectors.node_ledger(org.path, campaign)
    measures = selectors.measure_figures(ledger)
    chart_data = selectors.charts(org.path, campaign, node=ledger)
    by_child = [(r.org.display_name, r.figures["overdue"]) for r in rows if r.figures["overdue"]]
    chart_data["overdue_by_child"] = selectors.top_and_others(
        sorted(by_child, key=lambda r: -r[1]), n=12
    )
    more_charts = module_charts(org.path)
    chart_data.update((c.key, c.rows) for c in more_charts)
    html = render_to_string(
        "dashboards/_figures.html",
        {
            "org": org,
            "campaign": campaign,
            "figures": subtree_figures(org.path, known=board.known),
            "tiles": tiles(),
            "more_charts": more_charts,
            "measures": measures,
            "rows": rows,
            "sorts": SORTS,
            "charts": chart_data,
            "overdue": list(selectors.most_overdue(user, org.path, campaign)),
        },
    )
    part = {
        "html": mark_safe(html),  # noqa: S308 - rendered just now
        "measures": measures,
        # read with the figures, shown per user: the ancestors (breadcrumbs start at the top of
        # the user's scope) and the last submission (a submission marks the node's version)
        "ancestors": breadcrumbs(SYSTEM, org),
        "last": Snapshot.objects.filter(org=org, campaign=campaign).first(),
    }
    if version:
        cache.set(key, part, timeout=FIGURES_SECONDS)
    return part


@require_GET
def node(request, pk):
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)
    campaigns, campaign = _campaign(request)
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else ""
    worst_first = request.GET.get("order") == "worst"
    part = _figures(request.user, org, campaign, sort, worst_first)
    measures = part["measures"]
    as_of = date_param(request.GET, "as_of", latest=timezone.localdate(), label="查看日期")
    last = part["last"]
    since_last = (
        {
            k: round(measures[k] - last.figures["node"].get(k, 0), 1)
            for k in ("measures", "closed", "overdue", "closure_rate")
        }
        if last
        else None
    )
    return render(
        request,
        "dashboards/node.html",
        {
            "org": org,
            "crumbs": [a for a in part["ancestors"] if can_see_path(request.user, a.path)],
            "campaign": campaign,
            "campaigns": campaigns,
            "figures_html": part["html"],
            "measures": measures,
            "last": last,
            "since_last": since_last,
            "as_of": as_of,
            "then": selectors.measure_figures_as_of(org.path, campaign, as_of) if as_of else None,
            # the modules' figures that can say how they stood then, in their own tiles
            "then_figures": subtree_figures_as_of(org.path, as_of) if as_of else None,
            "then_tiles": tiles(as_of=True) if as_of else [],
            "can_submit": may_keep_ledger(request.user, org.path),
            "kinds": ReportJob.Kind.choices,
            "week": org_week_todo(org, campaign),
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


@require_POST
def submit(request, pk):
    """Submit the node's current figures upward: kept as a dated snapshot that later changes to
    the data never alter."""
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)
    if not may_keep_ledger(request.user, org.path):
        raise Http404
    _, campaign = _campaign(request)
    try:
        services.submit_figures(
            actor=request.user, org=org, campaign=campaign, note=request.POST.get("note", "")
        )
    except Invalid as refused:
        messages.error(request, f"{refused}，未报送")
        return redirect("dashboards:snapshots", pk=org.pk)
    messages.success(request, "已报送，本次数字已存档，之后的变化不会改变已报送的数字")
    return redirect("dashboards:snapshots", pk=org.pk)


@require_GET
def snapshots(request, pk):
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)
    return render(
        request,
        "dashboards/snapshots.html",
        {
            "org": org,
            "snapshots": Snapshot.objects.filter(org=org).select_related(
                "submitted_by", "campaign"
            )[:50],
        },
    )


@require_http_methods(["GET", "POST"])
def report(request, pk):
    """GET: the organisation's reports so far (who asked, when, which; download) and buttons to
    make another. POST: queue a Word report of the node for the background worker; its page
    shows the progress."""
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)
    if request.method == "GET":
        _, campaign = _campaign(request)
        context = {"org": org, "campaign": campaign, "kinds": ReportJob.Kind.choices}
        services.interrupt_stale_reports(ReportJob.objects.filter(org=org))
        context["jobs"] = selectors.earlier_reports(request.user, org)
        return render(request, "dashboards/reports.html", context)
    kind = request.POST.get("kind")
    if kind not in ReportJob.Kind.values:
        raise Http404
    _, campaign = _campaign(request)
    job = ReportJob.objects.create(
        org=org, org_path=org.path, user=request.user, campaign=campaign, kind=kind
    )
    build_report.enqueue(job.pk)
    return redirect("dashboards:report_job", pk=job.pk)


def _job(request, pk):
    """A report of an organisation the user may see (whoever asked for it: a report is the
    subtree's figures, the same for everyone who sees that organisation)."""
    jobs = ReportJob.objects.select_related("org", "user")
    return get_visible_or_404(jobs, request.user, request=request, pk=pk)


@require_GET
def report_job(request, pk):
    job = _job(request, pk)
    if services.interrupt_stale_reports(ReportJob.objects.filter(org=job.org)):
        job.refresh_from_db()
    context = {"job": job, "stale_minutes": settings.REPORT_STALE_MINUTES}
    if request.htmx:
        return render(request, "dashboards/_report_job.html", context)
    context["jobs"] = selectors.earlier_reports(request.user, job.org, excluding=job.pk)
    return render(request, "dashboards/report_job.html", context)


@require_GET
def report_download(request, pk):
    job = _job(request, pk)
    stored = reports_dir() / job.stored_file if job.stored_file else None
    if job.state != ReportJob.State.DONE or stored is None or not stored.is_file():
        raise Http404("报告文件不存在（可能已被清理），请重新生成")
    record_event(
        "export",
        user=request.user,
        request=request,
        org_path=job.org_path,
        target=f"{job.kind}.docx",
    )
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d")
    return FileResponse(
        open(stored, "rb"),
        as_attachment=True,
        filename=f"{job.org.display_name}{job.get_kind_display()}-{stamp}.docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
