"""Every read and write of the registers. Only a holder of the register's role over the
organisation gets past the first line of each (anyone else: 404, as if nothing were there);
every read is written to the audit log; writes run in one transaction."""

from django import forms
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from luoshi.core.audit import record_event
from luoshi.core.errors import Invalid
from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization
from luoshi.registers.models import register_paths
from luoshi.registers.rules import FOLLOW_UPS, REGISTERS, Register, tolerance_refusal

READ = "register_read"


def refuse(user, what: str):
    """404, with the refusal logged: the same answer whether or not the case exists."""
    if getattr(user, "is_authenticated", False):
        record_event("refused", user=user, target=f"register:{what}")
    return Http404()


def register_of(user, kind: str) -> Register:
    """The register if the user holds its role anywhere; 404 otherwise (and for no such one)."""
    register = REGISTERS.get(kind)
    if register is None or not register_paths(user, register.model.REGISTER_ROLES):
        raise refuse(user, kind)
    return register


def held_registers(user) -> list[Register]:
    return [r for r in REGISTERS.values() if register_paths(user, r.model.REGISTER_ROLES)]


def _require_over(user, register: Register, path: str) -> None:
    if not any(path.startswith(p) for p in register_paths(user, register.model.REGISTER_ROLES)):
        raise refuse(user, register.kind)


def cases(user, kind: str, *, request=None, within: str | None = None):
    """The register's cases the user may see (read logged)."""
    register = register_of(user, kind)
    rows = register.model.objects.visible_to(user, within=within).select_related("org")
    record_event(READ, user=user, request=request, target=f"{kind}:list", within=within or "")
    return register, rows


def case(user, kind: str, pk: int, *, request=None):
    """One case (read logged), or 404."""
    register = register_of(user, kind)
    found = register.model.objects.visible_to(user).filter(pk=pk).select_related("org").first()
    if found is None:
        raise refuse(user, f"{kind}:{pk}")
    record_event(READ, user=user, request=request, org_path=found.org_path, target=f"{kind}:{pk}")
    return register, found


def form_for(register: Register, fields, data=None):
    """A form of the model's fields (their Chinese labels, types and choices), all required but
    the register's optional ones."""
    model_fields = [f for f in fields if f != "from_org"]  # chosen by its code, below
    form_class = forms.modelform_factory(register.model, fields=model_fields)
    form = form_class(data)
    if "from_org" in fields:
        form.fields["from_org"] = forms.CharField(label="原单位（组织代码）", max_length=40)
        form.order_fields(fields)
    for name, field in form.fields.items():
        field.required = name not in {"subject_post", "ends_on"}
        if isinstance(field, forms.NullBooleanField):
            field.widget = forms.Select(choices=[("", "请选择"), ("true", "是"), ("false", "否")])
    return form


def _cleaned(user, register, fields, data) -> dict:
    form = form_for(register, fields, data)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else "内容"
        raise Invalid(f"{label}：{errors[0]}")
    cleaned = dict(form.cleaned_data)
    for name, value in cleaned.items():
        if hasattr(value, "year") and value > timezone.localdate():
            raise Invalid(f"{form.fields[name].label}不能晚于今天")
    if "from_org" in cleaned:
        origin = Organization.objects.filter(code=cleaned["from_org"].strip()).first()
        if origin is None:
            raise Invalid("没有这个组织代码")
        _require_over(user, register, origin.path)
        cleaned["from_org"] = origin
    return cleaned


@transaction.atomic
def open_case(*, actor, kind: str, org: Organization, data) -> object:
    """A new case of the register for `org`."""
    register = register_of(actor, kind)
    _require_over(actor, register, org.path)
    cleaned = _cleaned(actor, register, register.open_fields, data)
    if cleaned.get("ends_on") and cleaned["ends_on"] < cleaned["starts_on"]:
        raise Invalid("结束日期不能早于开始日期")
    if cleaned.get("kind") == "secondment" and not cleaned.get("ends_on"):
        raise Invalid("挂职锻炼须填写结束日期")
    row = register.model.objects.create(org=org, org_path=org.path, created_by=actor, **cleaned)
    record_event("register_write", user=actor, org_path=org.path, target=f"{kind}:{row.pk}")
    return row


@transaction.atomic
def record_step(*, actor, kind: str, pk: int, step: str, data) -> object:
    """The next step of a case, in order: each once, after the one before it."""
    register = register_of(actor, kind)
    row = register.model.objects.visible_to(actor).select_for_update().filter(pk=pk).first()
    if row is None:
        raise refuse(actor, f"{kind}:{pk}")
    found = next((s for s in register.steps if s.name == step), None)
    if found is None:
        raise Invalid("未知的办理环节")
    if found.after and getattr(row, found.after) in ("", None):
        raise Invalid("请先完成上一环节")
    if getattr(row, found.done) not in ("", None):
        raise Invalid(f"“{found.label}”已登记，不能重复登记")
    cleaned = _cleaned(actor, register, found.fields, data)
    _check_step(register, row, cleaned)
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.save()
    record_event("register_write", user=actor, org_path=row.org_path, target=f"{kind}:{pk}")
    return row


def _check_step(register, row, cleaned: dict) -> None:
    if "follow_up" in cleaned and cleaned["follow_up"] not in FOLLOW_UPS[cleaned["conclusion"]]:
        raise Invalid("后续处理与核实结论不符：不属实的应澄清正名，属实的应予处理")
    if "decision" in cleaned and register.kind == "tolerance":
        refusal = tolerance_refusal(cleaned)
        if refusal:
            raise Invalid(refusal)
    for later, earlier in (
        ("decided_on", "clue_received_on"),
        ("replied_on", "decided_on"),
        ("decided_on", "happened_on"),
        ("correction_done_on", "decided_on"),
    ):
        if (
            later in cleaned
            and getattr(row, earlier, None)
            and cleaned[later] < getattr(row, earlier)
        ):
            raise Invalid("日期不能早于上一环节的日期")


def orgs_for(user, kind: str, path: str):
    """Organisations in which the user may open a case of the register (for the form)."""
    register = register_of(user, kind)
    _require_over(user, register, path)
    return Organization.objects.filter(subtree_q("path", path))
