"""Overdue and the light (亮灯) are derived from the deadline and the state."""

from datetime import date, timedelta

import pytest
import time_machine

from luoshi.core.errors import Invalid, NotAllowed
from luoshi.rectification import services
from luoshi.rectification.models import DeadlineKind, Light, Measure, MeasureState
from luoshi.rectification.selectors import ledger_figures
from tests.rectification.conftest import act, progress, reload

pytestmark = pytest.mark.django_db
D = date(2026, 6, 1)


def measure(kind=DeadlineKind.DATE, due=D, state=MeasureState.IN_PROGRESS, was_overdue=False):
    return Measure(deadline_kind=kind, due_on=due, state=state, was_overdue=was_overdue)


@pytest.mark.parametrize(
    ("m", "on", "overdue", "light"),
    [
        (measure(), D - timedelta(days=30), False, Light.GREEN),
        (measure(), D - timedelta(days=7), False, Light.YELLOW),
        (measure(), D, False, Light.YELLOW),
        (measure(), D + timedelta(days=1), True, Light.RED),
        (measure(state=MeasureState.CLOSED), D + timedelta(days=40), False, Light.NONE),
        (measure(state=MeasureState.SUBMITTED), D + timedelta(days=1), True, Light.RED),
        (measure(kind=DeadlineKind.ONGOING, due=None), D + timedelta(days=999), False, Light.GREEN),
        (measure(kind=DeadlineKind.IMMEDIATE), D + timedelta(days=1), True, Light.RED),
        (measure(was_overdue=True), D - timedelta(days=60), False, Light.YELLOW),
    ],
)
def test_overdue_and_light_are_derived(m, on, overdue, light):
    assert m.is_overdue(on) is overdue
    assert m.light_on(warning_days=7, on=on) == light


def test_immediate_measure_is_due_within_the_campaigns_period(ledger, people):
    m = services.add_measure(
        actor=people.branch_a1,
        problem=ledger.problem,
        content="立即整改",
        deadline_kind=DeadlineKind.IMMEDIATE,
    )
    assert m.due_on == date.today() + timedelta(days=10)
    assert "立行立改" in m.deadline_label


def test_ongoing_measure_has_no_due_date_and_is_never_overdue(ledger, people):
    m = services.add_measure(
        actor=people.branch_a1,
        problem=ledger.problem,
        content="长期坚持",
        deadline_kind=DeadlineKind.ONGOING,
        due_on=date(2000, 1, 1),
    )
    assert m.due_on is None and not m.is_overdue(date(2099, 1, 1))


def test_dated_measure_needs_a_date(ledger, people):
    with pytest.raises(Invalid, match="完成时限"):
        services.add_measure(actor=people.branch_a1, problem=ledger.problem, content="无时限")


def test_overdue_counts_follow_the_clock(ledger, tree):
    assert ledger_figures(tree.city.path)["measures_overdue"] == 0
    with time_machine.travel(date.today() + timedelta(days=31)):
        assert ledger_figures(tree.city.path)["measures_overdue"] == 1
        assert ledger_figures(tree.county_b.path)["measures_overdue"] == 0


def test_extension_approved_by_level_above_moves_deadline_and_red_becomes_yellow(ledger, people):
    m = progress(people.branch_a1, ledger.measure, files=[], percent=50)
    with time_machine.travel(date.today() + timedelta(days=40)):
        assert m.light_on(7) == Light.RED
        ext = services.request_extension(
            actor=people.branch_a1,
            measure_id=m.pk,
            new_due_on=date.today() + timedelta(days=60),
            reason="涉及多部门协调",
        )
        with pytest.raises(NotAllowed):
            services.decide_extension(actor=people.branch_a1, extension_id=ext.pk, approve=True)
        services.decide_extension(actor=people.county_office_a, extension_id=ext.pk, approve=True)
        m = reload(m)
        assert m.extensions == 1 and m.due_on == ext.new_due_on
        assert not m.is_overdue() and m.light_on(7) == Light.YELLOW
    act(people.branch_a1, progress(people.branch_a1, m), "submit")
    act(people.guidance_a, m, "verify")
    assert reload(m).light_on(7) == Light.NONE


def test_rejected_extension_leaves_the_deadline(ledger, people):
    due = ledger.measure.due_on
    ext = services.request_extension(
        actor=people.branch_a1,
        measure_id=ledger.measure.pk,
        new_due_on=due + timedelta(days=30),
        reason="人手不足",
    )
    services.decide_extension(actor=people.guidance_a, extension_id=ext.pk, approve=False)
    m = reload(ledger.measure)
    assert m.due_on == due and m.extensions == 0


def test_extension_must_move_the_date_later_and_have_a_reason(ledger, people):
    m = ledger.measure
    with pytest.raises(Invalid):
        services.request_extension(
            actor=people.branch_a1,
            measure_id=m.pk,
            new_due_on=m.due_on - timedelta(days=1),
            reason="提前",
        )
    with pytest.raises(Invalid):
        services.request_extension(
            actor=people.branch_a1,
            measure_id=m.pk,
            new_due_on=m.due_on + timedelta(days=1),
            reason=" ",
        )
