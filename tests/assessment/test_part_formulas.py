"""The formulas read from the monthly cycle and the 督办单: each equals a count made row by row
here, and a past day's value stays when later facts arrive."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from luoshi.assessment import formulas
from luoshi.monthly import services as monthly
from luoshi.rectification.models import Measure
from luoshi.supervision.models import Escalation
from tests.assessment.conftest import at
from tests.factories import user_with
from tests.rectification.conftest import _media, campaign, ledger, people  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_monthly_coverage_is_the_assigned_targets_visited_this_month(tree, people):  # noqa: F811
    cadre = user_with(tree.branch_a1, "viewer", username="cadre_x")
    targets = [
        monthly.create_target(
            actor=people.office, org=tree.branch_a1, name=f"{n}号户", kind="household", cadre=cadre
        )
        for n in range(4)
    ]
    for target in targets[:3]:
        monthly.record_visit(
            actor=cadre, key=uuid.uuid4(), target_id=target.pk, visited_at=timezone.now()
        )
    measured = formulas.monthly_coverage(tree.county_a.path, TODAY, None)
    assert measured.value == pytest.approx(3 / 4)
    assert dict(measured.figures) == {"包联对象": 4, "本月已走访": 3}
    assert formulas.monthly_coverage(tree.county_b.path, TODAY, None).value is None  # 暂无数据
    # a target assigned after the day does not change that day's value
    if TODAY.day > 1:
        before = formulas.monthly_coverage(tree.county_a.path, TODAY - timedelta(days=1), None)
        monthly.create_target(
            actor=people.office, org=tree.branch_a1, name="新户", kind="household", cadre=cadre
        )
        again = formulas.monthly_coverage(tree.county_a.path, TODAY - timedelta(days=1), None)
        assert again == before


def _escalation(measure, step, reply_due_on, replied_on=None):
    return Escalation.objects.create(
        org=measure.org,
        org_path=measure.org_path,
        measure=measure,
        campaign=measure.campaign,
        step=step,
        to_org=measure.org,
        year=TODAY.year,
        due_on=reply_due_on - timedelta(days=10),
        issued_on=reply_due_on - timedelta(days=5),
        reply_due_on=reply_due_on,
        replied_on=replied_on,
    )


def test_reply_rate_is_colour_sheets_replied_in_time_of_those_due(tree, campaign, ledger):  # noqa: F811
    m = Measure.objects.filter(org_path__startswith=tree.county_a.path).first()
    due = TODAY - timedelta(days=3)
    _escalation(m, "yellow", due, replied_on=due - timedelta(days=1))  # on time
    _escalation(m, "orange", due, replied_on=due + timedelta(days=1))  # late
    _escalation(m, "red", due)  # not replied
    _escalation(m, "remind", due)  # a reminder is no 督办单
    measured = formulas.supervision_replied(tree.county_a.path, TODAY, campaign)
    assert measured.value == pytest.approx(1 / 3)
    assert dict(measured.figures) == {"应回复督办单": 3, "按期回复": 1}
    # a sheet whose reply falls due after the day is not counted on it
    assert (
        formulas.supervision_replied(tree.county_a.path, due - timedelta(days=1), campaign).value
        is None
    )
    assert formulas.supervision_replied(tree.county_b.path, TODAY, campaign).value is None
    # the measure closed before the reply was due: no reply was owed
    Measure.objects.filter(pk=m.pk).update(closed_at=at(due - timedelta(days=2)))
    assert formulas.supervision_replied(tree.county_a.path, TODAY, campaign).value is None
