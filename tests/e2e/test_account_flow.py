"""账号管理 in the browser, on a phone: the city office creates a county liaison account, hands
on the one-time password; the liaison signs in, is sent to 修改密码 first, sets its own and
reaches the county; the office sees its last login and locks it."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e


def test_office_creates_an_account_that_must_change_its_password_first(open_session, tree, users):
    office = open_session(PHONE)
    office.login("office")
    office.goto("/accounts/manage/")
    page = office.page
    page.get_by_test_id("new-account").click()
    page.get_by_label("登录账号").fill("jia_liaison")
    page.get_by_label("姓名").fill("甲区联络员")
    page.locator("#org-1").fill(tree.county_a.code)
    page.locator("#role-1").select_option("liaison")
    page.get_by_test_id("create-account").click()
    password = page.get_by_test_id("one-time-password").locator("code").inner_text().strip()
    assert len(password) == 14
    office.screenshot("account-created-phone.png")

    person = open_session(PHONE)
    person.goto("/accounts/login/")
    person.page.get_by_label("账号", exact=True).fill("jia_liaison")
    person.page.get_by_label("密码", exact=True).fill(password)
    person.page.get_by_role("button", name="登录", exact=True).click()
    expect(person.page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(person.page.get_by_test_id("must-change")).to_be_visible()
    person.goto(f"/orgs/{tree.county_a.pk}/")
    expect(person.page).to_have_url(re.compile(r"/accounts/password/$"))
    person.page.get_by_label("旧密码").fill(password)
    person.page.get_by_label("新密码", exact=True).fill("甲区联络员的口令2026")
    person.page.get_by_label("新密码确认").fill("甲区联络员的口令2026")
    person.page.get_by_role("button", name="保存新密码").click()
    person.goto(f"/orgs/{tree.county_a.pk}/")
    expect(person.page).to_have_url(re.compile(rf"/orgs/{tree.county_a.pk}/$"))

    office.goto("/accounts/manage/?q=甲区联络员")
    row = page.get_by_test_id("account-row")
    expect(row).to_contain_text("甲区委 · 联络员")
    expect(row).not_to_contain_text("从未登录")
    row.get_by_role("link", name="甲区联络员").click()
    page.get_by_test_id("lock").click()
    expect(page.get_by_role("alert")).to_contain_text("账号已停用")
    office.screenshot("account-detail-phone.png")
    person.goto(f"/orgs/{tree.county_a.pk}/")
    expect(person.page).to_have_url(re.compile(r"/accounts/login/"))
    office.assert_console_clean()
    person.assert_console_clean()
