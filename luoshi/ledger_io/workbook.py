"""Opening an uploaded spreadsheet safely: .xlsx and .xls with calamine, .csv as UTF-8 or GB18030.

Limits are checked before anything is parsed: the file's size, and for .xlsx (a zip) the number
of entries and their declared uncompressed size. Errors name the file and say why."""

import csv
import io
import zipfile
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


@dataclass
class Sheet:
    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    _origin: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for r1, c1, r2, c2 in self.merged:
            for r in range(r1, r2 + 1):
                for c in range(c1, c2 + 1):
                    if (r, c) != (r1, c1):
                        self._origin[(r, c)] = (r1, c1)

    def raw(self, r: int, c: int):
        row = self.rows[r] if r < len(self.rows) else []
        return row[c] if c < len(row) else ""

    def value(self, r: int, c: int):
        """The cell's value, or that of the merged area it lies in."""
        return self.raw(*self._origin.get((r, c), (r, c)))

    def merge_origin(self, r: int, c: int) -> tuple[int, int]:
        return self._origin.get((r, c), (r, c))


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


def read_workbook(data: bytes, name: str) -> list[Sheet]:
    """Every sheet of the file, as rows of cell values with merged ranges."""
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
        return [Sheet(Path(name).stem, rows[:MAX_ROWS])]
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
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for sheet_name in book.sheet_names:
            sheet = book.get_sheet_by_name(sheet_name)
            if sheet.end is not None and sheet.end[0] >= MAX_ROWS:
                raise WorkbookError(f"工作表“{sheet_name}”超过 {MAX_ROWS} 行")
            # Absolute coordinates from A1 (rows and columns in messages are Excel's), and
            # calamine's rows as they are: no second copy, text is stripped where it is read.
            rows = sheet.to_python(skip_empty_area=False)
            merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
            sheets.append(Sheet(sheet_name, rows, merged))
        return sheets
    except WorkbookError:
        raise
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise WorkbookError(f"文件“{name}”无法读取（已损坏或格式不对）：{str(exc)[:120]}") from exc
