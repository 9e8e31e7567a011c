"""Opening an uploaded spreadsheet safely: .xlsx and .xls with calamine, .csv as UTF-8 or GB18030.

Limits are checked before anything is parsed: the file's size, and for .xlsx (a zip) the number
of entries and their declared uncompressed size. Errors name the file and say why.

`read_workbook` gives every sheet as a list of rows (small tables: organisations, members, the
error report); `stream_workbook` gives one sheet at a time and its rows one at a time, for
ledgers of 100,000 rows that must be read in bounded memory."""

import csv
import io
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
from django.conf import settings

MAX_ZIP_ENTRIES = 500
MAX_UNCOMPRESSED = 300 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLS = 60
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class WorkbookError(ValueError):
    pass


class Merges:
    """Which cell each merged cell takes its value from.

    A ledger merges each problem's cells over its measure rows: hundreds of thousands of merges
    in a big file. They are kept as arrays per column (the origin row of every row, and where
    a merge spans columns, the origin column), a few bytes a row whatever the number of
    merges. Areas beyond MAX_ROWS / MAX_COLS are cut off, so a hostile merge cannot take
    unbounded memory or time."""

    def __init__(self, ranges: Iterable[tuple[int, int, int, int]] = ()):
        self.rows: dict[int, array] = {}  # column -> origin row of each row
        self.cols: dict[int, array] = {}  # column -> origin column of each row, where it differs
        # the last row of any merge starting on a row: a streamed row must be kept until then
        self.open_until: dict[int, int] = {}
        self._add(list(ranges))

    @classmethod
    def from_calamine(cls, pairs) -> "Merges":
        """From calamine's [((r1, c1), (r2, c2)), ...], without another copy of that list."""
        merges = cls()
        merges._add(pairs, pairs=True)
        return merges

    def _add(self, ranges, pairs: bool = False) -> None:
        open_until, by_column = self.open_until, self.rows
        for item in ranges:
            if pairs:
                (r1, c1), (r2, c2) = item
            else:
                r1, c1, r2, c2 = item
            if not (0 <= r1 <= r2 and 0 <= c1 <= c2 and r1 < MAX_ROWS and c1 < MAX_COLS):
                continue
            if r1 == r2 and c1 == c2:
                continue
            if r2 >= MAX_ROWS:
                r2 = MAX_ROWS - 1
            if c2 >= MAX_COLS:
                c2 = MAX_COLS - 1
            if r2 > r1 and open_until.get(r1, r1) < r2:
                open_until[r1] = r2
            for c in range(c1, c2 + 1):
                rows = by_column.get(c)
                if rows is None:
                    rows = by_column[c] = array("i")
                if len(rows) <= r2:  # every row its own origin until a merge says otherwise
                    rows.extend(range(len(rows), r2 + 1))
                top = r1 + 1 if c == c1 else r1  # the origin itself keeps its own row
                rows[top : r2 + 1] = array("i", [r1]) * (r2 + 1 - top)
                if c != c1:
                    cols = self.cols.get(c)
                    if cols is None:
                        cols = self.cols[c] = array("h")
                    if len(cols) <= r2:
                        cols.extend([c] * (r2 + 1 - len(cols)))
                    cols[r1 : r2 + 1] = array("h", [c1]) * (r2 + 1 - r1)

    def origin(self, r: int, c: int) -> tuple[int, int]:
        rows = self.rows.get(c)
        if rows is None or r >= len(rows):
            return r, c
        cols = self.cols.get(c)
        return rows[r], (c if cols is None or r >= len(cols) else cols[r])


@dataclass
class Sheet:
    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    merges: Merges | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.merges is None:
            self.merges = Merges(self.merged)

    def raw(self, r: int, c: int):
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else ""

    def value(self, r: int, c: int):
        """The cell's value, or that of the merged area it lies in."""
        return self.raw(*self.merges.origin(r, c))

    def merge_origin(self, r: int, c: int) -> tuple[int, int]:
        return self.merges.origin(r, c)


