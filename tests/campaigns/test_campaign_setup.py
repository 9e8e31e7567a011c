"""Issue 16: an office creates a campaign from a preset, edits it and takes it through its
lifecycle (筹备 → 启动 → 总结 → 结束), from the pages and the API; an ended campaign takes no new
problem (page, API, 立查立改, ledger import) while its measures go on."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.campaigns import services
from luoshi.campaigns.models import ActionItem, Campaign, Category, KeyAction, ProblemSource
from luoshi.campaigns.presets import EIGHT_GAPS, PRESETS
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.models import AuditEvent
from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification import services as ledger
from luoshi.rectification.models import Measure, Problem, today
from tests.factories import user_with
from tests.ledger_io.builders import simple_ledger
from tests.rectification.conftest import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(tree):
    return user_with(tree.city, "office", username="city_office_setup")


@pytest.fixture
def county_office(tree):
    return user_with(tree.county_a, "office", username="county_office_setup")


def _create(actor, org, preset="2019", **fields):
    p = PRESETS[preset]
    values = {
        "name": p.name or "自定主题教育",
        "general_requirement": p.general_requirement,
        "goals": list(p.goals),
        "starts_on": today(),
        "ends_on": today() + timedelta(days=p.period_days),
        **fields,
    }
    return services.create_campaign(actor=actor, org=org, preset=preset, **values)


def _advance(actor, campaign, *actions):
    for action in actions:
        campaign = services.advance_campaign(actor=actor, campaign_id=campaign.pk, action=action)
    return campaign


# --- presets -------------------------------------------------------------------------------
def test_the_2019_preset_brings_its_goals_eight_gaps_sources_and_ten_key_actions(tree, office):
    c = _create(office, tree.city)
    assert c.status == Campaign.Status.DRAFT and c.org == tree.city
    assert c.general_requirement == "守初心、担使命，找差距、抓落实"
    assert c.goals == [
        "理论学习有收获",
        "思想政治受洗礼",
        "干事创业敢担当",
        "为民服务解难题",
        "清正廉洁作表率",
    ]
    tops = list(Category.objects.filter(campaign=c, parent=None).values_list("name", flat=True))
    assert tops == EIGHT_GAPS
    assert Category.objects.filter(campaign=c).exclude(parent=None).count() == 8 * 3
    assert ProblemSource.objects.filter(campaign=c).count() == 8
    actions = list(KeyAction.objects.filter(campaign=c).order_by("rank"))
    assert len(actions) == 10
    assert actions[0].name == "动员部署" and actions[0].due_on == today() + timedelta(days=15)
    assert PRESETS["2019"].min_batch_days == 90
    assert ActionItem.objects.count() == 0  # nothing goes out before 启动
    event = AuditEvent.objects.get(kind="campaign_created")
    assert event.actor == office and event.detail["preset"] == "2019"


def test_the_2023_preset_has_its_own_words_and_blank_has_none(tree, office):
    c = _create(office, tree.city, "2023")
    assert c.general_requirement == "学思想、强党性、重实践、建新功"
    assert c.goals[0] == "凝心铸魂筑牢根本" and len(c.goals) == 5
    names = set(Category.objects.filter(campaign=c).values_list("name", flat=True))
    assert names and not names & set(EIGHT_GAPS)  # the 2019 words are not mixed in
    assert KeyAction.objects.filter(campaign=c, name="大兴调查研究").exists()
    blank = _create(office, tree.city, "blank", name="乡村振兴专题教育")
    assert blank.key_actions.count() == blank.categories.count() == blank.sources.count() == 0
    assert blank.slug != c.slug  # slugs are generated and unique
    with pytest.raises(Invalid, match="已有名为“乡村振兴专题教育”的主题教育"):
        _create(office, tree.city, "blank", name="乡村振兴专题教育")


def test_bad_fields_are_refused_and_nothing_is_created(tree, office):
    with pytest.raises(Invalid, match="请填写主题教育名称"):
        _create(office, tree.city, name="  ")
    with pytest.raises(Invalid, match="结束日期须晚于开始日期"):
        _create(office, tree.city, ends_on=today() - timedelta(days=1))
    with pytest.raises(Invalid, match="起始模板"):
        services.create_campaign(
            actor=office,
            org=tree.city,
            preset="1999",
            name="x",
            starts_on=today(),
            ends_on=today() + timedelta(days=9),
        )
    assert Campaign.objects.count() == 0


# --- who may create and see ----------------------------------------------------------------
def test_a_county_office_cannot_create_for_the_city_nor_see_another_countys(
    tree, office, county_office
):
    from django.http import Http404

    with pytest.raises((Http404, NotAllowed)):
        _create(county_office, tree.city)
    own = _create(county_office, tree.county_a, "blank", name="甲区专题")
    other_office = user_with(tree.county_b, "office", username="county_b_office")
    with pytest.raises(Http404):
        _create(other_office, tree.county_a)
    with pytest.raises(Http404):
        services.update_campaign(actor=other_office, campaign_id=own.pk, name="改")
    with pytest.raises(Http404):
        services.advance_campaign(actor=other_office, campaign_id=own.pk, action="launch")
    liaison = user_with(tree.county_a, "liaison", username="county_a_liaison")
    with pytest.raises(NotAllowed):
        _create(liaison, tree.county_a)
    assert Campaign.objects.count() == 1


def test_the_city_office_may_launch_a_campaign_for_a_county_below(tree, office):
    c = _create(office, tree.county_a, "blank", name="甲区专项")
    assert c.org == tree.county_a and c.org_path == tree.county_a.path


# --- lifecycle -----------------------------------------------------------------------------
def test_launching_fans_out_the_checklists_and_steps_go_in_order(tree, office):
    c = _create(office, tree.city)
    refused = "当前处于“筹备”阶段，不能“结束主题教育”；下一步是“启动主题教育”"
    with pytest.raises(Invalid, match=refused):
        _advance(office, c, "end")
    c = _advance(office, c, "launch")
    assert c.status == Campaign.Status.LAUNCHED
    # every organisation of the city has its items for the actions that apply to its kind
    assert ActionItem.objects.filter(action__campaign=c, org=tree.branch_a1).exists()
    assert ActionItem.objects.filter(action__campaign=c, org=tree.city).exists()
    with pytest.raises(Invalid, match="不能“启动主题教育”"):
        _advance(office, c, "launch")
    c = _advance(office, c, "sum_up", "end")
    assert Campaign.objects.get(pk=c.pk).status == Campaign.Status.ENDED
    with pytest.raises(Invalid, match="已结束"):
        _advance(office, c, "end")
    with pytest.raises(Invalid, match="已结束，不能再修改"):
        services.update_campaign(actor=office, campaign_id=c.pk, name="改名")
    steps = list(
        AuditEvent.objects.filter(kind="campaign_advanced")
        .order_by("pk")
        .values_list("detail__action", flat=True)
    )
    assert steps == ["launch", "sum_up", "end"]


def test_a_county_office_cannot_advance_the_citys_campaign(tree, office, county_office):
    c = _create(office, tree.city)
    with pytest.raises(NotAllowed):
        _advance(county_office, c, "launch")
    assert Campaign.objects.get(pk=c.pk).status == Campaign.Status.DRAFT


def test_editing_in_draft_moves_the_deadlines_and_after_launch_keeps_the_start(tree, office):
    c = _create(office, tree.city)
    later = c.starts_on + timedelta(days=10)
    services.update_campaign(
        actor=office,
        campaign_id=c.pk,
        name="新名称",
        goals="目标一\n\n目标二",
        starts_on=later,
        ends_on=c.ends_on,
    )
    c.refresh_from_db()
    assert (c.name, c.goals, c.starts_on) == ("新名称", ["目标一", "目标二"], later)
    assert c.key_actions.get(name="动员部署").due_on == later + timedelta(days=15)
    _advance(office, c, "launch")
    with pytest.raises(Invalid, match="启动后不能修改开始日期"):
        services.update_campaign(actor=office, campaign_id=c.pk, starts_on=later + timedelta(1))
    services.update_campaign(actor=office, campaign_id=c.pk, ends_on=c.ends_on + timedelta(30))
    assert AuditEvent.objects.filter(kind="campaign_updated").count() == 2


# --- an ended campaign takes no new problem; its measures go on ----------------------------
@pytest.fixture
def ended(tree, office):
    """A running city campaign with one problem of branch a1 and its measure, then ended."""
    c = _create(office, tree.city, "blank", name="结束的主题教育")
    _advance(office, c, "launch")
    liaison = user_with(tree.branch_a1, "liaison", username="a1_liaison_setup")
    problem = ledger.create_problem(
        actor=liaison, org=tree.branch_a1, campaign=c, title="长期坚持的问题"
    )
    measure = ledger.add_measure(
        actor=liaison, problem=problem, content="长期坚持的措施", deadline_kind="ongoing"
    )
    _advance(office, c, "sum_up", "end")
    c.refresh_from_db()
    return c, liaison, problem, measure


def test_an_ended_campaign_refuses_a_new_problem_from_the_service(tree, ended):
    c, liaison, *_ = ended
    with pytest.raises(Invalid, match="已结束，问题清单不再新增问题"):
        ledger.create_problem(actor=liaison, org=tree.branch_a1, campaign=c, title="新问题")
    assert Problem.objects.count() == 1


def test_an_ended_campaign_refuses_a_new_problem_on_the_page(client, tree, ended):
    c, liaison, *_ = ended
    client.force_login(liaison)
    response = client.post(
        reverse("rectification:problem_create"),
        {
            "org": tree.branch_a1.pk,
            "campaign": c.pk,
            "title": "结束后的问题",
            "level": "team",
            "m-content": "整改",
            "m-deadline_kind": "ongoing",
        },
    )
    assert response.status_code == 400
    assert "问题清单不再新增问题".encode() in response.content
    assert not Problem.objects.filter(title="结束后的问题").exists()


def test_an_ended_campaign_refuses_an_immediate_fix(client, tree, ended):
    c, liaison, *_ = ended
    client.force_login(liaison)
    response = client.post(
        reverse("rectification:immediate_fix"),
        {
            "org": tree.branch_a1.pk,
            "campaign": c.pk,
            "title": "立查立改的问题",
            "measure": "当场改了",
            "files": SimpleUploadedFile("佐证.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert "问题清单不再新增问题".encode() in response.content
    assert not Problem.objects.filter(title="立查立改的问题").exists()


def test_an_ended_campaign_refuses_a_new_problem_in_the_api(client, tree, ended):
    c, liaison, *_ = ended
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(liaison)}"}
    body = {
        "org_id": tree.branch_a1.pk,
        "campaign_id": c.pk,
        "title": "接口新增的问题",
        "measures": [{"content": "整改", "deadline_kind": "ongoing"}],
    }
    response = client.post(
        "/api/v1/problems", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 400
    assert "问题清单不再新增问题" in response.json()["detail"]
    assert not Problem.objects.filter(title="接口新增的问题").exists()


def test_an_ended_campaigns_measures_still_take_progress(tree, ended):
    c, liaison, problem, measure = ended
    ledger.report_progress(
        actor=liaison, measure_id=measure.pk, version=measure.version, text="本月推进", progress=40
    )
    assert Measure.objects.get(pk=measure.pk).progress == 40
    added = ledger.add_measure(actor=liaison, problem=problem, content="补充措施", due_on=today())
    assert added.problem_id == problem.pk  # an existing problem's measures go on


def test_the_import_refuses_new_problems_of_an_ended_campaign_row_by_row(tree, office):
    c = _create(office, tree.city, "blank", name="导入的主题教育")
    keeper = user_with(tree.county_a, "liaison", username="county_a_importer")
    first = simple_ledger([(1, "问题一", "措施一", "长期坚持", "张三")])
    assert import_ledger(actor=keeper, data=first, name="a.xlsx", org=tree.county_a, campaign=c)
    _advance(office, c, "launch", "sum_up", "end")
    c.refresh_from_db()
    rows = [
        (1, "问题一", "措施一", "长期坚持", "张三、李四"),  # an existing problem, edited
        (2, "问题二", "措施二", "长期坚持", "王五"),  # new: refused
    ]
    result = import_ledger(
        actor=keeper, data=simple_ledger(rows), name="b.xlsx", org=tree.county_a, campaign=c
    )
    assert not result.written
    assert [(e.row, e.message) for e in result.errors] == [
        (3, "导入的主题教育已结束，问题清单不再新增问题；已有问题的整改措施可继续填报")
    ]
    assert not Problem.objects.filter(title="问题二").exists()
    # without the new row, the existing problem's update goes in
    edited = simple_ledger(rows[:1])
    result = import_ledger(actor=keeper, data=edited, name="c.xlsx", org=tree.county_a, campaign=c)
    assert result.errors == [] and result.written
    assert Problem.objects.get(title="问题一").responsible_leaders == "张三、李四"


# --- pages ---------------------------------------------------------------------------------
def test_the_office_creates_a_campaign_from_the_page_and_launches_it(client, tree, office):
    client.force_login(office)
    listing = client.get(reverse("campaigns:list")).content.decode()
    assert "新建主题教育" in listing
    form = client.get(reverse("campaigns:new"), {"org": tree.city.pk, "preset": "2019"})
    html = form.content.decode()
    assert "守初心、担使命，找差距、抓落实" in html and "理论学习有收获\n思想政治受洗礼" in html
    response = client.post(
        reverse("campaigns:new"),
        {
            "org": tree.city.pk,
            "preset": "2019",
            "name": "我市“不忘初心、牢记使命”主题教育",
            "general_requirement": "守初心、担使命，找差距、抓落实",
            "goals": "理论学习有收获\r\n为民服务解难题",
            "starts_on": today().isoformat(),
            "ends_on": (today() + timedelta(days=90)).isoformat(),
        },
        follow=True,
    )
    c = Campaign.objects.get()
    assert c.goals == ["理论学习有收获", "为民服务解难题"] and c.key_actions.count() == 10
    page = response.content.decode()
    assert "筹备" in page and "启动主题教育" in page and "为民服务解难题" in page
    response = client.post(
        reverse("campaigns:advance", args=[c.pk]), {"action": "launch"}, follow=True
    )
    assert "已启动主题教育" in response.content.decode()
    assert ActionItem.objects.filter(action__campaign=c).exists()
    response = client.post(
        reverse("campaigns:advance", args=[c.pk]), {"action": "end"}, follow=True
    )
    assert "不能“结束主题教育”；下一步是“转入总结评估”" in response.content.decode()


def test_a_liaison_sees_no_create_button_and_the_form_says_why(client, tree, users):
    client.force_login(users.branch_a1)
    assert "新建主题教育</a>" not in client.get(reverse("campaigns:list")).content.decode()
    response = client.get(reverse("campaigns:new"))
    assert response.status_code == 403
    assert "只有主题教育办公室可以新建主题教育" in response.content.decode()


def test_the_edit_page_saves_and_refuses_clearly(client, tree, office):
    c = _create(office, tree.city)
    client.force_login(office)
    page = client.get(reverse("campaigns:edit", args=[c.pk])).content.decode()
    assert "干事创业敢担当" in page
    data = {
        "name": "改过的名称",
        "general_requirement": c.general_requirement,
        "goals": "一\n二",
        "starts_on": c.starts_on.isoformat(),
        "ends_on": c.starts_on.isoformat(),
    }
    response = client.post(reverse("campaigns:edit", args=[c.pk]), data)
    assert response.status_code == 400 and "结束日期须晚于开始日期" in response.content.decode()
    data["ends_on"] = c.ends_on.isoformat()
    client.post(reverse("campaigns:edit", args=[c.pk]), data)
    c.refresh_from_db()
    assert (c.name, c.goals) == ("改过的名称", ["一", "二"])


# --- API -----------------------------------------------------------------------------------
def _api(client, user):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}


def test_the_api_creates_edits_and_advances_a_campaign(client, tree, office):
    auth = _api(client, office)
    body = {
        "org_id": tree.city.pk,
        "preset": "2023",
        "name": "学习贯彻习近平新时代中国特色社会主义思想主题教育",
        "general_requirement": "学思想、强党性、重实践、建新功",
        "goals": ["凝心铸魂筑牢根本"],
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=180)).isoformat(),
    }
    created = client.post("/api/v1/campaigns", json.dumps(body), "application/json", **auth)
    assert created.status_code == 201, created.content
    out = created.json()
    assert (out["status"], out["status_label"], out["next_action"]) == ("draft", "筹备", "launch")
    url = f"/api/v1/campaigns/{out['id']}"
    edited = client.patch(url, json.dumps({"goals": ["甲", "乙"]}), "application/json", **auth)
    assert edited.json()["goals"] == ["甲", "乙"]
    skip = client.post(f"{url}/advance", json.dumps({"action": "end"}), "application/json", **auth)
    assert skip.status_code == 400 and "不能“结束主题教育”" in skip.json()["detail"]
    launched = client.post(
        f"{url}/advance", json.dumps({"action": "launch"}), "application/json", **auth
    )
    assert launched.json()["status"] == "launched"
    assert client.get(url, **auth).json()["next_action"] == "sum_up"
    listed = client.get("/api/v1/campaigns", **auth).json()
    assert [c["id"] for c in listed] == [out["id"]]


def test_the_api_is_scoped_like_the_pages(client, tree, office, county_office):
    own = _create(county_office, tree.county_a, "blank", name="甲区专题")
    city = _create(office, tree.city)
    other = user_with(tree.county_b, "office", username="county_b_office_api")
    auth = _api(client, other)
    assert client.get(f"/api/v1/campaigns/{own.pk}", **auth).status_code == 404
    ids = {c["id"] for c in client.get("/api/v1/campaigns", **auth).json()}
    assert ids == {city.pk}  # the city's campaign above it, not the other county's
    patch = client.patch(
        f"/api/v1/campaigns/{own.pk}", json.dumps({"name": "改"}), "application/json", **auth
    )
    assert patch.status_code == 404
    body = {
        "org_id": tree.city.pk,
        "preset": "blank",
        "name": "越级",
        "starts_on": today().isoformat(),
        "ends_on": (today() + timedelta(days=9)).isoformat(),
    }
    response = client.post("/api/v1/campaigns", json.dumps(body), "application/json", **auth)
    assert response.status_code in (403, 404)
    advance = client.post(
        f"/api/v1/campaigns/{city.pk}/advance",
        json.dumps({"action": "launch"}),
        "application/json",
        **auth,
    )
    assert advance.status_code == 403 and "办公室" in advance.json()["detail"]
    assert Campaign.objects.get(pk=city.pk).status == Campaign.Status.DRAFT


def test_with_two_campaigns_the_dashboard_says_whose_figures_it_shows(client, tree, office):
    first = _create(office, tree.city, "2019")
    second = _create(office, tree.city, "blank", name="乡村振兴专题教育")
    client.force_login(office)
    url = reverse("dashboards:node", args=[tree.city.pk])
    page = client.get(url, {"campaign": second.pk}).content.decode()
    assert "乡村振兴专题教育（筹备）" in page
    assert "共 2 个主题教育：问题、整改措施、销号、逾期和亮灯是乡村振兴专题教育的数字" in page
    page = client.get(url, {"campaign": first.pk}).content.decode()
    assert f"是{first.name}的数字" in page and ">切换</button>" in page
