from datetime import date, datetime

from django.db.models import F
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from luoshi.accounts.permissions import reports_only_on_behalf
from luoshi.campaigns.models import Campaign
from luoshi.core.api_schemas import ERRORS, LONG_TEXT, Count, ErrorOut, Id, items, text_of
from luoshi.core.errors import Invalid
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification import rules, selectors, services
from luoshi.rectification.models import Measure, Problem

router = Router(tags=["问题整改"])


class MeasureOut(Schema):
    id: int
    problem_id: int
    number: int
    content: str
    org_id: int
    owner_name: str
    responsible_leader: str
    deadline_kind: str
    due_on: date | None
    long_term: bool  # also to be kept up after the deadline (并长期坚持)
    progress: int
    state: str
    version: int
    extensions: int
    overdue: bool
    light: str
    allowed_actions: list[str]
    on_behalf: bool  # the user reports this measure's work only as 代为填报 (send on_behalf)


class ProblemOut(Schema):
    id: int
    campaign_id: int
    org_id: int
    number: str
    title: str
    source: str | None
    category: str | None
    level: str
    status: str
    immediate: bool
    responsible_leaders: str
    responsible_units: str
    version: int
    created_at: datetime


class ProblemDetail(ProblemOut):
    description: str
    measures: list[MeasureOut]


MAX_MEASURES = 50  # measures given with one problem (a real one has a handful)
MAX_FILES = 10  # evidence files with one progress report


class MeasureIn(Schema):
    content: text_of(Measure, "content")
    deadline_kind: text_of(Measure, "deadline_kind") = "date"
    due_on: date | None = None
    long_term: bool = False  # a dated or 立行立改 measure also to be kept up (并长期坚持)
    owner_name: text_of(Measure, "owner_name") = ""
    responsible_leader: text_of(Measure, "responsible_leader") = ""
    org_id: Id | None = None


class ProblemIn(Schema):
    org_id: Id
    campaign_id: Id
    title: text_of(Problem, "title")
    description: text_of(Problem, "description") = ""
    number: text_of(Problem, "number") = ""
    source_id: Id | None = None
    category_id: Id | None = None
    level: text_of(Problem, "level") = "team"
    person_name: text_of(Problem, "person_name") = ""
    responsible_leaders: text_of(Problem, "responsible_leaders") = ""
    responsible_units: text_of(Problem, "responsible_units") = ""
    measures: items(MeasureIn, MAX_MEASURES) = []


class TransitionIn(Schema):
    action: str = Field(max_length=20)
    version: Count
    reason: text_of(Measure, "return_reason") = ""
    on_behalf: bool = False  # 代为填报: a level above starts or asks 销号 for the unit


class ProgressOut(Schema):
    id: int
    measure_id: int
    text: str
    progress: int
    files: list[str]


MEASURE_OUT_FIELDS = (
    *("id", "problem_id", "number", "content", "org_id", "owner_name", "responsible_leader"),
    *("deadline_kind", "due_on", "long_term", "progress", "state", "version", "extensions"),
)


def _measure_out(user, m: Measure, warning_days: int) -> dict:
    return {
        **{f: getattr(m, f) for f in MEASURE_OUT_FIELDS},
        "overdue": m.is_overdue(),
        "light": m.light_on(warning_days),
        "allowed_actions": [t.action for t in rules.allowed_actions(user, m)],
        "on_behalf": reports_only_on_behalf(user, m.org_path),
    }


def _problem_out(p: Problem) -> dict:
    return {
        **{
            f: getattr(p, f)
            for f in (
                "id",
                "campaign_id",
                "org_id",
                "number",
                "title",
                "level",
                "status",
                "immediate",
                "responsible_leaders",
                "responsible_units",
                "version",
                "created_at",
            )
        },
        "source": p.source.name if p.source_id else None,
        "category": str(p.category) if p.category_id else None,
    }


def _problem_detail(user, p: Problem) -> dict:
    measures = p.measures.order_by("number", "id")
    return {
        **_problem_out(p),
        "description": p.description,
        "measures": [_measure_out(user, m, p.campaign.warning_days) for m in measures],
    }


