"""Ledger files in and out, as the pages and the commands use them."""

from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery

from luoshi.core.audit import record_event
from luoshi.core.errors import Conflict
from luoshi.ledger_io import import_template
from luoshi.ledger_io.exporter import LedgerRow, LedgerWriter
from luoshi.ledger_io.layout import Issue
from luoshi.ledger_io.workbook import WorkbookError
from luoshi.rectification import selectors
from luoshi.rectification.models import Measure, MeasureState, ProgressUpdate

STATE_LABELS = dict(MeasureState.choices)
CHUNK = 2000


def _rows(problems):
    """LedgerRows of the problems, in their order, read as plain values in chunks (model
    instances cost more than writing the sheet)."""
    head = problems.prefetch_related(None).values_list(
        "id",
        "number",
        "org__name",
        "org__code",
        "title",
        "person_name",
        "level",
        "source__name",
        "category__name",
        "category__parent__name",
        "responsible_leaders",
        "responsible_units",
    )
    chunk: list[tuple] = []
    for row in head.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield from _ledger_rows(chunk, _measures_of(chunk))
            chunk = []
    if chunk:
        yield from _ledger_rows(chunk, _measures_of(chunk))


def _measures_of(chunk: list[tuple]) -> dict[int, list[dict]]:
    """{problem id: its measures as the sheet writes them, with the latest progress}."""
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id")
    measures: dict[int, list[dict]] = {}
    rows = (
        Measure.objects.filter(problem_id__in=[c[0] for c in chunk])
        .annotate(latest_progress=Subquery(latest.values("text")[:1]))
        .order_by("problem_id", "number", "id")
        .values_list(
            "problem_id",
            "content",
            "owner_name",
            "deadline_kind",
            "due_on",
            "long_term",
            "state",
            "latest_progress",
        )
    )
    for pid, content, owner, kind, due, long_term, state, progress in rows:
        measures.setdefault(pid, []).append(
            {
                "content": content,
                "owner": owner,
                "deadline_kind": kind,
                "due_on": due,
                "long_term": long_term,
                "progress": progress or "",
                "state": STATE_LABELS[state],
            }
        )
    return measures


def _ledger_rows(chunk: list[tuple], measures: dict[int, list[dict]]):
    for (
        pid,
        number,
        org_name,
        org_code,
        title,
        person,
        level,
        source,
        category,
        parent,
        leaders,
        units,
    ) in chunk:
        yield LedgerRow(
            number=number,
            org_name=org_name,
            org_code=org_code,
            title=title,
            person=person,
            level=level,
            source=source or "",
            category=f"{parent} · {category}" if parent else (category or ""),
            leader=leaders,
            unit=units,
            measures=measures.get(pid, []),
        )


def export_ledger(*, user, ledger_filter, target, title: str, unit: str, request=None) -> int:
    """Write the ledger the user may see, filtered like the ledger page; returns the problems
    written. Recorded in the audit log."""
    writer = LedgerWriter(target, title=title, unit=unit)
    count = 0
    for row in _rows(selectors.ledger(user, ledger_filter)):
        writer.add(row)
        count += 1
    writer.close()
    record_event(
        "export",
        user=user,
        request=request,
        org_path=ledger_filter.org_path or "",
        target="ledger.xlsx",
        problems=count,
    )
    return count


def blank_template(campaign=None, unit: str = "") -> bytes:
    """The import template, with `campaign`'s sources and categories in its drop-downs."""
    return import_template.blank_template(campaign, unit)


def _column_index(letters: str) -> int:
    n = 0
    for c in letters.upper():
        n = n * 26 + ord(c) - 64
    return n - 1


def _write_cell(ws, r: int, c: int, value, fmt, day) -> None:
    """One cell as it was read: text stays text (never a formula), numbers and dates keep their
    type; an error cell gets its format even when empty."""
    if value is None or value == "":
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
        return
    try:
        if isinstance(value, bool):
            ws.write_boolean(r, c, value, fmt)
        elif isinstance(value, int | float):
            ws.write_number(r, c, value, fmt)
        elif isinstance(value, datetime | date):
            ws.write_datetime(r, c, value, fmt or day)
        else:
            ws.write_string(r, c, str(value), fmt)
    except (TypeError, ValueError, OverflowError):  # NaN, a date before 1900: shown as text
        ws.write_string(r, c, str(value), fmt)


