import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.core.cache import cache
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.permissions import may_keep_ledger
from luoshi.campaigns.models import Campaign
from luoshi.core.errors import Conflict
from luoshi.core.middleware import limit_body
from luoshi.core.params import id_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.ledger_io import services
from luoshi.ledger_io.importer import KIND_LABELS, Mapping, import_ledger
from luoshi.ledger_io.models import ImportJob
from luoshi.ledger_io.tasks import settle_if_abandoned
from luoshi.ledger_io.workbook import (
    WorkbookError,
    check_upload,
    checked,
    max_import_bytes,
)
from luoshi.orgs.models import Organization
from luoshi.rectification import selectors
from luoshi.rectification.filters import ledger_filter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "ledger_imports"
KEEP_PENDING = 3  # previews kept per session, each with its file, until confirmed
READING_TIMEOUT = 300  # seconds a user's upload may hold their turn (a worker killed mid-read)
FORM_OVERHEAD = 64 * 1024  # the form's other fields and the multipart framing


def _pending(request, token: str) -> dict:
    pending = request.session.get(SESSION_KEY, {}).get(token)
    if pending is None:
        raise Http404
    return pending


def _choices(user):
    return selectors.owner_organizations(user), list(selectors.visible_campaigns(user))


def _refused(request, context: dict, message: str, status: int):
    context["error"] = message
    return render(request, "ledger_io/import.html", context, status=status)


@contextmanager
def _one_at_a_time(user):
    """Yields False when the user's previous upload is still being read: one file per user is
    read or marked up at a time, whatever number of tabs or scripts send them."""
    key = f"ledger_io:reading:{user.pk}"
    if not cache.add(key, 1, timeout=READING_TIMEOUT):
        yield False
        return
    try:
        yield True
    finally:
        cache.delete(key)


def _keep_pending(request, token: str, pending: dict) -> None:
    """Remember the preview under its token; only the latest few are kept (their files too), so
    that previews never confirmed do not pile up on the disk."""
    kept = request.session.get(SESSION_KEY, {})
    kept[token] = pending
    while len(kept) > KEEP_PENDING:
        old = next(iter(kept))
        (services.imports_dir() / kept.pop(old)["file"]).unlink(missing_ok=True)
    request.session[SESSION_KEY] = kept


