"""Writing ledgers the way offices lay them out: a title, a unit and date line, a two-row header
with "责任主体" over 责任领导 / 责任单位 / 责任人, problem cells merged over their measures, wrapped
text, column widths, A4 landscape with the header repeated on every page.

XlsxWriter in constant-memory mode keeps memory flat for 100,000 rows; every text is written as
a string (never as a formula, whatever it starts with) and numbers as numbers. What it writes,
`luoshi.ledger_io.importer` reads back unchanged."""

from dataclasses import dataclass
from datetime import date

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from luoshi.ledger_io.deadlines import write_deadline

TEAM, PERSONAL = "班子问题", "个人问题"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    group: str = ""  # the upper header over several columns


TEMPLATE_LEAVES_OUT = {"org_name", "state"}  # columns the importer does not read


def columns_for(personal: bool, template: bool = False) -> list[Column]:
    """The ledger's columns; the import template leaves out those the importer does not read."""
    if template:
        return [c for c in columns_for(personal) if c.key not in TEMPLATE_LEAVES_OUT]
    cols = [
        Column("number", "序号", 6),
        Column("org_name", "所属组织", 16),
        Column("org_code", "组织代码", 12),
        Column("title", "存在问题", 36),
    ]
    if personal:
        cols.append(Column("person", "姓名", 8))
    cols += [
        Column("source", "问题来源", 10),
        Column("category", "问题类别", 18),
        Column("measure", "整改措施", 40),
        Column("leader", "责任领导", 10, "责任主体"),
        Column("unit", "责任单位", 14, "责任主体"),
        Column("owner", "责任人", 8, "责任主体"),
        Column("deadline", "整改时限", 14),
        Column("progress", "整改进展", 30),
        Column("state", "整改状态", 9),
    ]
    return cols


CENTRED = {"number", "state", "deadline"}
# a problem's cells (merged over its measures) and a measure's, in the order `add` reads them
PROBLEM_FIELDS = (
    "number",
    "org_name",
    "org_code",
    "title",
    "person",
    "source",
    "category",
    "leader",
    "unit",
)
MEASURE_FIELDS = ("measure", "owner", "deadline", "progress", "state")
PROBLEM_KEYS = set(PROBLEM_FIELDS)


@dataclass
class LedgerRow:
    """One problem with its measures, in the order they are written."""

    number: str
    org_name: str
    org_code: str
    title: str
    person: str
    level: str
    source: str
    category: str
    leader: str
    unit: str
    measures: list[dict]  # content, owner, deadline_kind, due_on, long_term, progress, state


class LedgerSheet(Worksheet):
    """XlsxWriter's worksheet with a cheap merge down one column. `merge_range` keeps every
    merged cell in a dict for the life of the workbook (to refuse overlapping merges): in
    constant-memory mode that was most of an export's memory, and a fifth of its time. The
    ledger's merges cannot overlap: each covers the rows of one problem in one column.

    Cells are written with XlsxWriter's undecorated writers (row and column numbers only): the
    public ones parse "A1" notation on each of a big export's million cells first."""

    put_string = Worksheet._write_string
    put_number = Worksheet._write_number
    put_blank = Worksheet._write_blank

    def merge_down(self, first_row: int, last_row: int, col: int) -> None:
        """Merge rows first_row..last_row of `col`; the cells are written as usual."""
        self.merge.append([first_row, col, last_row, col])


