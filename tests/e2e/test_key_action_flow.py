"""Key actions in the browser: the county sees a branch late with its 专题党课; the branch liaison
records the lesson with its roll (one member absent with a reason) and a photo; the key action
turns done by itself; the county's overdue list no longer names the branch."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from luoshi.campaigns.models import Proof
from luoshi.campaigns.services import define_key_action, launch_key_actions
from luoshi.rectification.models import today
from luoshi.study.models import StudyActivity
from tests.e2e.conftest import PHONE
from tests.rectification import conftest as rectification

_media = rectification._media
campaign = rectification.campaign
PDF = rectification.PDF

pytestmark = pytest.mark.e2e


@pytest.fixture
def lesson_action(tree, users, campaign):
    action = define_key_action(
        actor=users.office,
        campaign_id=campaign.pk,
        name="专题党课",
        due_on=today() - timedelta(days=1),
        proof=Proof.LESSON,
        kinds=["branch"],
        evidence_required="党课讲稿、照片",
    )
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    return action


def _logout(session):
    page = session.page
    page.get_by_role("link", name="账号菜单").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def _overdue_list(session, campaign):
    session.goto(f"/campaigns/{campaign.pk}/actions/")
    page = session.page
    page.get_by_label("仅逾期").check()
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"overdue=1"))
    return page.get_by_test_id("pending-items")


def test_a_recorded_lesson_takes_the_branch_off_the_county_overdue_list(
    open_session, tree, users, campaign, lesson_action, tmp_path
):
    photo = tmp_path / "党课照片.pdf"
    photo.write_bytes(PDF)
    session = open_session()
    page = session.page

    session.goto("/")
    session.login("county_a")
    pending = _overdue_list(session, campaign)
    expect(pending).to_contain_text("甲一社区党支部")
    expect(pending).to_contain_text("甲二社区党支部")
    expect(pending).not_to_contain_text("乙一村党支部")
    session.screenshot("key-actions-county-before.png")
    _logout(session)

    session.login("branch_a1")
    page.locator("#main-nav").get_by_role("link", name="我的工作").click()
    expect(page.get_by_test_id("my-work-extra")).to_contain_text("专题党课")
    page.locator("#main-nav").get_by_role("link", name="学习教育").click()
    page.get_by_role("link", name="记录学习活动").click()
    page.get_by_label("学习形式").select_option(label="专题党课")
    page.get_by_label("学习主题").fill("守初心、担使命，找差距、抓落实")
    page.get_by_label("日期", exact=True).fill(today().isoformat())
    page.get_by_label("主讲人").fill("李书记")
    members = tree.members[tree.branch_a1.pk]
    page.get_by_label(f"{members[2].name} 缺席", exact=True).check()
    page.get_by_label(f"{members[2].name} 缺席原因").fill("出差")
    page.locator("input[name=files]").set_input_files(photo)
    session.screenshot("study-form.png")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").filter(has_text="学习活动已记录")).to_be_visible()
    activity = StudyActivity.objects.get()
    expect(page).to_have_url(re.compile(rf"/study/{activity.pk}/$"))
    roll = page.get_by_test_id("attendance")
    expect(roll.locator("[data-status=present]")).to_have_count(2)
    expect(roll.locator("[data-status=absent]")).to_contain_text("出差")
    expect(page.get_by_role("link", name="党课照片.pdf")).to_be_visible()
    session.goto(f"/campaigns/checklist/{tree.branch_a1.pk}/")
    item = page.get_by_test_id("checklist").locator("[data-state=done]")
    expect(item).to_contain_text("专题党课")
    expect(item).to_contain_text("记录自动认定")
    _logout(session)

    session.login("county_a")
    pending = _overdue_list(session, campaign)
    expect(pending).not_to_contain_text("甲一社区党支部")
    expect(pending).to_contain_text("甲二社区党支部")
    session.screenshot("key-actions-county-after.png")
    session.assert_console_clean()


def test_the_study_form_fits_a_phone(open_session, tree, users, campaign, lesson_action):
    session = open_session(PHONE)
    session.goto("/")
    session.login("branch_a1")
    session.goto(f"/study/new/?org={tree.branch_a1.pk}")
    page = session.page
    expect(page.get_by_test_id("roll")).to_be_visible()
    session.screenshot("study-form-phone.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    session.assert_console_clean()
