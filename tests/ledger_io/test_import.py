"""Importing the ledgers offices keep: messy shapes read right, broken ones refused whole."""

import io
import json
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification.models import LedgerEvent, Measure, Problem, today
from tests.ledger_io.builders import broken_ledger, messy_ledger, simple_ledger

pytestmark = pytest.mark.django_db


def run(actor, org, data, name="台账.xlsx", **kw):
    return import_ledger(actor=actor, data=data, name=name, org=org, **kw)


def test_messy_ledger_is_read_the_way_the_office_meant_it(tree, campaign, liaison):
    result = run(liaison, tree.county_a, messy_ledger())
    assert result.errors == [], result.errors
    assert (result.problems, result.measures) == (6, 12)
    team = {p.title: p for p in Problem.objects.filter(level="team")}
    assert set(team) == {"群众办事多头跑", "攻坚克难劲头不足", "调查研究不深入", "会议文件过多"}
    first = team["群众办事多头跑"]
    assert first.responsible_leaders == "张三、李四"
    assert first.responsible_units == "政务服务局"
    assert first.source.name == "征求意见"
    assert first.category.name == "在服务群众上存在差距"
    assert team["攻坚克难劲头不足"].category.name == "在担当作为上存在差距"
    measures = list(
        first.measures.order_by("number").values_list("content", "deadline_kind", "due_on")
    )
    assert measures == [
        ("推行“一窗受理”", "date", date(2023, 12, 31)),
        ("压缩审批时限一半", "date", date(2024, 3, 31)),
        ("建立办事回访制度", "ongoing", None),
    ]
    assert list(team["攻坚克难劲头不足"].measures.values_list("content", flat=True)) == [
        "制定重点难点工作清单",
        "实行挂图作战",
        "每月调度一次",
    ]
    assert team["调查研究不深入"].measures.first().due_on == date(2024, 1, 31)
    immediate = team["会议文件过多"].measures.get()
    assert immediate.deadline_kind == "immediate"
    assert immediate.due_on == today() + timedelta(days=10)
    personal = {p.person_name: p for p in Problem.objects.filter(level="personal")}
    assert set(personal) == {"张三", "李四"}
    assert personal["张三"].measures.count() == 2
    assert personal["李四"].measures.get().due_on == date(2020, 1, 31)
    assert LedgerEvent.objects.filter(action="problem_imported").count() == 6


def test_importing_the_same_file_again_changes_nothing(tree, campaign, liaison):
    run(liaison, tree.county_a, messy_ledger())
    events = LedgerEvent.objects.count()
    again = run(liaison, tree.county_a, messy_ledger())
    assert again.errors == [] and again.changes == 0
    assert LedgerEvent.objects.count() == events
    assert Problem.objects.count() == 6 and Measure.objects.count() == 12


def test_an_edited_file_changes_exactly_what_was_edited(tree, campaign, liaison):
    rows = [
        (1, "问题一", "措施一", "2023年12月底前", "张三"),
        (2, "问题二", "措施二", "长期坚持", "李四"),
    ]
    run(liaison, tree.county_a, simple_ledger(rows))
    edited = [
        (1, "问题一", "措施一", "2024年6月底前", "张三"),
        (2, "问题二", "措施二", "长期坚持", "李四、王五"),
        (3, "问题三", "措施三", "立行立改", ""),
    ]
    result = run(liaison, tree.county_a, simple_ledger(edited))
    assert (result.updated_problems, result.updated_measures, result.created_problems) == (1, 1, 1)
    one = Measure.objects.get(problem__title="问题一")
    assert one.due_on == date(2024, 6, 30)
    assert Problem.objects.get(title="问题二").responsible_leaders == "李四、王五"
    event = LedgerEvent.objects.get(
        action="measure_imported", measure=one, before__has_key="due_on"
    )
    assert event.before == {"due_on": "2023-12-31"} and event.after == {"due_on": "2024-06-30"}


def test_broken_ledger_reports_every_defect_and_writes_nothing(tree, campaign, liaison):
    result = run(liaison, tree.county_a, broken_ledger())
    where = {(e.row, e.column) for e in result.errors}
    assert {(2, "D"), (3, "C"), (4, "E"), (5, "D"), (6, "F")} <= where, result.errors
    assert all(e.sheet == "问题清单" for e in result.errors)
    assert "下个月" in next(e.message for e in result.errors if e.row == 2)
    assert not Problem.objects.exists() and not LedgerEvent.objects.exists()


def test_one_bad_row_among_good_ones_writes_nothing(tree, campaign, liaison):
    rows = [(1, "问题一", "措施一", "2023年12月底前", ""), (2, "问题二", "措施二", "过几天", "")]
    result = run(liaison, tree.county_a, simple_ledger(rows))
    assert [(e.row, e.column) for e in result.errors] == [(3, "D")]
    assert not Problem.objects.exists()


def test_dry_run_writes_nothing(tree, campaign, liaison):
    result = run(liaison, tree.county_a, messy_ledger(), dry_run=True)
    assert result.errors == [] and result.created_problems == 6
    assert not Problem.objects.exists() and not result.written


def test_import_outside_the_users_subtree_is_refused(tree, campaign, liaison):
    result = run(liaison, tree.county_b, messy_ledger())
    assert result.errors and "无权" in result.errors[0].message
    assert not Problem.objects.exists()


