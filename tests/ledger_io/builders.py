"""Ledgers in the messy shapes offices really send, built with openpyxl."""

import io
import zipfile
from datetime import datetime

from openpyxl import Workbook


def messy_ledger() -> bytes:
    """Two sheets: a team ledger with a title, a unit line, a two-row header with 责任主体 merged
    over 责任领导 and 责任单位, columns out of order, section rows, spacer rows, a problem merged
    over three measure rows, numbered measures in one cell and a totals row; and a personal
    ledger with a 姓名 column."""
    book = Workbook()
    ws = book.active
    ws.title = "班子问题清单"
    ws.append(["兴庆区委领导班子主题教育检视问题整改台账"])
    ws.merge_cells("A1:H1")
    ws.append(["填报单位（盖章）：兴庆区委办公室", None, None, None, None, "填报时间：2023年10月"])
    # header over rows 3-4, with 责任主体 over 牵头领导 and 责任部门
    ws.append(["序号", "问题来源", "存在问题", "整改措施", "责任主体", None, "完成时限", "备注"])
    ws.append([None, None, None, None, "牵头领导", "责任部门", None, None])
    for col in "ABCDGH":
        ws.merge_cells(f"{col}3:{col}4")
    ws.merge_cells("E3:F3")
    ws.append(["一、在服务群众上存在差距"])  # row 5
    ws.merge_cells("A5:H5")
    ws.append(
        [
            1,
            "征求意见",
            "群众办事多头跑",
            "推行“一窗受理”",
            "张三、李四",
            "政务服务局",
            "2023年12月底前",
            None,
        ]
    )  # row 6
    ws.append([None, None, None, "压缩审批时限一半", None, None, "2024.3", None])  # row 7
    ws.append([None, None, None, "建立办事回访制度", None, None, "长期坚持", None])  # row 8
    for col in "ABCEF":
        ws.merge_cells(f"{col}6:{col}8")
    ws.append([])  # row 9: spacer
    ws.append(["二、在担当作为上存在差距"])  # row 10
    ws.merge_cells("A10:H10")
    ws.append(
        [
            2,
            "自身查摆",
            "攻坚克难劲头不足",
            "1.制定重点难点工作清单；2.实行挂图作战；3.每月调度一次",
            "王五",
            "区委办",
            "2023年11月底",
            "三条措施",
        ]
    )  # row 11
    ws.append(
        [
            3,
            "督导反馈",
            "调查研究不深入",
            "（1）领导干部每季度蹲点调研；（2）形成调研报告",
            "赵六",
            "区委办、区委研究室",
            datetime(2024, 1, 31),
            None,
        ]
    )  # row 12
    ws.append(
        [4, None, "会议文件过多", "立即清理规范各类会议", "钱七", "区委办", "立行立改", None]
    )  # row 13
    ws.append(["合计", None, "4个问题", "9条措施"])  # row 14

    personal = book.create_sheet("个人问题清单")
    personal.append(["领导班子成员个人检视问题清单"])
    personal.append(["序号", "姓名", "存在问题", "整改举措", "整改时限"])
    personal.append(
        [1, "张三", "理论学习不够系统", "1、每周自学不少于5小时 2、撰写心得体会", "2023-12-31"]
    )
    personal.append([2, "李四", "联系群众不够紧密", "每月走访联系点", "2020年1月"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def broken_ledger() -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "问题清单"
    ws.append(["序号", "存在问题", "整改措施", "整改时限", "问题来源", "组织代码"])
    ws.append([1, "问题甲", "措施甲", "下个月", None, None])  # row 2: unreadable deadline
    ws.append([2, "问题乙", None, "2023年12月底前", None, None])  # row 3: no measure
    ws.append([3, "问题丙", "措施丙", "2023年12月底前", "天上掉的", None])  # row 4: unknown source
    ws.append([4, "问题丁", "措施丁", "2023年13月", None, None])  # row 5: no such month
    ws.append([5, "问题戊", "措施戊", "2023年12月底前", None, "NO-SUCH"])  # row 6: unknown org
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def simple_ledger(rows: list[tuple], sheet="班子问题") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(["序号", "存在问题", "整改措施", "整改时限", "责任领导"])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def sheet_of(header: list[str], rows: list[tuple], sheet="班子问题") -> bytes:
    """One sheet, a one-row header and the rows as given: no merged cells."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def personal_ledger_naming_the_person_under(column: str) -> bytes:
    """A personal sheet as county offices keep it: no 姓名 column, the person under `column`
    (责任领导 or 责任人)."""
    return sheet_of(
        ["序号", "存在问题", "整改措施", column, "整改时限"],
        [
            (1, "理论学习不够系统", "每周自学不少于5小时", "张三", "2023年12月底前"),
            (2, "联系群众不够紧密", "每月走访联系点", "李四", "长期坚持"),
        ],
        sheet="领导班子成员个人检视问题清单",
    )


def repeated_problem_rows() -> list[tuple]:
    """A problem with two measures written out on both rows (no merged cells), then another."""
    return [
        (1, "群众办事多头跑", "推行“一窗受理”", "2023年12月底前", "张三"),
        (1, "群众办事多头跑", "压缩审批时限一半", "2024年3月底前", "张三"),
        (2, "会议文件过多", "清理规范会议", "立行立改", "李四"),
    ]


def ledger_in_a_countys_words() -> bytes:
    """A county's ledger writing the campaign's category and source its own way: 理论学习方面
    for 理论学习, 征求意见建议 for 征求意见, and a category of its own (基层治理)."""
    return sheet_of(
        ["序号", "问题类别", "问题来源", "存在问题", "整改措施", "整改时限"],
        [
            (1, "理论学习方面", "征求意见建议", "学习不够系统", "每周自学", "2023年12月底前"),
            (2, "理论学习方面", "自身查摆", "学用结合不紧", "每月研讨", "长期坚持"),
            (3, "基层治理", "自身查摆", "网格管理粗放", "细化网格", "2024年6月底前"),
        ],
    )


def _column(n: int) -> str:
    letters = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
    'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="'
    'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
    'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="'
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
    'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships"><sheets><sheet name="问题清单" sheetId="1" '
    'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="'
    'http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>',
}


def expanding_xlsx(rows: int, cols: int, far: tuple[int, int] | None = None) -> bytes:
    """A spreadsheet that is small as a file and large once inflated: `rows` rows of `cols`
    numbers (about 25 bytes of sheet XML a cell, compressing some 20-60 times), written
    straight into the zip a row at a time. `far` adds one cell at (row, column), 1-based:
    a used area far bigger than its cells."""
    out = io.BytesIO()
    head = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main"><sheetData>'
    )
    letters = [_column(c) for c in range(1, cols + 1)]
    row_xml = "".join(f'<c r="{col}%(r)d"><v>%(r)d</v></c>' for col in letters)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(head.encode())
            batch = []
            for r in range(1, rows + 1):
                batch.append(f'<row r="{r}">' + row_xml % {"r": r} + "</row>")
                if len(batch) == 2000:
                    sheet.write("".join(batch).encode())
                    batch = []
            if far:
                cell = f'<c r="{_column(far[1])}{far[0]}"><v>1</v></c>'
                batch.append(f'<row r="{far[0]}">{cell}</row>')
            sheet.write(("".join(batch) + "</sheetData></worksheet>").encode())
    return out.getvalue()


def bomb_xlsx(rows: int = 200_000, cols: int = 30) -> bytes:
    """The same small cell over and over, naming no reference (some generators write cells so):
    a few hundred kilobytes that inflate to about 16 bytes a cell (96 MB by default)."""
    out = io.BytesIO()
    block = (b"<row>" + b"<c><v>7</v></c>" * cols + b"</row>") * 1000
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for _ in range(rows // 1000):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def lying_about_size(data: bytes, entry: str, size: int) -> bytes:
    """The archive with `entry` declaring `size` bytes once inflated (in its local header and
    the central directory) whatever it really holds: a zip that lies about its size."""
    import struct

    data = bytearray(data)
    name = entry.encode()
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        local = archive.getinfo(entry).header_offset
        central = archive.start_dir
    assert data[local + 30 : local + 30 + len(name)] == name
    data[local + 22 : local + 26] = struct.pack("<I", size)
    while True:
        length = struct.unpack("<H", data[central + 28 : central + 30])[0]
        if data[central + 46 : central + 46 + length] == name:
            data[central + 24 : central + 28] = struct.pack("<I", size)
            return bytes(data)
        extra, comment = struct.unpack("<HH", data[central + 30 : central + 34])
        central += 46 + length + extra + comment


def long_text_xlsx(rows: int = 5500, length: int = 10_000) -> bytes:
    """One cell a row holding the same long text: about `length` bytes a row once inflated,
    compressing several hundred times."""
    out = io.BytesIO()
    text = "整改" * (length // 6)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, part in _PARTS.items():
            archive.writestr(name, part)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
                b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            for r in range(1, rows + 1):
                cell = f'<c r="A{r}" t="inlineStr"><is><t>{text}</t></is></c>'
                sheet.write(f'<row r="{r}">{cell}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def sheet_xlsx(rows_xml: str, root: str = "worksheet", prefix: str = "") -> bytes:
    """A one-sheet workbook whose sheetData holds `rows_xml` as given (`prefix`: the elements'
    namespace prefix, e.g. "x:")."""
    ns = f"xmlns{':' + prefix[:-1] if prefix else ''}"
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><{prefix}{root} {ns}="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main"><{prefix}sheetData>{rows_xml}'
        f"</{prefix}sheetData></{prefix}{root}>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in _PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    return out.getvalue()
