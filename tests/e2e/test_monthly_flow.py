"""The monthly cycle in the browser at phone width: a cadre goes offline, records a visit with a
finding and a photo (kept on the phone, 待发送), comes back online and sees it sent (已发送,
stored once); the township's coverage rises on its dashboard; the monthly meeting judges the
finding."""

import io

import pytest
from django.core.cache import cache
from PIL import Image
from playwright.sync_api import expect

from luoshi.monthly import services
from luoshi.monthly.models import Finding, FindingState, MonthlyVisit
from tests.e2e.conftest import PHONE
from tests.factories import user_with
from tests.rectification import conftest as rectification

_media = rectification._media
campaign = rectification.campaign

pytestmark = pytest.mark.e2e


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "走访.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return path


def _coverage(session, org) -> str:
    session.goto(f"/dashboard/{org.pk}/")
    return session.page.get_by_test_id("fig-monthly-coverage").inner_text()


def test_offline_visit_is_sent_once_when_online_and_the_meeting_judges_it(
    open_session, tree, users, campaign, photo
):
    cache.clear()
    cadre = user_with(tree.branch_a1, "viewer", username="cadre_e2e", first_name="王干部")
    for name in ("张三户", "李四户"):
        services.create_target(
            actor=users.office, org=tree.branch_a1, name=name, kind="household", cadre=cadre
        )
    office = open_session()
    office.login("county_a")
    assert _coverage(office, tree.town_a) == "0.0%"

    phone = open_session(PHONE)
    page = phone.page
    phone.login("cadre_e2e")
    phone.goto("/monthly/visit/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.context.set_offline(True)
    page.get_by_label("查找我包联的对象").fill("张三")
    page.get_by_label("走访对象").select_option(label="张三户（甲一社区党支部）")
    page.get_by_label("走访了解情况").fill("了解了家中老人看病情况")
    page.get_by_role("button", name="＋ 添加一条发现").click()
    page.get_by_label("问题类别").select_option(label="民生诉求")
    page.get_by_label("发现的问题").fill("老人看病报销不清楚")
    page.get_by_label("照片（最多 3 张）").set_input_files(str(photo))
    page.get_by_role("button", name="保存走访").click()
    state = page.get_by_test_id("outbox-state")
    expect(state).to_have_text("待发送")
    assert not MonthlyVisit.objects.exists()

    page.context.set_offline(False)
    expect(state).to_have_text("已发送", timeout=20_000)
    visit = MonthlyVisit.objects.get()
    assert visit.findings.count() == 1 and visit.photos.count() == 1
    page.reload()  # the outbox is flushed again on load: nothing is sent twice
    expect(page.get_by_test_id("outbox-state")).to_have_text("已发送")
    assert MonthlyVisit.objects.count() == 1
    phone.screenshot("monthly-visit-phone.png")
    # the form itself opens without a connection (its service worker kept the page)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.context.set_offline(True)
    page.reload()
    expect(page.get_by_role("button", name="保存走访")).to_be_visible()
    expect(page.get_by_test_id("outbox-state")).to_have_text("已发送")
    page.context.set_offline(False)

    assert _coverage(office, tree.town_a) == "50.0%"
    office.goto(f"/monthly/meeting/?org={tree.branch_a1.pk}")
    item = office.page.get_by_test_id("meeting-finding")
    expect(item).to_contain_text("老人看病报销不清楚")
    item.get_by_label("研判结果").select_option(label="本级解决")
    item.get_by_label("说明 / 理由").fill("已联系医保站上门讲解")
    item.get_by_role("button", name="研判").click()
    expect(office.page.get_by_test_id("meeting-finding")).to_contain_text("已解决")
    assert Finding.objects.get().state == FindingState.RESOLVED
    phone.assert_console_clean()
    office.assert_console_clean()
