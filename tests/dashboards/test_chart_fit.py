"""Charts and tiles that do not mislead: a unit with nothing to rate shows "—" and never ranks
worst, crowded charts fold into top N + 其他, every week is plotted with the current one marked,
an empty chart says 暂无数据, tile labels match their numbers, state colours match the lights."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from luoshi.dashboards import selectors
from luoshi.rectification.models import today
from tests.rectification import conftest as rectification

# the rectification fixtures, bound here so pytest collects them for this module
_media = rectification._media
campaign = rectification.campaign
people = rectification.people
ledger = rectification.ledger

pytestmark = pytest.mark.django_db


def test_top_and_others_keeps_the_total_and_folds_the_tail():
    rows = [(f"类别{i}", 20 - i) for i in range(12)]
    folded = selectors.top_and_others(rows, n=8)
    assert folded[:8] == rows[:8] and folded[-1] == ("其他", sum(v for _, v in rows[8:]))
    assert sum(v for _, v in folded) == sum(v for _, v in rows)
    assert selectors.top_and_others(rows[:9], n=8) == rows[:9]  # one more is shown, not folded


def test_every_week_is_plotted_and_the_current_one_is_marked():
    monday = today() - timedelta(days=today().weekday())
    three_weeks_ago = (monday - timedelta(weeks=3)).strftime("%m-%d")
    weeks = selectors.every_week([(three_weeks_ago, 4)])
    assert len(weeks) == 13 and sum(v for _, v in weeks) == 4
    assert weeks[-1] == (monday.strftime("%m-%d") + selectors.PARTIAL_WEEK, 0)
    assert dict(weeks)[three_weeks_ago] == 4 and weeks[-2][1] == 0


def _children(client, tree, **params):
    response = client.get(reverse("dashboards:node", args=[tree.city.pk]), params)
    return [r.org.pk for r in response.context["rows"]], response.content.decode()


def test_a_unit_without_measures_shows_a_dash_and_never_ranks_worst(client, people, tree, ledger):
    client.force_login(people.office)
    worst, html = _children(client, tree, sort="closure_rate", order="worst")
    best, _ = _children(client, tree, sort="closure_rate")
    assert worst[-1] == tree.county_b.pk and best[-1] == tree.county_b.pk
    assert worst[0] == tree.county_a.pk  # 0 % of one measure is a rate, and the worst one
    rates = re.findall(r'data-testid="child-closure-rate">([^<]*)<', html)
    assert rates[-1] == "—" and "0.0%" in rates


def test_tiles_name_what_their_number_counts(client, people, tree, ledger):
    client.force_login(people.office)
    html = client.get(reverse("dashboards:node", args=[tree.city.pk])).content.decode()
    assert "党组织 / 党员" not in html and "立查立改 / 建章立制" not in html
    assert 'data-testid="fig-organizations"' in html and "立查立改已销号" in html


def test_an_empty_chart_says_so(client, people, tree, campaign):
    client.force_login(people.branch_b1)
    html = client.get(reverse("dashboards:node", args=[tree.branch_b1.pk])).content.decode()
    assert 'data-testid="chart-empty-sources"' in html and "暂无数据" in html
    assert 'data-chart="sources"' not in html


def test_chart_colours_of_states_match_the_lights():
    js = open(finders.find("luoshi/dashboards.js"), encoding="utf-8").read()
    colours = dict(re.findall(r'"([\u4e00-\u9fff]+)": "(#[0-9a-f]{6})"', js))
    assert colours["已销号"] == colours["绿灯"] and colours["逾期"] == colours["红灯"]
    assert colours["未开始"] not in {colours["绿灯"], colours["红灯"]}
    assert "zh-CN" in js  # numbers written the Chinese way
