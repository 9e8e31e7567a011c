from datetime import date

from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from luoshi.assessment import scoring, selectors, services
from luoshi.assessment.models import Indicator
from luoshi.core.api_schemas import Id
from luoshi.core.errors import BadParameter, Invalid
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization

router = Router(tags=["评估考核"])


class SchemeOut(Schema):
    id: int
    name: str
    campaign_id: int
    org_id: int
    level: int


class ScoreItemOut(Schema):
    name: str
    depth: int
    weight: float
    kind: str
    value: float | None
    points: float | None
    figures: list[list]
    note: str


class CardOut(Schema):
    org_id: int
    org_name: str
    as_of: date
    base: float | None
    bonus: float
    deduction: float
    total: float | None
    grade: str
    grade_label: str
    self_points: float | None
    items: list[ScoreItemOut]


class RankOut(Schema):
    rank: int
    card: CardOut


class ManualScoreIn(Schema):
    indicator_id: Id
    org_id: Id
    points: float = Field(ge=0, le=100)
    reason: str = Field(max_length=2000)
    scored_on: date | None = None


def _as_of(as_of: date | None) -> date:
    today = timezone.localdate()
    if as_of is not None and as_of > today:
        raise BadParameter("统计日期不能晚于今天")
    return as_of or today


def _org(request, scheme, org_id: int | None):
    pk = scheme.org_id if org_id is None else org_id
    return get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)


@router.get("/assessment/schemes", response=list[SchemeOut])
def list_schemes(request):
    return list(selectors.visible_schemes(request.user).order_by("-id")[:200])


@router.get("/assessment/schemes/{scheme_id}/score", response=CardOut)
def scheme_score(request, scheme_id: int, org_id: int | None = None, as_of: date | None = None):
    """One organisation's score as of a day (today), each indicator with its figures."""
    scheme = selectors.scheme_or_404(request.user, scheme_id, request)
    org = _org(request, scheme, org_id)
    return scoring.score_card(scheme, org, _as_of(as_of)).as_json()


@router.get("/assessment/schemes/{scheme_id}/ranking", response=list[RankOut])
def scheme_ranking(
    request,
    scheme_id: int,
    org_id: int | None = None,
    as_of: date | None = None,
    worst_first: bool = False,
):
    """The organisations of the scheme's level under `org_id` (the scheme's organisation),
    best (or worst) first."""
    scheme = selectors.scheme_or_404(request.user, scheme_id, request)
    org = _org(request, scheme, org_id)
    ranked = selectors.ranking_for(
        request.user, scheme, org, _as_of(as_of), worst_first=worst_first
    )
    return [{"rank": n, "card": c.as_json()} for n, c in ranked]


@router.post("/assessment/schemes/{scheme_id}/manual-scores", response={201: dict})
def give_manual_score(request, scheme_id: int, data: ManualScoreIn):
    """A guidance group scores a manual indicator of an organisation, with its reason."""
    scheme = selectors.scheme_or_404(request.user, scheme_id, request)
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=data.org_id)
    indicator = Indicator.objects.filter(scheme=scheme, pk=data.indicator_id).first()
    if indicator is None:
        raise Invalid("该方案没有这个指标")
    score = services.give_manual_score(
        actor=request.user,
        indicator=indicator,
        org=org,
        points=data.points,
        reason=data.reason,
        scored_on=data.scored_on or timezone.localdate(),
    )
    return Status(201, {"id": score.pk})
