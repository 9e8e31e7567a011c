"""The registers' API: the same reads and writes as the pages, and the same 404 for anyone
without the register's role (every operation, whatever the id). One set of operations per
register, made below from the same four functions."""

from ninja import Router, Schema, Status

from luoshi.core.api_schemas import Id
from luoshi.orgs.models import Organization
from luoshi.registers import services

router = Router(tags=["专项登记"])


class CaseOut(Schema):
    id: int
    org_id: int
    org_name: str
    fields: dict[str, str]


class CaseIn(Schema):
    org_id: Id
    fields: dict[str, str]


class StepIn(Schema):
    step: str
    fields: dict[str, str]


def _out(register, row) -> dict:
    names = list(register.open_fields) + [f for s in register.steps for f in s.fields]
    values = {}
    for name in names:
        value = getattr(row, name)
        values[name] = "" if value is None else str(getattr(value, "code", value))
    return {"id": row.pk, "org_id": row.org_id, "org_name": row.org.name, "fields": values}


def _named(func, name: str, doc: str):
    func.__name__ = func.__qualname__ = name
    func.__doc__ = doc
    return func


def _operations(kind: str, one: str, many: str) -> None:
    """list_<many>, get_<one>, open_<one> and, for a register with steps, <one>_step."""
    register = services.REGISTERS[kind]

    def list_cases(request):
        reg, rows = services.cases(request.user, kind, request=request)
        return [_out(reg, row) for row in rows[:500]]

    def get_case(request, case_id: int):
        reg, row = services.case(request.user, kind, case_id, request=request)
        return _out(reg, row)

    def open_case(request, data: CaseIn):
        reg = services.register_of(request.user, kind)
        org = Organization.objects.filter(pk=data.org_id).first()
        if org is None:
            raise services.refuse(request.user, f"{kind}:org")
        row = services.open_case(actor=request.user, kind=kind, org=org, data=data.fields)
        return Status(201, _out(reg, row))

    def case_step(request, case_id: int, data: StepIn):
        reg = services.register_of(request.user, kind)
        row = services.record_step(
            actor=request.user, kind=kind, pk=case_id, step=data.step, data=data.fields
        )
        return _out(reg, row)

    label = register.label
    base = f"/registers/{kind}"
    router.get(base, response=list[CaseOut], url_name=f"list_{many}")(
        _named(list_cases, f"list_{many}", f"{label}：本人有权查阅的登记（查阅留痕）")
    )
    router.get(f"{base}/{{case_id}}", response=CaseOut, url_name=f"get_{one}")(
        _named(get_case, f"get_{one}", f"{label}：一件登记（查阅留痕）")
    )
    router.post(base, response={201: CaseOut}, url_name=f"open_{one}")(
        _named(open_case, f"open_{one}", f"{label}：新登记")
    )
    if register.steps:
        router.post(f"{base}/{{case_id}}/step", response=CaseOut, url_name=f"{one}_step")(
            _named(case_step, f"{one}_step", f"{label}：登记下一办理环节")
        )


_operations("inquiries", "inquiry", "inquiries")
_operations("tolerance", "tolerance_case", "tolerance_cases")
_operations("rotations", "rotation", "rotations")
