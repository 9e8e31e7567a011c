"""Pages of the monthly cycle: thin, each a selector or a service call."""

from pathlib import Path
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.core.audit import record_event
from luoshi.core.errors import DomainError, Invalid, status_for
from luoshi.core.files import CONTENT_TYPES
from luoshi.core.nodes import node_from_request
from luoshi.core.paging import page_of
from luoshi.core.params import id_param, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.ledger_io.workbook import WorkbookError, read_upload
from luoshi.monthly import exporter, importer, selectors, services
from luoshi.monthly.models import (
    Finding,
    FindingKind,
    MonthlyMeeting,
    MonthlyVisit,
    TargetKind,
    VisitPhoto,
    VisitTarget,
)
from luoshi.monthly.months import current_month, label, month_param
from luoshi.rectification.selectors import visible_campaigns

PER_PAGE = 50


@require_GET
def index(request):
    node = node_from_request(request)
    month = month_param(request.GET)
    figures = selectors.month_figures(node.path, month)
    history = selectors.history(node.path, 6, month)
    return render(
        request,
        "monthly/index.html",
        {
            "node": node,
            "month": month,
            "month_label": label(month),
            "figures": figures,
            "history": history,
            "rows": selectors.org_rows(node, month),
            "cadres": selectors.cadre_rows(node.path, month),
            "chart": {
                "coverage": [(m, f["monthly_coverage"]) for m, f in history],
                "findings": [(m, f["monthly_findings"]) for m, f in history],
            },
            "can_manage": services.may_manage(request.user, node.path),
            "has_targets": selectors.my_targets(request.user).exists(),
        },
    )


def _cadres_of(node):
    """Accounts that may be assigned targets of `node`: those assigned at or above it, or
    below it (their scope must reach the target; the service checks)."""
    from luoshi.accounts.models import Assignment

    paths = [p for p in node.path.strip("/").split("/")]
    above = ["/" + "/".join(paths[: i + 1]) + "/" for i in range(len(paths))]
    ids = Assignment.objects.filter(org__path__in=above).values("user_id")
    return get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("username")[:300]


def _posted_cadre(data):
    username = (data.get("cadre") or "").strip()
    if not username:
        return None
    cadre = services.cadre_by_username(username)
    if cadre is None:
        raise Invalid(f"没有账号“{username}”")
    return cadre