def test_csv_in_gbk_is_read(tree, campaign, liaison):
    text = "序号,存在问题,整改措施,整改时限\n1,学习不深入,每周学习,2023年12月底前\n"
    result = run(liaison, tree.county_a, text.encode("gb18030"), name="台账.csv")
    assert result.errors == [] and Problem.objects.get().title == "学习不深入"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00" + b"\x00" * 100, "台账.xlsx", "不是 .xlsx"),
        (b"PK\x03\x04garbage", "台账.xlsx", "损坏"),
        (b"%PDF-1.4", "台账.pdf", "不支持"),
        (b"", "台账.xlsx", "空文件"),
    ],
)
def test_files_that_are_not_ledgers_are_refused_with_a_reason(
    tree, campaign, liaison, data, name, message
):
    result = run(liaison, tree.county_a, data, name=name)
    assert message in result.errors[0].message
    assert not Problem.objects.exists()


def test_zip_bomb_is_refused_before_parsing(tree, campaign, liaison):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (310 * 1024 * 1024))
    result = run(liaison, tree.county_a, buf.getvalue())
    assert "解压后过大：超过 50 MB 的上限" in result.errors[0].message


def test_command_prints_json_only_and_exits_non_zero_on_errors(tree, campaign, tmp_path, capsys):
    path = tmp_path / "坏台账.xlsx"
    path.write_bytes(broken_ledger())
    report = tmp_path / "report.xlsx"
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import-ledger",
            str(path),
            "--org",
            tree.county_a.code,
            "--json",
            "--report",
            str(report),
        )
    assert exit_info.value.code == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["problems"] == 5 and len(payload["errors"]) >= 5
    assert set(payload["errors"][0]) == {"sheet", "row", "column", "message"}
    ws = load_workbook(report)["问题清单"]
    assert ws["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "下个月" in ws["D2"].comment.text
    assert not Problem.objects.exists()


def test_command_imports_and_reimports_with_zero_changes(tree, campaign, tmp_path, capsys):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(messy_ledger())
    call_command("import-ledger", str(path), "--org", tree.county_a.code, "--json")
    first = json.loads(capsys.readouterr().out)
    call_command("import-ledger", str(path), "--org", tree.county_a.code, "--json")
    second = json.loads(capsys.readouterr().out)
    assert first["created"] == {"problems": 6, "measures": 12}
    assert second["created"] == {"problems": 0, "measures": 0}
    assert second["updated"] == {"problems": 0, "measures": 0}


@pytest.fixture
def small_batches(monkeypatch):
    """Files are read, checked and written a batch of problems at a time: two problems a batch
    here, so that these small ledgers span several batches as a big one does."""
    monkeypatch.setattr("luoshi.ledger_io.importer.BATCH", 2)


def test_a_ledger_over_several_batches_is_read_as_one(tree, campaign, liaison, small_batches):
    result = run(liaison, tree.county_a, messy_ledger())
    assert result.errors == [], result.errors
    assert (result.created_problems, result.created_measures) == (6, 12)
    assert Problem.objects.count() == 6 and Measure.objects.count() == 12
    again = run(liaison, tree.county_a, messy_ledger())
    assert again.errors == [] and again.changes == 0


def test_an_error_in_a_late_batch_leaves_the_early_batches_unwritten(
    tree, campaign, liaison, small_batches
):
    rows = [(n, f"问题{n}", f"措施{n}", "2023年12月底前", "") for n in range(1, 8)]
    rows[4] = (5, "问题5", "措施5", "过几天", "")  # row 6, the third batch
    rows[6] = (7, "问题7", "措施7", "", "")  # row 8, the fourth
    result = run(liaison, tree.county_a, simple_ledger(rows))
    assert [(e.row, e.column) for e in result.errors] == [(6, "D"), (8, "D")]
    assert (result.created_problems, result.created_measures, result.written) == (0, 0, False)
    assert not Problem.objects.exists() and not Measure.objects.exists()
    assert not LedgerEvent.objects.exists()


def test_the_same_wording_twice_matches_the_stored_ones_in_order_across_batches(
    tree, campaign, liaison, small_batches
):
    rows = [
        (1, "会议过多", "精简会议", "2023年12月底前", ""),
        (2, "问题二", "措施二", "长期坚持", ""),
        (3, "问题三", "措施三", "长期坚持", ""),
        (4, "会议过多", "压缩文件", "2024年3月底前", ""),
    ]
    run(liaison, tree.county_a, simple_ledger(rows))
    rows[3] = (4, "会议过多", "压缩文件", "2024年6月底前", "")
    again = run(liaison, tree.county_a, simple_ledger(rows))
    assert (again.created_problems, again.updated_measures) == (0, 1)
    first, second = Problem.objects.filter(title="会议过多").order_by("id")
    assert first.measures.get().due_on == date(2023, 12, 31)
    assert second.measures.get().due_on == date(2024, 6, 30)


def test_responsible_units_are_linked_in_every_batch(tree, campaign, liaison, small_batches):
    """A 责任单位 name looked up in one batch links the problems of later batches too."""
    book = Workbook()
    ws = book.active
    ws.title = "班子问题"
    ws.append(["序号", "存在问题", "整改措施", "整改时限", "责任单位"])
    units = [
        "甲一社区党支部",
        "甲一社区党支部、乙一村党支部",
        "不存在的单位",
        "甲一社区党支部，甲二社区党支部",
        "乙一村党支部",
    ]
    for n, names in enumerate(units, start=1):
        ws.append([n, f"问题{n}", f"措施{n}", "2024年12月底前", names])
    out = io.BytesIO()
    book.save(out)
    result = run(liaison, tree.county_a, out.getvalue())
    assert result.errors == [], result.errors
    linked = {
        p.title: {o.name for o in p.responsible_orgs.all()}
        for p in Problem.objects.prefetch_related("responsible_orgs")
    }
    assert linked == {
        "问题1": {"甲一社区党支部"},
        "问题2": {"甲一社区党支部", "乙一村党支部"},
        "问题3": set(),
        "问题4": {"甲一社区党支部", "甲二社区党支部"},
        "问题5": {"乙一村党支部"},
    }
