"""The registers' pages: 404 for anyone without the register's role (services.register_of),
every read logged (services.cases, services.case)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.core.errors import DomainError
from luoshi.core.params import id_param
from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization
from luoshi.registers import services
from luoshi.registers.models import register_paths

NAMES = {"inquiries": "inquiry", "tolerance": "tolerance_case", "rotations": "rotation"}


def _node(request, register):
    """The organisation of `org` inside the user's register scope, else the top of it."""
    paths = register_paths(request.user, register.model.REGISTER_ROLES)
    pk = id_param(request.GET, "org") or id_param(request.POST, "org")
    if pk is not None:
        org = Organization.objects.filter(pk=pk).first()
        if org is None or not any(org.path.startswith(p) for p in paths):
            raise services.refuse(request.user, f"{register.kind}:org:{pk}")
        return org
    return Organization.objects.filter(path=paths[0]).first()


@require_GET
def index(request):
    held = services.held_registers(request.user)
    if not held:
        raise services.refuse(request.user, "index")
    return redirect("registers:" + held[0].kind)


@require_GET
def case_list(request, kind):
    register, rows = services.cases(request.user, kind, request=request)
    node = _node(request, register)
    rows = rows.filter(subtree_q("org_path", node.path))[:200]
    fields = [register.model._meta.get_field(f) for f in register.columns]
    table = [(row, [_shown(row, f) for f in fields]) for row in rows]
    return render(
        request,
        "registers/list.html",
        {
            "register": register,
            "registers": services.held_registers(request.user),
            "node": node,
            "columns": [f.verbose_name for f in fields],
            "table": table,
            "detail": "registers:" + NAMES[kind],
        },
    )


def _shown(row, field) -> str:
    value = getattr(row, field.name)
    if field.choices:
        return getattr(row, f"get_{field.name}_display")() or "—"
    if value in (None, ""):
        return "—"
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)


@require_http_methods(["GET", "POST"])
def case_new(request, kind):
    register = services.register_of(request.user, kind)
    node = _node(request, register)
    form = services.form_for(register, register.open_fields, request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            row = services.open_case(actor=request.user, kind=kind, org=node, data=request.POST)
        except DomainError as error:
            form.is_valid()
            form.add_error(None, str(error))
            status = 400
        else:
            messages.success(request, f"{register.label}已登记")
            return redirect("registers:" + NAMES[kind], pk=row.pk)
    return render(
        request,
        "registers/form.html",
        {"register": register, "node": node, "form": form},
        status=status,
    )


@require_GET
def case_detail(request, pk, kind):
    register, row = services.case(request.user, kind, pk, request=request)
    return _detail(request, register, row)


def _detail(request, register, row, error: str = "", status: int = 200, data=None):
    fields = [f for f in register.model._meta.concrete_fields if f.name in _shown_fields(register)]
    step = next((s for s in register.steps if getattr(row, s.done) in ("", None)), None)
    step_form = services.form_for(register, step.fields, data) if step else None
    if step_form is not None and data is not None:
        step_form.is_valid()
    return render(
        request,
        "registers/detail.html",
        {
            "register": register,
            "row": row,
            "shown": [(f.verbose_name, _shown(row, f)) for f in fields],
            "step": step,
            "step_form": step_form,
            "error": error,
            "step_url": reverse(f"registers:{NAMES[register.kind]}_step", args=[row.pk])
            if step
            else "",
        },
        status=status,
    )


def _shown_fields(register) -> list[str]:
    names = list(register.open_fields)
    for step in register.steps:
        names += step.fields
    return names


@require_POST
def case_step(request, pk, kind):
    register, row = services.case(request.user, kind, pk, request=request)
    step = request.POST.get("step", "")
    try:
        services.record_step(actor=request.user, kind=kind, pk=pk, step=step, data=request.POST)
    except DomainError as error:
        return _detail(request, register, row, str(error), 400, request.POST)
    messages.success(request, "已登记")
    return redirect("registers:" + NAMES[kind], pk=pk)
