"""Guidance figures as of a past day: inspections, findings, replies, checks, circulars and their
confirmations recorded later do not change them, and they equal a direct count as of then."""

from datetime import timedelta

import pytest

from luoshi.guidance import selectors, services
from luoshi.guidance.models import CircularRecipient, Finding, Inspection
from luoshi.rectification.models import today
from tests.factories import user_with
from tests.supervision.conftest import clock  # noqa: F401

pytestmark = pytest.mark.django_db


def _direct(path, day):
    """The figures counted by hand from the rows, as they stood at the end of `day`."""
    end = selectors.end_of(day)
    visits = [i for i in Inspection.objects.all() if i.org_path.startswith(path)]
    visits = [i for i in visits if i.created_at <= end]
    found = [
        f for f in Finding.objects.all() if f.org_path.startswith(path) and f.created_at <= end
    ]
    got = [
        r
        for r in CircularRecipient.objects.select_related("circular")
        if r.org_path.startswith(path) and r.circular.issued_on and r.circular.issued_on <= day
    ]
    return {
        "inspections": len(visits),
        "inspections_findings": len(found),
        "inspections_replied": sum(
            bool(f.first_replied_on and f.first_replied_on <= day) for f in found
        ),
        "inspections_accepted": sum(f.state == "accepted" and f.checked_at <= end for f in found),
        "circulars_received": len(got),
        "circulars_confirmed": sum(bool(r.confirmed_at and r.confirmed_at <= end) for r in got),
    }


def test_guidance_figures_as_of_a_day_do_not_change_when_later_facts_arrive(
    clock,  # noqa: F811
    tree,
    group,
    guide,
    town,
    users,
    campaign,  # noqa: F811
):
    clock.to(campaign.starts_on + timedelta(days=5))
    visit = services.plan_inspection(
        actor=guide, group_id=group.pk, org=tree.town_a, kind="ledgers", visited_on=today()
    )
    finding = services.feed_back(
        actor=guide, inspection_id=visit.pk, title="台账不全", reply_due_on=today() + timedelta(10)
    )
    circular = services.draft_circular(
        actor=users.office, issued_to=tree.city, title="通报", body="正文"
    )
    services.issue_circular(actor=users.office, circular_id=circular.pk)
    then = today()
    before = selectors.guidance_figures(tree.city.path, as_of=then)
    assert before == selectors.guidance_figures(tree.city.path)
    assert (before["inspections"], before["inspections_findings"]) == (1, 1)
    assert (before["circulars_received"], before["circulars_confirmed"]) == (
        3,
        0,
    )  # 2 counties, 1 dept

    clock.to(
        then + timedelta(days=2)
    )  # later: a reply, its acceptance, a new visit, a confirmation
    services.reply_to_finding(actor=town.liaison, finding_id=finding.pk, version=1, reply="已补齐")
    services.check_reply(actor=guide, finding_id=finding.pk, version=2, accept=True)
    services.plan_inspection(
        actor=guide, group_id=group.pk, org=tree.town_a, kind="unannounced", visited_on=then
    )
    county_a = user_with(tree.county_a, "liaison", username="a_liaison")
    services.confirm_circular(actor=county_a, circular_id=circular.pk)
    second = services.draft_circular(
        actor=users.office, issued_to=tree.county_a, title="再通报", body="正文"
    )
    services.issue_circular(actor=users.office, circular_id=second.pk)
    now = selectors.guidance_figures(tree.city.path)
    assert (now["inspections"], now["inspections_accepted"], now["circulars_issued"]) == (2, 1, 2)
    assert now["circulars_confirmed"] == 1

    for org in (tree.city, tree.county_a, tree.town_a, tree.county_b):
        as_of = selectors.guidance_figures(org.path, as_of=then)
        assert {k: as_of[k] for k in _direct(org.path, then)} == _direct(org.path, then)
    assert selectors.guidance_figures(tree.city.path, as_of=then) == before
    middle = selectors.guidance_figures(tree.city.path, as_of=then + timedelta(days=2))
    assert middle == now
