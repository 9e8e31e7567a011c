"""Importer fuzzing: whatever the sheet holds, the answer is a report, never a traceback, and an
import with errors writes nothing."""

import io
from datetime import datetime

import pytest
import xlsxwriter
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification.models import LedgerEvent, Problem

pytestmark = pytest.mark.django_db

HEADERS = [
    "序号",
    "存在问题",
    "整改措施",
    "整改时限",
    "责任领导",
    "责任单位",
    "问题来源",
    "问题类别",
    "整改进展",
    "备注",
    "姓名",
    "组织代码",
    "责任主体",
]
CELL = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(HEADERS),
    st.sampled_from(
        [
            "2019年12月底前",
            "长期坚持",
            "立行立改",
            "下个月",
            "=1+1",
            "合计",
            "一、在……上存在差距",
            "1.甲；2.乙",
            "自身查摆",
            "X" * 5000,
        ]
    ),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
)


@st.composite
def workbooks(draw):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False})
    for s in range(draw(st.integers(1, 3))):
        ws = book.add_worksheet(
            draw(st.sampled_from(["班子问题", "个人问题", "Sheet", "说明"])) + str(s)
        )
        rows, cols = draw(st.integers(0, 12)), draw(st.integers(1, 8))
        if draw(st.booleans()) and cols >= 4:
            ws.write_row(draw(st.integers(0, 3)), 0, draw(st.permutations(HEADERS))[:cols])
        for r in range(rows):
            for c in range(cols):
                value = draw(CELL)
                if isinstance(value, datetime):
                    ws.write_datetime(
                        r + 4, c, value, book.add_format({"num_format": "yyyy-mm-dd"})
                    )
                elif value is not None:
                    ws.write(r + 4, c, value)
        for _ in range(draw(st.integers(0, 3))):
            r1, c1 = draw(st.integers(0, 15)), draw(st.integers(0, 7))
            r2, c2 = r1 + draw(st.integers(0, 3)), c1 + draw(st.integers(0, 2))
            if (r1, c1) != (r2, c2):
                try:
                    ws.merge_range(r1, c1, r2, c2, None)
                except xlsxwriter.exceptions.OverlappingRange:
                    pass
    book.close()
    return out.getvalue()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(workbooks(), st.binary(max_size=2000)),
    name=st.sampled_from(["台账.xlsx", "台账.xls", "台账.csv"]),
)
def test_any_file_gives_a_report_and_errors_write_nothing(tree, campaign, liaison, data, name):
    with transaction.atomic():
        result = import_ledger(
            actor=liaison, data=data, name=name, org=tree.county_a, campaign=campaign
        )
        if result.errors:
            assert not Problem.objects.exists() and not LedgerEvent.objects.exists()
            assert all(e.message for e in result.errors)
        transaction.set_rollback(True)


def test_truncated_workbook_is_refused_with_a_reason(tree, campaign, liaison):
    from tests.ledger_io.builders import messy_ledger

    data = messy_ledger()
    result = import_ledger(
        actor=liaison,
        data=data[: len(data) // 2],
        name="台账.xlsx",
        org=tree.county_a,
        campaign=campaign,
    )
    assert result.errors and not Problem.objects.exists()


def test_a_merge_over_the_whole_sheet_is_cut_at_the_limits(tree, campaign, liaison):
    """A hostile file merges A3:XFD1048576: the merge is cut at MAX_ROWS and MAX_COLS, so the
    file is read (in bounded memory) and imported as what it shows."""
    import zipfile

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    ws = book.add_worksheet("班子问题")
    ws.write_row(0, 0, ["序号", "存在问题", "整改措施", "整改时限"])
    ws.write_row(1, 0, [1, "问题一", "措施一", "2023年12月底前"])
    ws.merge_range("E2:F3", "")
    book.close()
    source, patched = zipfile.ZipFile(out), io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'ref="E2:F3"', b'ref="A3:XFD1048576"')
            target.writestr(item, data)
    result = import_ledger(
        actor=liaison, data=patched.getvalue(), name="台账.xlsx", org=tree.county_a
    )
    assert result.errors == [], result.errors
    assert list(Problem.objects.values_list("title", flat=True)) == ["问题一"]
