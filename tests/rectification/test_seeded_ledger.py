"""The demo ledger is written as the services would have written it: the figures a user sees on
the seeded tiny city (closed on time, two-party 销号) follow the campaign's rules."""

import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from luoshi.accounts.models import Assignment
from luoshi.accounts.permissions import verifier_role
from luoshi.orgs.models import Organization
from luoshi.rectification import clock
from luoshi.rectification.models import Measure, MeasureState, Problem, Verification

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("seed", "--scale", "tiny", "--json", stdout=io.StringIO())
    return Organization.objects.get(parent=None)


def _closed_late(m: Measure) -> bool:
    """What the verification records: closed after its deadline (overdue on the closing day)."""
    return m.closed_at is not None and clock.is_late(m, timezone.localdate(m.closed_at))


def test_every_seeded_measure_was_overdue_as_its_dates_say(seeded):
    measures = list(Measure.objects.all())
    closed_late = [m for m in measures if _closed_late(m)]
    assert closed_late, "the tiny seed closes some measures after their deadline"
    # Closed after the deadline: once overdue, so not closed on time.
    assert [m.pk for m in closed_late if not m.was_overdue] == []
    # Never extended: once overdue exactly when closed after the deadline (only a verification
    # or an extension sets the flag).
    unextended = [m for m in measures if m.extensions == 0]
    assert [m.pk for m in unextended if m.was_overdue != _closed_late(m)] == []
    on_time = Measure.objects.filter(clock.closed_on_time_q()).count()
    expected = sum(
        1
        for m in measures
        if m.state == MeasureState.CLOSED and m.extensions == 0 and not _closed_late(m)
    )
    assert on_time == expected


def test_seeded_rollups_have_no_drift(seeded):
    out = io.StringIO()
    call_command("rollups", "--json", stdout=out)
    assert {r["rollup"]: r["drift"] for r in json.loads(out.getvalue())} == {
        r["rollup"]: [] for r in json.loads(out.getvalue())
    }


def test_no_seeded_measure_is_verified_by_the_organisation_that_asked(seeded):
    verified = Verification.objects.select_related("measure", "verifier")
    assert verified.exists()
    paths_of = {}
    for a in Assignment.objects.select_related("org"):
        paths_of.setdefault(a.user_id, set()).add(a.org.path)
    for v in verified:
        m = v.measure
        asked_from = m.submitted_from
        assert asked_from, f"措施 {m.pk} 已核验却没有申请销号单位"
        assert asked_from not in paths_of.get(v.verifier_id, set()), m.pk
        assert verifier_role(v.verifier, m.org_path, not_from=asked_from) is not None, m.pk


def test_seeded_immediate_fixes_are_verified_by_the_level_above(seeded):
    fixes = Measure.objects.filter(problem__immediate=True)
    assert fixes.exists()
    assert not Problem.objects.filter(immediate=True, org=seeded).exists()
    for m in fixes.filter(state=MeasureState.CLOSED):
        assert m.verifications.filter(decision=Verification.Decision.CLOSED).exists()
