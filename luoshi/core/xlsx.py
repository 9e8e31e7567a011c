"""A table the way offices lay out a ledger (台账) in Excel: a title over the table, the unit and
date line, a bold header, bordered wrapped cells, column widths, A4 landscape with the header
repeated on every printed page. Text is written as text, never run as a formula."""

from datetime import date

import xlsxwriter
from django.utils import timezone


def write_table(
    target,
    *,
    title: str,
    unit: str,
    columns: list[tuple[str, int]],
    rows,
    sheet: str = "台账",
    on: date | None = None,
) -> int:
    """Write `rows` (sequences of str/int/float/date/None) under `columns` ((label, width)).
    Returns the number of rows written."""
    on = on or timezone.localdate()
    book = xlsxwriter.Workbook(
        target, {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": True}
    )
    ws = book.add_worksheet(sheet[:31])
    fmt_title = book.add_format(
        {"font_name": "方正小标宋简体", "font_size": 16, "align": "center", "valign": "vcenter"}
    )
    fmt_unit = book.add_format({"font_name": "宋体", "font_size": 11})
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
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top", "font_name": "宋体"})
    number = book.add_format({"border": 1, "valign": "top", "font_name": "宋体"})
    day = book.add_format(
        {"border": 1, "valign": "top", "font_name": "宋体", "num_format": "yyyy-mm-dd"}
    )
    last = len(columns) - 1
    ws.set_row(0, 30)
    ws.merge_range(0, 0, 0, last, title, fmt_title)
    ws.merge_range(1, 0, 1, last, f"填报单位：{unit}　　　　统计时间：{on:%Y年%m月%d日}", fmt_unit)
    for c, (label, width) in enumerate(columns):
        ws.set_column(c, c, width)
        ws.write_string(2, c, label, head)
    r = 3
    for row in rows:
        for c, value in enumerate(row):
            if value is None:
                ws.write_blank(r, c, None, cell)
            elif isinstance(value, bool):
                ws.write_string(r, c, "是" if value else "否", cell)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value, number)
            elif isinstance(value, date):
                ws.write_datetime(r, c, value, day)
            else:
                ws.write_string(r, c, str(value), cell)
        r += 1
    ws.set_landscape()
    ws.set_paper(9)
    ws.repeat_rows(2)
    ws.fit_to_pages(1, 0)
    ws.freeze_panes(3, 0)
    book.close()
    return r - 3
