from datetime import date

from django.utils import timezone
from ninja import Router, Schema

from luoshi.core.api_schemas import ERRORS, Id, items, text_of
from luoshi.core.errors import Invalid
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.supervision import selectors, services
from luoshi.supervision.models import Escalation, ReportDemand, Submission

router = Router(tags=["督办与报送"])


class EscalationOut(Schema):
    id: int
    number: str
    step: str
    state: str
    measure_id: int
    org_id: int
    to_org_id: int
    due_on: date
    issued_on: date
    reply_due_on: date | None
    reply_text: str
    replied_on: date | None


class ReplyIn(Schema):
    text: text_of(Escalation, "reply_text")


class NotificationOut(Schema):
    id: int
    title: str
    body: str
    url: str
    day: date
    read: bool


class SenderOut(Schema):
    org_id: int
    org_name: str
    submission_id: int | None
    state: str
    late: bool
    difference: dict | None


class SubmitIn(Schema):
    org_id: Id
    text: text_of(Submission, "text") = ""


class SubmissionOut(Schema):
    id: int
    org_id: int
    demand_id: int
    period_due_on: date
    state: str
    late: bool
    return_reason: str
    figures: dict


class RemindIn(Schema):
    measure_ids: items(Id, 1000)


class RemindOut(Schema):
    reminded: list[int]
    refused: list[str]
    people: int


class DecideIn(Schema):
    receive: bool
    reason: text_of(Submission, "return_reason") = ""


def _escalation(e: Escalation) -> dict:
    return {
        **{f: getattr(e, f) for f in ("id", "number", "step", "state", "due_on", "issued_on")},
        **{f: getattr(e, f) for f in ("reply_due_on", "reply_text", "replied_on")},
        "measure_id": e.measure_id,
        "org_id": e.org_id,
        "to_org_id": e.to_org_id,
    }


def _submission(s: Submission) -> dict:
    return {
        **{f: getattr(s, f) for f in ("id", "org_id", "demand_id", "period_due_on", "state")},
        "late": s.late,
        "return_reason": s.return_reason,
        "figures": s.snapshot.figures.get("node", {}),
    }


@router.get("/escalations", response=list[EscalationOut])
def list_escalations(
    request,
    step: str = "",
    state: str = "",
    limit: int = 100,
    offset: int = 0,
    as_of: date | None = None,
):
    """With `as_of`: the 督办单 issued by the end of that day, each in its state then."""
    limit, offset = bounded(limit, offset)
    rows = selectors.escalations(request.user, step=step, state=state, as_of=_past(as_of))
    return [_escalation(e) | {"state": e.state_then} for e in rows[offset : offset + limit]]


def _past(as_of: date | None) -> date | None:
    if as_of is not None and as_of > timezone.localdate():
        raise Invalid("查看日期不能晚于今天")
    return as_of


@router.get("/escalations/{escalation_id}", response={200: EscalationOut, **ERRORS})
def get_escalation(request, escalation_id: int):
    return _escalation(
        get_visible_or_404(Escalation.objects, request.user, request=request, pk=escalation_id)
    )


@router.post("/escalations/{escalation_id}/reply", response={200: EscalationOut, **ERRORS})
def reply_escalation(request, escalation_id: int, body: ReplyIn):
    return _escalation(
        services.reply_escalation(actor=request.user, escalation_id=escalation_id, text=body.text)
    )


@router.get("/notifications", response=list[NotificationOut])
def list_notifications(request, limit: int = 100, offset: int = 0):
    limit, offset = bounded(limit, offset)
    rows = selectors.inbox(request.user)[offset : offset + limit]
    return [
        {"id": n.pk, "title": n.title, "body": n.body, "url": n.url, "day": n.day}
        | {"read": n.read_at is not None}
        for n in rows
    ]


@router.post("/notifications/{notification_id}/read", response={200: dict, **ERRORS})
def read_notification(request, notification_id: int):
    return {"read": services.mark_read(actor=request.user, notification_id=notification_id)}


@router.post("/reminders", response={200: RemindOut, **ERRORS})
def remind(request, body: RemindIn):
    """批量提醒, as on the work page: each person responsible gets one inbox message naming
    their measures. Measures the rules refuse are listed in `refused`, each with why; when none
    is reminded, the answer is 400 with every reason."""
    if not body.measure_ids:
        raise Invalid("请先选择要提醒的整改措施")
    result = services.remind_measures(actor=request.user, measure_ids=body.measure_ids)
    if not result.reminded:
        raise Invalid("未提醒：" + "；".join(result.refused))
    return {
        "reminded": [m.pk for m in result.reminded],
        "refused": result.refused,
        "people": result.people,
    }


@router.get("/report-demands/{demand_id}/status", response={200: list[SenderOut], **ERRORS})
def demand_status(request, demand_id: int, period: date | None = None, as_of: date | None = None):
    """Each sender's standing for the period; with `as_of`, as it stood at the end of that day."""
    demand = get_visible_or_404(ReportDemand.objects, request.user, request=request, pk=demand_id)
    as_of = _past(as_of)
    today = as_of or timezone.localdate()
    rows = selectors.demand_status(
        request.user, demand, period or selectors.default_period(demand, today), today, as_of=as_of
    )
    return [
        {
            "org_id": r.org.pk,
            "org_name": r.org.name,
            "submission_id": r.submission.pk if r.submission else None,
            "state": r.submission.state_then if r.submission else "missing",
            "late": r.late,
            "difference": r.difference,
        }
        for r in rows
    ]


@router.post("/report-demands/{demand_id}/submissions", response={200: SubmissionOut, **ERRORS})
def submit_report(request, demand_id: int, body: SubmitIn):
    get_visible_or_404(ReportDemand.objects, request.user, request=request, pk=demand_id)
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=body.org_id)
    return _submission(
        services.submit_report(actor=request.user, demand_id=demand_id, org=org, text=body.text)
    )


@router.post("/submissions/{submission_id}/decide", response={200: SubmissionOut, **ERRORS})
def decide_submission(request, submission_id: int, body: DecideIn):
    return _submission(
        services.decide_submission(
            actor=request.user,
            submission_id=submission_id,
            receive=body.receive,
            reason=body.reason,
        )
    )
