"""Every write of assessment: schemes and indicators (the office), manual scores (a guidance
group, with a reason), bonuses and deductions, self-assessments (the organisation itself),
published rankings (the office), surveys, their codes and the public's answers. Each runs in
one transaction, checks the actor's role (accounts.permissions), refuses in Chinese and is
recorded in the audit log."""

import secrets
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over, require_role_over, role_paths
from luoshi.assessment import formulas, scoring
from luoshi.assessment.models import (
    Adjustment,
    AdjustmentKind,
    Indicator,
    IndicatorKind,
    ManualScore,
    Publication,
    PublishedScore,
    Scheme,
    SelfAssessment,
    Survey,
    SurveyAnswer,
    SurveyCode,
)
from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.opinions.models import Rating
from luoshi.opinions.services import hash_code, new_code
from luoshi.orgs.models import Organization

OFFICE_ROLES = (Role.OFFICE, Role.ADMIN)
KEEPER_ROLES = (Role.LIAISON, Role.OFFICE, Role.ADMIN)
MAX_CODES = 2000
DEFAULT_QUESTIONS = [
    "您对本单位开展主题教育的总体评价",
    "您对本单位整改落实、解决群众急难愁盼问题的评价",
    "您对本单位党员干部工作作风的评价",
]


def _points(value, label: str, *, low: float = 0, high: float = 100) -> Decimal:
    try:
        points = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise Invalid(f"{label}应为数字") from None
    if not low <= points <= high:
        raise Invalid(f"{label}应在 {low:g} 到 {high:g} 之间")
    return points


