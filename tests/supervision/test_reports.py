"""Reporting upward (报送): a report due and not sent shows as late on the level above's list the
day after its deadline; a returned submission is sent again and both stay in the history; the
figures stay as they were sent."""

import pytest
from django.urls import reverse

from luoshi.core.errors import Invalid, NotAllowed
from luoshi.rectification import services as ledger_services
from luoshi.supervision import selectors, services
from luoshi.supervision.models import Period, ReportKind, SubmissionState
from luoshi.supervision.selectors import submission_figures
from tests.factories import user_with
from tests.supervision.conftest import days

pytestmark = pytest.mark.django_db


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


def rows_of(user, demand, period):
    return {r.org.name: r for r in selectors.demand_status(user, demand, period)}


def test_a_report_not_sent_is_late_on_the_list_above_the_day_after_its_deadline(
    client, clock, weekly, people, tree, town_office
):
    due = weekly.first_due_on
    services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    clock.to(due)
    on_the_day = rows_of(town_office, weekly, due)
    assert on_the_day["甲二社区党支部"].submission is None
    assert not on_the_day["甲二社区党支部"].late  # still in time on the deadline itself
    clock.to(due + days(1))
    after = rows_of(town_office, weekly, due)
    assert after["甲二社区党支部"].late and not after["甲一社区党支部"].late
    client.force_login(town_office)
    page = client.get(reverse("supervision:demand", args=[weekly.pk]))
    assert page.context["late"][0].org == tree.branch_a2
    assert "逾期未报送" in page.content.decode()
    figures = submission_figures(tree.town_a.path)
    assert figures["submissions_expected"] == 2 and figures["submissions_missing"] == 1


def test_a_returned_submission_is_sent_again_and_both_stay_in_the_history(
    clock, weekly, people, tree, town_office
):
    first = services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    with pytest.raises(Invalid):
        services.decide_submission(actor=town_office, submission_id=first.pk, receive=False)
    with pytest.raises(NotAllowed):  # the unit itself does not receive its own report
        services.decide_submission(actor=people.branch_a1, submission_id=first.pk, receive=True)
    services.decide_submission(
        actor=town_office, submission_id=first.pk, receive=False, reason="数字有误"
    )
    again = services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    assert again.period_due_on == first.period_due_on
    services.decide_submission(actor=town_office, submission_id=again.pk, receive=True)
    history = list(selectors.history(town_office, weekly, tree.branch_a1))
    assert [(s.pk, s.state) for s in history] == [
        (again.pk, SubmissionState.RECEIVED),
        (first.pk, SubmissionState.RETURNED),
    ]
    assert history[1].return_reason == "数字有误"
    figures = submission_figures(tree.town_a.path)
    assert figures["submissions_received"] == 1 and figures["submissions_returned"] == 1


def test_submitted_figures_stay_and_the_difference_since_the_last_one_shows(
    clock, weekly, people, tree, campaign, town_office
):
    first = services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    sent = first.snapshot.figures["node"]["problems"]
    ledger_services.create_problem(
        actor=people.branch_a1, org=tree.branch_a1, campaign=campaign, title="新发现的问题"
    )
    first.refresh_from_db()
    assert first.snapshot.figures["node"]["problems"] == sent
    clock.to(weekly.first_due_on + days(2))  # the next week's report
    second = services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    assert second.period_due_on == weekly.first_due_on + days(7)
    row = rows_of(town_office, weekly, second.period_due_on)["甲一社区党支部"]
    assert row.difference["problems"] == 1


def test_only_the_units_below_report_and_a_sibling_sees_nothing_of_another(
    client, clock, weekly, people, tree, town_office
):
    with pytest.raises(Invalid):
        services.submit_report(actor=town_office, demand_id=weekly.pk, org=tree.town_a)
    sent = services.submit_report(actor=people.branch_a1, demand_id=weekly.pk, org=tree.branch_a1)
    sibling = user_with(tree.branch_a2, "liaison", username="a2_liaison")
    client.force_login(sibling)
    assert client.get(reverse("supervision:submission", args=[sent.pk])).status_code == 404
    page = client.get(reverse("supervision:demand", args=[weekly.pk]))
    assert [r.org for r in page.context["rows"]] == [tree.branch_a2]
    client.force_login(people.branch_b1)
    assert client.get(reverse("supervision:demand", args=[weekly.pk])).status_code == 404
