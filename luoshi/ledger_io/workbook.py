"""Opening an uploaded spreadsheet safely: .xlsx and .xls with calamine, .csv as UTF-8 or GB18030.

Limits are checked before anything is parsed (`check_upload`): the file's size, and for .xlsx (a
zip) the number of entries, their declared and their real uncompressed size (inflated once, a
chunk at a time), the compression ratio, and the area each sheet's cells span: calamine holds a
sheet as a dense grid of its used area, so two cells far apart (A1 and XFD1048576) would ask for
hundreds of gigabytes, and a cell grid alone is bounded here, before calamine sees the file.
Errors name the file and say why.

`read_workbook` gives every sheet as a list of rows (small tables: organisations, members, the
error report); `stream_workbook` gives one sheet at a time and its rows one at a time, for
ledgers of 100,000 rows that must be read in bounded memory."""

import csv
import io
import re
import zipfile
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar, copy_context
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine
from django.conf import settings

MAX_ZIP_ENTRIES = 500
# An upload's size once inflated, by default (settings.LUOSHI_MAX_IMPORT_UNPACKED_BYTES, from
# MAX_IMPORT_UNPACKED_MB): said in the error. Our own export, with every text inline and every
# cell styled, takes 1.1 kB of sheet XML a row, so a 100,000-row export is 106 MB unpacked. An
# installation that re-imports exports that large raises the setting: the 100,000-row import
# then peaks at about 275 MB (docs/capacity.md, W4), as the cells and merges are bounded apart
# (MAX_CELLS, MAX_MERGES).
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_COLS = 60
# The cells of a sheet's used area (rows x columns), which calamine allocates at about 32 bytes
# each: 4 million is 200,000 rows of 20 columns, some 130 MB.
MAX_CELLS = 4_000_000
MAX_MERGES = 200_000
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
    # calamine's merged areas as ((r1, c1), (r2, c2)), when asked for (the marked-up report)
    ranges: list = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Let go of the sheet (calamine's copy) even when its rows were not all read."""
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()


def max_unpacked_bytes() -> int:
    return getattr(settings, "LUOSHI_MAX_IMPORT_UNPACKED_BYTES", MAX_UNCOMPRESSED)


def max_import_bytes() -> int:
    return getattr(settings, "LUOSHI_MAX_IMPORT_BYTES", 20 * 1024 * 1024)


# The start tags of cells and rows, and their `r` reference wherever it stands among the
# attributes: `<c r="XFD1048576"`, `<row s="1" r="9">`; with any namespace prefix (`<x:c`) in the
# chunks that have one (a slower pattern, kept for them).
_PLAIN = (
    re.compile(rb"<c[\s/>]"),
    re.compile(rb"<c\s[^>]*?\br\s*=\s*[\"']([A-Za-z]+)(\d+)"),
    re.compile(rb"<row[\s/>]"),
    re.compile(rb"<row\s[^>]*?\br\s*=\s*[\"'](\d+)"),
)
_PREFIXED = (
    re.compile(rb"<(?:[\w.-]+:)?c[\s/>]"),
    re.compile(rb"<(?:[\w.-]+:)?c\s[^>]*?\br\s*=\s*[\"']([A-Za-z]+)(\d+)"),
    re.compile(rb"<(?:[\w.-]+:)?row[\s/>]"),
    re.compile(rb"<(?:[\w.-]+:)?row\s[^>]*?\br\s*=\s*[\"'](\d+)"),
)
# A cell or row naming no reference or not first, a column past Z, a row past 99,999: where
# none is in a chunk (most ledgers), its cells lie in A1:Z99999 (2.6 million cells, under
# MAX_CELLS) and one search over the chunk is enough; otherwise every reference is read.
_ODD = re.compile(
    rb"<(?:c(?:[>/]|\s+(?!r\s*=)|\s+r\s*=\s*[\"'](?:[A-Za-z]{2}|[A-Za-z]\d{6}))"
    rb"|row(?:[>/]|\s+(?!r\s*=)|\s+r\s*=\s*[\"']\d{6}))"
)
_SMALL_BOX = (99_999, 26)
_CELL_STARTS = tuple(b"<c" + end for end in (b">", b"/", b" ", b"\t", b"\n", b"\r"))
_ROW_STARTS = tuple(b"<row" + end for end in (b">", b"/", b" ", b"\t", b"\n", b"\r"))


def _tags(text: bytes, pattern, starts: tuple[bytes, ...], prefixed: bool) -> int:
    """How many start tags the chunk holds: counted (fast) where no prefix is used."""
    return len(pattern.findall(text)) if prefixed else sum(map(text.count, starts))


_MERGE_TAG = re.compile(rb"<(?:[\w.-]+:)?mergeCell[\s/>]")
_PREFIX_USED = re.compile(rb":(?:c|row)")  # one pass (two `in` tests read each chunk twice)
_LONGEST_TAG = 4096


class _Extent:
    """An upper bound of the area a sheet's cells span, from its XML read a chunk at a time: the
    furthest row and column named, plus one for every cell or row that names none (it stands
    one after the one before it)."""

    def __init__(self, name: str):
        self.name = name
        self.rows = self.cols = 0
        self.unnamed_rows = self.merges = 0
        # cells naming no column stand one after the cell before them in their row: the most
        # in any one row, and those of the row still open at the chunk's end
        self.unnamed_cells = self.unnamed_open = 0
        self.tail = b""

    def feed(self, chunk: bytes, final: bool = False) -> None:
        text = self.tail + chunk
        start = text.rfind(b"<")
        # Keep a tag cut by the chunk's end for the next chunk; the text after a closed tag and
        # before the next one holds no tag.
        if not final and start >= 0 and text.find(b">", start) < 0:
            self.tail, text = text[start:], text[:start]
            if len(self.tail) > _LONGEST_TAG:
                raise WorkbookError(f"文件“{self.name}”的格式异常（标签过长），已拒绝")
        else:
            self.tail = b""
        if b"mergeCell" in text:  # a plain search is four times faster than the pattern's
            self.merges += len(_MERGE_TAG.findall(text))
        prefixed = _PREFIX_USED.search(text) is not None
        if not prefixed and _ODD.search(text) is None:
            if b"<c " in text:
                self.rows = max(self.rows, _SMALL_BOX[0])
                self.cols = max(self.cols, _SMALL_BOX[1])
            if b"<row" in text:
                self.unnamed_open = 0
            return
        cell_tag, cell_ref, row_tag, row_ref = _PREFIXED if prefixed else _PLAIN
        refs = cell_ref.findall(text)
        if _tags(text, cell_tag, _CELL_STARTS, prefixed) > len(refs):
            if prefixed:
                self._count_unnamed(text, cell_tag, cell_ref, row_tag)
            else:
                self._count_unnamed_plain(text)
        elif row_tag.search(text):
            self.unnamed_open = 0
        if refs:
            self.rows = max(self.rows, max(map(int, {r for _, r in refs})))
            letters = {c for c, _ in refs}
            self.cols = max(self.cols, max(map(_column_number, letters)))
        rows = row_ref.findall(text)
        self.unnamed_rows += max(0, _tags(text, row_tag, _ROW_STARTS, prefixed) - len(rows))
        if rows:
            self.rows = max(self.rows, max(map(int, rows)))

    def _count_unnamed(self, text: bytes, cell_tag, cell_ref, row_tag) -> None:
        """The cells naming no reference in each row of the chunk (the first continues the row
        left open by the chunk before); the most in any row bounds how far one reaches."""
        cells = [m.start() for m in cell_tag.finditer(text)]
        named = [m.start() for m in cell_ref.finditer(text)]
        bounds = [0, *(m.start() for m in row_tag.finditer(text)), len(text)]
        for i in range(len(bounds) - 1):
            lo, hi = bounds[i], bounds[i + 1]
            unnamed = (bisect_left(cells, hi) - bisect_left(cells, lo)) - (
                bisect_left(named, hi) - bisect_left(named, lo)
            )
            self.unnamed_open = self.unnamed_open + unnamed if i == 0 else unnamed
            self.unnamed_cells = max(self.unnamed_cells, self.unnamed_open)

    def _count_unnamed_plain(self, text: bytes) -> None:
        """The same without prefixes, by counting (a cell naming its reference other than first
        counts as naming none: more, never fewer)."""
        for i, piece in enumerate(text.split(b"<row")):
            unnamed = sum(map(piece.count, _CELL_STARTS)) - piece.count(b"<c r=")
            self.unnamed_open = self.unnamed_open + unnamed if i == 0 else unnamed
            self.unnamed_cells = max(self.unnamed_cells, self.unnamed_open)

    @property
    def height(self) -> int:
        return self.rows + self.unnamed_rows

    @property
    def width(self) -> int:
        return self.cols + self.unnamed_cells


def _column_number(letters: bytes) -> int:
    if len(letters) > 3:
        return 1 << 30
    n = 0
    for c in letters.upper():
        n = n * 26 + c - 64
    return n


def _column_letters(n: int) -> str:
    letters = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters or "A"


def _check_zip(data: bytes, name: str) -> None:
    """Every entry inflated once, bounded, and each sheet's extent measured on the way."""
    from luoshi.core.files import UploadRefused, inflate_entries, zip_entries

    limit = max_unpacked_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = zip_entries(
                archive, name=name, max_entries=MAX_ZIP_ENTRIES, max_uncompressed=limit
            )
            if not any(i.filename.startswith("xl/") for i in infos):
                raise WorkbookError(f"文件“{name}”不是 Excel（.xlsx）文件")
            extent, current = None, None
            for info, chunk in inflate_entries(archive, infos, name=name, max_uncompressed=limit):
                if info is not current:
                    if extent is not None:
                        _check_extent(extent, name)
                    current, extent = info, _Extent(name)
                    # XML in UTF-16 would hide its tags from the checks below
                    if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"<\x00" in chunk[:64]:
                        raise WorkbookError(
                            f"文件“{name}”的编码不受支持，请用 Excel 或 WPS 另存后再上传"
                        )
                extent.feed(chunk)
            if extent is not None:
                _check_extent(extent, name)
    except UploadRefused as exc:
        raise WorkbookError(str(exc)) from exc
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise WorkbookError(f"文件“{name}”已损坏或不是 .xlsx 文件") from exc


def _check_extent(extent: _Extent, name: str) -> None:
    extent.feed(b"", final=True)
    if extent.height > MAX_ROWS:
        raise WorkbookError(f"文件“{name}”中有工作表超过 {MAX_ROWS} 行（含表格之外远处的单元格）")
    if extent.height * extent.width > MAX_CELLS:
        raise WorkbookError(
            f"文件“{name}”中有工作表的内容范围过大（{extent.height} 行 × "
            f"{_column_letters(min(extent.width, 16384))} 列），"
            f"超过 {MAX_CELLS // 10000} 万个单元格的上限。"
            "请删除表格之外远处的单元格或多余的列后重试"
        )
    if extent.merges > MAX_MERGES:
        raise WorkbookError(f"文件“{name}”中有工作表的合并单元格超过 {MAX_MERGES} 处，已拒绝")


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


def check_upload(data: bytes, name: str) -> str:
    """The checks that need no parsing, for a page to run before it keeps the file: size, type
    by content, and for .xlsx the archive's real size and each sheet's extent. Returns the
    suffix; raises WorkbookError saying why."""
    if len(data) > max_import_bytes():
        raise WorkbookError(f"文件“{name}”超过 {max_import_bytes() // (1024 * 1024)} MB 的上限")
    if not data:
        raise WorkbookError(f"文件“{name}”是空文件")
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise WorkbookError(f"文件“{name}”的内容不是 .xlsx 文件")
        _check_zip(data, name)
    elif suffix == ".xls":
        if not data.startswith(OLE_SIGNATURE):
            raise WorkbookError(f"文件“{name}”的内容不是 .xls 文件")
    elif suffix != ".csv":
        raise WorkbookError(f"文件“{name}”的类型不支持，请上传 .xlsx、.xls 或 .csv")
    return suffix


_CHECKED: ContextVar[bytes | None] = ContextVar("checked_upload", default=None)


@contextmanager
def checked(data: bytes):
    """Within it, `data` counts as having passed check_upload (a page that ran it before keeping
    the file does not inflate the file twice for its preview)."""
    token = _CHECKED.set(data)
    try:
        yield
    finally:
        _CHECKED.reset(token)


def _open(data: bytes, name: str):
    """The file's CSV rows, or its calamine workbook, after the checks that need no parsing."""
    suffix = Path(name).suffix.lower() if _CHECKED.get() is data else check_upload(data, name)
    if suffix == ".csv":
        text = _decode_csv(data, name)
        try:
            rows = [[_cell(v) for v in row[:MAX_COLS]] for row in csv.reader(io.StringIO(text))]
        except csv.Error as exc:
            raise WorkbookError(f"文件“{name}”不是有效的 CSV：{exc}") from exc
        return rows[:MAX_ROWS]
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise _damaged(name, exc) from exc


def _damaged(name: str, exc: Exception) -> WorkbookError:
    return WorkbookError(f"文件“{name}”无法读取（已损坏或格式不对）：{str(exc)[:120]}")


def _load(book, sheet_name: str, keep_ranges: bool = False):
    """A calamine sheet, loaded (calamine reads a whole sheet at once), within the limits."""
    sheet = book.get_sheet_by_name(sheet_name)
    if sheet.end is not None and sheet.end[0] >= MAX_ROWS:
        raise WorkbookError(f"工作表“{sheet_name}”超过 {MAX_ROWS} 行")
    ranges = sheet.merged_cell_ranges or []
    merges = Merges.from_calamine(ranges)
    return sheet, merges, (ranges if keep_ranges else [])


def read_workbook(data: bytes, name: str) -> list[Sheet]:
    """Every sheet of the file, as rows of cell values with merged ranges."""
    opened = _open(data, name)
    if isinstance(opened, list):
        return [Sheet(Path(name).stem, opened)]
    try:
        sheets = []
        for sheet_name in opened.sheet_names:
            sheet, merges, _ = _load(opened, sheet_name)
            # Absolute coordinates from A1 (rows and columns in messages are Excel's), and
            # calamine's rows as they are: no second copy, text is stripped where it is read.
            rows = sheet.to_python(skip_empty_area=False)
            sheets.append(Sheet(sheet_name, rows, merges=merges))
        return sheets
    except WorkbookError:
        raise
    except Exception as exc:
        raise _damaged(name, exc) from exc


def stream_workbook(
    data: bytes, name: str, keep_ranges: bool = False, meanwhile=None
) -> Iterator[SheetStream]:
    """Every sheet of the file, one at a time, its rows one at a time, never as Python lists:
    at most two sheets are held (by calamine, compactly), the one being read and the next.
    Raises WorkbookError, possibly after earlier sheets were given. `keep_ranges` gives each
    sheet's merged areas as calamine lists them, too.

    The file is checked, opened and its first sheet loaded on a thread of its own while the
    caller's `meanwhile` (if any: the importer reads what is stored) runs; then the next sheet
    loads there while the caller reads this one: calamine lets go of the GIL while it parses, so
    a ledger whose rows are being read and checked (and whose existing rows are being fetched
    from the database) has its next sheet ready when it gets there. Every entry of the file has
    passed `check_upload` before calamine sees any."""
    ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sheet-ahead")
    try:
        # in this context: a file `checked` by the caller is not checked again on the thread
        opening = ahead.submit(copy_context().run, _open_first, data, name, keep_ranges)
        if meanwhile is not None:
            meanwhile()
        # the first sheet comes loaded with the workbook: calamine refuses a workbook used on
        # two threads at once ("already mutably borrowed"), so its names are read after the load
        opened, loading = opening.result()
        if isinstance(opened, list):
            yield SheetStream(Path(name).stem, iter(opened), Merges())
            return
        names = opened.sheet_names
        for i, sheet_name in enumerate(names):
            try:
                sheet, merges, ranges = loading.result() if i else loading
            except WorkbookError:
                raise
            except Exception as exc:
                raise _damaged(name, exc) from exc
            if i + 1 < len(names):
                loading = ahead.submit(_load, opened, names[i + 1], keep_ranges)
            yield SheetStream(sheet_name, _rows_from_a1(sheet, name), merges, ranges)
            del sheet  # calamine's copy of this sheet goes once its rows are read
    finally:  # a caller that stops early (a refused file) does not wait for the next sheet
        ahead.shutdown(wait=False, cancel_futures=True)


def _open_first(data: bytes, name: str, keep_ranges: bool):
    """On the loader thread: the checked file opened (`_open`), and its first sheet loaded (a
    CSV's rows, and None)."""
    opened = _open(data, name)
    if isinstance(opened, list) or not opened.sheet_names:
        return opened, None
    try:
        return opened, _load(opened, opened.sheet_names[0], keep_ranges)
    except WorkbookError:
        raise
    except Exception as exc:
        raise _damaged(name, exc) from exc


def _rows_from_a1(sheet, name: str) -> Iterator[list]:
    """calamine's rows start at row 1 but at the first used column: pad them to column A."""
    pad = [""] * (sheet.start[1] if sheet.start else 0)
    try:
        for row in sheet.iter_rows():
            yield pad + row if pad else row
    except Exception as exc:
        raise _damaged(name, exc) from exc


def read_upload(upload, default_name: str) -> tuple[str, bytes]:
    """The name and bytes of an uploaded sheet, checked as every import page checks it (chosen,
    within the size limit, a readable workbook of bounded inflated size): raises WorkbookError
    with the reason, and the HTTP status as `status`, before anything is stored."""
    if upload is None:
        raise _refused("请选择要导入的文件", 400)
    name = Path(upload.name or default_name).name[:120]
    if upload.size > max_import_bytes():
        raise _refused(f"文件“{name}”超过 {max_import_bytes() // 2**20} MB 的上限", 413)
    data = upload.read()
    try:
        check_upload(data, name)
    except WorkbookError as exc:
        raise _refused(str(exc), 400) from exc
    return name, data


def _refused(message: str, status: int) -> WorkbookError:
    error = WorkbookError(message)
    error.status = status
    return error
