"""Demo data of assessment: the root's scheme for its counties (the five computed indicators,
the two hooks and one scored by the guidance group), a manual score for the first county and a
satisfaction survey of it with codes handed out and answers. Small at every scale."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from luoshi.assessment.models import (
    Indicator,
    IndicatorKind,
    ManualScore,
    Scheme,
    Survey,
    SurveyAnswer,
    SurveyCode,
)
from luoshi.assessment.services import DEFAULT_QUESTIONS
from luoshi.campaigns.models import Campaign
from luoshi.opinions.models import Rating
from luoshi.opinions.services import hash_code, new_code
from luoshi.orgs.models import Organization, OrgLevel

INDICATORS = [  # (name, weight, formula or "" for manual)
    ("整改按期销号率", 25, "on_time_closure"),
    ("关键动作完成率", 20, "key_actions_done"),
    ("学习教育达标率", 15, "study_target"),
    ("群众意见办结率", 10, "opinions_answered"),
    ("群众满意度", 15, "public_satisfaction"),
    ("一月一走访覆盖率", 5, "monthly_coverage"),
    ("指导组综合评价", 10, ""),
]


def seed_assessment(context) -> None:
    campaign = Campaign.objects.filter(slug=context.campaign_slug).first()
    if campaign is None:
        return
    root = context.root
    scheme = Scheme.objects.create(
        org=root, campaign=campaign, name=f"{campaign.name}成效考核", level=OrgLevel.COUNTY
    )
    for rank, (name, weight, formula) in enumerate(INDICATORS, 1):
        Indicator.objects.create(
            scheme=scheme,
            name=name,
            weight=weight,
            kind=IndicatorKind.COMPUTED if formula else IndicatorKind.MANUAL,
            formula=formula,
            rank=rank,
        )
    counties = list(
        Organization.objects.filter(path__startswith=root.path, level=OrgLevel.COUNTY).order_by(
            "path"
        )[:2]
    )
    if not counties:
        return
    guidance = get_user_model().objects.filter(username="guidance").first()
    manual = scheme.indicators.get(kind=IndicatorKind.MANUAL)
    today = timezone.localdate()
    for county, points in zip(counties, (9, 7), strict=False):
        ManualScore.objects.create(
            org=county,
            indicator=manual,
            points=points,
            reason="实地督导：台账规范，整改措施落实到位" if points > 8 else "部分整改措施进度滞后",
            scored_on=today,
            scored_by=guidance,
        )
    _seed_survey(context, counties[0], today)


def _seed_survey(context, org, today) -> None:
    rng = context.rng
    survey = Survey.objects.create(
        org=org,
        title=f"{org.short_name or org.name}主题教育群众满意度测评",
        questions=DEFAULT_QUESTIONS,
        key=f"demo{rng.getrandbits(48):012x}",
        opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=20),
    )
    codes = [SurveyCode(survey=survey, code_hash=hash_code(new_code())) for _ in range(30)]
    SurveyCode.objects.bulk_create(codes)
    now = timezone.now()
    weights = [Rating.SATISFIED] * 7 + [Rating.BASIC] * 2 + [Rating.UNSATISFIED]
    answers = []
    for code in codes[:18]:
        code.used_at = now
        answers.append(
            SurveyAnswer(
                survey=survey,
                org=org,
                org_path=org.path,
                code=code,
                ratings=[rng.choice(weights).value for _ in survey.questions],
                answered_at=now,
            )
        )
    SurveyCode.objects.bulk_update(codes[:18], ["used_at"])
    SurveyAnswer.objects.bulk_create(answers)
