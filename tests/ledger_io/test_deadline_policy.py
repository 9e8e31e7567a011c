"""A re-imported sheet obeys the same deadline rule as the pages: once work has started, a new
date in the file is a row error naming the row and column, and nothing is written."""

from datetime import date

import pytest

from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification import services
from luoshi.rectification.models import LedgerEvent, Measure, MeasureState
from tests.ledger_io.builders import simple_ledger

pytestmark = pytest.mark.django_db


def run(actor, org, rows):
    return import_ledger(actor=actor, data=simple_ledger(rows), name="台账.xlsx", org=org)


def _start(actor, measure):
    services.report_progress(
        actor=actor, measure_id=measure.pk, version=measure.version, text="已开始", progress=20
    )
    measure.refresh_from_db()
    return measure


def test_reimport_moving_a_started_measures_date_is_a_row_error_and_writes_nothing(
    tree, campaign, liaison
):
    run(liaison, tree.county_a, [(1, "问题一", "措施一", "2023年12月底前", "张三")])
    measure = _start(liaison, Measure.objects.get(content="措施一"))
    assert measure.is_overdue()  # red
    events = LedgerEvent.objects.count()
    result = run(liaison, tree.county_a, [(1, "问题一", "措施一改", "2099年6月底前", "张三")])
    assert not result.written and result.changes == 0
    [error] = result.errors
    assert error.row == 2 and error.column and "延期申请" in error.message
    assert "2023年12月31日" in error.message and "2099年06月30日" in error.message
    measure.refresh_from_db()
    assert (measure.content, measure.due_on, measure.extensions) == (
        "措施一",
        date(2023, 12, 31),
        0,
    )
    assert measure.is_overdue() and LedgerEvent.objects.count() == events


def test_reimport_moving_a_not_started_measures_date_is_written(tree, campaign, liaison):
    run(liaison, tree.county_a, [(1, "问题一", "措施一", "2023年12月底前", "张三")])
    result = run(liaison, tree.county_a, [(1, "问题一", "措施一", "2099年6月底前", "张三")])
    assert result.errors == [] and result.updated_measures == 1
    measure = Measure.objects.get(content="措施一")
    assert measure.due_on == date(2099, 6, 30) and measure.state == MeasureState.NOT_STARTED
