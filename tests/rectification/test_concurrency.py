"""Several people acting on the same measure at once: exactly one wins, the others are told."""

import threading

import pytest
from django.db import connections

from luoshi.rectification import services
from luoshi.rectification.models import LedgerEvent, MeasureState, Verification
from tests.rectification.conftest import act, progress, reload

pytestmark = pytest.mark.django_db(transaction=True)


def race(n, work):
    barrier = threading.Barrier(n)
    results = []

    def run(i):
        try:
            barrier.wait()
            results.append(("ok", work(i)))
        except services.Conflict:
            results.append(("conflict", None))
        except Exception as exc:  # recorded and asserted on below
            results.append(("error", repr(exc)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.parametrize("threads", [2, 8])
def test_concurrent_verifications_of_one_measure_exactly_one_wins(ledger, people, threads):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    m = reload(m)
    verifiers = [people.guidance_a, people.county_office_a, people.office]
    events = LedgerEvent.objects.filter(measure=m).count()

    results = race(
        threads,
        lambda i: services.transition_measure(
            actor=verifiers[i % 3], measure_id=m.pk, action="verify", version=m.version
        ),
    )

    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["conflict"] * (threads - 1) + ["ok"], results
    assert reload(m).state == MeasureState.CLOSED
    assert Verification.objects.filter(measure=m).count() == 1
    assert LedgerEvent.objects.filter(measure=m).count() == events + 1


def test_verify_and_return_at_once_leave_one_consistent_outcome(ledger, people):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    m = reload(m)
    steps = [("verify", ""), ("return", "材料不全")]

    results = race(
        2,
        lambda i: services.transition_measure(
            actor=people.guidance_a,
            measure_id=m.pk,
            action=steps[i][0],
            version=m.version,
            reason=steps[i][1],
        ),
    )

    assert sorted(r[0] for r in results) == ["conflict", "ok"], results
    final = reload(m).state
    assert final in (MeasureState.CLOSED, MeasureState.RETURNED)
    assert Verification.objects.filter(measure=m).count() == 1
