from datetime import date

from ninja import Router, Schema, Status

from luoshi.campaigns.models import Campaign
from luoshi.core.api_schemas import ErrorOut, Id, items, text_of
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404, scope_paths
from luoshi.orgs.models import Organization
from luoshi.rectification.models import Problem
from luoshi.research import selectors, services
from luoshi.research.models import Finding, ResearchTopic, Visit

router = Router(tags=["调查研究"])


class FindingOut(Schema):
    id: int
    text: str
    problem_id: int | None


class VisitOut(Schema):
    id: int
    visited_on: date
    place: str
    place_kind: str
    met_whom: str
    notes: str
    findings: list[FindingOut]


class TopicOut(Schema):
    id: int
    org_id: int
    campaign_id: int | None
    title: str
    leader_name: str
    leader_title: str
    state: str


class TopicDetail(TopicOut):
    description: str
    report: str
    outcome: str
    visits: list[VisitOut]


MAX_FINDINGS = 50  # findings recorded with one visit


class TopicIn(Schema):
    org_id: Id
    title: text_of(ResearchTopic, "title")
    leader_name: text_of(ResearchTopic, "leader_name")
    leader_title: text_of(ResearchTopic, "leader_title") = ""
    description: text_of(ResearchTopic, "description") = ""
    campaign_id: Id | None = None


class VisitIn(Schema):
    visited_on: date
    place: text_of(Visit, "place")
    place_kind: text_of(Visit, "place_kind") = "other"
    met_whom: text_of(Visit, "met_whom") = ""
    notes: text_of(Visit, "notes") = ""
    findings: items(text_of(Finding, "text"), MAX_FINDINGS) = []


class ToProblemIn(Schema):
    campaign_id: Id | None = None
    title: text_of(Problem, "title") = ""


class ProblemRef(Schema):
    problem_id: int
    finding_id: int


def _topic_out(t: ResearchTopic) -> dict:
    return {
        "id": t.pk,
        "org_id": t.org_id,
        "campaign_id": t.campaign_id,
        "title": t.title,
        "leader_name": t.leader_name,
        "leader_title": t.leader_title,
        "state": t.state,
    }


def _detail(t: ResearchTopic) -> dict:
    visits = t.visits.prefetch_related("findings").order_by("visited_on", "id")
    return {
        **_topic_out(t),
        "description": t.description,
        "report": t.report,
        "outcome": t.outcome,
        "visits": [
            {
                "id": v.pk,
                "visited_on": v.visited_on,
                "place": v.place,
                "place_kind": v.place_kind,
                "met_whom": v.met_whom,
                "notes": v.notes,
                "findings": [
                    {"id": f.pk, "text": f.text, "problem_id": f.problem_id}
                    for f in v.findings.all()
                ],
            }
            for v in visits
        ],
    }


@router.get("/research/topics", response={200: list[TopicOut], 404: ErrorOut})
def list_topics(request, org: Id | None = None, state: str = "", limit: int = 50, offset: int = 0):
    if org is not None:
        paths = [get_visible_or_404(Organization.objects, request.user, pk=org).path]
    else:
        paths = list(scope_paths(request.user))
    limit, offset = bounded(limit, offset)
    rows = selectors.topics(request.user, paths, state=state)[offset : offset + limit]
    return [_topic_out(r) for r in rows]


@router.get("/research/topics/{topic_id}", response={200: TopicDetail, 404: ErrorOut})
def get_topic(request, topic_id: Id):
    return _detail(get_visible_or_404(ResearchTopic.objects, request.user, pk=topic_id))


@router.post(
    "/research/topics", response={201: TopicDetail, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def create_topic(request, payload: TopicIn):
    org = get_visible_or_404(Organization.objects, request.user, pk=payload.org_id)
    campaign = (
        get_visible_or_404(Campaign.objects, request.user, pk=payload.campaign_id)
        if payload.campaign_id
        else None
    )
    topic = services.create_topic(
        actor=request.user,
        org=org,
        title=payload.title,
        leader_name=payload.leader_name,
        leader_title=payload.leader_title,
        description=payload.description,
        campaign=campaign,
    )
    return Status(201, _detail(topic))


@router.post(
    "/research/topics/{topic_id}/visits",
    response={201: TopicDetail, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def add_visit(request, topic_id: Id, payload: VisitIn):
    services.record_visit(
        actor=request.user,
        topic_id=topic_id,
        visited_on=payload.visited_on,
        place=payload.place,
        place_kind=payload.place_kind,
        met_whom=payload.met_whom,
        notes=payload.notes,
        findings=payload.findings,
    )
    return Status(201, _detail(ResearchTopic.objects.get(pk=topic_id)))


@router.post(
    "/research/findings/{finding_id}/problem",
    response={201: ProblemRef, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
)
def finding_to_problem(request, finding_id: Id, payload: ToProblemIn):
    """Put the finding into the ledger as a problem (source 调研发现), linked both ways."""
    get_visible_or_404(Finding.objects, request.user, pk=finding_id)
    campaign = (
        get_visible_or_404(Campaign.objects, request.user, pk=payload.campaign_id)
        if payload.campaign_id
        else None
    )
    problem = services.finding_to_problem(
        actor=request.user, finding_id=finding_id, campaign=campaign, title=payload.title
    )
    return Status(201, {"problem_id": problem.pk, "finding_id": finding_id})
