"""The rectification ledger in the browser: a branch liaison reports progress with evidence and asks
for closure, the guidance group returns it with a reason, the liaison reports again, the guidance
group closes it, and the ledger shows the problem closed. Data comes from the `ledger` fixture
(tests/rectification/conftest.py): a problem of branch a1 with one dated measure."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE
from tests.rectification import conftest as rectification

# The rectification fixtures (their conftest only reaches tests/rectification/), bound here so
# pytest collects them for this module; `_media` keeps uploads in a temporary MEDIA_ROOT.
_media = rectification._media
campaign = rectification.campaign
people = rectification.people
ledger = rectification.ledger
PDF = rectification.PDF

pytestmark = pytest.mark.e2e

LIAISON = "branch_a1"
GUIDANCE = "guidance_a"
RETURN_REASON = "佐证材料不全，请补充群众诉求台账的销号记录"


@pytest.fixture
def evidence_files(tmp_path):
    """Two small real PDF files on disk, one for each report."""
    paths = []
    for name in ("整改佐证-台账.pdf", "整改佐证-销号记录.pdf"):
        path = tmp_path / name
        path.write_bytes(PDF)
        paths.append(path)
    return paths


def _open_my_work(session):
    page = session.page
    page.locator("#main-nav").get_by_role("link", name="我的工作").click()
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    expect(page.get_by_role("heading", name="我的工作")).to_be_visible()


def _logout(session):
    page = session.page
    page.get_by_role("link", name="账号菜单").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def _report_progress(session, measure, text: str, path) -> None:
    page = session.page
    form = measure.get_by_test_id("progress-form")
    expect(form).to_be_hidden()
    measure.locator("summary", has_text="填报整改进展").click()
    expect(form).to_be_visible()
    form.locator("textarea[name=text]").fill(text)
    form.locator("input[name=progress]").fill("100")
    form.get_by_label("其他佐证材料").set_input_files(path)
    with page.expect_navigation():
        form.get_by_role("button", name="提交进展").click()
    expect(page.get_by_role("alert").filter(has_text="整改进展已填报")).to_be_visible()


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_measure_is_returned_then_closed_and_shows_in_ledger(
    open_session, tree, people, ledger, evidence_files
):
    problem = ledger.problem
    problem_url = re.compile(rf"/problems/{problem.pk}/(#measure-{ledger.measure.pk})?$")
    session = open_session()
    page = session.page
    measure = page.get_by_test_id("measure")
    state = measure.get_by_test_id("measure-state")

    # 1. The liaison finds the measure under 待我填报, reports with evidence, asks for closure.
    session.login(LIAISON)
    _open_my_work(session)
    to_update = page.get_by_test_id("to-update")
    expect(to_update).to_contain_text(problem.title)
    # a liaison verifies nothing: no empty 待我核验 to read as "nothing to do"
    expect(page.get_by_test_id("to-verify")).to_have_count(0)
    session.screenshot("ledger-01-liaison-my-work.png")
    to_update.get_by_role("link", name=re.compile(problem.title)).click()
    expect(page).to_have_url(problem_url)
    expect(page.get_by_test_id("problem-title")).to_have_text(problem.title)
    expect(measure).to_have_count(1)
    expect(state).to_have_text("未开始")

    _report_progress(session, measure, "已建立群众诉求台账，逐项登记", evidence_files[0])
    expect(state).to_have_text("整改中")
    evidence = measure.get_by_test_id("evidence")
    expect(evidence).to_have_text(evidence_files[0].name)
    expect(measure).to_contain_text("完成进度 100%")
    download = page.request.get(session.url(evidence.get_attribute("href")))
    assert download.status == 200
    assert download.body() == PDF
    session.screenshot("ledger-02-liaison-reported.png")

    with page.expect_navigation():
        measure.get_by_role("button", name="申请销号", exact=True).click()
    expect(state).to_have_text("申请销号")
    # Waiting for verification: no more reporting, and the owner cannot close it herself.
    expect(measure.get_by_test_id("progress-form")).to_have_count(0)
    expect(measure.get_by_role("button", name="同意销号")).to_have_count(0)
    _logout(session)

    # 2. The guidance group finds it under 待我核验销号 and returns it with a reason.
    session.login(GUIDANCE)
    _open_my_work(session)
    to_verify = page.get_by_test_id("to-verify")
    expect(to_verify).to_contain_text(problem.title)
    expect(to_verify.get_by_test_id("measure-state")).to_have_text("申请销号")
    to_verify.get_by_role("link", name=re.compile(problem.title)).click()
    expect(page).to_have_url(problem_url)
    expect(state).to_have_text("申请销号")
    expect(measure.get_by_role("button", name="同意销号", exact=True)).to_be_visible()
    measure.get_by_label("退回整改的理由").fill(RETURN_REASON)
    with page.expect_navigation():
        measure.get_by_role("button", name="退回整改", exact=True).click()
    expect(state).to_have_text("退回")
    expect(measure).to_contain_text(f"退回理由：{RETURN_REASON}")
    session.screenshot("ledger-03-guidance-returned.png")
    _logout(session)

    # On a phone the returned measure, with its reason and the opened report form, fits the width.
    phone = open_session(PHONE)
    phone.login(LIAISON)
    phone.goto(f"/problems/{problem.pk}/")
    phone_measure = phone.page.get_by_test_id("measure")
    expect(phone_measure).to_contain_text(f"退回理由：{RETURN_REASON}")
    phone_measure.locator("summary", has_text="填报整改进展").click()
    expect(phone_measure.get_by_test_id("progress-form")).to_be_visible()
    assert _scroll_width(phone.page) <= PHONE["width"] + 2
    phone.screenshot("ledger-04-phone-returned.png")
    phone.assert_console_clean()

    # 3. The liaison sees the reason, reports again with a file and asks for closure again.
    session.login(LIAISON)
    _open_my_work(session)
    to_update = page.get_by_test_id("to-update")
    expect(to_update.get_by_test_id("measure-state")).to_have_text("退回")
    to_update.get_by_role("link", name=re.compile(problem.title)).click()
    expect(page).to_have_url(problem_url)
    expect(state).to_have_text("退回")
    expect(measure).to_contain_text(f"退回理由：{RETURN_REASON}")
    _report_progress(session, measure, "已补充群众诉求销号记录", evidence_files[1])
    expect(state).to_have_text("整改中")
    expect(measure.get_by_test_id("evidence")).to_have_text(
        [evidence_files[0].name, evidence_files[1].name]
    )
    with page.expect_navigation():
        measure.get_by_role("button", name="申请销号", exact=True).click()
    expect(state).to_have_text("申请销号")
    _logout(session)

    # 4. The guidance group closes it: measure and problem 已销号, every step on the timeline.
    session.login(GUIDANCE)
    _open_my_work(session)
    page.get_by_test_id("to-verify").get_by_role("link", name=re.compile(problem.title)).click()
    expect(page).to_have_url(problem_url)
    with page.expect_navigation():
        measure.get_by_role("button", name="同意销号", exact=True).click()
    expect(state).to_have_text("已销号")
    expect(page.get_by_test_id("problem-status")).to_have_text("已销号")
    # Only reopening (反弹回潮) is left to the verifier; nothing is left to report.
    expect(measure.get_by_role("button")).to_have_text(["反弹回潮，重新整改"])
    expect(measure.get_by_test_id("progress-form")).to_have_count(0)
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text(RETURN_REASON)
    steps = [
        "录入问题",
        "措施 1：制定整改措施",
        "措施 1：填报进展 100%，上传佐证 1 份",
        "措施 1：申请销号",
        "措施 1：退回整改",
        "措施 1：填报进展 100%，上传佐证 1 份",
        "措施 1：申请销号",
        "措施 1：核验通过，销号",
    ]
    expect(timeline.locator(".timeline-event")).to_have_count(len(steps))
    expect(timeline.locator(".timeline-event")).to_contain_text(steps)
    session.screenshot("ledger-05-guidance-closed.png")

    # 5. The ledger lists the problem with its measure closed.
    page.locator("#main-nav").get_by_role("link", name="问题清单").click()
    expect(page).to_have_url(re.compile(r"/ledger/$"))
    rows = page.get_by_test_id("ledger").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link", name=problem.title)).to_be_visible()
    expect(rows.first).to_contain_text(ledger.measure.content)
    expect(rows.first.get_by_test_id("measure-state")).to_have_text("已销号")
    session.screenshot("ledger-06-ledger.png")
    session.assert_console_clean()
