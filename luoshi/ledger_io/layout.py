"""Finding the ledger in a sheet laid out by hand, and reading its problems and measures.

Copes with: title and unit/date rows above the header; a header over two rows with merged cells
("责任主体" over 责任领导 and 责任单位); columns in any order, found by their names and the synonyms
offices use; section rows ("一、在……上存在差距") that set the category of the rows below; blank
spacer rows; a totals row; a problem merged over several measure rows; several numbered measures
in one cell. Every defect is reported with its sheet, row, column and reason."""

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from itertools import chain, islice

from luoshi.core.errors import Invalid
from luoshi.ledger_io.deadlines import Deadline, DeadlineError, read_deadline
from luoshi.ledger_io.splitting import split_measures
from luoshi.ledger_io.workbook import Sheet, SheetStream
from luoshi.rectification.numbers import clean_problem_number

SYNONYMS = {
    "number": ["序号", "编号"],
    "title": [
        "存在问题",
        "问题描述",
        "问题表现",
        "具体问题",
        "问题清单",
        "问题",
        "存在的问题",
        "问题内容",
    ],
    "measure": ["整改措施", "整改举措", "措施", "整改措施及成效", "具体措施"],
    "leader": ["责任领导", "牵头领导", "分管领导", "责任领导（牵头领导）"],
    "unit": ["责任单位", "责任部门", "牵头单位", "责任主体"],
    "person": ["责任人", "具体责任人"],
    "deadline": ["整改时限", "完成时限", "时限要求", "完成时间", "整改期限", "时限"],
    "progress": ["整改进展", "进展情况", "整改情况", "完成情况", "整改进度"],
    "source": ["问题来源", "来源"],
    "category": ["问题类别", "问题类型", "问题分类", "类别"],
    "note": ["备注"],
    "subject": ["当事人", "姓名"],
    "org_code": ["组织代码", "单位代码"],
    "state": ["整改状态", "状态"],
    "org_name": ["所属组织", "单位名称", "党组织名称"],
}
LABELS = {"title": "存在问题", "measure": "整改措施", "deadline": "整改时限"}
_LOOKUP = {s: f for f, names in SYNONYMS.items() for s in names}
_SECTION = re.compile(r"^([一二三四五六七八九十百]+)[、.．]\s*(.+)$")
_SUBSECTION = re.compile(r"^[（(]([一二三四五六七八九十]+)[）)]\s*(.+)$")
_TOTAL = re.compile(r"^(合\s*计|总\s*计|小\s*计)")
_TOTAL_FIRST = ("合", "总", "小")
_SPACE = re.compile(r"[\s\u3000]+")
HEADER_SCAN = 20  # rows searched for the header, below any title and unit lines
# Columns the header names that the importer does not read, and why (a warning in the preview).
# 所属组织 is read, as a check of 组织代码 (importer._Checks._org_names warns where they differ).
NOT_READ = {"note": "备注不属于台账的导入内容"}
# Columns our own export writes that the system computes: not read, knowingly, and said once per
# file as a note rather than warned about, so that re-importing an export warns of nothing.
COMPUTED = {"state": "“整改状态”列由系统按措施的进展和销号确定，导入时不读取该列"}
# The import template's own sheets (its instructions and drop-down lists): never a ledger.
TEMPLATE_SHEETS = ("填表说明", "下拉选项")


@dataclass
class Issue:
    sheet: str
    row: int  # 1-based, as Excel shows it; 0 for the whole sheet
    column: str  # "A", "B"…; "" for the whole row
    message: str

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ParsedMeasure:
    row: int
    content: str
    deadline: Deadline
    owner_name: str = ""
    leader: str = ""
    progress_text: str = ""


@dataclass
class ParsedProblem:
    sheet: str
    row: int
    title: str
    level: str
    number: str = ""
    description: str = ""
    source: str = ""
    category: str = ""
    section: str = ""
    leaders: str = ""
    units: str = ""
    person_name: str = ""
    org_code: str = ""
    org_name: str = ""  # 所属组织 as written: checked against the code, never read as the org
    measures: list[ParsedMeasure] = field(default_factory=list)
    columns: dict = field(default_factory=dict)  # field → column letter, for messages


