"""What a user sees in the browser: login, the organisation tree, search, scoping, logout and the
phone layout. Data comes from the `tree` and `users` fixtures (tests/conftest.py)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

FULL_PHONE = "13912345678"  # MemberFactory's phone number
MASKED_PHONE = "139****5678"
# Chromium reports every 4xx/5xx response as a console error; only the 404 test expects one.
NOT_FOUND_NOTICE = "the server responded with a status of 404"


def test_county_user_browses_tree_to_branch_members(session, tree, users):
    page = session.page
    session.goto("/accounts/login/")
    expect(page.get_by_role("heading", name="账号登录")).to_be_visible()
    session.screenshot("01-login.png")

    session.login("county_a")
    # Every role lands on its work page; the organisation is one link away.
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    session.goto(f"/orgs/{tree.county_a.pk}/")
    expect(page.get_by_test_id("org-name")).to_have_text("甲区委")

    page.locator("#main-nav").get_by_role("link", name="组织架构").click()
    expect(page).to_have_url(re.compile(r"/orgs/$"))
    expect(page.get_by_role("heading", name="组织架构")).to_be_visible()
    tree_view = page.locator("#org-tree")
    expect(tree_view.get_by_role("link", name="甲区委")).to_be_visible()
    expect(tree_view.get_by_role("link", name="甲一街道党工委")).to_have_count(0)
    # Nothing outside the user's scope is offered as a root.
    expect(tree_view).not_to_contain_text("测试市委")
    expect(tree_view).not_to_contain_text("乙县委")

    session.mark_document()
    root_toggle = page.get_by_role("button", name="展开 甲区委")
    with page.expect_response(re.compile(rf"/orgs/{tree.county_a.pk}/children/$")):
        root_toggle.click()
    expect(root_toggle).to_have_attribute("aria-expanded", "true")
    expect(tree_view.get_by_role("link", name="甲一街道党工委")).to_be_visible()
    page.get_by_role("button", name="展开 甲一街道党工委").click()
    branch_link = tree_view.get_by_role("link", name="甲一社区党支部")
    expect(branch_link).to_be_visible()
    expect(tree_view.get_by_role("link", name="甲二社区党支部")).to_be_visible()
    session.assert_same_document()
    session.screenshot("02-tree-expanded.png")

    # Folding hides the loaded children again without another request.
    root_toggle.click()
    expect(root_toggle).to_have_attribute("aria-expanded", "false")
    expect(branch_link).to_be_hidden()
    root_toggle.click()
    expect(branch_link).to_be_visible()

    branch_link.click()
    expect(page).to_have_url(re.compile(rf"/orgs/{tree.branch_a1.pk}/$"))
    expect(page.get_by_test_id("org-name")).to_have_text("甲一社区党支部")
    expect(page).to_have_title(re.compile(r"^甲一社区党支部"))
    crumbs = page.get_by_role("list", name="组织层级").get_by_role("listitem")
    expect(crumbs).to_have_text(["组织架构", "甲区委", "甲一街道党工委", "甲一社区党支部"])
    expect(page.get_by_test_id("fig-members")).to_have_text("3")
    session.screenshot("03-org-detail.png")

    page.get_by_role("link", name="党员名册").click()
    expect(page).to_have_url(re.compile(rf"/orgs/{tree.branch_a1.pk}/members/"))
    expect(page.get_by_role("heading", name="党员名册 · 甲一社区党支部")).to_be_visible()
    rows = page.get_by_test_id("members").locator("tbody tr")
    expect(rows).to_have_count(3)
    for member in tree.members[tree.branch_a1.pk]:
        expect(rows.filter(has_text=member.name)).to_contain_text(MASKED_PHONE)
    expect(page.get_by_test_id("members").get_by_text(MASKED_PHONE)).to_have_count(3)
    assert FULL_PHONE not in page.content()
    session.screenshot("04-members.png")

    session.assert_console_clean()


def test_tree_search_updates_results_in_place(session, tree, users):
    page = session.page
    session.login("county_a")
    session.goto("/orgs/")
    session.mark_document()
    results = page.locator("#search-results")
    search = page.locator("#org-search")

    search.press_sequentially("社区")
    expect(results.get_by_role("link")).to_have_count(2)
    expect(results).to_contain_text("甲一社区党支部")
    expect(results).to_contain_text("甲二社区党支部")

    # Narrowing the text replaces the results; another county's branches never show up.
    search.fill("甲二")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(results).not_to_contain_text("甲一社区党支部")
    search.fill("村党支部")
    expect(results).to_contain_text("没有找到“村党支部”相关的党组织")
    expect(results).not_to_contain_text("乙一村党支部")
    search.fill("甲二")
    hit = results.get_by_role("link", name=re.compile("甲二社区党支部"))
    expect(hit).to_be_visible()
    expect(hit).to_contain_text("甲区委 › 甲一街道党工委")
    session.assert_same_document()
    assert page.url == session.url("/orgs/")

    hit.click()
    expect(page).to_have_url(re.compile(rf"/orgs/{tree.branch_a2.pk}/$"))
    expect(page.get_by_test_id("org-name")).to_have_text("甲二社区党支部")
    session.assert_console_clean()


def test_branch_liaison_gets_404_for_another_branch(session, tree, users):
    page = session.page
    session.login("branch_a1")
    session.goto(f"/orgs/{tree.branch_a1.pk}/")
    expect(page.get_by_test_id("org-name")).to_have_text("甲一社区党支部")

    foreign = tree.branch_b1
    for path in (
        f"/orgs/{foreign.pk}/",
        f"/orgs/{foreign.pk}/members/",
        f"/orgs/{foreign.pk}/members/?scope=subtree",
        f"/orgs/{foreign.pk}/children/",
        f"/orgs/{tree.county_b.pk}/",
        f"/orgs/{tree.city.pk}/",
    ):
        response = session.goto(path)
        assert response.status == 404, path
        html = page.content()
        for name in (foreign.name, tree.county_b.name, tree.town_b.name, tree.city.name):
            assert name not in html, (path, name)
        for member in tree.members[foreign.pk]:
            assert member.name not in html, (path, member.name)

    # Its own organisation still opens.
    assert session.goto(f"/orgs/{tree.branch_a1.pk}/").status == 200
    expect(page.get_by_test_id("org-name")).to_have_text("甲一社区党支部")
    session.assert_console_clean(NOT_FOUND_NOTICE)


def test_logout_from_account_menu(session, tree, users):
    page = session.page
    session.login("county_a")
    page.get_by_role("link", name="账号菜单").click()
    logout = page.get_by_test_id("logout")
    expect(logout).to_be_visible()
    expect(logout).to_have_text("退出登录")
    logout.click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", name="账号登录")).to_be_visible()
    expect(page.get_by_role("link", name="账号菜单")).to_have_count(0)

    session.goto("/orgs/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/orgs/$"))
    expect(page.get_by_label("账号", exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("甲区委")
    session.assert_console_clean()


def test_phone_width_has_no_horizontal_scroll(open_session, tree, users):
    session = open_session(PHONE)
    page = session.page
    session.login("county_a")
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    assert _scroll_width(page) <= PHONE["width"] + 2
    session.goto(f"/orgs/{tree.county_a.pk}/")
    expect(page.get_by_test_id("org-name")).to_have_text("甲区委")
    assert _scroll_width(page) <= PHONE["width"] + 2

    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    nav_link = page.locator("#main-nav").get_by_role("link", name="组织架构")
    expect(nav_link).to_be_hidden()
    session.screenshot("05-phone-org-detail.png")
    toggler.click()
    expect(nav_link).to_be_visible()

    for path in ("/orgs/", f"/orgs/{tree.county_a.pk}/members/?scope=subtree"):
        session.goto(path)
        expect(page.locator(".page-title").first).to_be_visible()
        assert _scroll_width(page) <= PHONE["width"] + 2, path
    session.assert_console_clean()


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_console_watch_reports_csp_refusals(session):
    """The console checks above only mean something if the CSP is sent and its refusals reach
    the watch: an injected inline script and style attribute must both be reported."""
    page = session.page
    response = session.goto("/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    session.assert_console_clean()
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.__inlineRan = true";
            document.body.append(script);
            document.body.setAttribute("style", "background: red");
        }"""
    )
    expect(page.locator("body")).not_to_have_css("background-color", "rgb(255, 0, 0)")
    assert page.evaluate("window.__inlineRan") is None
    for kind in ("inline script", "inline style"):
        for _ in range(20):  # console events arrive asynchronously
            if any(kind in e and "Content Security Policy" in e for e in session.errors):
                break
            page.wait_for_timeout(100)
        else:
            pytest.fail(f"no CSP refusal of an {kind} reported: {session.errors}")


def test_favicon_is_served(session, tree, users):
    page = session.page
    session.login("county_a")
    icon = page.locator("link[rel~=icon]")
    href = icon.first.get_attribute("href") if icon.count() else "/favicon.ico"
    response = page.request.get(session.url(href) if href.startswith("/") else href)
    assert response.status == 200, f"{href}: {response.status}"
