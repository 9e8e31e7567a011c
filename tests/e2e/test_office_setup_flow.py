"""A real office starts from an empty database, in the browser, through the pages only: the only
account is the first administrator made by `luoshi createsuperuser`. The administrator signs in,
is told the next step, creates the city on 新建顶级党组织, imports the tree below it from a
sheet on 导入组织, creates the city office's account on 账号管理 and signs out. The office signs
in with the one-time password (made to change it first), creates a campaign from the 2019
preset, divides it into two batches by rule on 批次, launches it and creates a county liaison;
the liaison signs in and sees the county's checklist with deadlines counted from the second
batch's start, not the first's."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e
ADMIN_PASSWORD = "第一位管理员的口令"
OFFICE_PASSWORD = "市委主题教育办的口令2026"
LIAISON_PASSWORD = "某区委联络员的口令2026"
SETUP_WIDE = {"width": 1366, "height": 800}
BATCH_DAYS = 90  # the 2019 preset's shortest concentrated period
SECOND_BATCH_AFTER = 100  # days after the first batch's start
# 组织代码, 组织名称, 上级组织代码, 组织类别, 层级, 单位类型: two city agencies with a branch
# each, two counties with a township and a village branch each (parents may come later).
TREE = [
    ("C0101", "市委组织部", "C01", "党组", "市级", "机关"),
    ("C010101", "市委组织部机关党支部", "C0101", "党支部", "基层", "机关"),
    ("C0102", "市教育局", "C01", "党组", "市级", "机关"),
    ("C010201", "市教育局机关党支部", "C0102", "党支部", "基层", "机关"),
    ("C0103", "某区委", "C01", "党委", "县级", "地方党委"),
    ("C010301", "某镇党委", "C0103", "党委", "乡镇级", "地方党委"),
    ("C01030101", "某村党支部", "C010301", "党支部", "基层", "村"),
    ("C0104", "某县委", "C01", "党委", "县级", "地方党委"),
    ("C010401", "某乡党委", "C0104", "党委", "乡镇级", "地方党委"),
    ("C01040101", "某社区党支部", "C010401", "党支部", "基层", "社区"),
]


def _open(open_session, viewport):
    """A session that waits longer than the default: this flow loads many pages, and the
    machine it runs on is shared."""
    session = open_session(viewport)
    session.page.set_default_timeout(40_000)
    return session


def _first_admin(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", ADMIN_PASSWORD)
    call_command("createsuperuser", interactive=False, username="root", email="root@example.cn")


def _sheet(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "组织"
    sheet.append(["组织代码", "组织名称", "上级组织代码", "组织类别", "层级", "单位类型"])
    for row in TREE:
        sheet.append(list(row))
    path = tmp_path / "某市组织.xlsx"
    book.save(path)
    return path


def _shoot(session, phone, name):
    """The page the desktop session shows, at 1366 px and (same address) at 390 px."""
    session.screenshot(f"{name}-1366.png")
    phone.goto(session.page.url.removeprefix(session.base_url))
    phone.screenshot(f"{name}-390.png")


def _change_password(session, username, password, new_password):
    page = session.page
    session.goto("/accounts/login/")
    page.get_by_label("账号", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    expect(page.get_by_test_id("must-change")).to_be_visible()
    expect(page.get_by_test_id("password-policy")).to_contain_text("不能是纯数字")
    page.get_by_label("旧密码").fill(password)
    page.get_by_label("新密码", exact=True).fill(new_password)
    page.get_by_label("新密码确认").fill(new_password)
    page.get_by_role("button", name="保存新密码").click()
    page.get_by_role("link", name="返回首页").click()
    # every role lands on 我的工作; its organisation is one step away, under 我的岗位
    expect(page.get_by_role("heading", name="我的工作")).to_be_visible()
    page.get_by_role("link", name="账号菜单").click()
    page.get_by_role("link", name="我的岗位").click()
    page.locator(".card-title a").first.click()


def _create_account(session, username, name, org, role):
    """On 新建账号: one assignment; returns the one-time password the page shows once."""
    page = session.page
    expect(page.get_by_test_id("password-policy")).to_contain_text("至少 10 位")
    page.get_by_label("登录账号").fill(username)
    page.get_by_label("姓名").fill(name)
    page.locator("#org-1").fill(org)
    page.locator("#role-1").select_option(role)
    page.get_by_test_id("create-account").click()
    expect(page.get_by_test_id("history")).to_contain_text("创建账号")
    return page.get_by_test_id("one-time-password").locator("code").inner_text().strip()


def _admin_builds_the_tree(admin, phone, tmp_path):
    page = admin.page
    page.get_by_test_id("add-root").click()
    expect(page.get_by_role("heading", name="新建顶级党组织")).to_be_visible()
    page.get_by_label("组织代码").fill("C01")
    page.get_by_label("组织名称").fill("某市委")
    page.get_by_label("组织类别").select_option(label="党委")
    page.get_by_label("层级").select_option(label="市级")
    page.get_by_label("单位类型").select_option(label="地方党委")
    _shoot(admin, phone, "setup-new-root")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="某市委")).to_be_visible()
    admin.goto("/")
    expect(page.get_by_test_id("setup-org")).to_contain_text("某市委")
    page.get_by_test_id("import-orgs").click()
    page.get_by_label(re.compile("选择文件")).set_input_files(str(_sheet(tmp_path)))
    page.get_by_role("button", name="上传并预览").click()
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("将新增 10 个组织")
    expect(page.get_by_test_id("changes")).to_contain_text("某村党支部")
    _shoot(admin, phone, "setup-import-preview")
    page.get_by_test_id("confirm-import").click()
    expect(page.locator(".alert-success")).to_contain_text("新增 10 个")
    page.get_by_role("button", name="展开 某市委").click()
    for name in ("市委组织部", "市教育局", "某区委", "某县委"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    _shoot(admin, phone, "setup-imported-tree")


def _admin_creates_the_office(admin, phone):
    page = admin.page
    admin.goto("/")
    step = page.get_by_test_id("setup-office")
    expect(step).to_contain_text("为某市委创建主题教育办公室账号")
    admin.screenshot("setup-office-step-1366.png")
    step.get_by_test_id("create-office").click()
    password = _create_account(admin, "city_office", "市委主题教育办", "C01", "office")
    expect(page.get_by_test_id("history")).to_contain_text("root")
    admin.goto("/")
    expect(page.get_by_test_id("setup-office")).to_contain_text("已为某市委创建主题教育办公室账号")
    page.get_by_role("link", name="账号菜单").click()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    return password


def _office_creates_the_campaign(office, phone):
    page = office.page
    page.get_by_role("link", name="主题教育", exact=True).first.click()
    page.get_by_test_id("new-campaign").click()
    page.get_by_label(re.compile("2019年")).check()
    page.get_by_role("button", name="下一步：填写内容").click()
    expect(page.get_by_label("名称")).to_have_value("“不忘初心、牢记使命”主题教育")
    expect(page.get_by_label("开始日期")).to_have_value(timezone.localdate().isoformat())
    _shoot(office, phone, "office-campaign-new")
    page.get_by_test_id("create-campaign").click()
    expect(page.get_by_test_id("status")).to_have_text("筹备")
    _shoot(office, phone, "office-campaign-draft")
    page.get_by_test_id("batches-link").click()
    expect(page.get_by_role("heading", name="批次", exact=True)).to_be_visible()
    page.get_by_test_id("no-batch").get_by_role("link", name="新增批次").click()
    expect(page.locator("#new-name")).to_be_in_viewport()


def _add_batch(page, name, starts_on, ends_on, rule_label):
    page.get_by_label("名称", exact=True).last.fill(name)
    page.locator("#new-start").fill(starts_on.isoformat())
    page.locator("#new-end").fill(ends_on.isoformat())
    page.get_by_role("button", name="新增批次").click()
    expect(page.get_by_test_id("batch").filter(has_text=name)).to_be_visible()
    page.get_by_label("批次", exact=True).select_option(label=name)
    page.get_by_label(rule_label).check()
    page.get_by_test_id("apply-rule").click()
    expect(page.get_by_test_id("batch").filter(has_text=name)).to_contain_text(rule_label)


def _office_divides_and_launches(office, phone):
    page = office.page
    first = timezone.localdate()
    second = first + timedelta(days=SECOND_BATCH_AFTER)
    _add_batch(page, "第一批", first, first + timedelta(days=BATCH_DAYS), "市级机关和单位")
    _add_batch(page, "第二批", second, second + timedelta(days=BATCH_DAYS), "县处级以下")
    batches = page.get_by_test_id("batch")
    expect(batches.filter(has_text="第一批").get_by_test_id("batch-total")).to_have_text("5 个组织")
    expect(batches.filter(has_text="第二批").get_by_test_id("batch-total")).to_have_text("6 个组织")
    expect(page.get_by_test_id("in-none-total")).to_have_text("0 个")
    expect(page.get_by_test_id("conflicts-total")).to_have_text("0 个")
    expect(page.get_by_test_id("batch-warning")).to_have_count(0)
    _shoot(office, phone, "office-batches")
    page.get_by_role("link", name=re.compile("不忘初心")).first.click()
    expect(page.get_by_test_id("advance")).to_have_text("启动主题教育")
    page.get_by_test_id("advance").click()
    expect(page.get_by_test_id("status")).to_have_text("启动")
    expect(page.get_by_test_id("advance")).not_to_have_text("启动主题教育")
    _shoot(office, phone, "office-campaign-launched")
    return second


def _office_creates_the_liaison(office):
    page = office.page
    page.get_by_role("link", name="账号管理").first.click()
    page.get_by_test_id("new-account").click()
    return _create_account(office, "quwei_liaison", "某区委联络员", "C0103", "liaison")


def _liaison_sees_the_checklist(liaison, password, second_start):
    page = liaison.page
    _change_password(liaison, "quwei_liaison", password, LIAISON_PASSWORD)
    expect(page.get_by_role("heading", name="某区委", exact=True)).to_be_visible()
    page.get_by_role("link", name="关键动作清单").click()
    expect(page.get_by_test_id("org-batch")).to_contain_text(
        f"本组织在第二批（{second_start:%Y-%m-%d} 至"
    )
    checklist = page.get_by_test_id("checklist")
    mobilise = checklist.locator(".list-group-item").filter(has_text="动员部署")
    due = (second_start + timedelta(days=15)).strftime("%Y-%m-%d")
    expect(mobilise).to_contain_text(f"时限 {due}")
    first_due = (timezone.localdate() + timedelta(days=15)).strftime("%Y-%m-%d")
    expect(checklist).not_to_contain_text(f"时限 {first_due}")


def test_the_first_admin_sets_up_the_city_office_on_an_empty_database(
    open_session, monkeypatch, tmp_path
):
    _first_admin(monkeypatch)
    admin = _open(open_session, SETUP_WIDE)
    admin.login("root", ADMIN_PASSWORD)
    page = admin.page
    setup = page.get_by_test_id("setup-org")
    expect(setup).to_contain_text("下一步")
    expect(setup).to_contain_text("新建顶级党组织")
    expect(page.get_by_role("link", name="账号管理")).to_be_visible()
    admin.screenshot("setup-empty-1366.png")
    phone = _open(open_session, PHONE)
    phone.login("root", ADMIN_PASSWORD)
    expect(phone.page.get_by_test_id("setup-org")).to_contain_text("新建顶级党组织")
    phone.screenshot("setup-empty-390.png")
    _admin_builds_the_tree(admin, phone, tmp_path)
    password = _admin_creates_the_office(admin, phone)

    office = _open(open_session, SETUP_WIDE)
    _change_password(office, "city_office", password, OFFICE_PASSWORD)
    expect(office.page.get_by_role("heading", name="某市委")).to_be_visible()
    expect(office.page.get_by_role("link", name="账号管理")).to_be_visible()
    office_phone = _open(open_session, PHONE)
    office_phone.login("city_office", OFFICE_PASSWORD)
    _office_creates_the_campaign(office, office_phone)
    second_start = _office_divides_and_launches(office, office_phone)
    liaison_password = _office_creates_the_liaison(office)

    liaison = _open(open_session, SETUP_WIDE)
    liaison_phone = _open(open_session, PHONE)
    _liaison_sees_the_checklist(liaison, liaison_password, second_start)
    liaison_phone.login("quwei_liaison", LIAISON_PASSWORD)
    _shoot(liaison, liaison_phone, "liaison-checklist")
    for session in (admin, phone, office, office_phone, liaison, liaison_phone):
        session.assert_console_clean()
