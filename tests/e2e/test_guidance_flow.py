"""Issue 19 in the browser: a guidance group inspects a township (a random sample drawn, a
problem fed back), the township replies from its 我的工作, the group accepts the reply; the
group writes and issues a circular to its county, and the township confirms reading it. At
390 px (phone) and 1366 px, with screenshots, no console errors and no sideways scrolling."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.factories import user_with
from tests.guidance import conftest as guidance
from tests.rectification import conftest as rectification

_media = rectification._media
campaign = rectification.campaign
guide = guidance.guide
group = guidance.group

pytestmark = pytest.mark.e2e

WIDE = {"width": 1366, "height": 800}
PROBLEM = "“三会一课”记录不全，部分党员反映组织生活流于形式"
REPLY = "已逐月补齐会议记录，支部书记讲专题党课一次，整改情况已公示"
TITLE = "关于甲区主题教育整改落实情况的通报"


def _logout(session):
    page = session.page
    page.get_by_role("link", name="账号菜单").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def _fits(session, width: int) -> None:
    assert session.page.evaluate("document.documentElement.scrollWidth") <= width


def _inspect_and_feed_back(session, tree):
    page = session.page
    session.goto("/guidance/mine/")
    page.get_by_role("link", name="登记督导检查").first.click()
    page.get_by_label("督导对象").select_option(label=tree.town_a.name)
    page.get_by_label("督导方式").select_option(label="随机访谈")
    page.get_by_label("随机访谈人数").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("heading", name=tree.town_a.name, exact=True)).to_be_visible()
    with page.expect_navigation():
        page.get_by_test_id("draw").click()
    expect(page.get_by_test_id("sample").locator(".list-group-item")).to_have_count(2)
    expect(page.get_by_test_id("seed")).to_contain_text("抽样种子")
    page.get_by_label("反馈的问题").fill(PROBLEM)
    with page.expect_navigation():
        page.get_by_role("button", name="反馈问题").click()
    expect(page.get_by_role("alert").filter(has_text="已列入该单位问题清单")).to_be_visible()
    expect(page.get_by_test_id("findings")).to_contain_text("待回复")


def _reply(session):
    page = session.page
    session.goto("/my-work/")
    page.get_by_test_id("my-work-extra").filter(has_text="待回复的督导反馈").get_by_role(
        "link"
    ).first.click()
    page.get_by_label("整改回复").fill(REPLY)
    with page.expect_navigation():
        page.get_by_role("button", name="提交回复").click()
    expect(page.get_by_test_id("finding-state")).to_have_text("已回复待审核")


def _accept(session):
    page = session.page
    session.goto("/my-work/")
    page.get_by_test_id("my-work-extra").filter(has_text="待审核的整改回复").get_by_role(
        "link"
    ).first.click()
    expect(page.get_by_test_id("reply")).to_have_text(REPLY)
    with page.expect_navigation():
        page.get_by_role("button", name="保存审核意见").click()
    expect(page.get_by_test_id("finding-state")).to_have_text("已认可")


def _issue_circular(session, group):
    page = session.page
    session.goto(f"/guidance/groups/{group.pk}/")
    page.get_by_role("link", name="写通报").click()
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("正文").fill("根据督导检查情况，现将有关情况通报如下。")
    page.get_by_label("好的做法").fill("甲一街道建立问题、责任、措施“三张清单”，群众评价较好。")
    page.get_by_label("党组织数").check()
    with page.expect_navigation():
        page.get_by_role("button", name="保存草稿").click()
    with page.expect_navigation():
        page.get_by_role("button", name="印发").click()
    expect(page.get_by_test_id("number")).to_contain_text("通报〔")
    expect(page.get_by_test_id("recipients")).to_contain_text("未确认")
    href = page.get_by_role("link", name="下载 Word").get_attribute("href")
    download = page.request.get(session.url(href))
    assert download.ok and download.body()[:2] == b"PK"


def _confirm(session):
    page = session.page
    session.goto("/my-work/")
    page.get_by_test_id("my-work-extra").filter(has_text="待确认已阅的通报").get_by_role(
        "link"
    ).first.click()
    with page.expect_navigation():
        page.get_by_role("button", name="已阅确认").click()
    expect(page.get_by_test_id("recipients").locator("[data-confirmed='1']")).to_have_count(1)
    expect(page.get_by_role("button", name="已阅确认")).to_have_count(0)
    expect(page.get_by_test_id("confirmed-count")).to_have_text("1 / 1")


def test_a_group_inspects_feeds_back_accepts_the_reply_and_a_circular_is_confirmed(
    open_session, tree, users, group, guide
):
    user_with(tree.town_a, "liaison", username="town_a", first_name="甲一街道联络员")
    wide = open_session(WIDE)
    wide.login("guide")
    _inspect_and_feed_back(wide, tree)
    wide.screenshot("guidance-inspection-1366.png")
    _fits(wide, WIDE["width"])
    _logout(wide)

    phone = open_session(PHONE)
    phone.login("town_a")
    _reply(phone)
    phone.screenshot("guidance-reply-390.png")
    _fits(phone, PHONE["width"])

    wide.login("guide")
    _accept(wide)
    _issue_circular(wide, group)
    wide.screenshot("guidance-circular-1366.png")

    _confirm(phone)
    phone.screenshot("guidance-circular-390.png")
    _fits(phone, PHONE["width"])
    phone.assert_console_clean()
    wide.assert_console_clean()
