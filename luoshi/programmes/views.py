"""Pages of special rectification (专项整治): thin, over programmes/services.py and selectors.py."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from luoshi.accounts.permissions import has_role_over
from luoshi.core.audit import record_event
from luoshi.core.errors import DomainError
from luoshi.core.errors import status_for as _status_for
from luoshi.core.files import CONTENT_TYPES, evidence_download
from luoshi.core.nodes import node_from_request
from luoshi.core.scoping import can_see_path, get_visible_or_404
from luoshi.core.xlsx import write_table
from luoshi.orgs.models import Organization
from luoshi.programmes import rules, selectors, services
from luoshi.programmes.forms import ItemForm, PlanForm, ProgrammeForm
from luoshi.programmes.models import ProgrammePlan, SpecialProgramme
from luoshi.rectification.forms import MeasureForm
from luoshi.rectification.selectors import visible_campaigns

MAX_ITEMS_SHOWN = 300


def _programme(request, pk) -> SpecialProgramme:
    return get_visible_or_404(
        SpecialProgramme.objects.select_related("org", "campaign"),
        request.user,
        request=request,
        pk=pk,
    )


def _node_in(request, programme) -> Organization:
    """The subtree a programme page is about: the `org` asked for, if the programme appears
    there; the programme's own organisation when the one asked for lies above it."""
    node = node_from_request(request)
    if node.path.startswith(programme.org_path):
        return node
    if programme.org_path.startswith(node.path):
        return programme.org
    raise Http404("这项专项整治不在所选组织的范围内")


@require_GET
def programme_list(request):
    node = node_from_request(request)
    return render(
        request,
        "programmes/list.html",
        {
            "node": node,
            "programmes": selectors.programmes_at(request.user, node.path),
            "figures": selectors.programme_figures(node.path),
            "can_set": has_role_over(request.user, node.path, *rules.SET_ROLES),
        },
    )


