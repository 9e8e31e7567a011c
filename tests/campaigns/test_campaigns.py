from datetime import date

import pytest
from django.urls import reverse

from luoshi.campaigns.models import Campaign, Category, ProblemSource
from luoshi.rectification.selectors import visible_campaigns
from tests.rectification.conftest import campaign, people  # noqa: F401

pytestmark = pytest.mark.django_db


def test_office_adds_categories_and_sources(client, campaign, people):  # noqa: F811
    client.force_login(people.office)
    url = reverse("campaigns:vocabulary", args=[campaign.pk])
    client.post(url, {"what": "category", "name": "在担当作为上存在差距"})
    parent = Category.objects.get(name="在担当作为上存在差距")
    client.post(url, {"what": "category", "name": "攻坚克难方面", "parent": parent.pk})
    client.post(url, {"what": "source", "name": "巡察反馈"})
    assert parent.children.get().name == "攻坚克难方面"
    assert ProblemSource.objects.filter(campaign=campaign, name="巡察反馈").exists()


def test_liaison_sees_the_campaign_from_below_but_cannot_edit(client, campaign, people):  # noqa: F811
    client.force_login(people.branch_a1)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.status_code == 200 and "在服务群众上存在差距" in page.content.decode()
    before = Category.objects.count()
    client.post(
        reverse("campaigns:vocabulary", args=[campaign.pk]),
        {"what": "category", "name": "越权新增"},
    )
    assert Category.objects.count() == before


def test_a_county_campaign_is_invisible_to_the_other_county(client, tree, people):  # noqa: F811
    county = Campaign.objects.create(
        org=tree.county_a,
        slug="county-a",
        name="甲区专项",
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    assert county in visible_campaigns(people.branch_a1)
    assert county not in visible_campaigns(people.branch_b1)
    client.force_login(people.branch_b1)
    assert client.get(reverse("campaigns:detail", args=[county.pk])).status_code == 404
