"""The top navigation: the parts of the campaign beyond the daily ones sit under one 专项工作
drop-down, so the bar fits an office PC without breaking a label over lines."""

import re

import pytest
from django.urls import reverse

from tests.factories import user_with

pytestmark = pytest.mark.django_db


def test_the_special_work_parts_are_under_one_drop_down_and_the_daily_ones_on_the_bar(client, tree):
    client.force_login(user_with(tree.city, "office", username="nav_office"))
    page = client.get(reverse("dashboards:home"), follow=True).content.decode()
    bar = re.findall(
        r'<a class="nav-link" href="[^"]*"><span class="nav-link-title">([^<]+)<', page
    )
    menu = re.search(
        r'nav-link-title">专项工作</span></a>\s*<div class="dropdown-menu">(.*?)</div>',
        page,
        re.S,
    )
    assert menu, "no 专项工作 drop-down"
    under = re.findall(r'class="dropdown-item[^"]*" href="[^"]*">([^<]+)<', menu.group(1))
    assert under == ["专项整治", "软弱涣散整顿", "督导指导", "督办报送", "评估考核"]
    assert {"我的工作", "统计看板", "问题清单", "月度走访"} <= set(bar)
    assert not set(under) & set(bar)
    assert len(bar) + 1 <= 12  # the bar's items and the drop-down


def test_the_drop_down_is_marked_active_on_one_of_its_pages(client, tree):
    client.force_login(user_with(tree.city, "office", username="nav_office2"))
    page = client.get(reverse("programmes:list")).content.decode()
    assert re.search(
        r'<li class="nav-item dropdown active">\s*<a class="nav-link dropdown-toggle"', page
    )
    assert re.search(r'class="dropdown-item active" href="[^"]*">专项整治<', page)
