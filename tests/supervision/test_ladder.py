"""The ladder (三色督办) with a moving clock: it fires in order, once per rung, stops on closure
or an approved extension, and survives the sweep running twice or crashing midway."""

import pytest

from luoshi.rectification import services as ledger_services
from luoshi.supervision import services
from luoshi.supervision.models import Escalation, EscalationState, Notification, Step
from tests.rectification.conftest import act, progress
from tests.supervision.conftest import days

pytestmark = pytest.mark.django_db


def steps(measure):
    return list(
        Escalation.objects.filter(measure=measure).order_by("pk").values_list("step", "round")
    )


def test_the_ladder_fires_in_order_once_per_rung(clock, ledger, people):
    m = ledger.measure
    due = m.due_on
    seen = []
    for day in (
        due - days(10),
        due - days(7),
        due - days(7),
        due,
        due + days(1),
        due + days(1),
        due + days(6),
        due + days(7),
        due + days(14),
        due + days(15),
        due + days(30),
    ):
        clock.to(day)
        services.sweep()
        seen.append(len(steps(m)))
    assert seen == [0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4]
    assert steps(m) == [(Step.REMIND, 0), (Step.YELLOW, 0), (Step.ORANGE, 0), (Step.RED, 0)]
    docs = Escalation.objects.filter(measure=m).exclude(step=Step.REMIND).order_by("pk")
    year = (due + days(1)).year
    assert [e.seq for e in docs] == sorted(e.seq for e in docs)
    assert docs[0].number.startswith(f"督办〔{year}〕") and docs[0].number.endswith("号")
    assert [e.issued_on for e in docs] == [due + days(1), due + days(7), due + days(15)]


def test_each_rung_goes_to_its_people(clock, ledger, people, tree):
    due = ledger.measure.due_on
    clock.to(due + days(15))
    services.sweep()
    to = {
        e.step: (e.to_org_id, set(e.notifications.values_list("user__username", flat=True)))
        for e in Escalation.objects.all()
    }
    assert to[Step.YELLOW] == (tree.branch_a1.pk, {"branch_a1", "branch_office_a1"})
    assert to[Step.ORANGE][1] >= {"leader", "branch_a1"}  # the leader held above, and the owner
    assert to[Step.RED] == (tree.town_a.pk, {"county_office_a", "guidance_a"})


def test_closure_stops_the_ladder(clock, ledger, people):
    m = ledger.measure
    due = m.due_on
    clock.to(due + days(2))
    services.sweep()
    assert steps(m) == [(Step.YELLOW, 0)]
    act(people.branch_a1, m, "start")
    progress(people.branch_a1, m)
    act(people.branch_a1, m, "submit")
    act(people.county_office_a, m, "verify")
    clock.to(due + days(30))
    services.sweep()
    assert steps(m) == [(Step.YELLOW, 0)]
    yellow = Escalation.objects.get(measure=m)
    assert yellow.state == EscalationState.STOPPED and yellow.stop_reason == "措施已销号"


def test_an_approved_extension_stops_it_and_a_new_deadline_missed_climbs_again(
    clock, ledger, people
):
    m = ledger.measure
    due = m.due_on
    clock.to(due + days(2))
    services.sweep()
    extension = ledger_services.request_extension(
        actor=people.branch_a1, measure_id=m.pk, new_due_on=due + days(40), reason="需协调资金"
    )
    services.sweep()  # a pending request stops nothing
    assert Escalation.objects.get(measure=m).state == EscalationState.ISSUED
    ledger_services.decide_extension(
        actor=people.county_office_a, extension_id=extension.pk, approve=True
    )
    clock.to(due + days(20))
    services.sweep()
    assert steps(m) == [(Step.YELLOW, 0)]
    assert Escalation.objects.get(step=Step.YELLOW).stop_reason == "延期申请已批准"
    clock.to(due + days(34))  # 6 days before the new deadline: reminded again
    services.sweep()
    assert steps(m) == [(Step.YELLOW, 0), (Step.REMIND, 1)]
    clock.to(due + days(41))
    services.sweep()
    assert steps(m)[-1] == (Step.YELLOW, 1)


def test_running_twice_issues_and_notifies_nothing_twice(clock, ledger, people):
    clock.to(ledger.measure.due_on + days(20))
    first = services.sweep()
    counts = (Escalation.objects.count(), Notification.objects.count())
    again = services.sweep()
    assert sum(first.issued.values()) == 3 and sum(again.issued.values()) == 0
    assert (Escalation.objects.count(), Notification.objects.count()) == counts


def test_a_sweep_that_crashed_after_the_first_rung_completes_on_the_next_run(
    clock, ledger, people, monkeypatch
):
    m = ledger.measure
    clock.to(m.due_on + days(20))
    real, calls = services._notify, []

    def crash_on_second(*args):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("进程被杀")
        return real(*args)

    monkeypatch.setattr(services, "_notify", crash_on_second)
    with pytest.raises(RuntimeError):
        services.sweep()
    assert steps(m) == [(Step.YELLOW, 0)]  # the first rung was written whole, the second not
    monkeypatch.setattr(services, "_notify", real)
    services.sweep()
    services.sweep()
    assert steps(m) == [(Step.YELLOW, 0), (Step.ORANGE, 0), (Step.RED, 0)]
    per_rung = Notification.objects.values_list("escalation_id", "user_id")
    assert len(per_rung) == len(set(per_rung))


def test_a_reply_is_kept_and_counts_in_the_reply_rate(clock, ledger, people, tree):
    from django.http import Http404

    from luoshi.core.errors import Invalid, NotAllowed
    from luoshi.supervision.selectors import escalation_figures

    clock.to(ledger.measure.due_on + days(1))
    services.sweep()
    yellow = Escalation.objects.get(step=Step.YELLOW)
    with pytest.raises(Http404):  # another branch: not in its subtree
        services.reply_escalation(actor=people.branch_b1, escalation_id=yellow.pk, text="x")
    with pytest.raises(NotAllowed):  # sees it, may not answer for the branch
        services.reply_escalation(actor=people.viewer, escalation_id=yellow.pk, text="x")
    with pytest.raises(Invalid):
        services.reply_escalation(actor=people.branch_a1, escalation_id=yellow.pk, text=" ")
    figures = escalation_figures(tree.city.path)
    assert figures["escalations_yellow"] == 1 and figures["escalations_reply_rate"] == 0.0
    services.reply_escalation(actor=people.branch_a1, escalation_id=yellow.pk, text="正在整改")
    yellow.refresh_from_db()
    assert yellow.state == EscalationState.REPLIED and yellow.reply_text == "正在整改"
    assert escalation_figures(tree.city.path)["escalations_reply_rate"] == 100.0
    assert escalation_figures(tree.county_b.path)["escalations"] == 0
