"""Phone-first lists: at 390 px, as every role, the work page, the ledger, the opinions, study
and research lists and the dashboard fit the screen (no table wider than it, no sideways
scrolling in the main content), each list item's main link is on screen, and the filters fold
behind one button; at 1366 px the ledger is still a table."""

import pytest
from playwright.sync_api import expect

from luoshi.opinions import services as opinions
from luoshi.rectification import services
from tests.e2e.conftest import PHONE
from tests.rectification import conftest as rectification

_media = rectification._media
campaign = rectification.campaign
people = rectification.people
ledger = rectification.ledger

pytestmark = pytest.mark.e2e

ROLES = ["office", "leader", "branch_a1", "guidance_a", "viewer"]
LONG = "基层党组织在服务群众、推动发展方面的作用发挥不够充分，部分村组织生活流于形式"

FITS = """() => {
  const width = document.documentElement.clientWidth;
  const main = document.querySelector(".page-body");
  const wide = [...main.querySelectorAll("table")]
    .filter((t) => t.offsetParent !== null)
    .filter((t) => {
      const r = t.getBoundingClientRect();
      return r.right > width + 1 || r.left < -1;
    })
    .map((t) => t.dataset.testid || t.className);
  const off = [...main.querySelectorAll("table.table-cards td.cell-title a")]
    .filter((a) => {
      const r = a.getBoundingClientRect();
      return r.left < 0 || r.right > width + 1 || r.width === 0;
    })
    .map((a) => a.textContent.trim().slice(0, 20));
  const page = document.documentElement.scrollWidth - width;
  return { page, main: main.scrollWidth - main.clientWidth, wide, off };
}"""


@pytest.fixture
def lists(tree, campaign, people, ledger):  # noqa: F811
    for i in range(3):
        problem = services.create_problem(
            actor=people.branch_a1, org=tree.branch_a1, campaign=campaign, title=f"{LONG}{i}"
        )
        services.add_measure(
            actor=people.branch_a1,
            problem=problem,
            content=LONG * 2,
            due_on=None,
            deadline_kind="ongoing",
            owner_name="张三",
        )
    opinions.record_opinion(
        actor=people.branch_a1, org=tree.branch_a1, channel="form", topic="service", text=LONG
    )
    return tree


def test_every_role_reads_the_lists_on_a_phone_without_sideways_scrolling(
    open_session, lists, people
):
    pages = [
        "/my-work/",
        "/ledger/",
        "/opinions/",
        "/study/",
        "/research/",
        "/dashboard/",
    ]
    for role in ROLES:
        phone = open_session(PHONE)
        phone.login(getattr(people, role).username)
        for path in pages:
            phone.goto(path)
            fit = phone.page.evaluate(FITS)
            assert fit["page"] <= 1 and fit["main"] <= 1, (role, path, fit)
            assert not fit["wide"] and not fit["off"], (role, path, fit)
        phone.goto("/ledger/")
        form = phone.page.get_by_role("form", name="筛选")
        expect(form).to_be_hidden()  # folded behind one button
        phone.page.get_by_test_id("filters-toggle").click()
        expect(form).to_be_visible()
        title = phone.page.locator("[data-testid=ledger] td.cell-title a").first
        expect(title).to_be_in_viewport()
        if role == "office":
            phone.screenshot("phone-ledger-office.png")
        phone.assert_console_clean()


def test_the_ledger_stays_a_table_on_a_wide_screen(open_session, lists, people):
    wide = open_session({"width": 1366, "height": 800})
    wide.login(people.office.username)
    wide.goto("/ledger/")
    expect(wide.page.locator("[data-testid=ledger] thead")).to_be_visible()
    expect(wide.page.get_by_role("form", name="筛选")).to_be_visible()
    expect(wide.page.get_by_test_id("filters-toggle")).to_be_hidden()
