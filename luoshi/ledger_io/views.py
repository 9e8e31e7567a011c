import tempfile
import uuid
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.campaigns.models import Campaign
from luoshi.core.params import id_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.ledger_io import services
from luoshi.ledger_io.importer import KIND_LABELS, Mapping, import_ledger
from luoshi.ledger_io.models import ImportJob
from luoshi.ledger_io.tasks import queue_import, settle_if_abandoned
from luoshi.ledger_io.workbook import max_import_bytes
from luoshi.orgs.models import Organization
from luoshi.rectification import selectors
from luoshi.rectification.filters import ledger_filter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SESSION_KEY = "ledger_imports"


def _pending(request, token: str) -> dict:
    pending = request.session.get(SESSION_KEY, {}).get(token)
    if pending is None:
        raise Http404
    return pending


def _choices(user):
    return selectors.owner_organizations(user), list(selectors.visible_campaigns(user))


@require_http_methods(["GET", "POST"])
def import_page(request):
    """Upload a ledger, see what it would change (nothing is written yet), then confirm."""
    user = request.user
    orgs, campaigns = _choices(user)
    context = {"orgs": orgs, "campaigns": campaigns, "max_mb": max_import_bytes() // 2**20}
    if request.method == "GET":
        return render(request, "ledger_io/import.html", context)
    upload = request.FILES.get("file")
    org_id, campaign_id = id_param(request.POST, "org"), id_param(request.POST, "campaign")
    if upload is None or org_id is None or campaign_id is None:
        context["error"] = "请选择文件、所属组织和主题教育"
        return render(request, "ledger_io/import.html", context, status=400)
    org = get_visible_or_404(Organization.objects, user, request=request, pk=org_id)
    campaign = get_visible_or_404(Campaign.objects, user, request=request, pk=campaign_id)
    if upload.size > max_import_bytes():
        context["error"] = f"文件“{upload.name}”超过 {context['max_mb']} MB 的上限"
        return render(request, "ledger_io/import.html", context, status=400)
    data = upload.read()
    name = Path(upload.name or "台账.xlsx").name[:120]
    result = import_ledger(
        actor=user, data=data, name=name, org=org, campaign=campaign, dry_run=True
    )
    token = uuid.uuid4().hex
    stored = services.imports_dir() / f"{token}{Path(name).suffix.lower()[:5]}"
    stored.write_bytes(data)
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {
        "file": stored.name,
        "name": name,
        "org": org.pk,
        "campaign": campaign.pk,
        "at": timezone.now().isoformat(),
        "mappings": [],
    }
    request.session[SESSION_KEY] = pending
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
    request.session[SESSION_KEY] = {
        k: v for k, v in request.session[SESSION_KEY].items() if k != token
    }
    job = ImportJob.objects.create(
        org=org,
        org_path=org.path,
        user=user,
        campaign=campaign,
        file_name=pending["name"],
        stored_file=pending["file"],
        mappings=pending.get("mappings", []),
    )
    queue_import(job)
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
    data = (services.imports_dir() / pending["file"]).read_bytes()
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
    response = HttpResponse(services.blank_template(), content_type=XLSX)
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
