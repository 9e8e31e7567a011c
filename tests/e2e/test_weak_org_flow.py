"""软弱涣散党组织整顿 in the browser: the county office lists a village branch as weak through the
organisation picker, sees the four supports 未落实, assigns them and writes the plan's measure
into the ledger; the branch reports the work and the county verifies it (through the ledger's
services); the township office accepts it on the case page with the acceptance file; the county
dashboard shows it accepted. Screenshots at 1366 and 390 px."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from luoshi.rectification.models import Measure
from luoshi.weakorgs import reasons
from tests.e2e.conftest import PHONE
from tests.factories import user_with
from tests.rectification import conftest as rectification

_media, campaign, people = rectification._media, rectification.campaign, rectification.people
PDF = rectification.PDF
pytestmark = pytest.mark.e2e
WIDE = {"width": 1366, "height": 800}
FOUR = {
    "county_leader": "王建国（区委常委）",
    "township_leader": "李海峰（街道党工委副书记）",
    "first_secretary": "赵志强",
    "paired_unit": "区农业农村局",
}


def _open(open_session, viewport, username):
    session = open_session(viewport)
    session.page.set_default_timeout(40_000)
    session.login(username)
    return session


def _shoot(session, phone, name):
    session.screenshot(f"{name}-1366.png")
    phone.goto(session.page.url.removeprefix(session.base_url))
    phone.screenshot(f"{name}-390.png")


def _list_branch(county, tree):
    page = county.page
    page.locator("#main-nav").get_by_role("button", name="专项工作").click()  # the drop-down
    page.locator("#main-nav").get_by_role("link", name="软弱涣散整顿").click()
    expect(page).to_have_url(re.compile(r"/weak-orgs/"))
    page.get_by_test_id("list-weak-org").click()
    picker = page.get_by_test_id("org-picker")
    picker.press_sequentially("甲一社区", delay=50)
    option = page.locator("#org-options option")
    expect(option).to_have_count(1)
    assert tree.branch_a1.name in option.inner_text()
    picker.fill(option.get_attribute("value"))
    page.get_by_label(reasons.STANDARD[0]).check()
    page.get_by_label(reasons.STANDARD[2]).check()
    page.get_by_label("主要问题表现").fill("班子凝聚力不强，组织生活不经常")
    page.get_by_test_id("submit-listing").click()
    expect(page.get_by_test_id("case-title")).to_contain_text(tree.branch_a1.name)
    expect(page.get_by_test_id("supports").get_by_text("未落实", exact=True)).to_have_count(4)


def _assign_support_and_plan(county):
    page = county.page
    page.get_by_test_id("edit-support").click()
    county.screenshot("weak-org-support-1366.png")
    for field, value in FOUR.items():
        page.locator(f"#{field}").fill(value)
    page.locator("#first_secretary_phone").fill("13900001234")
    page.get_by_test_id("save-support").click()
    supports = page.get_by_test_id("supports")
    expect(supports.get_by_text("全部落实")).to_be_visible()
    expect(supports.get_by_text("未落实", exact=True)).to_have_count(0)
    page.locator("summary", has_text="增加整顿问题和措施").click()
    form = page.get_by_test_id("plan-form")
    form.get_by_label("问题").fill("组织生活不正常，“三会一课”不规范")
    form.get_by_label("整顿措施").fill("每月按时召开支部党员大会，建立“三会一课”台账")
    form.get_by_role("button", name="列入问题清单").click()
    expect(page.get_by_test_id("plan-measure")).to_have_count(1)
    expect(page.get_by_test_id("accept-blocked")).to_contain_text("1 项整改措施未销号")


def _close_measures(people):  # noqa: F811
    for measure in Measure.objects.filter(problem__weak_org_link__isnull=False):
        rectification.progress(people.branch_a1, measure)
        rectification.act(people.branch_a1, measure, "submit")
        rectification.act(people.county_office_a, measure, "verify")


def _accept(town, tmp_path, case_url):
    page = town.page
    town.goto(case_url)
    expect(page.get_by_test_id("accept-blocked")).to_have_count(0)
    report = tmp_path / "验收报告.pdf"
    report.write_bytes(PDF)
    form = page.get_by_test_id("accept-form")
    form.get_by_label("验收结果").select_option("passed")
    form.get_by_label("验收意见").fill("班子配齐配强，组织生活规范，群众满意")
    form.get_by_label(re.compile("验收材料")).set_input_files(str(report))
    page.get_by_test_id("accept-submit").click()
    expect(page.get_by_test_id("case-state")).to_have_text("已验收销号")
    expect(page.get_by_test_id("acceptance-row")).to_contain_text("合格")


def test_a_weak_branch_is_listed_supported_and_accepted(
    open_session,
    tree,
    people,  # noqa: F811
    campaign,  # noqa: F811
    tmp_path,
):
    reasons.ensure_standard()
    user_with(tree.town_a, "office", username="town_office_a")
    county = _open(open_session, WIDE, "county_office_a")
    county_phone = _open(open_session, PHONE, "county_office_a")
    _list_branch(county, tree)
    _shoot(county, county_phone, "weak-org-listed")
    _assign_support_and_plan(county)
    case_url = county.page.url.removeprefix(county.base_url)

    _close_measures(people)
    town = _open(open_session, WIDE, "town_office_a")
    town_phone = _open(open_session, PHONE, "town_office_a")
    town.goto(case_url)
    expect(town.page.get_by_test_id("plan-measure")).to_contain_text("已销号")
    _shoot(town, town_phone, "weak-org-before-acceptance")
    _accept(town, tmp_path, case_url)
    _shoot(town, town_phone, "weak-org-accepted")

    county.goto(reverse("dashboards:node", args=[tree.county_a.pk]))
    tile = county.page.get_by_test_id("weak-org-tile")
    expect(tile.get_by_test_id("fig-weak-accepted")).to_have_text("1")
    expect(tile.get_by_test_id("fig-weak-listed")).to_have_text("1")
    _shoot(county, county_phone, "weak-org-dashboard")
    tile.click()
    expect(county.page.get_by_test_id("weak-case")).to_have_count(1)
    expect(county.page.get_by_test_id("weak-case")).to_contain_text("已验收销号")
    _shoot(county, county_phone, "weak-org-list")
    for session in (county, county_phone, town, town_phone):
        session.assert_console_clean()
