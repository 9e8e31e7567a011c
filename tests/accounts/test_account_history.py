"""The account's page shows its audit log: each change (create, rename, assign, unassign,
reset, lock, unlock) with who made it; an assignment outside the reader's subtree is not named
to them."""

import pytest
from django.urls import reverse

from luoshi.accounts import services
from tests.factories import user_with

pytestmark = pytest.mark.django_db


def _history(client, pk) -> str:
    page = client.get(reverse("accounts:detail", args=[pk])).content.decode()
    return page[page.index('data-testid="history"') :]


def test_the_account_page_lists_every_change_with_its_actor(client, tree):
    city = user_with(tree.city, "office", username="city_office", first_name="市委主题教育办")
    county = user_with(tree.county_a, "office", username="county_office", first_name="甲区办")
    user, _ = services.create_account(
        actor=county, username="p1", name="某人", assignments=[(tree.town_a, "liaison")]
    )
    extra = services.add_assignment(
        actor=county, user_id=user.pk, org=tree.branch_a1, role="viewer"
    )
    services.remove_assignment(actor=county, user_id=user.pk, assignment_id=extra.pk)
    services.rename_account(actor=county, user_id=user.pk, name="某某人")
    services.reset_password(actor=county, user_id=user.pk)
    services.set_locked(actor=city, user_id=user.pk, locked=True)
    services.set_locked(actor=city, user_id=user.pk, locked=False)
    client.force_login(county)
    rows = _history(client, user.pk)
    for label in (
        "创建账号",
        "分配岗位",
        "撤销岗位",
        "修改账号信息",
        "重置密码",
        "停用账号",
        "启用账号",
    ):
        assert label in rows, label
    assert "甲一社区党支部 · 只读" in rows and "姓名：某人 → 某某人" in rows
    assert "甲区办（county_office）" in rows and "市委主题教育办（city_office）" in rows
    # newest first: the unlock by the city office opens the list
    assert rows.index("启用账号") < rows.index("停用账号") < rows.index("创建账号")


def test_an_assignment_outside_the_reader_subtree_is_not_named_in_the_history(client, tree):
    city = user_with(tree.city, "office", username="city_office")
    county = user_with(tree.county_a, "office", username="county_office")
    user, _ = services.create_account(
        actor=city, username="p2", name="某人", assignments=[(tree.town_a, "liaison")]
    )
    elsewhere = services.add_assignment(actor=city, user_id=user.pk, org=tree.town_b, role="viewer")
    services.remove_assignment(actor=city, user_id=user.pk, assignment_id=elsewhere.pk)
    client.force_login(county)
    rows = _history(client, user.pk)
    assert "创建账号" in rows and "乙一镇党委" not in rows
    client.force_login(city)
    assert "乙一镇党委 · 只读" in _history(client, user.pk)
