"""Several people acting on the same measure at once: exactly one wins, the others are told."""

import threading
import time

import pytest
from django.db import connections

from luoshi.core.errors import Conflict, Invalid
from luoshi.rectification import services
from luoshi.rectification.models import LedgerEvent, Measure, MeasureState, Verification
from tests.rectification.conftest import act, future, progress, reload

pytestmark = pytest.mark.django_db(transaction=True)


def race(n, work):
    barrier = threading.Barrier(n)
    results = []

    def run(i):
        try:
            barrier.wait()
            results.append(("ok", work(i)))
        except Conflict:
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


REPLAY = {
    "start": (MeasureState.IN_PROGRESS, None),
    "submit": (MeasureState.SUBMITTED, None),
    "verify": (MeasureState.CLOSED, 100),
    "return": (MeasureState.RETURNED, None),
    "resume": (MeasureState.IN_PROGRESS, None),
    "reopen": (MeasureState.IN_PROGRESS, None),
}
EVENT = {"progress": "progress_reported"}


def test_twenty_threads_of_progress_and_transitions_lose_no_update(ledger, people):
    """R5 at full size: 20 threads (owners reporting progress and asking for closure, verifiers
    closing, returning and reopening) on the same three measures. Every success bumps the version
    once, history has one row per success in the order they happened, and replaying the
    successes gives exactly the stored state and progress: no update was lost."""
    measures = [ledger.measure] + [
        services.add_measure(
            actor=people.branch_a1, problem=ledger.problem, content=f"措施{i}", due_on=future(30)
        )
        for i in (2, 3)
    ]
    for m in measures:
        progress(people.branch_a1, m, percent=10)  # each has evidence, so it may be submitted
    start = {m.pk: reload(m) for m in measures}
    start = {pk: (m.version, m.state, m.progress) for pk, m in start.items()}
    events = {m.pk: LedgerEvent.objects.filter(measure=m).count() for m in measures}
    owners = [people.branch_a1, people.branch_office_a1, people.branch_a1]  # the branch's own
    verifiers = [people.guidance_a, people.county_office_a, people.office]

    def work(i):
        done = []
        for step in range(200):  # until this thread has written 3 times
            if len(done) == 3:
                break
            time.sleep(0.002)
            m = Measure.objects.get(pk=measures[(i + step) % len(measures)].pk)  # this thread's
            owner = i % 2 == 0
            actor = (owners if owner else verifiers)[i % 3]
            value = i * 10 + step
            try:
                if owner and m.state == MeasureState.IN_PROGRESS and step % 2:
                    action = "submit"
                elif owner and m.state == MeasureState.RETURNED and step % 2:
                    action = "resume"
                elif owner:
                    action = "progress"
                    services.report_progress(
                        actor=actor,
                        measure_id=m.pk,
                        version=m.version,
                        text=f"第{value}次",
                        progress=value,
                    )
                elif m.state == MeasureState.SUBMITTED:
                    action = "verify" if step % 2 else "return"
                elif m.state == MeasureState.CLOSED:
                    action = "reopen"
                else:
                    continue
                if action != "progress":
                    services.transition_measure(
                        actor=actor,
                        measure_id=m.pk,
                        action=action,
                        version=m.version,
                        reason="理由",
                    )
                done.append((m.pk, m.version, action, value))
            except (Conflict, Invalid):
                pass  # someone else got there first; nothing of this attempt may remain
        return done

    results = race(20, work)

    assert all(r[0] == "ok" for r in results), [r for r in results if r[0] != "ok"]
    successes = [s for r in results for s in r[1]]
    assert len(successes) >= 20  # the race really wrote (conflicts are the designed answer)
    for m in measures:
        mine = sorted((s for s in successes if s[0] == m.pk), key=lambda s: s[1])
        version, state, percent = start[m.pk]
        assert [s[1] for s in mine] == list(range(version, version + len(mine)))
        for _, _, action, value in mine:
            if action == "progress":
                state, percent = MeasureState.IN_PROGRESS, value
            else:
                state, percent = REPLAY[action][0], REPLAY[action][1] or percent
        stored = reload(m)
        assert (stored.version, stored.state, stored.progress) == (
            version + len(mine),
            state,
            percent,
        )
        history = list(
            LedgerEvent.objects.filter(measure=m).order_by("id").values_list("action", flat=True)
        )[events[m.pk] :]
        assert history == [EVENT.get(s[2], s[2]) for s in mine]
