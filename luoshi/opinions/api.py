"""Office triage over the HTTP API: the same selectors and services as the pages. Senders' names
and contact details are not part of the API."""

from datetime import date, datetime

from ninja import Router, Schema

from luoshi.core.api_schemas import ERRORS, Count, ErrorOut, Id, text_of
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.opinions import selectors, services
from luoshi.opinions.models import Opinion
from luoshi.orgs.models import Organization
from luoshi.rectification.models import Measure, Problem

router = Router(tags=["征求意见"])


class OpinionOut(Schema):
    id: int
    org_id: int
    campaign_id: int
    channel: str
    topic: str
    text: str
    state: str
    answer: str
    reason: str
    problem_id: int | None
    symposium_id: int | None
    transferred_from_id: int | None
    submitted_at: datetime
    handled_at: datetime | None
    rating: str
    photos: int
    version: int


class AcceptIn(Schema):
    version: Count
    problem_id: Id | None = None
    title: text_of(Problem, "title") = ""
    category_id: Id | None = None
    measure: text_of(Measure, "content") = ""
    due_on: date | None = None
    answer: text_of(Opinion, "answer") = ""


class AnswerIn(Schema):
    version: Count
    answer: text_of(Opinion, "answer")


class DeclineIn(Schema):
    version: Count
    reason: text_of(Opinion, "reason")


class TransferIn(Schema):
    version: Count
    org_id: Id
    note: text_of(Opinion, "answer") = ""


class AcceptOut(Schema):
    opinion: OpinionOut
    problem_id: int


FIELDS = (
    "id",
    "org_id",
    "campaign_id",
    "channel",
    "topic",
    "text",
    "state",
    "answer",
    "reason",
    "problem_id",
    "symposium_id",
    "transferred_from_id",
    "submitted_at",
    "handled_at",
    "rating",
    "version",
)


def _out(o: Opinion) -> dict:
    return {**{f: getattr(o, f) for f in FIELDS}, "photos": o.photos.count()}


@router.get("/opinions", response={200: list[OpinionOut], 404: ErrorOut})
def list_opinions(
    request,
    org: Id | None = None,
    state: str = "open",
    channel: str = "",
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    """Opinions in the token user's scope; `state` is open (to handle, the default), a state,
    or empty for all."""
    path = None
    if org is not None:
        path = get_visible_or_404(Organization.objects, request.user, pk=org).path
    f = selectors.OpinionFilter(org_path=path, state=state, channel=channel, text=q)
    limit, offset = bounded(limit, offset)
    return [_out(o) for o in selectors.opinions(request.user, f)[offset : offset + limit]]


@router.get("/opinions/{opinion_id}", response={200: OpinionOut, 404: ErrorOut})
def get_opinion(request, opinion_id: Id):
    return _out(get_visible_or_404(Opinion.objects, request.user, pk=opinion_id))


def _reload(request, opinion_id: int) -> dict:
    return _out(Opinion.objects.visible_to(request.user).get(pk=opinion_id))


@router.post("/opinions/{opinion_id}/accept", response={200: AcceptOut, **ERRORS})
def accept_opinion(request, opinion_id: Id, payload: AcceptIn):
    """Take into the ledger: a new problem (title, optional category and first measure) or,
    with `problem_id`, merged into an existing problem."""
    problem = services.accept_opinion(
        actor=request.user,
        opinion_id=opinion_id,
        version=payload.version,
        problem_id=payload.problem_id,
        title=payload.title,
        category=payload.category_id,
        measure=payload.measure,
        due_on=payload.due_on,
        answer=payload.answer,
    )
    return {"opinion": _reload(request, opinion_id), "problem_id": problem.pk}


@router.post("/opinions/{opinion_id}/answer", response={200: OpinionOut, **ERRORS})
def answer_opinion(request, opinion_id: Id, payload: AnswerIn):
    services.answer_opinion(
        actor=request.user, opinion_id=opinion_id, version=payload.version, answer=payload.answer
    )
    return _reload(request, opinion_id)


@router.post("/opinions/{opinion_id}/decline", response={200: OpinionOut, **ERRORS})
def decline_opinion(request, opinion_id: Id, payload: DeclineIn):
    services.decline_opinion(
        actor=request.user, opinion_id=opinion_id, version=payload.version, reason=payload.reason
    )
    return _reload(request, opinion_id)


@router.post("/opinions/{opinion_id}/transfer", response={200: OpinionOut, **ERRORS})
def transfer_opinion(request, opinion_id: Id, payload: TransferIn):
    """Pass to another organisation the user may see; the answer is the opinion as it now is
    (the user may still see it when the target lies in their scope)."""
    moved = services.transfer_opinion(
        actor=request.user,
        opinion_id=opinion_id,
        version=payload.version,
        org_id=payload.org_id,
        note=payload.note,
    )
    return _out(moved)