@limit_body(lambda: max_import_bytes() + FORM_OVERHEAD)
@require_http_methods(["GET", "POST"])
def import_page(request):
    """Upload a ledger, see what it would change (nothing is written yet), then confirm.

    The upload is judged before it costs anything: the body's size before it is read
    (limit_body), the user's right to import into the organisation and their running import
    before the file is looked at, the file's real size and extent before it is parsed; a
    refused upload is neither kept nor given a token."""
    user = request.user
    orgs, campaigns = _choices(user)
    context = {"orgs": orgs, "campaigns": campaigns, "max_mb": max_import_bytes() // 2**20}
    if request.method == "GET":
        if not orgs:
            context["error"] = "您的账号没有导入台账的权限"
        return render(request, "ledger_io/import.html", context)
    upload = request.FILES.get("file")
    org_id, campaign_id = id_param(request.POST, "org"), id_param(request.POST, "campaign")
    if upload is None or org_id is None or campaign_id is None:
        return _refused(request, context, "请选择文件、所属组织和主题教育", 400)
    org = get_visible_or_404(Organization.objects, user, request=request, pk=org_id)
    campaign = get_visible_or_404(Campaign.objects, user, request=request, pk=campaign_id)
    if not may_keep_ledger(user, org.path):
        return _refused(request, context, f"无权导入 {org.name} 的台账", 403)
    busy = services.active_import(user)
    if busy is not None:
        message = services.BUSY.format(state=busy.get_state_display())
        return _refused(request, context, message, 409)
    name = Path(upload.name or "台账.xlsx").name[:120]
    if upload.size > max_import_bytes():
        return _refused(request, context, f"文件“{name}”超过 {context['max_mb']} MB 的上限", 413)
    with _one_at_a_time(user) as free:
        if not free:
            return _refused(request, context, "您上传的上一个文件还在检查中，请稍候再试", 409)
        data = upload.read()
        try:
            check_upload(data, name)
        except WorkbookError as exc:
            return _refused(request, context, str(exc), 400)
        with checked(data):
            result = import_ledger(
                actor=user, data=data, name=name, org=org, campaign=campaign, dry_run=True
            )
    token = uuid.uuid4().hex
    stored = services.imports_dir() / f"{token}{Path(name).suffix.lower()[:5]}"
    stored.write_bytes(data)
    _keep_pending(
        request,
        token,
        {
            "file": stored.name,
            "name": name,
            "org": org.pk,
            "campaign": campaign.pk,
            "at": timezone.now().isoformat(),
            "mappings": [],
        },
    )
    context.update(result=result, token=token, org=org, campaign=campaign, name=name, add=ADD)
    return render(request, "ledger_io/import.html", context, status=400 if result.errors else 200)


@require_POST
def import_confirm(request, token):
    """Queue the previewed file for import by the background worker and show its progress."""
    pending = _pending(request, token)
    user = request.user
    org = get_visible_or_404(Organization.objects, user, request=request, pk=pending["org"])
    campaign = get_visible_or_404(Campaign.objects, user, request=request, pk=pending["campaign"])
    if not (services.imports_dir() / pending["file"]).exists():
        raise Http404
    try:
        job = services.start_import(
            user=user,
            org=org,
            campaign=campaign,
            file_name=pending["name"],
            stored_file=pending["file"],
            mappings=pending.get("mappings", []),
        )
    except Conflict as exc:
        orgs, campaigns = _choices(user)
        context = {"orgs": orgs, "campaigns": campaigns, "max_mb": max_import_bytes() // 2**20}
        return _refused(request, context, str(exc), 409)
    request.session[SESSION_KEY] = {
        k: v for k, v in request.session[SESSION_KEY].items() if k != token
    }
    return redirect("ledger_io:job", pk=job.pk)


ADD = "__add__"  # the mapping form's choice "add the value to the campaign's vocabulary"
MAX_MAPPINGS = 500


@require_POST
def import_map(request, token):
    """The preview's mapping form: each category or source the campaign does not have, read as
    an existing value or added to the vocabulary (or left, and still an error); then the same
    file is previewed again with these mappings, which the confirmed import uses."""
    pending = _pending(request, token)
    user = request.user
    org = get_visible_or_404(Organization.objects, user, request=request, pk=pending["org"])
    campaign = get_visible_or_404(Campaign.objects, user, request=request, pk=pending["campaign"])
    path = services.imports_dir() / pending["file"]
    if not path.exists():
        raise Http404
    chosen = {(m[0], m[1]): Mapping.from_json(m) for m in pending.get("mappings", [])}
    for n in range(MAX_MAPPINGS):
        kind, value = request.POST.get(f"kind-{n}"), request.POST.get(f"value-{n}")
        if kind is None or value is None:
            break
        if kind not in KIND_LABELS or not value:
            continue
        target = request.POST.get(f"map-{n}", "")
        if not target:
            chosen.pop((kind, value), None)
        elif target == ADD:
            chosen[(kind, value)] = Mapping(kind, value, add=True)
        else:
            chosen[(kind, value)] = Mapping(kind, value, target[:200])
    mappings = list(chosen.values())
    every = request.session.get(SESSION_KEY, {})
    every[token] = {**pending, "mappings": [m.as_json() for m in mappings]}
    request.session[SESSION_KEY] = every
    result = import_ledger(
        actor=user,
        data=path.read_bytes(),
        name=pending["name"],
        org=org,
        campaign=campaign,
        dry_run=True,
        mappings=mappings,
    )
    for entry in result.unknown:
        mapping = chosen.get((entry["kind"], entry["value"]))
        entry["chosen"] = "" if mapping is None else ADD if mapping.add else mapping.target
    orgs, campaigns = _choices(user)
    context = {
        "orgs": orgs,
        "campaigns": campaigns,
        "max_mb": max_import_bytes() // 2**20,
        "result": result,
        "token": token,
        "org": org,
        "campaign": campaign,
        "name": pending["name"],
        "add": ADD,
    }
    return render(request, "ledger_io/import.html", context, status=400 if result.errors else 200)


@require_GET
def import_job(request, pk):
    """The import's progress (polled by htmx until it ends), then its report."""
    job = get_visible_or_404(
        ImportJob.objects.filter(user=request.user), request.user, request=request, pk=pk
    )
    job = settle_if_abandoned(job)
    template = "ledger_io/_job.html" if request.htmx else "ledger_io/job.html"
    return render(request, template, {"job": job, "result": job.result})


@require_GET
def import_report(request, token):
    """The uploaded file with every cell in error marked red and commented."""
    pending = _pending(request, token)
    user = request.user
    org = get_visible_or_404(Organization.objects, user, request=request, pk=pending["org"])
    campaign = get_visible_or_404(Campaign.objects, user, request=request, pk=pending["campaign"])
    path = services.imports_dir() / pending["file"]
    if not may_keep_ledger(user, org.path) or not path.exists():
        raise Http404
    with _one_at_a_time(user) as free:
        if not free:
            return HttpResponse(
                "您的另一个文件正在处理，请稍候再下载",
                status=409,
                content_type="text/plain; charset=utf-8",
            )
        data = path.read_bytes()
        result = import_ledger(
            actor=user,
            data=data,
            name=pending["name"],
            org=org,
            campaign=campaign,
            dry_run=True,
            mappings=[Mapping.from_json(m) for m in pending.get("mappings", [])],
        )
        out = tempfile.TemporaryFile()
        services.error_report(data, pending["name"], result.errors, out)
    out.seek(0)
    stem = Path(pending["name"]).stem
    return FileResponse(
        out, as_attachment=True, filename=f"{stem}-错误标注.xlsx", content_type=XLSX
    )


@require_GET
def template(request):
    """The import template for the chosen campaign (?campaign=), else the first one the user
    sees (the import page's default): its sources and categories are the drop-downs."""
    campaign_id = id_param(request.GET, "campaign")
    if campaign_id is None:
        campaign = next(iter(selectors.visible_campaigns(request.user)), None)
    else:
        campaign = get_visible_or_404(
            Campaign.objects, request.user, request=request, pk=campaign_id
        )
    response = HttpResponse(services.blank_template(campaign), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "整改台账模板.xlsx")
    return response


@require_GET
def export(request):
    """The ledger page's rows, with its filters, as an Excel ledger in the standard layout."""
    f, chosen = ledger_filter(request)
    org = chosen["org"]
    campaign = chosen["campaign"]
    unit = (
        org.name
        if org
        else "、".join(o.name for o in selectors.owner_organizations(request.user)[:3]) or "—"
    )
    title = f"{org.name if org else ''}{campaign.name if campaign else ''}问题整改台账"
    out = tempfile.TemporaryFile()
    services.export_ledger(
        user=request.user, ledger_filter=f, target=out, title=title, unit=unit, request=request
    )
    out.seek(0)
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileResponse(
        out, as_attachment=True, filename=f"问题整改台账-{stamp}.xlsx", content_type=XLSX
    )
