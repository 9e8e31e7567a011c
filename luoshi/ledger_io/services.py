"""Ledger files in and out, as the pages and the commands use them."""

import io

from django.db.models import OuterRef, Prefetch, Subquery

from luoshi.core.audit import record_event
from luoshi.ledger_io.exporter import LedgerRow, LedgerWriter
from luoshi.ledger_io.layout import Issue
from luoshi.rectification import selectors
from luoshi.rectification.models import Measure, ProgressUpdate


def _rows(problems):
    latest = ProgressUpdate.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id")
    measures = Measure.objects.annotate(
        latest_progress=Subquery(latest.values("text")[:1])
    ).order_by("number", "id")
    problems = (
        problems.select_related("category__parent")
        .prefetch_related(None)
        .prefetch_related(Prefetch("measures", queryset=measures))
    )
    for p in problems.iterator(chunk_size=2000):
        yield LedgerRow(
            number=p.number,
            org_name=p.org.name,
            org_code=p.org.code,
            title=p.title,
            person=p.person_name,
            level=p.level,
            source=p.source.name if p.source else "",
            category=str(p.category) if p.category else "",
            leader=p.responsible_leaders,
            unit=p.responsible_units,
            measures=[
                {
                    "content": m.content,
                    "owner": m.owner_name,
                    "deadline_kind": m.deadline_kind,
                    "due_on": m.due_on,
                    "progress": m.latest_progress or "",
                    "state": m.get_state_display(),
                }
                for m in p.measures.all()
            ],
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


def blank_template(unit: str = "") -> bytes:
    out = io.BytesIO()
    writer = LedgerWriter(out, title="问题整改台账", unit=unit or "（填报单位）")
    writer._sheet("team")
    writer._sheet("personal")
    writer.close()
    return out.getvalue()


def error_report(data: bytes, name: str, issues: list[Issue], target) -> None:
    """The uploaded workbook with every cell in error filled red and a comment saying why."""
    from openpyxl import Workbook, load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    from luoshi.ledger_io.workbook import read_workbook

    if name.lower().endswith(".xlsx"):
        book = load_workbook(io.BytesIO(data))
    else:
        book = Workbook()
        book.remove(book.active)
        for sheet in read_workbook(data, name):
            ws = book.create_sheet(sheet.name[:31])
            for row in sheet.rows:
                ws.append(row)
            for cells in ws.iter_rows():
                for cell in cells:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"  # show it, never run it
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
