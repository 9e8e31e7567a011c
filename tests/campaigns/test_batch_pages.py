"""The batches page and API: the office fills and adjusts batches there; both show who is in
no batch and who two rules claim, from the same services and figures."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.campaigns.models import Batch, BatchMember
from luoshi.campaigns.services import define_key_action, launch_key_actions
from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization
from tests.factories import make_org, user_with
from tests.rectification.conftest import _media, campaign  # noqa: F401

pytestmark = pytest.mark.django_db


def _new_batch(client, campaign, name, start, days):  # noqa: F811
    starts = campaign.starts_on + timedelta(days=start)
    return client.post(
        reverse("campaigns:batch_save", args=[campaign.pk]),
        {
            "name": name,
            "starts_on": starts.isoformat(),
            "ends_on": (starts + timedelta(days=days)).isoformat(),
        },
        follow=True,
    )


def test_the_office_splits_the_city_on_the_page_and_sees_who_is_left(
    client,
    tree,
    users,
    campaign,  # noqa: F811
):
    make_org(tree.city, name="市教育工委", kind="working_committee", level=3, unit_type="school")
    client.force_login(users.office)
    detail = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert reverse("campaigns:batches", args=[campaign.pk]) in detail.content.decode()
    short = _new_batch(client, campaign, "第一批", 0, 60)
    assert "少于本次主题教育规定的最短 90 天" in short.content.decode()
    _new_batch(client, campaign, "第二批", 30, 120)
    first, second = Batch.objects.filter(campaign=campaign).order_by("starts_on")
    page = client.post(
        reverse("campaigns:batch_rule", args=[campaign.pk]),
        {"batch": first.pk, "kind": "own_units", "unit_types": ["school"], "with_root": "1"},
        follow=True,
    )
    html = page.content.decode()
    assert "已按规则划入第一批：新增 2 个组织" in html and "市级机关和单位" in html
    # The page lists who is in none: exactly the organisations with no membership row.
    in_none = Organization.objects.filter(subtree_q("path", tree.city.path)).exclude(
        pk__in=BatchMember.objects.values("org_id")
    )
    assert page.context["coverage"].in_none == in_none.count() == 8
    assert {o.pk for o in page.context["coverage"].in_none_first} == {o.pk for o in in_none}
    assert "乙一村党支部" in html
    # Short batches warn on the page as well.
    assert "集中学习教育时间为 60 天" in html
    # By hand: county b into the second batch, then a branch back out.
    moved = client.post(
        reverse("campaigns:batch_place", args=[campaign.pk]),
        {"org": tree.county_b.code, "batch": second.pk, "subtree": "1", "action": "move"},
        follow=True,
    )
    assert "划入第二批：新增 4 个" in moved.content.decode()
    assert moved.context["coverage"].in_none == 4
    out = client.post(
        reverse("campaigns:batch_place", args=[campaign.pk]),
        {"org": "乙二村党支部", "action": "remove"},
        follow=True,
    )
    assert "移出批次" in out.content.decode()
    assert out.context["coverage"].in_none == 5


def test_moving_an_organisation_says_its_deadlines_were_recomputed(
    client,
    tree,
    users,
    campaign,  # noqa: F811
):
    client.force_login(users.office)
    _new_batch(client, campaign, "第一批", 0, 100)
    _new_batch(client, campaign, "第二批", 40, 100)
    first, second = Batch.objects.filter(campaign=campaign).order_by("starts_on")
    client.post(
        reverse("campaigns:batch_rule", args=[campaign.pk]), {"batch": first.pk, "kind": "rest"}
    )
    define_key_action(actor=users.office, campaign_id=campaign.pk, name="动员部署", due_days=15)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    page = client.post(
        reverse("campaigns:batch_place", args=[campaign.pk]),
        {"org": tree.branch_a1.code, "batch": second.pk, "action": "move"},
        follow=True,
    )
    assert "1 项未完成关键动作的完成时限已按所在批次的开始日期重新计算" in page.content.decode()
    checklist = client.get(reverse("campaigns:checklist", args=[tree.branch_a1.pk]))
    due = second.starts_on + timedelta(days=15)
    assert f"时限 {due:%Y-%m-%d}" in checklist.content.decode()


def test_a_liaison_sees_the_batches_but_no_forms_and_cannot_post(
    client,
    tree,
    users,
    campaign,  # noqa: F811
):
    client.force_login(users.office)
    _new_batch(client, campaign, "第一批", 0, 100)
    batch = Batch.objects.get(campaign=campaign)
    client.force_login(users.branch_a1)
    page = client.get(reverse("campaigns:batches", args=[campaign.pk]))
    assert page.status_code == 200 and "按规则划入" not in page.content.decode()
    refused = client.post(
        reverse("campaigns:batch_rule", args=[campaign.pk]),
        {"batch": batch.pk, "kind": "rest"},
        follow=True,
    )
    assert "只有本级主题教育办公室" in refused.content.decode()
    assert not BatchMember.objects.exists()


def _api(client, user, method, url, body=None):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}
    if method == "get":
        return client.get(url, **auth)
    return client.post(url, json.dumps(body), content_type="application/json", **auth)


def test_the_api_creates_fills_and_reports_batches(client, tree, users, campaign):  # noqa: F811
    office = users.office
    base = f"/api/v1/campaigns/{campaign.pk}"
    start = campaign.starts_on
    made = _api(
        client,
        office,
        "post",
        f"{base}/batches",
        {"name": "第一批", "starts_on": str(start), "ends_on": str(start + timedelta(days=50))},
    )
    assert made.status_code == 200, made.content
    batch = made.json()["batch"]
    assert batch["days"] == 50 and "最短 90 天" in batch["warning"]
    updated = _api(
        client,
        office,
        "post",
        f"/api/v1/batches/{batch['id']}",
        {"name": "第一批", "starts_on": str(start), "ends_on": str(start + timedelta(days=95))},
    )
    assert updated.json()["batch"]["warning"] is None
    filled = _api(
        client, office, "post", f"{base}/batch-rule", {"batch_id": batch["id"], "kind": "rest"}
    )
    assert filled.json()["added"] == 9
    out = _api(client, office, "post", f"{base}/batch-members", {"org_id": tree.town_b.pk})
    assert out.json()["removed"] == 3
    coverage = _api(client, office, "get", f"{base}/batch-coverage").json()
    assert coverage["in_none"] == 3 and coverage["in_none_by_level"] == {"4": 1, "5": 2}
    listed = _api(client, office, "get", f"{base}/batches").json()
    assert listed[0]["organizations"] == 6 and listed[0]["rule"] == "县处级以下"
    # A liaison reads, and is refused writing, in Chinese.
    liaison = users.branch_a1
    assert _api(client, liaison, "get", f"{base}/batches").status_code == 200
    refused = _api(client, liaison, "post", f"{base}/batch-members", {"org_id": tree.town_b.pk})
    assert refused.status_code == 403 and "主题教育办公室" in refused.json()["detail"]
    # Another county's office does not see the campaign's batch.
    other = user_with(tree.county_b, "office", username="county_b_office")
    foreign = _api(
        client,
        other,
        "post",
        f"/api/v1/batches/{batch['id']}",
        {"name": "改名", "starts_on": str(start), "ends_on": str(start)},
    )
    assert foreign.status_code == 403
    assert Batch.objects.get().name == "第一批"