class LedgerWriter:
    def __init__(
        self, target, *, title: str, unit: str, on: date | None = None, template: bool = False
    ):
        self.template = template
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.title, self.unit, self.on = title, unit, on or date.today()
        base = {
            "font_name": "宋体",
            "font_size": 10,
            "text_wrap": True,
            "valign": "vcenter",
            "border": 1,
        }
        self.fmt_title = self.book.add_format(
            {"font_name": "方正小标宋简体", "font_size": 18, "align": "center", "valign": "vcenter"}
        )
        self.fmt_unit = self.book.add_format({"font_name": "宋体", "font_size": 11})
        self.fmt_head = self.book.add_format(
            {**base, "bold": True, "align": "center", "bg_color": "#F2F2F2", "font_name": "黑体"}
        )
        self.fmt_cell = self.book.add_format(base)
        self.fmt_center = self.book.add_format({**base, "align": "center"})
        self.sheets: dict[str, tuple] = {}

    def _sheet(self, level: str):
        name = PERSONAL if level == "personal" else TEAM
        if name not in self.sheets:
            ws = self.book.add_worksheet(name, worksheet_class=LedgerSheet)
            cols = columns_for(level == "personal", self.template)
            last = len(cols) - 1
            for i, col in enumerate(cols):
                ws.set_column(i, i, col.width)
            ws.set_row(0, 36)
            ws.merge_range(0, 0, 0, last, f"{self.title}（{name}）", self.fmt_title)
            ws.merge_range(
                1,
                0,
                1,
                last,
                f"填报单位：{self.unit}　　　　填报时间：{self.on.year}年"
                f"{self.on.month}月{self.on.day}日",
                self.fmt_unit,
            )
            # In constant-memory mode a merge must not write formatted blanks into later rows
            # (that would flush this one), so merges carry no format and the covered cells get
            # their borders as formatted blanks, row by row.
            i = 0
            while i < len(cols):
                col = cols[i]
                if col.group:
                    j = i
                    while j + 1 < len(cols) and cols[j + 1].group == col.group:
                        j += 1
                    ws.merge_range(2, i, 2, j, "", None)
                    ws.write_string(2, i, col.group, self.fmt_head)
                    for k in range(i + 1, j + 1):
                        ws.write_blank(2, k, None, self.fmt_head)
                    i = j + 1
                else:
                    ws.merge_range(2, i, 3, i, "", None)
                    ws.write_string(2, i, col.label, self.fmt_head)
                    i += 1
            for i, col in enumerate(cols):
                if col.group:
                    ws.write_string(3, i, col.label, self.fmt_head)
                else:
                    ws.write_blank(3, i, None, self.fmt_head)
            ws.set_landscape()
            ws.set_paper(9)  # A4
            ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
            ws.repeat_rows(2, 3)
            ws.fit_to_pages(1, 0)
            ws.freeze_panes(4, 0)
            # per column: whether it is the problem's (merged over its measures), where its
            # value is in the problem's or the measure's values, its format
            plan = [
                (
                    col.key in PROBLEM_KEYS,
                    (PROBLEM_FIELDS if col.key in PROBLEM_KEYS else MEASURE_FIELDS).index(col.key),
                    self.fmt_center if col.key in CENTRED else self.fmt_cell,
                )
                for col in cols
            ]
            self.sheets[name] = [ws, plan, 4, 0]
        return self.sheets[name]

    def add(self, row: LedgerRow) -> None:
        state = self._sheet(row.level)
        ws, plan, r, count = state
        count += 1
        number = row.number or count
        # A number as Excel keeps it (15 digits at most), any other text as text: "²".isdigit()
        # is true but int("²") fails, and one such row must not stop the whole export.
        if type(number) is str and number.isascii() and number.isdigit() and len(number) <= 15:
            number = int(number)
        problem = (
            number,
            row.org_name,
            row.org_code,
            row.title,
            row.person,
            row.source,
            row.category,
            row.leader,
            row.unit,
        )
        measures = row.measures or [{}]
        span = len(measures)
        write_string, write_number, write_blank = ws.put_string, ws.put_number, ws.put_blank
        for k, m in enumerate(measures):
            rk = r + k
            measure = (
                m.get("content", ""),
                m.get("owner", ""),
                write_deadline(m["deadline_kind"], m.get("due_on"), m.get("long_term", False))
                if m
                else "",
                m.get("progress", ""),
                m.get("state", ""),
            )
            for c, (of_problem, i, fmt) in enumerate(plan):
                if of_problem:
                    if k:
                        write_blank(rk, c, None, fmt)  # under the merge: its borders
                        continue
                    if span > 1:
                        ws.merge_down(r, r + span - 1, c)
                    value = problem[i]
                else:
                    value = measure[i]
                # Every text as a string, never a formula or a number, whatever it starts with.
                if value is None or value == "":
                    write_blank(rk, c, None, fmt)
                elif type(value) is str:
                    write_string(rk, c, value, fmt)
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    write_number(rk, c, value, fmt)
                else:
                    write_string(rk, c, str(value), fmt)
        state[2], state[3] = r + span, count

    def close(self) -> None:
        if not self.sheets:
            self._sheet("team")
        self.book.close()
