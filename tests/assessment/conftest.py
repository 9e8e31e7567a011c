from datetime import datetime, time, timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from luoshi.assessment import services
from luoshi.assessment.models import IndicatorKind
from luoshi.campaigns.models import ActionItem, KeyAction
from luoshi.core.scoping import SYSTEM
from luoshi.opinions import services as opinions
from luoshi.orgs import people as register
from luoshi.rectification.models import Measure, MeasureState
from luoshi.study.models import StudyActivity, StudyKind, StudyTarget
from tests.factories import user_with
from tests.rectification.conftest import _media, campaign, ledger, people  # noqa: F401

TODAY = timezone.localdate()
PAST = TODAY - timedelta(days=10)


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def scheme(tree, campaign, people):  # noqa: F811
    """The city's scheme for its counties: the five computed formulas, a hook not built yet and
    one indicator scored by the guidance group."""
    s = services.create_scheme(
        actor=people.office, org=tree.city, campaign=campaign, name="成效考核", level=3
    )
    for name, weight, formula in [
        ("整改按期销号率", 30, "on_time_closure"),
        ("关键动作完成率", 20, "key_actions_done"),
        ("学习教育达标率", 10, "study_target"),
        ("群众意见办结率", 10, "opinions_answered"),
        ("群众满意度", 10, "public_satisfaction"),
        ("一月一走访覆盖率", 10, "monthly_coverage"),
    ]:
        services.add_indicator(
            actor=people.office, scheme=s, name=name, weight=weight, formula=formula
        )
    services.add_indicator(
        actor=people.office, scheme=s, name="指导组评价", weight=10, kind=IndicatorKind.MANUAL
    )
    return s


def _measure(problem, n, **fields):
    from luoshi.rectification import services as ledger_services

    m = ledger_services.add_measure(
        actor=SYSTEM, problem=problem, content=f"措施{n}", due_on=TODAY + timedelta(days=30)
    )
    Measure.objects.filter(pk=m.pk).update(**fields)
    return m


@pytest.fixture
def facts(tree, campaign, people, ledger):  # noqa: F811
    """County a's facts dated ten days ago: measures closed on time and late, checklist items,
    study sessions of a team, opinions handled and rated."""
    past = at(PAST)
    created = at(PAST - timedelta(days=5))
    Measure.objects.filter(pk=ledger.measure.pk).update(created_at=created)
    closed = {"state": MeasureState.CLOSED, "closed_at": past, "created_at": created}
    _measure(ledger.problem, 2, **closed)
    _measure(ledger.problem, 3, **closed)
    _measure(ledger.problem, 4, **closed, was_overdue=True)
    action = KeyAction.objects.create(
        campaign=campaign, name="专题党课", due_on=PAST, launched_at=created
    )
    for org, done in ((tree.branch_a1, True), (tree.branch_a2, False), (tree.town_a, True)):
        ActionItem.objects.create(
            action=action,
            org=org,
            org_path=org.path,
            due_on=PAST,
            state=ActionItem.State.DONE if done else ActionItem.State.PENDING,
            done_on=PAST if done else None,
        )
    StudyTarget.objects.create(campaign=campaign, kind=StudyKind.SELF_STUDY, per_team=2)
    met = register.add_team(actor=SYSTEM, org=tree.branch_a1, name="支委会")
    register.add_team(actor=SYSTEM, org=tree.branch_a2, name="支委会")
    for day in (PAST, PAST - timedelta(days=1)):
        StudyActivity.objects.create(
            org=tree.branch_a1,
            org_path=tree.branch_a1.path,
            team=met,
            kind=StudyKind.SELF_STUDY,
            topic="自学",
            starts_on=day,
        )
    for n, (handled, rating) in enumerate(
        [(True, "satisfied"), (True, "unsatisfied"), (False, "")]
    ):
        opinion, _ = opinions.record_opinion(
            actor=people.branch_a1,
            org=tree.branch_a1,
            channel="talk",
            topic="other",
            text=f"村口路灯坏了第{n}次",
        )
        type(opinion).objects.filter(pk=opinion.pk).update(
            submitted_at=created,
            handled_at=past if handled else None,
            state="answered" if handled else "pending",
            rating=rating,
            rated_at=past if rating else None,
        )
    return SimpleNamespace(guidance=user_with(tree.county_a, "guidance", username="group_a"))
