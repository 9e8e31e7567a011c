"""Reports generated from the dashboard's figures, laid out the way offices submit them."""

from datetime import date

import xlsxwriter
from django.utils import timezone

from luoshi.dashboards import selectors

COLUMNS = [
    ("organizations", "党组织数", 9),
    ("members", "党员数", 9),
    ("problems", "问题数", 8),
    ("measures", "整改措施", 9),
    ("closed", "已销号", 8),
    ("closure_rate", "销号率(%)", 9),
    ("closed_on_time", "按期销号", 9),
    ("on_time_rate", "按期销号率(%)", 11),
    ("overdue", "逾期", 7),
    ("returned", "退回", 7),
    ("red", "红灯", 7),
    ("yellow", "黄灯", 7),
    ("green", "绿灯", 7),
    ("immediate", "立查立改", 9),
]
SUMMED = [k for k, _, _ in COLUMNS if not k.endswith("_rate")]


def statistics_rows(user, org, campaign):
    rows = selectors.children_rows(user, org, campaign)
    total = {k: sum(r.figures.get(k, 0) for r in rows) for k in SUMMED}
    selectors._rates(total)
    return rows, total


def statistics_xlsx(*, user, org, campaign, target, on: date | None = None) -> None:
    """统计表: one row per child organisation (and 本级), then 合计."""
    on = on or timezone.localdate()
    rows, total = statistics_rows(user, org, campaign)
    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False})
    ws = book.add_worksheet("统计表")
    title = book.add_format({"font_name": "方正小标宋简体", "font_size": 16, "align": "center"})
    head = book.add_format(
        {
            "bold": True,
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "bg_color": "#F2F2F2",
            "font_name": "黑体",
        }
    )
    cell = book.add_format({"border": 1, "font_name": "宋体"})
    number = book.add_format({"border": 1, "font_name": "宋体", "num_format": "0"})
    rate = book.add_format({"border": 1, "font_name": "宋体", "num_format": "0.0"})
    bold = book.add_format({"border": 1, "bold": True, "font_name": "宋体"})
    last = len(COLUMNS) + 1
    ws.merge_range(
        0, 0, 0, last, f"{org.name}{campaign.name if campaign else ''}整改落实情况统计表", title
    )
    ws.merge_range(
        1,
        0,
        1,
        last,
        f"填报单位：{org.name}　　　　统计时间：{on.year}年{on.month}月{on.day}日",
        book.add_format({"font_name": "宋体"}),
    )
    ws.write_row(2, 0, ["序号", "单位", *(label for _, label, _ in COLUMNS)], head)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 28)
    for i, (_, _, width) in enumerate(COLUMNS, start=2):
        ws.set_column(i, i, width)
    r = 3
    for n, row in enumerate(rows, start=1):
        ws.write_number(r, 0, n, cell)
        ws.write_string(r, 1, row.org.name, cell)
        for c, (key, _, _) in enumerate(COLUMNS, start=2):
            ws.write_number(
                r, c, row.figures.get(key, 0), rate if key.endswith("_rate") else number
            )
        r += 1
    ws.write_string(r, 0, "", bold)
    ws.write_string(r, 1, "合计", bold)
    for c, (key, _, _) in enumerate(COLUMNS, start=2):
        ws.write_number(r, c, total[key], rate if key.endswith("_rate") else number)
    ws.set_landscape()
    ws.set_paper(9)
    ws.repeat_rows(2)
    ws.fit_to_pages(1, 0)
    book.close()


def word_report(
    *, user, org, campaign, kind: str, target, on: date | None = None, progress=None
) -> None:
    """The progress report (进展情况报告) or the summary (综述) of the node, in Word.
    `progress(percent)` is told as each part is done (the job's page shows it)."""
    from luoshi.core.registry import subtree_figures
    from luoshi.dashboards import word

    progress = progress or (lambda percent: None)
    on = on or timezone.localdate()
    figures = subtree_figures(org.path)
    progress(35)
    ledger = selectors.node_ledger(org.path, campaign)
    measures = selectors.measure_figures(ledger)
    charts = selectors.charts(org.path, campaign, node=ledger)
    progress(60)
    if kind == "progress":
        rows = selectors.children_rows(user, org, campaign)
        progress(75)
        charts["overdue_by_child"] = [(r.org.display_name, r.figures["overdue"]) for r in rows]
        word.render_progress(
            target=target,
            org=org,
            campaign=campaign,
            figures=figures,
            measures=measures,
            rows=rows,
            charts=charts,
            overdue=list(selectors.most_overdue(user, org.path, campaign)),
            on=on,
        )
    else:
        word.render_summary(
            target=target,
            org=org,
            campaign=campaign,
            figures=figures,
            measures=measures,
            charts=charts,
            on=on,
        )