def _text(value: str, label: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise Invalid(f"请填写{label}")
    if len(value) > limit:
        raise Invalid(f"{label}不能超过 {limit} 字")
    return value


@transaction.atomic
def create_scheme(*, actor, org: Organization, campaign, name: str, level: int) -> Scheme:
    """The office of `org` sets up a scheme of `campaign` for the organisations of `level`
    below it."""
    require_role_over(actor, org.path, *OFFICE_ROLES)
    if not org.path.startswith(campaign.org_path):
        raise Invalid("该组织不在本次主题教育的范围内")
    if not org.level < level <= 5:
        raise Invalid("考核对象须是本级以下的层级")
    scheme = Scheme.objects.create(
        org=org, campaign=campaign, name=_text(name, "方案名称", 120), level=level
    )
    record_event("scheme_created", user=actor, org_path=org.path, target=f"scheme:{scheme.pk}")
    return scheme


@transaction.atomic
def add_indicator(
    *,
    actor,
    scheme: Scheme,
    name: str,
    weight,
    kind: str = IndicatorKind.COMPUTED,
    formula: str = "",
    parent: Indicator | None = None,
) -> Indicator:
    """An indicator of the scheme: a computed one names a formula luoshi provides, a manual one
    none; one with children (a group) is added first and its children under it."""
    require_role_over(actor, scheme.org_path, *OFFICE_ROLES)
    if parent is not None and parent.scheme_id != scheme.pk:
        raise Invalid("上级指标不属于本方案")
    if kind not in IndicatorKind.values:
        raise Invalid("未知的评分方式")
    if kind == IndicatorKind.COMPUTED and formula not in formulas.FORMULAS:
        raise Invalid("请选择计算公式")
    if kind == IndicatorKind.MANUAL:
        formula = ""
    return Indicator.objects.create(
        scheme=scheme,
        parent=parent,
        name=_text(name, "指标名称", 120),
        weight=_points(weight, "分值", low=0.1, high=100),
        kind=kind,
        formula=formula,
        rank=scheme.indicators.count() + 1,
    )


def _scored_org(scheme: Scheme, org: Organization) -> None:
    if not org.path.startswith(scheme.org_path) or org.level != scheme.level:
        raise Invalid(f"{org.name}不是本方案的考核对象")


@transaction.atomic
def give_manual_score(
    *, actor, indicator: Indicator, org: Organization, points, reason: str, scored_on: date
) -> ManualScore:
    """A guidance group over `org` scores a manual indicator, with its reason (never the office
    or the organisation itself)."""
    require_role_over(actor, org.path, Role.GUIDANCE, *OFFICE_ROLES)
    if not has_role_over(actor, org.path, Role.GUIDANCE):
        raise NotAllowed("只有指导组可以评分")
    _scored_org(indicator.scheme, org)
    if indicator.kind != IndicatorKind.MANUAL or indicator.children.exists():
        raise Invalid("该指标由数据自动计算，不能手工评分")
    if scored_on > timezone.localdate():
        raise Invalid("评分日期不能晚于今天")
    score = ManualScore.objects.create(
        org=org,
        indicator=indicator,
        points=_points(points, "得分", high=float(indicator.weight)),
        reason=_text(reason, "评分理由", 2000),
        scored_on=scored_on,
        scored_by=actor,
    )
    record_event("manual_score", user=actor, org_path=org.path, target=f"indicator:{indicator.pk}")
    return score


@transaction.atomic
def adjust_score(
    *, actor, scheme: Scheme, org: Organization, kind: str, points, reason: str, on: date
) -> Adjustment:
    """A bonus or deduction, by the office that runs the scheme or a guidance group over the
    organisation."""
    require_role_over(actor, org.path, Role.GUIDANCE, *OFFICE_ROLES)
    office = has_role_over(actor, scheme.org_path, *OFFICE_ROLES)
    if not office and not has_role_over(actor, org.path, Role.GUIDANCE):
        raise NotAllowed("只有考核办公室或指导组可以加减分")
    _scored_org(scheme, org)
    if kind not in AdjustmentKind.values:
        raise Invalid("请选择加分或扣分")
    if on > timezone.localdate():
        raise Invalid("日期不能晚于今天")
    adjustment = Adjustment.objects.create(
        scheme=scheme,
        org=org,
        kind=kind,
        points=_points(points, "分值", low=0.1, high=20),
        reason=_text(reason, "事由", 300),
        on=on,
        given_by=actor,
    )
    record_event("score_adjusted", user=actor, org_path=org.path, target=f"scheme:{scheme.pk}")
    return adjustment


@transaction.atomic
def self_assess(
    *, actor, scheme: Scheme, org: Organization, points, summary: str, on: date
) -> SelfAssessment:
    """The organisation's own score (自评), given by its own liaison or office."""
    require_role_over(actor, org.path, *KEEPER_ROLES)
    if not any(p == org.path and r in KEEPER_ROLES for p, r in role_paths(actor)):
        raise NotAllowed("自评由本单位填报")
    _scored_org(scheme, org)
    if on > timezone.localdate():
        raise Invalid("自评日期不能晚于今天")
    return SelfAssessment.objects.create(
        scheme=scheme,
        org=org,
        points=_points(points, "自评得分"),
        summary=_text(summary, "自评说明", 2000),
        on=on,
        given_by=actor,
    )


@transaction.atomic
def publish_rankings(*, actor, scheme: Scheme, org: Organization, as_of: date) -> Publication:
    """The office publishes the ranking of the children of `org` scored by the scheme as of a
    day: frozen, each ranked organisation then sees its own row explained."""
    require_role_over(actor, org.path, *OFFICE_ROLES)
    if not org.path.startswith(scheme.org_path):
        raise Invalid("该组织不在本方案范围内")
    if as_of > timezone.localdate():
        raise Invalid("统计日期不能晚于今天")
    children = list(Organization.objects.filter(parent=org, level=scheme.level).order_by("path"))
    if not children:
        raise Invalid(f"{org.name}没有本方案的考核对象")
    ranked = scoring.ranking(scheme, children, as_of)
    rows = [{"rank": n, **card.as_json()} for n, card in ranked]
    publication = Publication.objects.create(
        scheme=scheme, org=org, as_of=as_of, published_by=actor, rows=rows
    )
    paths = {c.pk: c.path for c in children}
    PublishedScore.objects.bulk_create(
        PublishedScore(
            publication=publication,
            org_id=card.org_id,
            org_path=paths[card.org_id],
            rank=n,
            total=card.total,
            card=card.as_json(),
        )
        for n, card in ranked
    )
    versions.changed([org.path])
    record_event("rankings_published", user=actor, org_path=org.path, target=f"scheme:{scheme.pk}")
    return publication


# --- the satisfaction survey -------------------------------------------------------------------
@transaction.atomic
def create_survey(
    *, actor, org: Organization, title: str, opens_on: date, closes_on: date, questions=None
) -> Survey:
    require_role_over(actor, org.path, *KEEPER_ROLES)
    questions = [q.strip() for q in (questions or DEFAULT_QUESTIONS) if q.strip()]
    if not 1 <= len(questions) <= 10:
        raise Invalid("测评题目须为 1 到 10 题")
    if closes_on < opens_on:
        raise Invalid("截止日期不能早于开始日期")
    survey = Survey.objects.create(
        org=org,
        title=_text(title, "测评名称", 120),
        questions=[q[:200] for q in questions],
        key=secrets.token_urlsafe(12),
        opens_on=opens_on,
        closes_on=closes_on,
        created_by=actor,
    )
    versions.changed([org.path])
    return survey


@transaction.atomic
def issue_codes(*, actor, survey: Survey, count: int) -> list[str]:
    """A batch of codes to hand out, each usable once. Only their digests are kept: the codes
    are shown once, to be printed."""
    require_role_over(actor, survey.org_path, *KEEPER_ROLES)
    if not 1 <= count <= MAX_CODES:
        raise Invalid(f"每次生成 1 到 {MAX_CODES} 个测评码")
    codes = [new_code() for _ in range(count)]
    SurveyCode.objects.bulk_create(SurveyCode(survey=survey, code_hash=hash_code(c)) for c in codes)
    record_event("survey_codes", user=actor, org_path=survey.org_path, target=f"survey:{survey.pk}")
    return codes


@transaction.atomic
def answer_survey(*, survey: Survey, code: str, ratings: list[str], comment: str = "") -> None:
    """A member of the public answers with a code handed out: one answer per code (the code is
    taken by a conditional update, so two answers racing with one code store one)."""
    today = timezone.localdate()
    if not survey.opens_on <= today <= survey.closes_on:
        raise Invalid("该测评不在开放时间内")
    if len(ratings) != len(survey.questions) or any(r not in Rating.values for r in ratings):
        raise Invalid("请对每一题作出评价")
    found = SurveyCode.objects.filter(survey=survey, code_hash=hash_code(code)).first()
    if found is None:
        raise Invalid("测评码不正确")
    now = timezone.now()
    taken = SurveyCode.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now)
    if not taken:
        raise Invalid("该测评码已使用，每个测评码只能提交一次")
    SurveyAnswer.objects.create(
        survey=survey,
        org_id=survey.org_id,
        org_path=survey.org_path,
        code=found,
        ratings=list(ratings),
        comment=(comment or "").strip()[:500],
        answered_at=now,
    )
    versions.changed([survey.org_path])
