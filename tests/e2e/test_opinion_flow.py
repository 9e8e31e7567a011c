"""The public's loop in the browser, at phone width: a sender submits an opinion anonymously with a
photo and gets a code; the branch's liaison accepts it into the problem list (desktop); the
problem's measure is closed; the code shows the answer and what was done; the sender rates it."""

import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from luoshi.opinions.models import Opinion
from luoshi.rectification.models import ProblemStatus
from tests.e2e.conftest import PHONE
from tests.rectification import conftest as rectification

_media = rectification._media
campaign = rectification.campaign
people = rectification.people

pytestmark = pytest.mark.e2e

TEXT = "社区东门的路灯坏了两个月，晚上老人出行不安全"
ANSWER = "感谢您的监督，路灯已纳入整改，我们会尽快修好"
MEASURE = "更换社区东门损坏路灯 4 盏，建立路灯巡查制度"


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "路灯.jpg"
    buf = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (38.0, 29.0, 12.0)
    Image.new("RGB", (640, 480), (40, 40, 60)).save(buf, "JPEG", exif=exif)
    path.write_bytes(buf.getvalue())
    return path


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_sender_submits_office_accepts_problem_closes_sender_sees_answer_and_rates(
    open_session, tree, campaign, people, photo
):
    cache.clear()
    org = tree.branch_a1
    phone = open_session(PHONE)
    page = phone.page

    # 1. The sender, on a phone, without an account.
    phone.goto(f"/p/{org.code}/")
    expect(page.get_by_role("heading", name=f"向{org.name}提意见建议")).to_be_visible()
    assert _scroll_width(page) <= PHONE["width"]
    expect(page.get_by_label("匿名提交（不留姓名）")).to_be_checked()
    page.get_by_text("民生实事", exact=True).click()
    page.get_by_label("您的意见建议").fill(TEXT)
    page.get_by_label("照片（可不传，最多 3 张）").set_input_files(photo)
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("heading", name="已收到，谢谢您！")).to_be_visible()
    code = page.get_by_test_id("tracking-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
    phone.screenshot("opinion-1-code.png")
    opinion = Opinion.objects.get()
    assert opinion.anonymous and opinion.photos.count() == 1

    # 2. The branch's liaison accepts it into the problem list, on a desktop.
    office = open_session()
    desk = office.page
    office.login("branch_a1")
    office.goto(f"/opinions/poster/{org.pk}/")  # the printable QR code of the form's link
    qr = desk.get_by_test_id("qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    desk.locator("#main-nav").get_by_role("link", name="征求意见").click()
    desk.get_by_role("link", name=TEXT[:20], exact=False).click()
    expect(desk.get_by_test_id("opinion-text")).to_have_text(TEXT)
    expect(desk.get_by_test_id("opinion-photo")).to_be_visible()
    accept = desk.get_by_test_id("accept")
    accept.get_by_label("新建问题").fill("社区路灯损坏长期未修")
    accept.get_by_label("整改措施（可稍后在问题页补充）").fill(MEASURE)
    due = timezone.localdate() + timedelta(days=20)
    accept.get_by_label("完成时限（不填为立行立改）").fill(due.isoformat())
    accept.get_by_label("答复群众（可不填）").fill(ANSWER)
    accept.get_by_role("button", name="采纳").click()
    expect(desk.get_by_role("alert").filter(has_text="已采纳，纳入问题清单")).to_be_visible()
    desk.get_by_test_id("linked-problem").click()
    expect(desk.get_by_test_id("problem-opinions")).to_contain_text(TEXT[:10])

    # The sender looks in before the work is done: accepted, answer shown, nothing to rate yet.
    phone.goto("/p/track/")
    page.get_by_label("查询码").fill(code.lower())
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("tracking-state")).to_have_text("已采纳")
    expect(page.get_by_test_id("tracking-answer")).to_have_text(ANSWER)
    expect(page.get_by_test_id("rate-form")).to_have_count(0)

    # 3. The measure is reported, asked for closure and verified (the ledger's own flow,
    # driven in the browser by tests/e2e/test_ledger_flow.py).
    opinion.refresh_from_db()
    measure = opinion.problem.measures.get()
    rectification.progress(people.branch_a1, measure)
    rectification.act(people.branch_a1, measure, "submit")
    rectification.act(people.guidance_a, measure, "verify")
    opinion.problem.refresh_from_db()
    assert opinion.problem.status == ProblemStatus.CLOSED

    # 4. The code now shows what was done, and the sender rates it once.
    phone.goto("/p/track/")
    page.get_by_label("查询码").fill(code)
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_test_id("tracking-done")).to_contain_text(MEASURE)
    expect(page.get_by_test_id("tracking-answer")).to_have_text(ANSWER)
    assert _scroll_width(page) <= PHONE["width"]
    form = page.get_by_test_id("rate-form")
    form.get_by_text("满意", exact=True).click()
    form.get_by_role("button", name="提交评价").click()
    expect(page.get_by_text("感谢您的评价！")).to_be_visible()
    expect(page.get_by_test_id("tracking-rating")).to_have_text("满意")
    expect(page.get_by_test_id("rate-form")).to_have_count(0)
    phone.screenshot("opinion-2-rated.png")
    opinion.refresh_from_db()
    assert opinion.rating == "satisfied"
    phone.assert_console_clean()
    office.assert_console_clean()
