"""A photo from the phone, from the work page to 销号: at 390 px a branch liaison reports progress
with a photo and asks for 销号 in at most 6 taps from 我的工作 (the page after login); the
verifier of that branch (permissions.waiting_verifiers) finds it first on their own work page,
sees the photo as a thumbnail, opens it full size and closes the measure (同意销号)."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from luoshi.accounts.models import Assignment
from luoshi.accounts.permissions import waiting_verifiers
from luoshi.rectification.models import Evidence, MeasureState
from tests.e2e.conftest import PHONE
from tests.rectification import conftest as rectification

_media = rectification._media
campaign = rectification.campaign
people = rectification.people
ledger = rectification.ledger

pytestmark = pytest.mark.e2e

MAX_TAPS = 6
DONE = "已为群众更换村口路灯 3 盏，群众诉求台账逐项销号"


class Taps:
    """Counts what the user does with a finger: a tap on a button, link or box, a tap into a
    text box before typing, and choosing a photo (the camera's shutter)."""

    def __init__(self):
        self.count = 0

    def tap(self, locator):
        self.count += 1
        locator.click()

    def type_into(self, locator, text: str):
        self.tap(locator)
        locator.fill(text)

    def choose_photo(self, locator, path):
        self.count += 1
        locator.set_input_files(path)


@pytest.fixture
def photo(tmp_path):
    """A real JPEG as a phone's camera gives it (large, landscape)."""
    path = tmp_path / "现场照片.jpg"
    image = Image.new("RGB", (1600, 1200), (30, 110, 200))
    for x in range(0, 1600, 40):
        for y in range(600, 1200):
            image.putpixel((x, y), (240, 200, 40))
    image.save(path, "JPEG", quality=85)
    return path


def _verifier_of(measure):
    """The account that verifies the measure's 销号 (the rule of permissions.verifier_role)."""
    found = waiting_verifiers([(measure.org_path, measure.submitted_from)])
    path, role = found[(measure.org_path, measure.submitted_from)]
    return Assignment.objects.filter(org__path=path, role=role).select_related("user").first().user


def _thumbnail_is_drawn(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_branch_reports_a_photo_and_asks_for_closure_in_six_taps_then_the_verifier_closes_it(
    open_session, ledger, people, photo
):
    problem, measure = ledger.problem, ledger.measure

    # 1. The branch liaison, on a phone: the work page is where login lands.
    liaison = open_session(PHONE)
    page = liaison.page
    # the live server's first page loads every module (seconds on a busy machine): not a tap
    page.goto(liaison.url("/accounts/login/"), timeout=90_000)
    liaison.login(people.branch_a1.username)
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    item = (
        page.get_by_test_id("to-update").get_by_test_id("work-item").filter(has_text=problem.title)
    )
    expect(item).to_have_count(1)
    liaison.screenshot("photo-1-work-page-phone.png")

    taps = Taps()
    taps.tap(item.get_by_role("link", name="上报进展"))
    expect(page.get_by_role("heading", name="上报进展")).to_be_visible()
    form = page.get_by_test_id("report-form")
    button = form.get_by_test_id("photo-button")
    expect(button).to_have_text("拍照/选择照片")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= PHONE["width"] / 2  # a thumb hits it
    camera = form.get_by_label("拍照/选择照片")
    assert camera.get_attribute("capture") == "environment"
    assert camera.get_attribute("accept") == "image/*"

    taps.type_into(form.get_by_label("做了什么"), DONE)
    taps.choose_photo(camera, photo)
    preview = form.get_by_test_id("photo-preview")
    expect(preview).to_have_count(1)
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/jpeg"))
    expect(form).to_contain_text("已选 1 张照片")
    taps.tap(form.get_by_text("同时申请销号"))
    expect(form.get_by_role("checkbox", name=re.compile("同时申请销号"))).to_be_checked()
    liaison.screenshot("photo-2-report-form-phone.png")
    with page.expect_navigation():
        taps.tap(form.get_by_role("button", name="提交"))

    assert taps.count <= MAX_TAPS, f"{taps.count} taps"
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    said = page.get_by_role("alert").filter(has_text="已申请销号")
    expect(said).to_contain_text("整改进展已填报")
    expect(said).to_contain_text("核验")  # whom it now waits for
    waiting = (
        page.get_by_test_id("waiting").get_by_test_id("work-item").filter(has_text=problem.title)
    )
    expect(waiting.get_by_test_id("measure-state")).to_have_text("申请销号")
    expect(waiting.get_by_test_id("evidence-thumb")).to_have_count(1)
    measure.refresh_from_db()
    assert measure.state == MeasureState.SUBMITTED and measure.progress == 100
    assert Evidence.objects.get(measure=measure).has_thumbnail
    liaison.assert_console_clean()

    # 2. The one who verifies for that branch: the item is the first thing on their work page.
    verifier = open_session(PHONE)
    page = verifier.page
    verifier.login(_verifier_of(measure).username)
    expect(page).to_have_url(re.compile(r"/my-work/$"))
    first = page.get_by_test_id("work-item").first
    expect(first).to_contain_text(problem.title)
    expect(page.get_by_test_id("to-verify").get_by_test_id("work-item").first).to_contain_text(
        problem.title
    )
    thumb = first.get_by_test_id("evidence-thumb")
    expect(thumb).to_be_visible()
    expect(thumb).to_have_attribute("alt", "照片：现场照片.jpg")
    assert _thumbnail_is_drawn(thumb)
    assert thumb.bounding_box()["width"] < 120  # a thumbnail, not the photo
    verifier.screenshot("photo-3-verifier-work-page-phone.png")

    # Tapping the thumbnail opens the photo itself, full size.
    with page.context.expect_page() as opened:
        first.get_by_test_id("evidence-photo").click()
    full = opened.value
    full.wait_for_load_state()
    size = full.evaluate(
        "() => [document.images[0].naturalWidth, document.images[0].naturalHeight]"
    )
    assert size == [1600, 1200]
    full.close()

    # The measure on its page: the photo, and the same photo in the history, then 同意销号.
    first.get_by_role("link", name=re.compile(problem.title)).click()
    card = page.get_by_test_id("measure")
    expect(card.get_by_test_id("evidence-thumb")).to_be_visible()
    expect(card.get_by_test_id("evidence")).to_have_count(0)  # not a file name
    timeline = page.get_by_test_id("timeline")
    expect(timeline.get_by_test_id("evidence-thumb")).to_have_count(1)
    expect(timeline).to_contain_text("填报进展 100%，上传佐证 1 份")
    verifier.screenshot("photo-4-verifier-measure-phone.png")
    with page.expect_navigation():
        card.get_by_role("button", name="同意销号", exact=True).click()
    expect(card.get_by_test_id("measure-state")).to_have_text("已销号")
    expect(page.get_by_test_id("problem-status")).to_have_text("已销号")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 2
    verifier.assert_console_clean()
