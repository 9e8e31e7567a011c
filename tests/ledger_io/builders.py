"""Ledgers in the messy shapes offices really send, built with openpyxl."""

import io
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