@dataclass
class SheetStream:
    """One sheet read once, top to bottom: `rows` yields every row from the first (A1)."""

    name: str
    rows: Iterator[list]
    merges: Merges

    def close(self) -> None:
        """Let go of the sheet (calamine's copy) even when its rows were not all read."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def max_import_bytes() -> int:
    return getattr(settings, "LUOSHI_MAX_IMPORT_BYTES", 20 * 1024 * 1024)


def _check_zip(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise WorkbookError(f"文件“{name}”内部条目过多，不像正常的 Excel 文件")
            if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
                raise WorkbookError(f"文件“{name}”解压后过大，已拒绝")
            if not any(i.filename.startswith("xl/") for i in infos):
                raise WorkbookError(f"文件“{name}”不是 Excel（.xlsx）文件")
    except zipfile.BadZipFile as exc:
        raise WorkbookError(f"文件“{name}”已损坏或不是 .xlsx 文件") from exc


def _cell(value):
    if isinstance(value, str):
        return value.strip()
    return value


def _decode_csv(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise WorkbookError(f"文件“{name}”的编码无法识别（请另存为 UTF-8 或 GBK 编码的 CSV）")


def _open(data: bytes, name: str):
    """The file's CSV rows, or its calamine workbook, after the checks that need no parsing."""
    if len(data) > max_import_bytes():
        raise WorkbookError(f"文件“{name}”超过 {max_import_bytes() // (1024 * 1024)} MB 的上限")
    if not data:
        raise WorkbookError(f"文件“{name}”是空文件")
    suffix = Path(name).suffix.lower()
    if suffix == ".csv":
        text = _decode_csv(data, name)
        try:
            rows = [[_cell(v) for v in row[:MAX_COLS]] for row in csv.reader(io.StringIO(text))]
        except csv.Error as exc:
            raise WorkbookError(f"文件“{name}”不是有效的 CSV：{exc}") from exc
        return rows[:MAX_ROWS]
    if suffix == ".xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise WorkbookError(f"文件“{name}”的内容不是 .xlsx 文件")
        _check_zip(data, name)
    elif suffix == ".xls":
        if not data.startswith(OLE_SIGNATURE):
            raise WorkbookError(f"文件“{name}”的内容不是 .xls 文件")
    else:
        raise WorkbookError(f"文件“{name}”的类型不支持，请上传 .xlsx、.xls 或 .csv")
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise _damaged(name, exc) from exc


def _damaged(name: str, exc: Exception) -> WorkbookError:
    return WorkbookError(f"文件“{name}”无法读取（已损坏或格式不对）：{str(exc)[:120]}")


def _load(book, sheet_name: str):
    """A calamine sheet, loaded (calamine reads a whole sheet at once), within the limits."""
    sheet = book.get_sheet_by_name(sheet_name)
    if sheet.end is not None and sheet.end[0] >= MAX_ROWS:
        raise WorkbookError(f"工作表“{sheet_name}”超过 {MAX_ROWS} 行")
    return sheet, Merges.from_calamine(sheet.merged_cell_ranges or [])


def read_workbook(data: bytes, name: str) -> list[Sheet]:
    """Every sheet of the file, as rows of cell values with merged ranges."""
    opened = _open(data, name)
    if isinstance(opened, list):
        return [Sheet(Path(name).stem, opened)]
    try:
        sheets = []
        for sheet_name in opened.sheet_names:
            sheet, merges = _load(opened, sheet_name)
            # Absolute coordinates from A1 (rows and columns in messages are Excel's), and
            # calamine's rows as they are: no second copy, text is stripped where it is read.
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append(Sheet(sheet_name, rows, merges=merges))
        return sheets
    except WorkbookError:
        raise
    except Exception as exc:
        raise _damaged(name, exc) from exc


def stream_workbook(data: bytes, name: str) -> Iterator[SheetStream]:
    """Every sheet of the file, one at a time, its rows one at a time: only one sheet is held
    (by calamine, compactly) and never as Python lists. Raises WorkbookError, possibly after
    earlier sheets were given."""
    opened = _open(data, name)
    if isinstance(opened, list):
        yield SheetStream(Path(name).stem, iter(opened), Merges())
        return
    for sheet_name in opened.sheet_names:
        try:
            sheet, merges = _load(opened, sheet_name)
        except WorkbookError:
            raise
        except Exception as exc:
            raise _damaged(name, exc) from exc
        yield SheetStream(sheet_name, _rows_from_a1(sheet, name), merges)
        del sheet  # calamine's copy of this sheet goes before the next one is loaded


def _rows_from_a1(sheet, name: str) -> Iterator[list]:
    """calamine's rows start at row 1 but at the first used column: pad them to column A."""
    pad = [""] * (sheet.start[1] if sheet.start else 0)
    try:
        for row in sheet.iter_rows():
            yield pad + row if pad else row
    except Exception as exc:
        raise _damaged(name, exc) from exc