def col_letter(c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def text_of(value) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _norm(value) -> str:
    return _SPACE.sub("", text_of(value)).rstrip("：:")


def field_of(value) -> str | None:
    name = _norm(value)
    if not name:
        return None
    if name in _LOOKUP:
        return _LOOKUP[name]
    base = re.split(r"[（(]", name, maxsplit=1)[0]
    return _LOOKUP.get(base)


def find_header(sheet: Sheet, scan: int = HEADER_SCAN) -> tuple[int, dict[str, int]] | None:
    """(last header row, {field: column}) for the first rows that hold a ledger header."""
    width = max((len(r) for r in sheet.rows[: scan + 1]), default=0)
    for r in range(min(scan, len(sheet.rows))):
        upper = {c: field_of(sheet.value(r, c)) for c in range(width)}
        if not any(upper.values()):
            continue  # a title or unit line above the header
        lower = {c: field_of(sheet.value(r + 1, c)) for c in range(width)}
        uses_lower = any(
            lower[c] and sheet.merge_origin(r + 1, c)[0] == r + 1 for c in range(width)
        )
        columns: dict[str, int] = {}
        for c in range(width):
            name = (lower[c] if uses_lower and lower[c] else None) or upper[c]
            if name and name not in columns:
                columns[name] = c
        if "title" in columns and "measure" in columns:
            return (r + 1 if uses_lower else r), columns
    return None


def _level_of(sheet_name: str) -> str | None:
    if "个人" in sheet_name:
        return "personal"
    if "班子" in sheet_name:
        return "team"
    return None


def unread_columns(
    sheet: Sheet, header_end: int, columns: dict[str, int], notes: list[str] | None = None
) -> list[Issue]:
    """A warning for each headed column the importer will not read: one it does not read by
    design (备注), one whose name it does not know, and a second column of a name. A column the
    system computes (整改状态) is said once in `notes` instead."""
    rows = [header_end - 1, header_end] if header_end else [header_end]
    if len(rows) == 2 and not any(
        field_of(v) for v in sheet.rows[rows[0]] if v is not None
    ):  # the row above is a title or unit line, not the header's upper row
        rows = [header_end]
    width = max(len(sheet.rows[r]) for r in rows)
    read = {c: f for f, c in columns.items()}
    warnings = []
    for c in range(width):
        label = next((t for r in reversed(rows) if (t := text_of(sheet.value(r, c)))), "")
        name = field_of(label)
        if name in COMPUTED and columns.get(name) == c:
            if notes is not None and COMPUTED[name] not in notes:
                notes.append(COMPUTED[name])
            continue
        if not label or (c in read and name not in NOT_READ):
            continue
        if name in NOT_READ:
            why = NOT_READ[name]
        elif name is None:
            why = "无法识别的列名，该列内容不会读取"
        else:
            why = f"与第{col_letter(columns[name])}列重复，只读取第{col_letter(columns[name])}列"
        letter = col_letter(c)
        warnings.append(
            Issue(sheet.name, header_end + 1, letter, f"第{letter}列“{label}”不会导入：{why}")
        )
    return warnings


def read_sheet(
    sheet: SheetStream,
    issues: list[Issue],
    warnings: list[Issue] | None = None,
    notes: list[str] | None = None,
) -> Iterator[ParsedProblem] | None:
    """The sheet's problems, read as its rows stream by; None when the first rows hold no ledger
    header (the rows read are put back into `sheet.rows`). A problem is given once no later row
    can add to it, so a big sheet is never held whole. The columns it will not read are said in
    `warnings`."""
    rows = iter(sheet.rows)
    head = list(islice(rows, HEADER_SCAN + 1))
    view = Sheet(sheet.name, head, merges=sheet.merges)
    found = find_header(view, HEADER_SCAN)
    if found is None:
        sheet.rows = chain(head, rows)
        return None
    header_end, columns = found
    if warnings is not None:
        warnings.extend(unread_columns(view, header_end, columns, notes))
    letters = {f: col_letter(c) for f, c in columns.items()}
    for required in ("deadline",):
        if required not in columns:
            issues.append(
                Issue(sheet.name, header_end + 1, "", f"工作表缺少“{LABELS[required]}”列")
            )
            return iter(())
    return _problems(sheet, chain(head, rows), header_end, columns, letters, issues)


def _problems(sheet, rows, header_end, columns, letters, issues) -> Iterator[ParsedProblem]:
    merges = sheet.merges
    open_until = merges.open_until
    kept: dict[int, list] = {}  # rows that merged cells below still take their values from
    sheet_level = _level_of(sheet.name)
    pending: deque[ParsedProblem] = deque()  # made, but later rows may still add measures
    current: ParsedProblem | None = None
    origin_row_of: dict[int, ParsedProblem] = {}
    section = subsection = ""
    title_c, measure_c = columns["title"], columns["measure"]
    person_field = _person_field(sheet_level, columns)

    # per field: its column and that column's merge arrays (merges.origin, without the call)
    where = {f: (c, merges.rows.get(c), merges.cols.get(c)) for f, c in columns.items()}

    for r, row in enumerate(rows):
        if r in open_until:
            for k in [k for k in kept if open_until[k] < r]:
                del kept[k]
            kept[r] = row
        while pending and pending[0] is not current and open_until.get(pending[0].row - 1, 0) < r:
            done = pending.popleft()
            origin_row_of.pop(done.row - 1, None)
            yield done
        if r <= header_end:
            continue

        filled = [
            v for v in row if v != "" and v is not None and not (isinstance(v, str) and v.isspace())
        ]
        if not filled:
            continue
        if _is_total(filled):
            break
        get = partial(_cell, where, kept, r, row)
        first = text_of(filled[0])
        if heading := _heading(filled, first, get):
            kind, text = heading
            section, subsection = (text, "") if kind == "section" else (section, text)
            current = None
            continue
        origin = merges.origin(r, title_c)
        title = text_of(get("title"))
        number = text_of(get("number"))
        if origin[0] < r and origin[0] in origin_row_of:
            problem = origin_row_of[origin[0]]
        elif not title and current is not None:
            if number and number != current.number:
                issues.append(_numbered_without_problem(sheet.name, r, letters, number))
                continue
            problem = current
        elif (
            current is not None
            and title == current.title
            and number == current.number
            and text_of(get(person_field)) == current.person_name
            and text_of(get("org_code")) == current.org_code
            and current.row - 1 not in open_until  # a merged problem ends where its cells do
        ):
            # No merged cells (a CSV, or an office repeating the problem on each measure row):
            # the same 序号 and the same problem are one problem.
            problem = current
        else:
            if not title:
                issues.append(Issue(sheet.name, r + 1, letters["title"], "缺少“存在问题”"))
                continue
            where_from = (sheet.name, r, sheet_level, subsection or section, person_field)
            problem = _new_problem(where_from, get, title, number, letters, issues)
            pending.append(problem)
            origin_row_of[r] = problem
        current = problem
        if merges.origin(r, measure_c)[0] < r:
            continue  # the measure cell is merged from a row above: the same measure
        if problem.row == r + 1 and not text_of(get("measure", merged=False)):
            continue  # a problem with no measure yet: the importer's checks decide (stored?)
        _read_measures(sheet.name, r, get, letters, problem, issues)
    yield from pending


def _cell(where, kept, r, row, name, merged=True):
    """The cell of column `name` on row r, or the origin of the merged area it lies in (`where`:
    per field its column and that column's merge arrays; `kept`: rows still merged from)."""
    if name not in where:
        return ""
    c, origin_rows, origin_cols = where[name]
    if merged and origin_rows is not None and r < len(origin_rows):
        o_r = origin_rows[r]
        if origin_cols is not None and r < len(origin_cols):
            c = origin_cols[r]
        if o_r != r:
            row = kept.get(o_r, ())
    return row[c] if c < len(row) else ""


def _heading(filled: list, first: str, get) -> tuple[str, str] | None:
    """("section" | "subsection", its text) when the row is a heading (一、… / （一）…) that
    spans the row and holds no measure; None otherwise."""
    if not (
        (filled[0] is filled[-1] or filled[0] == filled[-1])  # cheap before the set
        and len(set(filled)) == 1
        and not text_of(get("measure", merged=False))
    ):
        return None
    if m := _SECTION.match(first):
        return "section", m.group(2).strip()
    if m := _SUBSECTION.match(first):
        return "subsection", m.group(2).strip()
    return None


def _numbered_without_problem(sheet_name: str, r: int, letters: dict, number: str) -> Issue:
    return Issue(
        sheet_name,
        r + 1,
        letters["title"],
        f"该行有自己的序号“{number}”和整改措施，但缺少“存在问题”：请填写问题，"
        "或删去序号以作为上一问题的措施",
    )


def _person_field(sheet_level: str | None, columns: dict) -> str:
    """Whose problem a personal sheet's row is: 姓名 (当事人), or, on a sheet without that
    column, the person named under 责任领导 or else 责任人."""
    if sheet_level == "personal" and "subject" not in columns:
        return next((f for f in ("leader", "person") if f in columns), "subject")
    return "subject"


def _is_total(filled: list) -> bool:
    """A 合计/总计 row ends the ledger."""
    return any(
        isinstance(v, str) and v.lstrip()[:1] in _TOTAL_FIRST and _TOTAL.match(v.strip())
        for v in filled[:2]
    )


def _new_problem(where_from, get, title, number, letters, issues) -> ParsedProblem:
    """The problem a row begins (its number checked; a personal one must name its person)."""
    sheet_name, r, sheet_level, section, person_field = where_from
    level = sheet_level or ("personal" if text_of(get("subject")) else "team")
    problem = ParsedProblem(
        sheet=sheet_name,
        row=r + 1,
        title=title,
        level=level,
        number=number,
        source=text_of(get("source")),
        category=text_of(get("category")),
        section=section,
        leaders=text_of(get("leader")),
        units=text_of(get("unit")),
        person_name=text_of(get(person_field if level == "personal" else "subject")),
        org_code=text_of(get("org_code")),
        org_name=text_of(get("org_name")),
        columns=letters,
    )
    try:
        problem.number = clean_problem_number(problem.number)
    except Invalid as error:
        issues.append(Issue(sheet_name, r + 1, letters.get("number", ""), str(error)))
    if level == "personal" and not problem.person_name:
        issues.append(
            Issue(
                sheet_name,
                r + 1,
                letters.get(person_field, ""),
                "个人问题须填写当事人姓名（“姓名”“当事人”列，"
                "或没有这两列时的“责任领导”“责任人”列）",
            )
        )
    return problem


def _read_measures(sheet_name, r, get, letters, problem, issues) -> None:
    text = text_of(get("measure", merged=False))
    if not text:
        issues.append(Issue(sheet_name, r + 1, letters["measure"], "缺少“整改措施”"))
        return
    contents = split_measures(text)
    raw_deadline = get("deadline")
    deadlines: list = [raw_deadline] * len(contents)
    if isinstance(raw_deadline, str) and len(contents) > 1:
        parts = split_measures(raw_deadline)
        if len(parts) == len(contents):
            deadlines = parts
    owner_name, leader = text_of(get("person")), text_of(get("leader"))
    progress_text = text_of(get("progress"))
    for content, raw in zip(contents, deadlines, strict=True):
        try:
            deadline = read_deadline(raw)
        except DeadlineError as exc:
            issues.append(Issue(sheet_name, r + 1, letters["deadline"], str(exc)))
            continue
        problem.measures.append(
            ParsedMeasure(
                row=r + 1,
                content=content,
                deadline=deadline,
                owner_name=owner_name,
                leader=leader,
                progress_text=progress_text,
            )
        )
