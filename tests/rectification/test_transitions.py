"""The measure state machine: every step, allowed and refused, by role and subtree."""

import pytest
from django.http import Http404

from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.rectification import services
from luoshi.rectification.models import LedgerEvent, MeasureState, ProblemStatus, Verification
from tests.rectification.conftest import act, pdf, progress, reload

pytestmark = pytest.mark.django_db


def test_full_cycle_report_submit_return_fix_resubmit_verify(ledger, people):
    m = progress(people.branch_a1, ledger.measure)
    assert m.state == MeasureState.IN_PROGRESS and m.progress == 100
    act(people.branch_a1, m, "submit")
    act(people.guidance_a, m, "return", reason="缺少整改前后对比照片")
    m = reload(m)
    assert m.state == MeasureState.RETURNED and m.return_reason == "缺少整改前后对比照片"
    m = progress(people.branch_a1, m, text="补充了对比照片")
    assert m.state == MeasureState.IN_PROGRESS
    act(people.branch_a1, m, "submit")
    act(people.guidance_a, m, "verify")
    m = reload(m)
    assert m.state == MeasureState.CLOSED and m.closed_at is not None
    ledger.problem.refresh_from_db()
    assert ledger.problem.status == ProblemStatus.CLOSED
    decisions = list(Verification.objects.filter(measure=m).values_list("decision", flat=True))
    assert decisions == ["returned", "closed"]
    actions = list(LedgerEvent.objects.filter(measure=m).values_list("action", flat=True))
    assert actions == [
        "measure_created",
        "progress_reported",
        "submit",
        "return",
        "progress_reported",
        "submit",
        "verify",
    ]


def test_submit_without_evidence_is_refused_and_nothing_changes(ledger, people):
    m = progress(people.branch_a1, ledger.measure, files=[])
    events = LedgerEvent.objects.count()
    with pytest.raises(Invalid, match="佐证材料"):
        act(people.branch_a1, m, "submit")
    assert reload(m).state == MeasureState.IN_PROGRESS
    assert LedgerEvent.objects.count() == events


@pytest.mark.parametrize("who", ["branch_a1", "branch_office_a1", "leader", "county_a"])
def test_own_organisation_liaisons_and_leaders_cannot_verify(ledger, people, who):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    with pytest.raises(NotAllowed):
        act(getattr(people, who), m, "verify")
    assert reload(m).state == MeasureState.SUBMITTED


@pytest.mark.parametrize("who", ["guidance_a", "county_office_a", "office"])
def test_level_above_and_guidance_group_may_verify(ledger, people, who):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    act(getattr(people, who), m, "verify")
    assert reload(m).state == MeasureState.CLOSED


def test_submitter_cannot_verify_their_own_request_even_from_above(ledger, people):
    m = reload(ledger.measure)
    services.report_progress(
        actor=people.office,
        measure_id=m.pk,
        version=m.version,
        text="代为填报",
        progress=100,
        files=[pdf()],
        on_behalf=True,
    )
    m = reload(m)
    services.transition_measure(
        actor=people.office, measure_id=m.pk, action="submit", version=m.version, on_behalf=True
    )
    with pytest.raises(NotAllowed, match="申请销号单位以外"):
        act(people.office, m, "verify")
    act(people.county_office_a, m, "verify")
    assert reload(m).state == MeasureState.CLOSED


def test_other_branch_gets_404_and_nothing_is_recorded(ledger, people):
    events = LedgerEvent.objects.count()
    with pytest.raises(Http404):
        act(people.branch_b1, ledger.measure, "start")
    assert reload(ledger.measure).state == MeasureState.NOT_STARTED
    assert LedgerEvent.objects.count() == events


@pytest.mark.parametrize(
    ("state_steps", "action"),
    [
        ([], "verify"),
        ([], "submit"),
        ([], "return"),
        (["start"], "verify"),
        (["start"], "resume"),
        ([], "reopen"),
        (["start"], "fly"),
    ],
)
def test_skipping_a_step_is_refused(ledger, people, state_steps, action):
    m = ledger.measure
    for step in state_steps:
        act(people.branch_a1, m, step)
    before = reload(m).state
    with pytest.raises(Invalid):
        act(people.guidance_a, m, action, reason="理由")
    assert reload(m).state == before


def test_return_and_reopen_need_a_reason(ledger, people):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    with pytest.raises(Invalid, match="理由"):
        act(people.guidance_a, m, "return", reason="  ")
    act(people.guidance_a, m, "verify")
    with pytest.raises(Invalid, match="理由"):
        act(people.guidance_a, m, "reopen")
    act(people.guidance_a, m, "reopen", reason="问题反弹回潮，群众再次反映")
    m = reload(m)
    assert m.state == MeasureState.IN_PROGRESS and m.closed_at is None
    ledger.problem.refresh_from_db()
    assert ledger.problem.status == ProblemStatus.IN_PROGRESS


def test_liaison_cannot_reopen_a_closed_measure(ledger, people):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    act(people.guidance_a, m, "verify")
    with pytest.raises(NotAllowed):
        act(people.branch_a1, m, "reopen", reason="想再改改")


def test_stale_version_is_a_conflict_and_changes_nothing(ledger, people):
    m = reload(ledger.measure)
    seen = m.version
    progress(people.branch_a1, m, files=[])
    events = LedgerEvent.objects.count()
    from luoshi.rectification.services import transition_measure

    with pytest.raises(Conflict):
        transition_measure(actor=people.branch_a1, measure_id=m.pk, action="submit", version=seen)
    assert reload(m).state == MeasureState.IN_PROGRESS
    assert LedgerEvent.objects.count() == events


def test_leader_is_read_only(ledger, people):
    with pytest.raises(NotAllowed):
        act(people.leader, ledger.measure, "start")


def test_immediate_fix_asks_for_closure_in_one_step_and_is_closed_by_the_level_above(
    tree, campaign, people
):
    from luoshi.rectification.selectors import ledger_figures

    problem = services.record_immediate_fix(
        actor=people.branch_a1,
        org=tree.branch_a1,
        campaign=campaign,
        title="小区路灯不亮",
        measure="已更换路灯 12 盏",
        files=[pdf("路灯.pdf")],
    )
    measure = problem.measures.get()
    assert problem.immediate and measure.state == MeasureState.SUBMITTED
    assert problem.status != ProblemStatus.CLOSED
    assert ledger_figures(tree.city.path)["immediate_closed"] == 0
    with pytest.raises(NotAllowed):
        act(people.branch_office_a1, measure, "verify")  # not by the unit itself
    act(people.county_office_a, measure, "verify")  # one click by the level above
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED
    figures = ledger_figures(tree.city.path)
    assert figures["immediate_problems"] == 1 and figures["immediate_closed"] == 1
    with pytest.raises(Invalid):
        services.record_immediate_fix(
            actor=people.branch_a1,
            org=tree.branch_a1,
            campaign=campaign,
            title="无佐证",
            measure="做了",
            files=[],
        )