def error_report(data: bytes, name: str, issues: list[Issue], target) -> None:
    """The uploaded ledger with every cell in error filled red and a comment saying why, and a
    sheet listing every error; for a file that cannot be read at all (corrupt, an entity bomb),
    that list alone.

    Written as it is read: the rows come from calamine one sheet at a time and go straight into
    XlsxWriter in constant-memory mode, so memory is what calamine holds of one sheet (bounded
    by the checks in workbook.py) and the errors, never the whole file as cell objects."""
    import xlsxwriter

    from luoshi.ledger_io.workbook import MAX_COLS, MAX_ROWS, stream_workbook

    book = xlsxwriter.Workbook(
        target, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    bad = book.add_format({"bg_color": "#FFC7CE"})
    bad_day = book.add_format({"bg_color": "#FFC7CE", "num_format": "yyyy-mm-dd"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    by_sheet: dict[str, dict[int, dict[int, list[str]]]] = {}
    for issue in issues:
        if issue.row > 0:
            col = _column_index(issue.column) if issue.column.isalpha() else 0
            cells = by_sheet.setdefault(issue.sheet, {}).setdefault(issue.row - 1, {})
            cells.setdefault(col, []).append(issue.message)
    used_names: set[str] = set()
    try:
        for sheet in stream_workbook(data, name, keep_ranges=True):
            title = sheet.name[:31].strip("'") or f"Sheet{len(used_names) + 1}"
            for ch in "[]:*?/\\":
                title = title.replace(ch, "_")
            if title.lower() in used_names:
                continue
            used_names.add(title.lower())
            ws = book.add_worksheet(title)
            marks = by_sheet.get(sheet.name, {})
            for r, row in enumerate(sheet.rows):
                if r >= MAX_ROWS:
                    break
                marked = marks.get(r, {})
                for c, value in enumerate(row[:MAX_COLS]):
                    if c in marked:
                        is_day = isinstance(value, date)
                        _write_cell(ws, r, c, value, bad_day if is_day else bad, day)
                    else:
                        _write_cell(ws, r, c, value, None, day)
                for c in marked:
                    if c >= len(row):
                        ws.write_blank(r, c, None, bad)
                    ws.write_comment(r, c, "\n".join(marked[c]), {"author": "落实"})
            # Merged areas as ranges only: XlsxWriter's merge_range would write (and keep) every
            # cell of the area, which constant-memory mode cannot take out of order.
            for (r1, c1), (r2, c2) in sheet.ranges:
                if r1 < MAX_ROWS and c1 < MAX_COLS and (r1, c1) != (r2, c2):
                    ws.merge.append([r1, c1, min(r2, MAX_ROWS - 1), min(c2, MAX_COLS - 1)])
            sheet.close()
    except WorkbookError:
        unreadable = True  # the list below still tells the user why
    else:
        unreadable = False
    if not unreadable and all(i.row > 0 and i.sheet in by_sheet for i in issues):
        book.close()  # every error is marked on its cell
        return
    ws = book.add_worksheet("错误清单" if "错误清单" not in used_names else "错误清单（落实）")
    for c, label in enumerate(["工作表", "行", "列", "错误"]):
        ws.write_string(0, c, label)
    for r, issue in enumerate(issues, start=1):
        ws.write_string(r, 0, issue.sheet)
        if issue.row:
            ws.write_number(r, 1, issue.row)
        ws.write_string(r, 2, issue.column)
        ws.write_string(r, 3, issue.message)
    book.close()


BUSY = "您有一份台账正在导入（{state}），请等它完成后再上传新的文件"


def active_import(user):
    """The user's import still queued or running, if any (one whose worker died is settled as
    interrupted first, so that it does not hold the user up for ever)."""
    from luoshi.ledger_io.models import ImportJob
    from luoshi.ledger_io.tasks import settle_if_abandoned

    for job in ImportJob.objects.filter(user=user, state__in=ImportJob.ACTIVE):
        if not settle_if_abandoned(job).finished:
            return job
    return None


def start_import(*, user, org, campaign, file_name: str, stored_file: str, mappings=()):
    """Queue a previewed file for the background worker as the user's one running import.
    Raises Conflict when the user already has one queued or running (the database's
    constraint decides between two confirmations at the same moment)."""
    from luoshi.ledger_io.models import ImportJob
    from luoshi.ledger_io.tasks import queue_import

    busy = active_import(user)
    if busy is not None:
        raise Conflict(BUSY.format(state=busy.get_state_display()))
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                org=org,
                org_path=org.path,
                user=user,
                campaign=campaign,
                file_name=file_name,
                stored_file=stored_file,
                mappings=list(mappings),
            )
    except IntegrityError as exc:
        raise Conflict(BUSY.format(state=ImportJob.State.QUEUED.label)) from exc
    queue_import(job)
    return job


def imports_dir() -> Path:
    """Where uploaded ledgers wait between preview and import (never served)."""
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path
