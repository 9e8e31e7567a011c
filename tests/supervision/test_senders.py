"""报送 senders: a demand names the direct children (default), every organisation at a level of
the office's subtree, or a chosen list; never anything outside the office's subtree. The
overview, the figures, who sees the demand and who may submit all follow the senders."""

import pytest
from django.http import Http404
from django.urls import reverse

from luoshi.core.errors import Invalid
from luoshi.orgs.models import OrgLevel
from luoshi.supervision import selectors, services
from luoshi.supervision.models import Period, ReportDemand, ReportKind, Senders
from luoshi.supervision.selectors import submission_figures
from tests.factories import user_with
from tests.supervision.conftest import days

pytestmark = pytest.mark.django_db


def _demand(actor, org, campaign, **more):
    fields = {
        "title": "村级整改进展月报",
        "kind": ReportKind.STATISTICS,
        "period": Period.MONTHLY,
        "first_due_on": campaign.starts_on + days(3),
        **more,
    }
    return services.create_demand(actor=actor, org=org, campaign=campaign, **fields)


def _names(user, demand):
    period = demand.first_due_on
    return {r.org.name for r in selectors.demand_status(user, demand, period)}


def test_a_demand_to_every_organisation_at_a_level_lists_them_and_counts_them(
    clock, tree, campaign, people
):
    clock.to(campaign.starts_on)
    office = people.office  # the city's office
    demand = _demand(office, tree.city, campaign, senders=Senders.LEVEL, sender_level=5)
    branches = {"甲一社区党支部", "甲二社区党支部", "乙一村党支部", "乙二村党支部"}
    assert _names(office, demand) == branches
    # a branch sees the city's demand three levels up and submits to it; the county between
    # sees it (its branches report) but does not report itself
    assert demand in selectors.demands(people.branch_a1)
    assert demand in selectors.demands(people.county_a)
    assert _names(people.county_a, demand) == {"甲一社区党支部", "甲二社区党支部"}
    services.submit_report(actor=people.branch_a1, demand_id=demand.pk, org=tree.branch_a1)
    with pytest.raises(Invalid, match="不是本报送事项的报送单位"):
        services.submit_report(actor=people.county_a, demand_id=demand.pk, org=tree.county_a)
    clock.to(demand.first_due_on + days(1))
    assert submission_figures(tree.city.path)["submissions_expected"] == 4
    town = submission_figures(tree.town_a.path)
    assert (town["submissions_expected"], town["submissions_missing"]) == (2, 1)
    assert submission_figures(tree.county_b.path)["submissions_missing"] == 2
    with pytest.raises(Invalid, match="本级组织以下的层级"):
        _demand(office, tree.city, campaign, senders=Senders.LEVEL, sender_level=OrgLevel.CITY)


def test_a_chosen_list_never_reaches_outside_the_offices_subtree(clock, tree, campaign, people):
    clock.to(campaign.starts_on)
    county = people.county_office_a
    before = ReportDemand.objects.count()
    with pytest.raises(Invalid, match="乙一村党支部不是"):
        _demand(
            county,
            tree.county_a,
            campaign,
            senders=Senders.LIST,
            sender_list=[tree.branch_a1, tree.branch_b1],
        )
    with pytest.raises(Invalid, match="请选择报送单位"):
        _demand(county, tree.county_a, campaign, senders=Senders.LIST, sender_list=[])
    assert ReportDemand.objects.count() == before
    demand = _demand(
        county, tree.county_a, campaign, senders=Senders.LIST, sender_list=[tree.branch_a1]
    )
    assert _names(county, demand) == {"甲一社区党支部"}
    assert demand in selectors.demands(people.branch_a1)
    other = user_with(tree.branch_a2, "liaison", username="a2_liaison")
    assert demand not in selectors.demands(other)  # not named
    with pytest.raises(Http404):
        services.submit_report(actor=other, demand_id=demand.pk, org=tree.branch_a2)
    assert demand not in selectors.demands(people.branch_b1)
    # a list changed behind the rule's back still never reaches outside the subtree
    demand.sender_list.add(tree.branch_b1)
    assert _names(people.office, demand) == {"甲一社区党支部"}


def test_the_page_sets_the_senders_and_the_overview_lists_them(
    client, clock, tree, campaign, people
):
    clock.to(campaign.starts_on)
    client.force_login(people.county_office_a)
    url = reverse("supervision:demands")
    response = client.post(
        url,
        {
            "org": tree.county_a.pk,
            "campaign": campaign.pk,
            "title": "支部周报",
            "kind": ReportKind.STATISTICS,
            "period": Period.WEEKLY,
            "first_due_on": (campaign.starts_on + days(2)).isoformat(),
            "senders": Senders.LEVEL,
            "sender_level": "5",
        },
        follow=True,
    )
    demand = ReportDemand.objects.get(title="支部周报")
    assert (demand.senders, demand.sender_level) == (Senders.LEVEL, 5)
    rows = response.context["rows"]
    assert {r.org.name for r in rows} == {"甲一社区党支部", "甲二社区党支部"}
    assert "指定层级的全部组织（基层）" in response.content.decode()
    refused = client.post(
        url,
        {
            "org": tree.county_a.pk,
            "campaign": campaign.pk,
            "title": "名单报送",
            "kind": ReportKind.STATISTICS,
            "period": Period.ONCE,
            "first_due_on": (campaign.starts_on + days(2)).isoformat(),
            "senders": Senders.LIST,
            "sender_codes": f"{tree.branch_a1.code}\n{tree.branch_b1.code}",
        },
        follow=True,
    )
    assert "没有这些组织代码" in refused.content.decode()  # county a's office cannot see b1
    assert not ReportDemand.objects.filter(title="名单报送").exists()
