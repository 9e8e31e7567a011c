"""The import template: the standard layout with the columns the importer reads, drop-down lists
of the campaign's own problem sources and categories and of the deadline words, one example row
the importer reads as it stands, and an instruction sheet (填表说明)."""

import io
from datetime import date

from luoshi.campaigns.models import Campaign, Category, ProblemSource
from luoshi.ledger_io.exporter import LedgerRow, LedgerWriter, columns_for
from luoshi.ledger_io.layout import TEMPLATE_SHEETS, col_letter

INSTRUCTIONS, LISTS = TEMPLATE_SHEETS
FIRST_ROW = 4  # below the title, the unit line and the two header rows (0-based)
ROWS = 5000  # rows the drop-downs cover
DEADLINE_WORDS = ("长期坚持", "立行立改", "立行立改并长期坚持")
EXAMPLE_ROW = FIRST_ROW + 1  # as Excel numbers it

COLUMN_NOTES = {
    "number": ("选填", "问题的序号，如 1、2、3；同一问题的多条措施共用一个序号"),
    "org_code": ("选填", "问题所属组织的组织代码；不填则归入导入时所选的组织"),
    "title": ("必填", "问题的具体表现，一行写一个问题"),
    "person": ("个人问题必填", "问题当事人的姓名（仅“个人问题”工作表）"),
    "source": ("选填", "从下拉列表中选择本次主题教育的问题来源"),
    "category": ("选填", "从下拉列表中选择本次主题教育的问题类别"),
    "measure": ("必填", "针对该问题的整改措施；一格内可写多条编号措施（1.… 2.…），将分别导入"),
    "leader": ("选填", "牵头负责的领导"),
    "unit": ("选填", "负责整改的单位或部门"),
    "owner": ("选填", "措施的具体责任人"),
    "deadline": ("必填", "措施的完成时限，写法见下文"),
    "progress": ("选填", "已取得的整改进展"),
}


def _vocabulary(campaign: Campaign | None) -> tuple[list[str], list[str]]:
    """The campaign's sources, and its categories in its order (each followed by its
    sub-categories), as the importer reads them."""
    if campaign is None:
        return [], []
    sources = [s.name for s in ProblemSource.objects.filter(campaign=campaign)]
    everything = list(Category.objects.filter(campaign=campaign).select_related("parent"))
    children: dict[int, list[Category]] = {}
    for c in everything:
        if c.parent_id:
            children.setdefault(c.parent_id, []).append(c)
    categories = []
    for c in everything:
        if not c.parent_id:
            categories += [str(c)] + [str(k) for k in children.get(c.pk, [])]
    return sources, categories


def _example(campaign: Campaign | None, source: str, category: str) -> LedgerRow:
    # within the campaign, so that the example imports as it stands
    due = _example_due(campaign)
    return LedgerRow(
        number="1",
        org_name="",
        org_code="",
        title="（示例）“三会一课”会议记录不规范，部分支部存在记录缺失",
        person="",
        level="team",
        source=source,
        category=category,
        leader="张某某",
        unit="党建办公室",
        measures=[
            {
                "content": "逐个支部检查会议记录，补齐缺失内容并建立月度抽查制度",
                "owner": "李某某",
                "deadline_kind": "date",
                "due_on": due,
                "progress": "",
            }
        ],
    )


def _example_due(campaign: Campaign | None) -> date:
    return campaign.ends_on if campaign and campaign.ends_on else date(date.today().year, 12, 31)


def _personal_example(campaign: Campaign | None, source: str, category: str) -> LedgerRow:
    """The 个人问题 sheet's example: a member's own problem, with the person's name."""
    return LedgerRow(
        number="1",
        org_name="",
        org_code="",
        title="（示例）理论学习不够系统，学用结合不紧密",
        person="王某某",
        level="personal",
        source=source,
        category=category,
        leader="",
        unit="",
        measures=[
            {
                "content": "制定个人学习计划，每月撰写一篇学习体会并在支部交流",
                "owner": "王某某",
                "deadline_kind": "date",
                "due_on": _example_due(campaign),
                "progress": "",
            }
        ],
    )


def _lists(writer: LedgerWriter, sources: list[str], categories: list[str]) -> dict[str, str]:
    """The hidden sheet of drop-down values; {column key: the range its drop-down lists}.
    Written row by row (the workbook is in constant-memory mode)."""
    ws = writer.book.add_worksheet(LISTS)
    columns = (("source", "问题来源", sources), ("category", "问题类别", categories))
    ws.write_row(0, 0, [head for _, head, _ in columns])
    for r in range(max(len(sources), len(categories))):
        for c, (_, _, values) in enumerate(columns):
            if r < len(values):
                ws.write_string(r + 1, c, values[r])
    ranges = {}
    for c, (key, _, values) in enumerate(columns):
        if values:
            letter = col_letter(c)
            ranges[key] = f"='{LISTS}'!${letter}$2:${letter}${len(values) + 1}"
    ws.hide()
    return ranges


