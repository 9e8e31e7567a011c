"""Figures as of a past day (督办 and 报送): computed from the dates the facts carry, they do not
change when later facts arrive (replies, new 督办单, a closure that stops one, submissions,
receipts and returns), and they equal a direct count of the facts as they stood then."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.core.registry import subtree_figures, subtree_figures_as_of
from luoshi.supervision import selectors, services
from luoshi.supervision.models import Escalation, Period, ReportKind, Step
from luoshi.supervision.selectors import escalation_figures, submission_figures
from tests.factories import user_with
from tests.rectification.conftest import act, progress
from tests.supervision.conftest import days

pytestmark = pytest.mark.django_db


def test_escalation_figures_as_of_a_day_do_not_change_when_later_facts_arrive(
    clock, ledger, people, tree
):
    m = ledger.measure
    due = m.due_on
    clock.to(due + days(1))
    services.sweep()  # the yellow 督办单
    then = clock.to(due + days(3))
    before = escalation_figures(tree.city.path, as_of=then)
    assert before["escalations_yellow"] == 1 and before["escalations_waiting"] == 1
    assert before["escalations_reply_rate"] == 0.0
    assert before == escalation_figures(tree.city.path)  # as of today: the figures now

    clock.to(due + days(7))
    services.sweep()  # the orange one
    yellow = Escalation.objects.get(measure=m, step=Step.YELLOW)
    services.reply_escalation(actor=people.branch_a1, escalation_id=yellow.pk, text="正在整改")
    act(people.branch_a1, m, "start")
    progress(people.branch_a1, m)
    act(people.branch_a1, m, "submit")
    act(people.county_office_a, m, "verify")
    clock.to(due + days(9))
    services.sweep()  # closed: the orange one stops
    now = escalation_figures(tree.city.path)
    assert now["escalations"] == 2 and now["escalations_replied"] == 1
    assert now["escalations_stopped"] == 1 and now["escalations_reply_rate"] == 100.0

    assert escalation_figures(tree.city.path, as_of=then) == before
    # a day in between: both issued, the yellow replied, the orange not yet stopped
    between = escalation_figures(tree.city.path, as_of=due + days(8))
    assert (between["escalations"], between["escalations_replied"]) == (2, 1)
    assert (between["escalations_waiting"], between["escalations_stopped"]) == (1, 0)
    out = io.StringIO()
    call_command("stats", "--org", tree.city.code, "--json", "--as-of", str(then), stdout=out)
    stats = json.loads(out.getvalue())
    assert {k: stats[k] for k in before} == before and stats["as_of"] == str(then)


def test_the_escalation_list_as_of_a_day_shows_what_was_issued_then_in_its_state_then(
    client, clock, ledger, people, tree
):
    due = ledger.measure.due_on
    clock.to(due + days(1))
    services.sweep()
    clock.to(due + days(7))
    services.sweep()
    yellow = Escalation.objects.get(step=Step.YELLOW)
    services.reply_escalation(actor=people.branch_a1, escalation_id=yellow.pk, text="正在整改")
    client.force_login(people.county_office_a)
    url = reverse("supervision:escalations")
    page = client.get(url, {"as_of": (due + days(3)).isoformat()})
    rows = page.context["page"].rows
    assert [(e.step, e.state_label) for e in rows] == [(Step.YELLOW, "待回复")]
    assert "日终" in page.content.decode()
    assert {e.step for e in client.get(url).context["page"].rows} == {Step.YELLOW, Step.ORANGE}
    replied_then = client.get(url, {"as_of": (due + days(3)).isoformat(), "state": "replied"})
    assert replied_then.context["page"].rows == []
    bad = client.get(url, {"as_of": "2999-01-01"})
    assert bad.status_code == 400 and "查看日期" in bad.content.decode()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.county_office_a)}"}
    api = client.get(f"/api/v1/escalations?as_of={due + days(3)}", **auth).json()
    assert [(e["step"], e["state"]) for e in api] == [(Step.YELLOW, "issued")]


@pytest.fixture
def town_office(tree):
    return user_with(tree.town_a, "office", username="town_office_a")


@pytest.fixture
def weekly(clock, tree, campaign, town_office):
    start = clock.to(campaign.starts_on + days(10))
    return services.create_demand(
        actor=town_office,
        org=tree.town_a,
        campaign=campaign,
        title="整改进展周报",
        kind=ReportKind.STATISTICS,
        period=Period.WEEKLY,
        first_due_on=start + days(3),
    )


def _direct(tree, then):
    """The submission figures of town a at the end of `then`, counted by hand from the rows."""
    from luoshi.supervision.models import Submission

    end = selectors.end_of(then)
    sent = [s for s in Submission.objects.all() if s.submitted_at <= end]

    def state(s):
        return s.state if s.decided_at and s.decided_at <= end else "submitted"

    return {
        "received": sum(state(s) == "received" for s in sent),
        "returned": sum(state(s) == "returned" for s in sent),
        "waiting": sum(state(s) == "submitted" for s in sent),
    }


def test_submission_figures_and_the_overview_as_of_a_day_do_not_change_when_later_facts_arrive(
    client, clock, weekly, people, tree, town_office
):
    due = weekly.first_due_on
    first = services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    then = clock.to(due + days(1))  # branch a2 has sent nothing: late
    before = submission_figures(tree.town_a.path, as_of=then)
    assert before["submissions_expected"] == 2 and before["submissions_missing"] == 1
    assert before["submissions_waiting"] == 1 and before["submissions_received"] == 0
    client.force_login(town_office)
    url = reverse("supervision:demand", args=[weekly.pk])
    args = {"period": due.isoformat(), "as_of": then.isoformat()}
    overview = client.get(url, args)
    states = {
        r.org: r.submission.state_label if r.submission else "" for r in overview.context["rows"]
    }
    assert states == {tree.branch_a1: "待接收", tree.branch_a2: ""}
    assert len(overview.context["late"]) == 1

    clock.to(due + days(2))  # later facts: a return, a late report, a report sent again, received
    services.decide_submission(
        actor=town_office, submission_id=first.pk, receive=False, reason="缺表"
    )
    a2 = user_with(tree.branch_a2, "liaison", username="branch_a2")
    services.submit_report(actor=a2, demand_id=weekly.pk, org=tree.branch_a2)
    again = services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    services.decide_submission(actor=town_office, submission_id=again.pk, receive=True)
    now = submission_figures(tree.town_a.path)
    assert now["submissions_returned"] == 1 and now["submissions_received"] == 1
    assert now["submissions_late"] == 2

    assert submission_figures(tree.town_a.path, as_of=then) == before
    direct = _direct(tree, then)
    assert before["submissions_received"] == direct["received"]
    assert before["submissions_returned"] == direct["returned"]
    assert before["submissions_waiting"] == direct["waiting"]
    client.force_login(town_office)  # the clock moved on: a new sign-in
    overview = client.get(url, args)
    states = {
        r.org: r.submission.state_label if r.submission else "" for r in overview.context["rows"]
    }
    assert states == {tree.branch_a1: "待接收", tree.branch_a2: ""}
    assert [s.state_label for s in overview.context["history"]] == ["待接收"]
    assert overview.context["my_orgs"] == []  # nobody submits into the past
    assert "日终的报送情况" in overview.content.decode()


def test_a_demand_set_later_is_not_expected_as_of_an_earlier_day(
    clock, weekly, tree, campaign, town_office
):
    then = clock.to(weekly.first_due_on + days(1))
    before = submission_figures(tree.town_a.path, as_of=then)
    clock.to(then + days(5))
    services.create_demand(
        actor=town_office,
        org=tree.town_a,
        campaign=campaign,
        title="补报材料",
        kind=ReportKind.STATISTICS,
        period=Period.ONCE,
        first_due_on=weekly.first_due_on - days(3),  # a deadline before the day looked at
    )
    assert (
        submission_figures(tree.town_a.path)["submissions_expected"]
        > (before["submissions_expected"])
    )
    assert submission_figures(tree.town_a.path, as_of=then) == before


def test_the_dashboard_as_of_a_day_shows_the_supervision_and_guidance_tiles_as_they_stood(
    client, clock, ledger, people, tree
):
    due = ledger.measure.due_on
    clock.to(due + days(1))
    services.sweep()
    then = clock.to(due + days(3))
    clock.to(due + days(7))
    services.sweep()
    client.force_login(people.office)
    page = client.get(reverse("dashboards:node", args=[tree.city.pk]), {"as_of": then.isoformat()})
    assert page.status_code == 200
    assert page.context["then_figures"] == subtree_figures_as_of(tree.city.path, then)
    assert page.context["then_figures"]["escalations_orange"] == 0
    assert subtree_figures(tree.city.path)["escalations_orange"] == 1
    html = page.content.decode()
    assert 'data-testid="as-of-tiles"' in html and f"?as_of={then.isoformat()}" in html
    assert {"inspections", "circulars_issued", "submissions_expected"} <= set(
        page.context["then_figures"]
    )
