"""R4 by hypothesis: any sequence of steps (progress, start, submit, verify, return, resume,
reopen) by anyone (the owning branch, its office, the county office above, the guidance group, a
read-only leader, another county's branch), with or without a reason or evidence, saying or not
that they act on the branch's behalf (代为填报). A small model of the rules says which steps are
allowed; the service must agree on every step, and a refused step must leave the state, the
version and the history as they were."""

import pytest
from django.http import Http404
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.core.errors import DomainError
from luoshi.rectification import rules, services
from luoshi.rectification.models import LedgerEvent, Measure, MeasureState
from tests.rectification.conftest import future, pdf

pytestmark = pytest.mark.django_db
S = MeasureState
ACTORS = ["branch_a1", "branch_office_a1", "county_office_a", "guidance_a", "leader", "branch_b1"]
OWNERS = {"branch_a1", "branch_office_a1"}  # the branch itself reports its work
ON_BEHALF = {"county_office_a"}  # a level above reports it only as 代为填报
VERIFIERS = {"guidance_a", "county_office_a"}  # strictly above, or a guidance group over it
ORG = {"branch_a1": "branch", "branch_office_a1": "branch", "county_office_a": "county"}
STEPS = ["progress", *rules.TRANSITIONS]
SOURCES = {
    "start": {S.NOT_STARTED},
    "submit": {S.IN_PROGRESS},
    "verify": {S.SUBMITTED},
    "return": {S.SUBMITTED},
    "resume": {S.RETURNED},
    "reopen": {S.CLOSED},
}


def allowed(who, action, m, with_extra, on_behalf) -> bool:
    """The rules of DOMAIN.md and docs/decisions.md, restated without the service's code."""
    if who == "branch_b1":
        return False  # cannot even see it
    reports = who in OWNERS or (who in ON_BEHALF and on_behalf)
    if action == "progress":
        return reports and m["state"] not in (S.SUBMITTED, S.CLOSED)
    if m["state"] not in SOURCES[action]:
        return False
    if action in ("start", "submit", "resume"):
        return reports and (action != "submit" or m["evidence"])
    if who not in VERIFIERS:
        return False
    if who != "guidance_a" and ORG[who] == m["submitted_from"]:
        return False  # the organisation that asked for 销号 does not verify it
    if action != "reopen" and m["submitted_by"] == who:
        return False  # never verify what one asked for oneself
    return with_extra or action == "verify"  # return and reopen need a reason


TARGET = {
    "progress": S.IN_PROGRESS,
    "start": S.IN_PROGRESS,
    "submit": S.SUBMITTED,
    "verify": S.CLOSED,
    "return": S.RETURNED,
    "resume": S.IN_PROGRESS,
    "reopen": S.IN_PROGRESS,
}


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_sequence_of_steps_by_anyone_follows_the_rules(ledger, people, data):
    measure = services.add_measure(
        actor=people.branch_a1, problem=ledger.problem, content="措施", due_on=future(30)
    )
    model = {"state": S.NOT_STARTED, "submitted_by": None, "submitted_from": "", "evidence": False}
    for _ in range(data.draw(st.integers(0, 16), label="steps")):
        # half the time a step the current state allows, so that runs get deep into the cycle
        fitting = [a for a in STEPS if a == "progress" or model["state"] in SOURCES[a]]
        action = data.draw(st.sampled_from(fitting) | st.sampled_from(STEPS), label="action")
        who = data.draw(st.sampled_from(ACTORS), label="who")
        with_extra = data.draw(st.booleans(), label="reason or evidence")
        on_behalf = data.draw(st.booleans(), label="代为填报")
        actor = getattr(people, who)
        before = Measure.objects.get(pk=measure.pk)
        history = LedgerEvent.objects.filter(measure=measure).count()
        expected = allowed(who, action, model, with_extra, on_behalf)
        try:
            if action == "progress":
                services.report_progress(
                    actor=actor,
                    measure_id=measure.pk,
                    version=before.version,
                    text="进展",
                    progress=50,
                    files=[pdf()] if with_extra else [],
                    on_behalf=on_behalf,
                )
            else:
                services.transition_measure(
                    actor=actor,
                    measure_id=measure.pk,
                    action=action,
                    version=before.version,
                    reason="理由" if with_extra else "",
                    on_behalf=on_behalf,
                )
            done = True
        except (DomainError, Http404):
            done = False
        after = Measure.objects.get(pk=measure.pk)
        assert done == expected, (who, action, with_extra, model)
        if done:
            assert after.state == TARGET[action] and after.version == before.version + 1
            assert LedgerEvent.objects.filter(measure=measure).count() == history + 1
            model["state"] = TARGET[action]
            model["evidence"] |= action == "progress" and with_extra
            if action == "submit":
                model["submitted_by"] = who
                model["submitted_from"] = ORG[who]
            elif action == "reopen":
                model["submitted_by"] = None
                model["submitted_from"] = ""
        else:
            assert (after.state, after.version) == (before.state, before.version)
            assert LedgerEvent.objects.filter(measure=measure).count() == history
