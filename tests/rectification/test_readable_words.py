"""Readable words: problems are picked by title (never by typing an id), categories are grouped
under their top category in the campaign's order, an opinion is titled by its words, a 0 %
progress bar is drawn empty, and the ledger says how many problems match."""

import re

import pytest
from django.urls import reverse

from luoshi.campaigns.models import Category
from luoshi.opinions import services as opinions
from luoshi.rectification import services
from luoshi.rectification.models import Problem

pytestmark = pytest.mark.django_db


def _problem(people, tree, campaign, title, who="branch_a1", org="branch_a1"):
    return services.create_problem(
        actor=getattr(people, who), org=getattr(tree, org), campaign=campaign, title=title
    )


def test_problem_picker_finds_problems_by_words_of_their_title_in_scope(
    client, people, tree, campaign, ledger
):
    lamp = _problem(people, tree, campaign, "村口路灯长期不亮")
    _problem(people, tree, campaign, "村口道路积水", who="branch_b1", org="branch_b1")
    client.force_login(people.branch_a1)
    html = client.get(reverse("rectification:problem_picker"), {"pq": "路灯 村口"}).content.decode()
    assert re.findall(r'<option value="(\d+)"', html) == [str(lamp.pk)]
    assert "村口路灯长期不亮" in html and "积水" not in html  # another branch's is out of scope
    nothing = client.get(reverse("rectification:problem_picker"), {"pq": "没有这个"})
    assert "没有找到" in nothing.content.decode()


def test_similar_is_linked_through_a_picker_not_a_number(client, people, tree, campaign, ledger):
    other = _problem(people, tree, campaign, "同类的问题")
    client.force_login(people.branch_a1)
    page = client.get(reverse("rectification:problem", args=[ledger.problem.pk])).content.decode()
    assert "问题页地址中的数字" not in page
    assert 'data-testid="problem-picker"' in page and f'value="{other.pk}"' in page
    client.post(reverse("rectification:similar", args=[ledger.problem.pk]), {"other": other.pk})
    assert list(ledger.problem.similar.all()) == [other]


def test_merging_an_opinion_offers_open_problems_by_title(client, people, tree, campaign, ledger):
    opinion, _ = opinions.record_opinion(
        actor=people.branch_a1,
        org=tree.branch_a1,
        channel="form",
        topic="service",
        text="村口路灯坏了很久",
    )
    client.force_login(people.branch_a1)
    page = client.get(reverse("opinions:detail", args=[opinion.pk])).content.decode()
    assert f"意见建议 {opinion.pk}" not in page and "村口路灯坏了很久" in page
    assert "填写问题编号" not in page
    assert f'<option value="{ledger.problem.pk}">' in page


def test_category_picker_groups_sub_categories_under_their_top_in_campaign_order(
    client, people, campaign
):
    first = Category.objects.create(campaign=campaign, name="在理论学习上存在差距", rank=0)
    Category.objects.filter(campaign=campaign, parent=None).exclude(pk=first.pk).update(rank=5)
    client.force_login(people.branch_a1)
    html = client.get(reverse("rectification:problem_create")).content.decode()
    select = html[html.index('name="category"') :]
    select = select[: select.index("</select>")]
    assert '<optgroup label="在服务群众上存在差距">' in select
    group = select[select.index("<optgroup") :]
    assert "在服务群众上存在差距（整类）" in group and "工作作风方面" in group
    assert select.index("在理论学习上存在差距") < select.index("<optgroup")


def test_history_shows_field_names_in_chinese(client, people, ledger):
    p = ledger.problem
    services.update_problem(
        actor=people.branch_a1, problem_id=p.pk, version=p.version, responsible_leaders="王五"
    )
    client.force_login(people.branch_a1)
    page = client.get(reverse("rectification:problem", args=[p.pk])).content.decode()
    label = Problem._meta.get_field("responsible_leaders").verbose_name
    assert f"修改问题（{label}）" in page and "responsible_leaders" not in page


def test_ledger_says_how_many_problems_match(client, people, tree, campaign, ledger):
    _problem(people, tree, campaign, "另一个问题")
    client.force_login(people.branch_a1)
    page = client.get(reverse("rectification:ledger")).content.decode()
    assert "共 <strong>2</strong> 个问题符合条件" in page
    page = client.get(reverse("rectification:ledger"), {"q": "另一个"}).content.decode()
    assert "共 <strong>1</strong> 个问题符合条件" in page


def test_an_empty_progress_bar_is_styled_to_draw_empty():
    from django.contrib.staticfiles import finders

    css = open(finders.find("luoshi/luoshi.css"), encoding="utf-8").read()
    assert "::-webkit-progress-value" in css and "::-moz-progress-bar" in css
    assert re.search(r"\.measure-progress\s*\{[^}]*appearance:\s*none", css)