@router.get("/problems", response=list[ProblemOut])
def list_problems(
    request,
    campaign: Id | None = None,
    org: Id | None = None,
    status: str = "",
    overdue: bool = False,
    q: str = "",
    limit: int = 50,
    offset: int = 0,
):
    """The problem list of the token's user, filtered like the ledger page."""
    path = None
    if org is not None:
        path = get_visible_or_404(Organization.objects, request.user, pk=org).path
    f = selectors.LedgerFilter(
        org_path=path, campaign_id=campaign, status=status, overdue=overdue, text=q
    )
    limit, offset = bounded(limit, offset)
    rows = selectors.ledger(request.user, f)[offset : offset + limit]
    return [_problem_out(p) for p in rows]


@router.get("/problems/{problem_id}", response={200: ProblemDetail, 404: ErrorOut})
def get_problem(request, problem_id: Id):
    p = get_visible_or_404(
        Problem.objects.select_related("campaign", "source", "category"),
        request.user,
        pk=problem_id,
    )
    return _problem_detail(request.user, p)


@router.post("/problems", response={201: ProblemDetail, **ERRORS})
def create_problem(request, payload: ProblemIn):
    """A problem with its measures, all or nothing."""
    user = request.user
    org = get_visible_or_404(Organization.objects, user, pk=payload.org_id)
    campaign = get_visible_or_404(Campaign.objects, user, pk=payload.campaign_id)
    measures = [
        {
            "content": m.content,
            "org": get_visible_or_404(Organization.objects, user, pk=m.org_id)
            if m.org_id
            else None,
            "deadline_kind": m.deadline_kind,
            "due_on": m.due_on,
            "long_term": m.long_term,
            "owner_name": m.owner_name,
            "responsible_leader": m.responsible_leader,
        }
        for m in payload.measures
    ]
    problem = services.create_problem_with_measures(
        actor=user,
        org=org,
        campaign=campaign,
        title=payload.title,
        description=payload.description,
        source=payload.source_id,
        category=payload.category_id,
        level=payload.level,
        person_name=payload.person_name,
        responsible_leaders=payload.responsible_leaders,
        responsible_units=payload.responsible_units,
        number=payload.number,
        measures=measures,
    )
    problem.refresh_from_db()
    return Status(201, _problem_detail(user, problem))


@router.get("/measures/{measure_id}", response={200: MeasureOut, 404: ErrorOut})
def get_measure(request, measure_id: Id):
    # The measure's own copy of its problem's campaign, one column of it: no join through the
    # problem, no campaign row.
    measures = Measure.objects.annotate(warning_days=F("campaign__warning_days"))
    m = get_visible_or_404(measures, request.user, pk=measure_id)
    return _measure_out(request.user, m, m.warning_days)


@router.post("/measures/{measure_id}/transitions", response={200: MeasureOut, **ERRORS})
def transition(request, measure_id: Id, payload: TransitionIn):
    """Take one step of the measure's state machine with the version the client saw."""
    m = services.transition_measure(
        actor=request.user,
        measure_id=measure_id,
        action=payload.action,
        version=payload.version,
        reason=payload.reason,
        on_behalf=payload.on_behalf,
    )
    warning_days = Campaign.objects.values_list("warning_days", flat=True).get(pk=m.campaign_id)
    return _measure_out(request.user, m, warning_days)


@router.post("/measures/{measure_id}/progress", response={201: ProgressOut, **ERRORS})
def report_progress(
    request,
    measure_id: Id,
    version: Count = Form(...),
    text: str = Form(..., max_length=LONG_TEXT),
    progress: int = Form(...),
    files: list[UploadedFile] = File(None),
    on_behalf: bool = Form(False),
):
    """Report progress with evidence files (multipart/form-data), at most MAX_FILES of them;
    `on_behalf` when a level above reports for the unit (代为填报)."""
    if files and len(files) > MAX_FILES:
        raise Invalid(f"一次最多上传 {MAX_FILES} 个佐证文件")
    update = services.report_progress(
        actor=request.user,
        measure_id=measure_id,
        version=version,
        text=text,
        progress=progress,
        files=files or [],
        on_behalf=on_behalf,
    )
    return Status(
        201,
        {
            "id": update.pk,
            "measure_id": measure_id,
            "text": update.text,
            "progress": update.progress,
            "files": [e.original_name for e in update.files.all()],
        },
    )
