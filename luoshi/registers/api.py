"""The registers' API: the same reads and writes as the pages, and the same 404 for anyone
without the register's role (every operation, whatever the id)."""

from typing import Literal

from ninja import Router, Schema, Status

from luoshi.core.api_schemas import Id
from luoshi.core.errors import Invalid
from luoshi.orgs.models import Organization
from luoshi.registers import services

router = Router(tags=["专项登记"])
Kind = Literal["inquiries", "tolerance", "rotations"]


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


@router.get("/registers/{kind}", response=list[CaseOut])
def list_register_cases(request, kind: Kind):
    register, rows = services.cases(request.user, kind, request=request)
    return [_out(register, row) for row in rows[:500]]


@router.get("/registers/{kind}/{case_id}", response=CaseOut)
def get_register_case(request, kind: Kind, case_id: int):
    register, row = services.case(request.user, kind, case_id, request=request)
    return _out(register, row)


@router.post("/registers/{kind}", response={201: CaseOut})
def open_register_case(request, kind: Kind, data: CaseIn):
    register = services.register_of(request.user, kind)
    org = Organization.objects.filter(pk=data.org_id).first()
    if org is None:
        raise services.refuse(request.user, f"{kind}:org")
    row = services.open_case(actor=request.user, kind=kind, org=org, data=data.fields)
    return Status(201, _out(register, row))


@router.post("/registers/{kind}/{case_id}/step", response=CaseOut)
def register_case_step(request, kind: Kind, case_id: int, data: StepIn):
    register = services.register_of(request.user, kind)
    if not register.steps:
        raise Invalid("该登记没有办理环节")
    row = services.record_step(
        actor=request.user, kind=kind, pk=case_id, step=data.step, data=data.fields
    )
    return _out(register, row)
