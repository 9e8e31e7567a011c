"""Ledgers as offices really keep them (issue 22, "Real ledgers"): personal sheets naming the
person under 责任领导 or 责任人, sheets without merged cells, a numbered row without its problem,
compound deadlines."""

from datetime import date

import pytest

from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification.models import Measure, Problem
from tests.ledger_io.builders import (
    personal_ledger_naming_the_person_under,
    repeated_problem_rows,
    sheet_of,
    simple_ledger,
)
from tests.ledger_io.test_roundtrip import _export

pytestmark = pytest.mark.django_db


def run(actor, org, data, name="台账.xlsx", **kw):
    return import_ledger(actor=actor, data=data, name=name, org=org, **kw)


@pytest.mark.parametrize("column", ["责任领导", "责任人"])
def test_personal_sheet_naming_the_person_under_a_responsibility_column_is_read(
    tree, campaign, liaison, column
):
    result = run(liaison, tree.county_a, personal_ledger_naming_the_person_under(column))
    assert result.errors == [], result.errors
    problems = {p.person_name: p for p in Problem.objects.all()}
    assert set(problems) == {"张三", "李四"}
    assert {p.level for p in problems.values()} == {"personal"}
    assert problems["张三"].title == "理论学习不够系统"
    again = run(liaison, tree.county_a, personal_ledger_naming_the_person_under(column))
    assert again.errors == [] and again.changes == 0


def test_personal_row_without_the_person_names_the_column_it_was_read_from(tree, campaign, liaison):
    data = sheet_of(
        ["序号", "存在问题", "整改措施", "责任领导", "整改时限"],
        [(1, "理论学习不够系统", "每周自学", "", "2023年12月底前")],
        sheet="个人问题",
    )
    result = run(liaison, tree.county_a, data)
    assert [(e.row, e.column) for e in result.errors] == [(2, "D")]
    assert not Problem.objects.exists()


def test_problem_repeated_on_each_measure_row_is_one_problem(tree, campaign, liaison):
    result = run(liaison, tree.county_a, simple_ledger(repeated_problem_rows()))
    assert result.errors == [], result.errors
    assert (result.problems, result.measures) == (2, 3)
    first = Problem.objects.get(title="群众办事多头跑")
    assert list(first.measures.order_by("number").values_list("content", flat=True)) == [
        "推行“一窗受理”",
        "压缩审批时限一半",
    ]
    again = run(liaison, tree.county_a, simple_ledger(repeated_problem_rows()))
    assert again.errors == [] and again.changes == 0


def test_csv_repeating_the_problem_on_each_measure_row_is_one_problem(tree, campaign, liaison):
    text = (
        "序号,存在问题,整改措施,整改时限\n"
        "1,学习不深入,每周学习,2023年12月底前\n"
        "1,学习不深入,每月研讨,2024年3月底前\n"
        "2,学习不深入,撰写心得,长期坚持\n"
    )
    result = run(liaison, tree.county_a, text.encode("gb18030"), name="台账.csv")
    assert result.errors == [], result.errors
    # the same 序号 and the same problem: one; another 序号 with the same wording: another
    problems = list(Problem.objects.order_by("id"))
    assert [p.measures.count() for p in problems] == [2, 1]


def test_a_numbered_row_with_a_measure_but_no_problem_is_an_error_naming_the_row(
    tree, campaign, liaison
):
    rows = [
        (1, "群众办事多头跑", "推行“一窗受理”", "2023年12月底前", ""),
        (2, "", "压缩审批时限一半", "2024年3月底前", ""),
        (None, "", "建立回访制度", "长期坚持", ""),  # no 序号: a further measure, as before
    ]
    result = run(liaison, tree.county_a, simple_ledger(rows))
    assert [(e.sheet, e.row, e.column) for e in result.errors] == [("班子问题", 3, "B")]
    assert "序号“2”" in result.errors[0].message and "存在问题" in result.errors[0].message
    assert not Problem.objects.exists() and not Measure.objects.exists()


def test_compound_deadlines_keep_the_date_and_the_long_term(tree, campaign, liaison):
    rows = [
        (1, "问题一", "措施一", "2019年12月底前完成，并长期坚持", ""),
        (2, "问题二", "措施二", "立行立改并长期坚持", ""),
        (3, "问题三", "措施三", "2024年6月底前", ""),
    ]
    result = run(liaison, tree.county_a, simple_ledger(rows))
    assert result.errors == [], result.errors
    got = {m.content: (m.deadline_kind, m.due_on, m.long_term) for m in Measure.objects.all()}
    assert got["措施一"] == ("date", date(2019, 12, 31), True)
    assert got["措施二"][0] == "immediate" and got["措施二"][1] is not None and got["措施二"][2]
    assert got["措施三"] == ("date", date(2024, 6, 30), False)


def test_compound_deadlines_survive_export_then_import(tree, campaign, liaison):
    rows = [
        (1, "问题一", "措施一", "2019年12月底前完成，并长期坚持", ""),
        (2, "问题二", "措施二", "立行立改并长期坚持", ""),
    ]
    run(liaison, tree.county_a, simple_ledger(rows))
    before = sorted(Measure.objects.values_list("content", "deadline_kind", "due_on", "long_term"))
    exported = _export(liaison, tree.county_a, campaign)
    again = run(liaison, tree.county_a, exported, name="导出.xlsx", campaign=campaign)
    assert again.errors == [] and again.changes == 0, again.as_json()
    after = sorted(Measure.objects.values_list("content", "deadline_kind", "due_on", "long_term"))
    assert after == before
    # and a date-only deadline edited to the compound one is a change, with its history
    rows[0] = (1, "问题一", "措施一", "2019年12月底前", "")
    edited = run(liaison, tree.county_a, simple_ledger(rows))
    assert edited.updated_measures == 1
    assert not Measure.objects.get(content="措施一").long_term