def _drop_downs(ws, personal: bool, ranges: dict[str, str]) -> None:
    keys = [c.key for c in columns_for(personal, template=True)]
    last = FIRST_ROW + ROWS - 1
    for key, label in (("source", "问题来源"), ("category", "问题类别")):
        if key in ranges:
            ws.data_validation(
                FIRST_ROW,
                keys.index(key),
                last,
                keys.index(key),
                {
                    "validate": "list",
                    "source": ranges[key],
                    "error_type": "warning",
                    "error_title": f"{label}不在列表中",
                    "error_message": f"请从下拉列表中选择本次主题教育的{label}",
                },
            )
    ws.data_validation(
        FIRST_ROW,
        keys.index("deadline"),
        last,
        keys.index("deadline"),
        {
            "validate": "list",
            "source": list(DEADLINE_WORDS),
            # information: a date (2026年6月30日、2026-06-30、2026年6月底前) goes in as well
            "error_type": "information",
            "input_title": "整改时限",
            "input_message": "可选“长期坚持”“立行立改”，也可直接填写日期，"
            "如 2026年6月30日、2026-06-30、2026年6月底前",
            "error_title": "整改时限",
            "error_message": "不是列表中的写法：若为日期请确认格式可被识别（见“填表说明”）",
        },
    )


def _instructions(writer: LedgerWriter, campaign: Campaign | None) -> None:
    ws = writer.book.add_worksheet(INSTRUCTIONS)
    bold = writer.book.add_format({"bold": True, "font_name": "黑体", "font_size": 12})
    wrap = writer.book.add_format({"text_wrap": True, "valign": "top", "font_name": "宋体"})
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 70)
    r = 0
    title = (
        f"整改台账导入模板填表说明（{campaign.name}）" if campaign else "整改台账导入模板填表说明"
    )
    ws.write_string(r, 0, title, bold)
    r += 2
    ws.write_string(r, 0, "一、各列的含义", bold)
    r += 1
    ws.write_row(r, 0, ["列名", "是否必填", "说明"], bold)
    for col in columns_for(True, template=True):
        r += 1
        required, meaning = COLUMN_NOTES[col.key]
        ws.write_row(r, 0, [f"“{col.label}”列", required, meaning], wrap)
    r += 2
    for heading, lines in (
        (
            "二、整改时限的写法",
            [
                "可填写：长期坚持；立行立改；立行立改并长期坚持；",
                "或日期：2026年6月30日、2026-06-30、2026/6/30、2026.6、2026年6月底前、2026年底前，"
                "也可以是 Excel 日期格式的单元格；只写到月份的，按该月最后一天计。",
                "日期后可加“并长期坚持”，如“2026年6月底前完成，并长期坚持”。"
                "其他写法无法识别，导入时会指出所在行列。",
            ],
        ),
        (
            "三、合并单元格",
            [
                "一个问题有多条措施时，可将“存在问题”及其序号、来源、类别、责任领导、责任单位等格"
                "纵向合并，跨过该问题的各条措施行：合并区域内的每一行都读作同一问题的一条措施。",
                "不合并时，序号和问题内容完全相同的相邻行也读作同一问题。",
                "“一、……”这样独占一行的分类行，作为其下各问题的问题类别。",
            ],
        ),
        (
            "四、示例行与其他",
            [
                f"“班子问题”“个人问题”工作表的第{EXAMPLE_ROW}行是示例，可以原样导入；"
                "填写前请删除或覆盖这两行，否则它们会作为问题导入。",
                "“班子问题”“个人问题”两个工作表分别填写班子和个人的问题；本说明页不会导入。",
                "整改状态、备注等列不会导入：整改状态由系统按措施的进展和销号确定"
                "（导出的台账再导入时，预览只作一行说明）；备注等其他列，预览会逐列提示。",
                "“所属组织”列只用于核对“组织代码”：两者不一致时按组织代码导入，预览会提示。",
                "同一文件重复导入不会重复录入；修改后再导入只更新改动的内容。",
            ],
        ),
    ):
        ws.write_string(r, 0, heading, bold)
        for line in lines:
            r += 1
            ws.set_row(r, 32)
            ws.merge_range(r, 0, r, 2, line, wrap)
        r += 2


def blank_template(campaign: Campaign | None = None, unit: str = "") -> bytes:
    """The import template for `campaign` (its sources and categories in the drop-downs)."""
    sources, categories = _vocabulary(campaign)
    out = io.BytesIO()
    writer = LedgerWriter(out, title="问题整改台账", unit=unit or "（填报单位）", template=True)
    team = writer._sheet("team")[0]
    writer.add(
        _example(campaign, sources[0] if sources else "", categories[0] if categories else "")
    )
    personal = writer._sheet("personal")[0]
    writer.add(
        _personal_example(
            campaign, sources[0] if sources else "", categories[0] if categories else ""
        )
    )
    _instructions(writer, campaign)
    ranges = _lists(writer, sources, categories)
    _drop_downs(team, False, ranges)
    _drop_downs(personal, True, ranges)
    writer.close()
    return out.getvalue()