@require_http_methods(["GET", "POST"])
def target_list(request):
    node = node_from_request(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            target = services.create_target(
                actor=request.user,
                org=node,
                name=request.POST.get("name", ""),
                kind=request.POST.get("kind", ""),
                contact=request.POST.get("contact", ""),
                address=request.POST.get("address", ""),
                cadre=_posted_cadre(request.POST),
            )
        except DomainError as refused:
            error, status = str(refused), status_for(refused)
        else:
            messages.success(request, f"已登记走访对象“{target.name}”")
            return redirect(f"{reverse('monthly:targets')}?org={node.pk}")
    text = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    kind = kind if kind in TargetKind.values else ""
    rows = selectors.targets(request.user, node.path, q=text, kind=kind)
    return render(
        request,
        "monthly/targets.html",
        {
            "node": node,
            "page": page_of(rows, page_param(request.GET), PER_PAGE),
            "text": text,
            "kind": kind,
            "kinds": TargetKind.choices,
            "query": urlencode({"org": node.pk, "q": text, "kind": kind}),
            "can_manage": services.may_manage(request.user, node.path),
            "cadres": _cadres_of(node),
            "error": error,
            "posted": request.POST,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def target_import(request):
    node = node_from_request(request)
    errors, status = [], 200
    if request.method == "POST":
        try:
            name, data = read_upload(request.FILES.get("file"), "走访对象.xlsx")
            result = importer.import_targets(actor=request.user, org=node, data=data, name=name)
            errors = result.errors
        except WorkbookError as refused:
            errors, status = [str(refused)], getattr(refused, "status", 400)
        except DomainError as refused:
            errors, status = [str(refused)], status_for(refused)
        else:
            if not errors:
                messages.success(request, f"已导入 {result.created} 个走访对象并分配包联干部")
                return redirect(f"{reverse('monthly:targets')}?org={node.pk}")
            status = 400
    return render(
        request,
        "monthly/import.html",
        {"node": node, "errors": errors, "columns": importer.COLUMNS},
        status=status,
    )


@require_GET
def target_detail(request, pk):
    target = get_visible_or_404(
        VisitTarget.objects.select_related("org", "cadre", "retired_by"),
        request.user,
        request=request,
        pk=pk,
    )
    return render(
        request,
        "monthly/target.html",
        {
            "target": target,
            "assignments": target.assignments.select_related("cadre", "assigned_by").order_by(
                "-starts_on", "-id"
            ),
            "visits": target.visits.select_related("cadre").prefetch_related("findings")[:24],
            "can_manage": services.may_manage(request.user, target.org_path),
            "cadres": _cadres_of(target.org),
            "kinds": TargetKind.choices,
            "today": timezone.localdate(),
        },
    )


@require_POST
def target_assign(request, pk):
    target = get_visible_or_404(VisitTarget.objects, request.user, request=request, pk=pk)
    try:
        cadre = _posted_cadre(request.POST)
        if cadre is None:
            raise Invalid("请选择包联干部")
        services.assign_target(actor=request.user, target_id=target.pk, cadre=cadre)
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "已调整包联干部，原包联记录已保留")
    return redirect("monthly:target", pk=target.pk)


@require_POST
def target_edit(request, pk):
    target = get_visible_or_404(VisitTarget.objects, request.user, request=request, pk=pk)
    contact = request.POST.get("contact", "").strip()
    try:
        services.edit_target(
            actor=request.user,
            target_id=target.pk,
            name=request.POST.get("name", ""),
            kind=request.POST.get("kind", ""),
            contact=contact or None,  # the page shows it masked: empty keeps it
            address=request.POST.get("address", ""),
        )
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "走访对象信息已修改")
    return redirect("monthly:target", pk=target.pk)


@require_POST
def target_retire(request, pk):
    target = get_visible_or_404(VisitTarget.objects, request.user, request=request, pk=pk)
    try:
        services.retire_target(
            actor=request.user,
            target_id=target.pk,
            retired_on=_date(request.POST.get("retired_on", ""), "退出日期"),
            reason=request.POST.get("reason", ""),
        )
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "已退出走访名单，走访和包联记录均已保留")
    return redirect("monthly:target", pk=target.pk)


@require_GET
def visit_form(request):
    """The phone form: my targets, what was asked, findings and photos; kept on the phone and
    sent when there is a connection (luoshi/static/luoshi/monthly.js)."""
    text = request.GET.get("q", "").strip()
    return render(
        request,
        "monthly/visit_form.html",
        {
            "targets": list(selectors.my_targets(request.user, q=text)[:500]),
            "chosen": id_param(request.GET, "target"),
            "kinds": FindingKind.choices,
            "text": text,
        },
    )


def _wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "luoshi-offline"


def _findings(data) -> list[tuple[str, str]]:
    return list(zip(data.getlist("finding_kind"), data.getlist("finding_text"), strict=False))


def _visited_at(data):
    raw = (data.get("visited_at") or "").strip()
    value = parse_datetime(raw) if raw else timezone.now()
    if value is None:
        raise Invalid("走访时间格式不正确")
    return value


@require_POST
def visit_submit(request):
    """Store a visit sent by the form (or again by the phone's outbox): 201 when stored now,
    200 with the same visit when its key was stored before."""
    try:
        target_id = id_param(request.POST, "target", label="走访对象")
        if target_id is None:
            raise Invalid("请选择走访对象")
        visit, created = services.record_visit(
            actor=request.user,
            key=request.POST.get("key", ""),
            target_id=target_id,
            visited_at=_visited_at(request.POST),
            asked=request.POST.get("asked", ""),
            findings=_findings(request.POST),
            photos=request.FILES.getlist("photos"),
        )
    except DomainError as refused:
        if _wants_json(request):
            return JsonResponse({"detail": str(refused)}, status=status_for(refused))
        messages.error(request, str(refused))
        return redirect("monthly:visit_form")
    if _wants_json(request):
        return JsonResponse(
            {"visit": visit.pk, "created": created, "target": visit.target.name},
            status=201 if created else 200,
        )
    messages.success(request, "走访已记录" if created else "该走访此前已记录，未重复保存")
    return redirect("monthly:visit", pk=visit.pk)


