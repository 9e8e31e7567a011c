"""The statistics dashboard in the browser: the city office signs in on a seeded `tiny` tree, opens
统计看板, sees the headline figures and the charts, drills down two levels through 下级组织 and
back, and downloads the statistics table and both Word reports (the tasks backend is immediate,
so a report is ready when the POST returns). The files are opened and checked against the
database."""

import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import expect

from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization
from luoshi.rectification.models import Measure
from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

OFFICE = "city_office"
CHARTS = 5  # status, sources, categories, weekly_closures, overdue_by_child
REPORTS = [("进展情况报告", "progress"), ("综述", "summary")]


@pytest.fixture
def seeded(transactional_db, settings, tmp_path) -> dict:
    """The `tiny` demo data (its JSON summary); generated reports go to a temporary
    MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    call_command("seed", "--scale", "tiny", "--json", stdout=out)
    return json.loads(out.getvalue())


def _children(org: Organization) -> list[Organization]:
    return list(Organization.objects.filter(parent=org).order_by("sort_order", "id"))


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _expect_dashboard(session, org: Organization, crumbs: list[str]) -> None:
    """The dashboard of `org` is shown, under these breadcrumbs, with every chart drawn."""
    page = session.page
    expect(page).to_have_url(re.compile(rf"/dashboard/{org.pk}/(\?.*)?$"))
    expect(page.get_by_test_id("dashboard-title")).to_have_text(org.name)
    expect(page).to_have_title(re.compile(rf"^统计看板 · {re.escape(org.display_name)}"))
    items = page.get_by_role("list", name="组织层级").get_by_role("listitem")
    expect(items).to_have_text(["统计看板", *crumbs])
    # every chart is drawn, or says 暂无数据 where it has nothing to draw
    drawn = page.locator("[data-chart]")
    # the dashboard's own charts and those a part of the campaign adds (core.registry.CHARTS)
    more = page.locator("[data-testid^=module-chart-]").count()
    expect(page.locator("[data-chart], [data-testid^=chart-empty]")).to_have_count(CHARTS + more)
    page.wait_for_selector("[data-chart] svg")
    expect(page.locator("[data-chart] svg")).to_have_count(drawn.count())


def _save(download, folder: Path) -> Path:
    """Keep a finished download under its suggested name (Playwright's own copy has none)."""
    assert download.failure() is None
    path = folder / download.suggested_filename
    download.save_as(path)
    return path


def _download_report(session, label: str, root: Organization, folder: Path) -> Path:
    """Generate a Word report from the root dashboard and download it from the job page."""
    page = session.page
    with page.expect_navigation():
        page.get_by_role("button", name=f"生成{label}", exact=True).click()
    expect(page).to_have_url(re.compile(r"/dashboard/reports/\d+/$"))
    expect(page.get_by_role("heading", name=f"{root.name}{label}")).to_be_visible()
    expect(page.get_by_test_id("job-state")).to_have_text("已生成")
    link = page.get_by_test_id("download")
    expect(link).to_have_text(f"下载{label}（Word）")
    with page.expect_download() as info:
        link.click()
    path = _save(info.value, folder)
    assert path.name.startswith(f"{root.display_name}{label}-") and path.suffix == ".docx"
    return path


def _dated(doc) -> str:
    """The report's date, from its last line (2026年11月26日), as the file name writes it."""
    last = [p.text for p in doc.paragraphs if p.text.strip()][-1]
    day = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", last.strip())
    assert day, last
    year, month, date = (int(n) for n in day.groups())
    return f"{year:04d}{month:02d}{date:02d}"


def test_office_browses_dashboard_drills_down_and_downloads_reports(
    open_session, seeded, settings, tmp_path
):
    root = Organization.objects.get(parent=None)
    measures = Measure.objects.filter(subtree_q("org_path", root.path)).count()
    assert measures > 0
    # Two levels down from the root, each time the first child that has children of its own.
    child = next(c for c in _children(root) if _children(c))
    grandchild = _children(child)[0]
    account = next(a for a in seeded["accounts"] if a["username"] == OFFICE)
    assert account["role"] == "office" and account["org"] == root.code
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    session = open_session()
    page = session.page
    session.login(OFFICE, account["password"])

    # 1. 统计看板 in the navigation opens the root's dashboard: headline figures and charts.
    page.locator("#main-nav").get_by_role("link", name="统计看板").click()
    _expect_dashboard(session, root, [root.display_name])
    headline = page.get_by_test_id("headline")
    expect(headline).to_contain_text("党组织")
    expect(headline).to_contain_text(f"党员 {seeded['members']:,} 名")
    expect(page.get_by_test_id("fig-measures")).to_have_text(f"{measures:,}")
    expect(headline).to_contain_text("销号率")
    children = page.get_by_test_id("children")
    expect(children.get_by_role("link", name=child.display_name, exact=True)).to_be_visible()
    session.screenshot("dashboard-root.png")

    # 2. Drill down through 下级组织: a child of the root, then a child of that child.
    children.get_by_role("link", name=child.display_name, exact=True).click()
    _expect_dashboard(session, child, [root.display_name, child.display_name])
    page.get_by_test_id("children").get_by_role(
        "link", name=grandchild.display_name, exact=True
    ).click()
    _expect_dashboard(
        session, grandchild, [root.display_name, child.display_name, grandchild.display_name]
    )
    session.screenshot("dashboard-level2.png")

    # 3. Back to the root through the breadcrumbs.
    page.get_by_role("list", name="组织层级").get_by_role(
        "link", name=root.display_name, exact=True
    ).click()
    _expect_dashboard(session, root, [root.display_name])
    expect(page.get_by_test_id("fig-measures")).to_have_text(f"{measures:,}")

    # 4. The statistics table: one row per child (and 本级), then 合计 with the root's measures.
    with page.expect_download() as info:
        page.get_by_test_id("statistics").click()
    xlsx = _save(info.value, downloads)
    assert xlsx.name.startswith(f"{root.display_name}统计表-") and xlsx.suffix == ".xlsx"
    ws = load_workbook(xlsx).active
    header = [c.value for c in ws[3]]
    assert header[:2] == ["序号", "单位"]
    totals = [r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value == "合计"]
    assert totals == [ws.max_row]
    assert ws.cell(ws.max_row, header.index("整改措施") + 1).value == measures

    # 5. Both Word reports: titled with the root's name, stating the number of measures.
    docx = {}
    for label, kind in REPORTS:
        docx[kind] = _download_report(session, label, root, downloads)
        doc = Document(docx[kind])
        title = doc.paragraphs[0].text
        assert root.name in title, (kind, title)
        text = "\n".join(p.text for p in doc.paragraphs)
        assert f"整改措施{measures}条" in text, (kind, text)
        page.go_back()
        _expect_dashboard(session, root, [root.display_name])
    assert len(list((settings.MEDIA_ROOT / "reports").glob("*.docx"))) == len(REPORTS)
    session.assert_console_clean()

    # 6. On a phone the root dashboard fits the width.
    phone = open_session(PHONE)
    phone.login(OFFICE, account["password"])
    phone.goto("/dashboard/")
    _expect_dashboard(phone, root, [root.display_name])
    expect(phone.page.get_by_test_id("fig-measures")).to_have_text(f"{measures:,}")
    assert _scroll_width(phone.page) <= PHONE["width"] + 2
    phone.screenshot("dashboard-phone-root.png")
    phone.assert_console_clean()

    # 7. Each file is named with the day it is dated: the statistics table with today's date
    # (Asia/Shanghai), each report with the date on its last line.
    stamp = re.search(r"-(\d{8})\.xlsx$", xlsx.name).group(1)
    for kind, path in docx.items():
        dated = _dated(Document(path))
        assert dated == stamp, (kind, dated, stamp)
        assert path.stem.endswith(f"-{dated}"), (kind, path.name, dated)
