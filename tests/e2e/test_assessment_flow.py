"""Assessment in the browser: the guidance group scores the manual indicator of a county with
its reason, the city office publishes the ranking, and the county (on a phone) finds it and sees
its own score explained, and not the other county's."""

import pytest
from playwright.sync_api import expect

from luoshi.assessment import services
from tests.e2e.conftest import PHONE
from tests.factories import user_with
from tests.rectification import conftest as rectification

_media = rectification._media
campaign = rectification.campaign

pytestmark = pytest.mark.e2e


@pytest.fixture
def scheme(tree, users, campaign):
    s = services.create_scheme(
        actor=users.office, org=tree.city, campaign=campaign, name="成效考核", level=3
    )
    services.add_indicator(
        actor=users.office, scheme=s, name="整改按期销号率", weight=60, formula="on_time_closure"
    )
    services.add_indicator(
        actor=users.office, scheme=s, name="指导组综合评价", weight=40, kind="manual"
    )
    return s


def test_guidance_scores_office_publishes_county_sees_its_score_explained(
    open_session, tree, users, scheme
):
    user_with(tree.county_a, "guidance", username="group_one")
    user_with(tree.county_a, "office", username="county_a_office")
    group = open_session()
    group.login("group_one")
    group.goto(f"/assessment/schemes/{scheme.pk}/card/?org={tree.county_a.pk}")
    page = group.page
    form = page.get_by_test_id("manual-form")
    form.get_by_label("得分").fill("36")
    form.get_by_label("评分理由").fill("实地督导：问题整改扎实，群众认可")
    form.get_by_role("button", name="提交评分").click()
    expect(page.get_by_text("评分已记录")).to_be_visible()
    expect(page.get_by_test_id("total")).to_have_text("90.0 分")
    group.assert_console_clean()

    office = open_session()
    office.login("office")
    office.goto(f"/assessment/schemes/{scheme.pk}/?org={tree.city.pk}")
    expect(office.page.get_by_test_id("ranking")).to_contain_text("甲区委")
    office.page.get_by_test_id("publish").click()
    expect(office.page.get_by_text("考核结果已通报")).to_be_visible()
    expect(office.page.get_by_test_id("published")).to_contain_text("乙县委")
    office.assert_console_clean()

    county = open_session(PHONE)
    county.login("county_a_office")
    county.goto("/assessment/")
    county.page.get_by_role("link", name="成效考核").click()
    county.page.get_by_role("link", name="排名 · 发布于", exact=False).first.click()
    own = county.page.get_by_test_id("own-score")
    expect(own).to_have_count(1)
    expect(own).to_contain_text("甲区委得分说明：90.0 分（好）")
    expect(own).to_contain_text("实地督导：问题整改扎实，群众认可")
    expect(own).to_contain_text("暂无数据")
    county.screenshot("assessment_county_phone.png")
    county.assert_console_clean()
