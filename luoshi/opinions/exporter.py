"""The opinion list in Excel, as the office files it: every text written as a string (a text
starting with = + - @ stays text), no names or contact details of senders."""

import tempfile

import xlsxwriter

HEADERS = [
    ("编号", 8),
    ("所属组织", 22),
    ("征求渠道", 10),
    ("意见类别", 10),
    ("意见建议", 60),
    ("提交时间", 17),
    ("办理状态", 10),
    ("纳入问题编号", 12),
    ("答复 / 理由", 40),
    ("办理用时（天）", 12),
    ("群众评价", 10),
]


def write_opinions(rows) -> tempfile.SpooledTemporaryFile:
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    ws = book.add_worksheet("意见建议")
    head = book.add_format({"bold": True, "border": 1, "text_wrap": True, "align": "center"})
    wrap = book.add_format({"text_wrap": True, "valign": "top", "border": 1})
    for c, (label, width) in enumerate(HEADERS):
        ws.set_column(c, c, width)
        ws.write_string(0, c, label, head)
    ws.freeze_panes(1, 0)
    r = 0
    for r, o in enumerate(rows, start=1):
        values = [
            o.pk,
            o.org.name,
            o.get_channel_display(),
            o.get_topic_display(),
            o.text,
            o.submitted_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            o.get_state_display(),
            o.problem_id,
            o.answer or o.reason,
            round(o.handle_seconds / 86400, 1) if o.handle_seconds is not None else None,
            o.get_rating_display() if o.rating else "",
        ]
        for c, value in enumerate(values):
            if value is None:
                ws.write_blank(r, c, None, wrap)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value, wrap)
            else:
                ws.write_string(r, c, value, wrap)
    ws.autofilter(0, 0, max(r, 1), len(HEADERS) - 1)
    book.close()
    out.seek(0)
    return out
