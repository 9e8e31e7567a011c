"""What nearly every page reads of the campaigns (the campaigns a scope sees, a campaign's sources
and top categories for the ledger's filters) is cached until a campaign, source, category or the
tree changes (core.versions.everywhere_cached): a change shows on the next page, and a scope
never sees another scope's list.

These tests commit (transactional_db): the cache is read and written only outside a transaction
that changed what it holds, as in production."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.campaigns.models import Campaign
from luoshi.campaigns.services import add_source
from luoshi.core import versions
from luoshi.rectification.models import today

pytestmark = pytest.mark.django_db(transaction=True)


def campaign_queries(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if '"campaigns_campaign"' in q["sql"]
        or '"campaigns_problemsource"' in q["sql"]
        or '"campaigns_category"' in q["sql"]
    ]


def ledger(client):
    response = client.get(reverse("rectification:ledger"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_ledger_reads_campaigns_sources_and_categories_once(client, campaign, people):
    client.force_login(people.county_a)
    first = ledger(client)
    with CaptureQueriesContext(connection) as captured:
        again = ledger(client)
    assert campaign_queries(captured) == []
    assert again.count("自身查摆") == first.count("自身查摆") == 1
    assert "在服务群众上存在差距" in again


def test_a_new_source_and_a_renamed_campaign_show_on_the_next_page(client, campaign, people):
    client.force_login(people.county_a)
    ledger(client)
    add_source(actor=people.office, campaign_id=campaign.pk, name="巡视反馈")
    campaign.name = "学习贯彻主题教育"
    campaign.save()
    versions.changed_everywhere()  # as a service editing a campaign marks (none exists yet)
    page = ledger(client)
    assert "巡视反馈" in page
    assert "学习贯彻主题教育" in page


def test_each_scope_sees_its_own_campaigns(client, tree, campaign, people):
    county_b = Campaign.objects.create(
        org=tree.county_b,
        slug="zt-county-b",
        name="乙县专项整治",
        starts_on=today() - timedelta(days=3),
        ends_on=today() + timedelta(days=90),
    )
    client.force_login(people.branch_b1)
    assert county_b.name in ledger(client)  # cached for branch b1's scope
    client.force_login(people.county_a)
    assert county_b.name not in ledger(client)
    client.force_login(people.office)
    assert county_b.name in ledger(client)
