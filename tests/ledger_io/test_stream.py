"""Reading a workbook sheet by sheet, the next one loaded while this one is read."""

import io
import threading
import time
import zipfile

import pytest

from luoshi.ledger_io import workbook
from tests.ledger_io.builders import messy_ledger


def _until(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_next_sheet_loads_while_the_first_is_read_and_the_rows_are_those_of_the_file(
    monkeypatch,
):
    data = messy_ledger()
    loads: list[tuple[str, str]] = []
    real_load = workbook._load

    def recording(book, sheet_name, keep_ranges=False):
        loads.append((sheet_name, threading.current_thread().name))
        return real_load(book, sheet_name, keep_ranges)

    monkeypatch.setattr(workbook, "_load", recording)
    sheets = workbook.stream_workbook(data, "台账.xlsx")
    first = next(sheets)
    # Not one row of the first sheet read yet, and the second is already being loaded.
    assert _until(lambda: len(loads) == 2), loads
    assert all(thread.startswith("sheet-ahead") for _, thread in loads)
    streamed = [(first.name, list(first.rows))] + [(s.name, list(s.rows)) for s in sheets]
    loaded = [name for name, _ in loads]

    whole = workbook.read_workbook(data, "台账.xlsx")
    assert streamed == [(s.name, s.rows) for s in whole]
    assert loaded == [s.name for s in whole]


def test_a_sheet_over_the_row_limit_is_refused_when_reached_after_the_sheets_before_it(
    monkeypatch,
):
    data = messy_ledger()
    names = [s.name for s in workbook.read_workbook(data, "台账.xlsx")]
    real_load = workbook._load

    def second_too_long(book, sheet_name, keep_ranges=False):
        if sheet_name == names[1]:
            raise workbook.WorkbookError(f"工作表“{sheet_name}”超过 {workbook.MAX_ROWS} 行")
        return real_load(book, sheet_name, keep_ranges)

    monkeypatch.setattr(workbook, "_load", second_too_long)
    sheets = workbook.stream_workbook(data, "台账.xlsx")
    assert next(sheets).name == names[0]
    with pytest.raises(workbook.WorkbookError, match=names[1]):
        next(sheets)


def test_the_unpacked_size_limit_is_the_installations_setting(settings):
    """MAX_IMPORT_UNPACKED_MB (settings.LUOSHI_MAX_IMPORT_UNPACKED_BYTES) is the limit checked
    and said: an installation that re-imports large exports raises it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * (3 * 2**20 // 6))  # 3 MB
    data = buffer.getvalue()
    settings.LUOSHI_MAX_IMPORT_UNPACKED_BYTES = 2 * 2**20
    with pytest.raises(workbook.WorkbookError, match="解压后过大：超过 2 MB 的上限"):
        workbook.check_upload(data, "台账.xlsx")
    settings.LUOSHI_MAX_IMPORT_UNPACKED_BYTES = 4 * 2**20
    with pytest.raises(workbook.WorkbookError) as refused:
        workbook.check_upload(data, "台账.xlsx")
    assert "解压后过大" not in str(refused.value)  # past the size: refused for what it is


def test_the_file_is_checked_and_its_first_sheet_loaded_while_the_caller_reads_the_stored_rows(
    monkeypatch,
):
    """The importer reads its index of the stored rows (`meanwhile`) while the loader thread
    checks the file and loads its first sheet; a file the caller has `checked` already is not
    checked again there, and a refused file is refused after `meanwhile` as before."""
    data = messy_ledger()
    seen: list[str] = []
    real_check = workbook.check_upload

    def check(data, name):
        seen.append(f"check on {threading.current_thread().name}")
        return real_check(data, name)

    monkeypatch.setattr(workbook, "check_upload", check)
    started = threading.Event()
    real_load = workbook._load

    def load(book, sheet_name, keep_ranges=False):
        started.set()
        return real_load(book, sheet_name, keep_ranges)

    monkeypatch.setattr(workbook, "_load", load)

    def meanwhile():  # the first sheet loads while the caller is still here
        assert started.wait(10)
        seen.append("meanwhile")

    rows = [list(s.rows) for s in workbook.stream_workbook(data, "台账.xlsx", meanwhile=meanwhile)]
    assert rows == [s.rows for s in workbook.read_workbook(data, "台账.xlsx")]
    assert seen[0].startswith("check on sheet-ahead") and "meanwhile" in seen
    seen.clear()
    with workbook.checked(data):
        list(workbook.stream_workbook(data, "台账.xlsx", meanwhile=lambda: seen.append("x")))
    assert seen == ["x"]  # checked by the page already: not again on the thread
    refused = workbook.stream_workbook(b"PK\x03\x04 not a zip", "坏.xlsx", meanwhile=meanwhile)
    with pytest.raises(workbook.WorkbookError, match="坏.xlsx"):
        next(refused)