@require_http_methods(["GET", "POST"])
def programme_new(request):
    node = node_from_request(request)
    campaigns = [c for c in visible_campaigns(request.user) if node.path.startswith(c.org_path)]
    form = ProgrammeForm(request.POST or None)
    form.fields["campaign"].choices = [(c.pk, c.name) for c in campaigns]
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                programme = services.create_programme(
                    actor=request.user,
                    org=node,
                    campaign=next(c for c in campaigns if c.pk == data["campaign"]),
                    name=data["name"],
                    set_by=data["set_by"],
                    goals=data["goals"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    lead_unit=data["lead_unit"],
                    co_units=data["co_units"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = _status_for(error)
            else:
                messages.success(request, "专项整治已部署，下级组织可据此制定实施方案")
                return redirect("programmes:detail", pk=programme.pk)
    return render(request, "programmes/form.html", {"node": node, "form": form}, status=status)


@require_GET
def programme_detail(request, pk):
    programme = _programme(request, pk)
    node = _node_in(request, programme)
    user = request.user
    plans = selectors.plans_with_figures(user, programme, node.path)
    rows = selectors.item_rows(user, programme, node.path)
    adopted = selectors.adopted_paths(programme)
    above = rules.covering_plan_path(node.path, adopted)
    covering = (
        Organization.objects.filter(path=above).first() if above and above != node.path else None
    )
    return render(
        request,
        "programmes/detail.html",
        {
            "programme": programme,
            "node": node,
            "plans": plans,
            "rows": rows[:MAX_ITEMS_SHOWN],
            "more_rows": max(len(rows) - MAX_ITEMS_SHOWN, 0),
            "n_items": len(rows),
            "n_closed": sum(1 for r in rows if r.item.problem.status == "closed"),
            "covering": covering,
            "adopted_here": node.path in adopted,
            "can_adopt": rules.adoption_refusal(programme, node, adopted) is None
            and has_role_over(user, node.path, *rules.RECORD_ROLES),
            "can_add_item": above is not None
            and has_role_over(user, node.path, *rules.RECORD_ROLES),
            "parent": node.parent
            if node.parent_id
            and node.path != programme.org_path
            and can_see_path(user, node.parent.path)
            else None,
        },
    )


@require_http_methods(["GET", "POST"])
def adopt(request, pk):
    programme = _programme(request, pk)
    node = _node_in(request, programme)
    form = PlanForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.adopt_programme(
                    actor=request.user,
                    programme_id=programme.pk,
                    org=node,
                    title=data["title"],
                    doc_number=data["doc_number"],
                    issued_on=data["issued_on"],
                    upload=data["file"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = _status_for(error)
            else:
                messages.success(request, "实施方案已上传，专项整治已在本单位及下级组织部署")
                return redirect(f"{request.path.removesuffix('adopt/')}?org={node.pk}")
    return render(
        request,
        "programmes/adopt.html",
        {"programme": programme, "node": node, "form": form},
        status=status,
    )


def _item_orgs(request, programme, node) -> list[Organization]:
    """The organisations an item may be listed for: those with a plan that the user sees, and
    the page's organisation when a plan covers it."""
    orgs = [p.org for p in selectors.plans(request.user, programme, programme.org_path)]
    adopted = selectors.adopted_paths(programme)
    if rules.covering_plan_path(node.path, adopted) and node not in orgs:
        orgs.insert(0, node)
    return orgs


@require_http_methods(["GET", "POST"])
def item_new(request, pk):
    programme = _programme(request, pk)
    node = _node_in(request, programme)
    orgs = _item_orgs(request, programme, node)
    form = ItemForm(request.POST or None, initial={"org": node.pk})
    form.fields["org"].choices = [(o.pk, o.name) for o in orgs]
    measure_form = MeasureForm(request.POST or None, prefix="m")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and measure_form.is_valid():
            data = form.cleaned_data
            org = next(o for o in orgs if o.pk == data["org"])
            try:
                item = services.add_item(
                    actor=request.user,
                    programme_id=programme.pk,
                    org=org,
                    title=data["title"],
                    description=data["description"],
                    responsible_leaders=data["responsible_leaders"],
                    responsible_units=data["responsible_units"],
                    measures=[measure_form.cleaned_data],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = _status_for(error)
            else:
                messages.success(request, "整治事项已列入问题清单，其整改措施销号后事项即完成")
                return redirect("rectification:problem", pk=item.problem_id)
    return render(
        request,
        "programmes/item_form.html",
        {"programme": programme, "node": node, "form": form, "measure_form": measure_form},
        status=status,
    )


@require_GET
def plan_file(request, pk):
    plan = get_visible_or_404(ProgrammePlan.objects, request.user, request=request, pk=pk)
    return evidence_download(plan.stored_name, plan.original_name, plan.kind)


EXPORT_COLUMNS = [
    ("序号", 6),
    ("单位", 24),
    ("问题", 34),
    ("整改措施", 40),
    ("责任人", 10),
    ("时限", 16),
    ("进展", 30),
    ("状态", 10),
]


def export_rows(rows):
    """One row per measure (an item without measures: one row), numbered by item."""
    for n, row in enumerate(rows, start=1):
        item = row.item
        for m in row.measures or [None]:
            if m is None:
                yield (
                    n,
                    item.org.name,
                    item.problem.title,
                    "",
                    "",
                    "",
                    "",
                    item.problem.get_status_display(),
                )
                continue
            latest = f"（{m.latest.text}）" if m.latest else ""
            progress = f"完成{m.progress}%{latest}"
            yield (
                n,
                m.org.name if m.org_id != item.org_id else item.org.name,
                item.problem.title,
                m.content,
                m.owner_name,
                m.deadline_label,
                progress,
                m.get_state_display(),
            )


@require_GET
def export(request, pk):
    """专项整治台账: the programme's items in the subtree, one row per measure."""
    programme = _programme(request, pk)
    node = _node_in(request, programme)
    rows = selectors.item_rows(request.user, programme, node.path)
    response = HttpResponse(content_type=CONTENT_TYPES["xlsx"])
    write_table(
        response,
        title=f"{programme.name}专项整治台账",
        unit=node.name,
        columns=EXPORT_COLUMNS,
        rows=export_rows(rows),
        sheet="专项整治台账",
    )
    record_event(
        "export", user=request.user, request=request, org_path=node.path, target="专项整治台账"
    )
    filename = f"专项整治台账-{programme.name[:30]}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
