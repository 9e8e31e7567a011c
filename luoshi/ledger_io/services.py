"""Ledger files in and out, as the pages and the commands use them."""

import io
from pathlib import Path

from django.conf import settings
from django.db.models import OuterRef, Subquery

from luoshi.core.audit import record_event
from luoshi.ledger_io.exporter import LedgerRow, LedgerWriter
from luoshi.ledger_io.layout import Issue
from luoshi.rectification import selectors
from luoshi.rectification.models import Measure, MeasureState, ProgressUpdate

STATE_LABELS = dict(MeasureState.choices)
CHUNK = 2000


def _rows(problems):
    """LedgerRows of the problems, in their order, read as plain values in chunks (model
    instances cost more than writing the sheet)."""
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id")
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

    def flush():
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

    for row in head.iterator(chunk_size=CHUNK):
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield from flush()
            chunk = []
    if chunk:
        yield from flush()


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


def blank_template(unit: str = "") -> bytes:
    out = io.BytesIO()
    writer = LedgerWriter(out, title="问题整改台账", unit=unit or "（填报单位）")
    writer._sheet("team")
    writer._sheet("personal")
    writer.close()
    return out.getvalue()


def _show_not_run(ws) -> None:
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # show it, never run it


def _editable_copy(data: bytes, name: str):
    from openpyxl import Workbook, load_workbook

    from luoshi.ledger_io.workbook import read_workbook

    if name.lower().endswith(".xlsx"):
        return load_workbook(io.BytesIO(data))
    book = Workbook()
    book.remove(book.active)
    for sheet in read_workbook(data, name):
        ws = book.create_sheet(sheet.name[:31])
        for row in sheet.rows:
            ws.append(row)
        _show_not_run(ws)
    return book


def error_report(data: bytes, name: str, issues: list[Issue], target) -> None:
    """The uploaded workbook with every cell in error filled red and a comment saying why; for a
    file that cannot be opened at all (corrupt, an entity bomb refused by defusedxml), a sheet
    listing the errors."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    try:
        book = _editable_copy(data, name)
    except Exception:  # any reader's failure: the list below still tells the user why
        book = Workbook()
        ws = book.active
        ws.title = "错误清单"
        ws.append(["工作表", "行", "列", "错误"])
        for issue in issues:
            ws.append([issue.sheet, issue.row or "", issue.column, issue.message])
        _show_not_run(ws)
        book.save(target)
        return
    fill = PatternFill("solid", fgColor="FFC7CE")
    for issue in issues:
        if issue.sheet not in book.sheetnames or issue.row <= 0:
            continue
        ws = book[issue.sheet]
        cell = ws[f"{issue.column}{issue.row}"] if issue.column else ws.cell(issue.row, 1)
        cell.fill = fill
        text = issue.message if cell.comment is None else f"{cell.comment.text}\n{issue.message}"
        cell.comment = Comment(text, "落实")
    book.save(target)


def imports_dir() -> Path:
    """Where uploaded ledgers wait between preview and import (never served)."""
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path