@require_GET
def visit_detail(request, pk):
    visit = get_visible_or_404(
        MonthlyVisit.objects.select_related("target", "cadre", "org"),
        request.user,
        request=request,
        pk=pk,
    )
    return render(
        request,
        "monthly/visit.html",
        {"visit": visit, "findings": visit.findings.all(), "photos": visit.photos.all()},
    )


@require_GET
def photo(request, pk):
    found = get_visible_or_404(VisitPhoto.objects, request.user, request=request, pk=pk)
    from django.core.files.storage import default_storage

    key = services.photo_key(found.stored_name)
    if not default_storage.exists(key):
        raise Http404
    response = FileResponse(default_storage.open(key, "rb"), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_http_methods(["GET", "POST"])
def meeting(request):
    """The organisation's monthly meeting: what it judges (carried-over findings first) and the
    record of the meeting itself."""
    node = node_from_request(request)
    month = month_param(request.POST if request.method == "POST" else request.GET)
    error, status = "", 200
    if request.method == "POST":
        try:
            held_on = _date(request.POST.get("held_on", ""))
            services.record_meeting(
                actor=request.user,
                org=node,
                month=month,
                held_on=held_on,
                attendees=request.POST.get("attendees", ""),
                minutes=request.POST.get("minutes", ""),
            )
        except DomainError as refused:
            error, status = str(refused), status_for(refused)
        else:
            messages.success(request, f"{label(month)}研判会已记录")
            return redirect(f"{reverse('monthly:meeting')}?org={node.pk}&month={month:%Y-%m}")
    findings = selectors.meeting_findings(request.user, node.path, month)
    earliest = services.earliest_open_month()
    return render(
        request,
        "monthly/meeting.html",
        {
            "node": node,
            "month": month,
            "month_label": label(month),
            "is_current": month == current_month(),
            # this month's and last month's meetings take records and judgements; an older
            # month's undecided findings are judged at this month's meeting
            "is_open": month >= earliest,
            "decide_month": month if month >= earliest else current_month(),
            "months": selectors.meeting_months(request.user, node.path, earliest),
            "record": MonthlyMeeting.objects.filter(org=node, month=month).first(),
            "findings": findings,
            "open": [f for f in findings if f.state == "open"],
            "decisions": services.Decision.LABELS,
            "campaigns": services.campaigns_for(request.user, node.path),
            "can_manage": services.may_manage(request.user, node.path),
            "error": error,
            "posted": request.POST,
            "today": timezone.localdate(),
        },
        status=status,
    )


def _date(raw: str, what: str = "召开日期"):
    from datetime import date

    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid(f"请填写{what}") from None


@require_POST
def decide(request, pk):
    finding = get_visible_or_404(Finding.objects, request.user, request=request, pk=pk)
    month = month_param(request.POST)
    back = f"{reverse('monthly:meeting')}?org={id_param(request.POST, 'org') or finding.org_id}"
    back += (
        f"&month={month_param(request.POST, 'view') if request.POST.get('view') else month:%Y-%m}"
    )
    try:
        campaign_id = id_param(request.POST, "campaign")
        campaign = None
        if campaign_id is not None:
            campaign = next(
                (c for c in visible_campaigns(request.user) if c.pk == campaign_id), None
            )
            if campaign is None:
                raise Invalid("所选主题教育不存在或不在您的范围内")
        services.decide_finding(
            actor=request.user,
            finding_id=finding.pk,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
            into_id=id_param(request.POST, "into"),
            campaign=campaign,
            month=month,
        )
    except DomainError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "研判结果已记录")
    return redirect(back)


@require_GET
def export(request):
    """The month's 走访台账 of the subtree."""
    node = node_from_request(request)
    month = month_param(request.GET)
    response = HttpResponse(content_type=CONTENT_TYPES["xlsx"])
    exporter.write_visits(response, selectors.visits(request.user, node.path, month), node, month)
    record_event(
        "export", user=request.user, request=request, org_path=node.path, target="走访台账"
    )
    filename = f"走访台账-{node.display_name}-{month:%Y%m}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_GET
def service_worker(request):
    """The visit form's service worker, served under /monthly/ so that its scope covers the
    form (a worker's scope cannot reach above the folder it is served from)."""
    path = finders.find("luoshi/monthly-sw.js")
    response = HttpResponse(Path(path).read_bytes(), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response
