"""What luoshi exports, it imports back unchanged; exports are laid out and formula-safe."""

import io
from datetime import date

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from luoshi.ledger_io.importer import import_ledger
from luoshi.ledger_io.services import export_ledger
from luoshi.ledger_io.workbook import read_workbook
from luoshi.rectification import services
from luoshi.rectification.models import Measure, Problem
from luoshi.rectification.selectors import LedgerFilter

pytestmark = pytest.mark.django_db

TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x00"
    ),
    min_size=1,
    max_size=60,
).filter(str.strip)
HOSTILE = st.sampled_from(
    ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tTAB", "\rCR", "＝全角", '=HYPERLINK("http://x")', "0123"]
)
DEADLINE = st.one_of(
    st.tuples(st.just("date"), st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.booleans()),
    st.tuples(st.just("immediate"), st.none(), st.booleans()),
    st.tuples(st.just("ongoing"), st.none(), st.just(False)),
)  # kind, date, and whether it is also 长期坚持 ("…前完成，并长期坚持", "立行立改并长期坚持")


def _export(user, org, campaign) -> bytes:
    out = io.BytesIO()
    export_ledger(
        user=user,
        ledger_filter=LedgerFilter(org_path=org.path, campaign_id=campaign.pk),
        target=out,
        title="问题整改台账",
        unit=org.name,
    )
    return out.getvalue()


def _snapshot():
    problems = sorted(
        Problem.objects.values_list(
            "org_id",
            "level",
            "person_name",
            "title",
            "source_id",
            "category_id",
            "responsible_leaders",
            "responsible_units",
            "version",
        )
    )
    measures = sorted(
        Measure.objects.values_list(
            "problem__title",
            "number",
            "content",
            "deadline_kind",
            "due_on",
            "long_term",
            "owner_name",
            "version",
        )
    )
    return problems, measures


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            st.one_of(TEXT, HOSTILE),
            st.booleans(),
            st.lists(st.tuples(st.one_of(TEXT, HOSTILE), DEADLINE, TEXT), min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_export_then_import_changes_nothing(tree, campaign, liaison, problems):
    with transaction.atomic():
        for title, personal, measures in problems:
            p = services.create_problem(
                actor=liaison,
                org=tree.branch_a1 if personal else tree.county_a,
                campaign=campaign,
                title=title,
                level="personal" if personal else "team",
                person_name="张三" if personal else "",
                responsible_leaders="李四、王五",
                source=campaign.sources.first(),
            )
            for content, (kind, due, long_term), owner in measures:
                m = services.add_measure(
                    actor=liaison,
                    problem=p,
                    content=content,
                    deadline_kind=kind,
                    due_on=due,
                    owner_name=owner,
                )
                Measure.objects.filter(pk=m.pk).update(long_term=long_term)
        before = _snapshot()
        data = _export(liaison, tree.county_a, campaign)
        result = import_ledger(
            actor=liaison, data=data, name="导出.xlsx", org=tree.county_a, campaign=campaign
        )
        assert result.errors == [], result.errors
        assert result.problems == len(problems)
        assert result.measures == sum(len(m) for _, _, m in problems)
        assert result.changes == 0, result.as_json()
        assert _snapshot() == before
        transaction.set_rollback(True)


def test_export_layout_title_header_merges_and_print_setup(tree, campaign, liaison):
    p = services.create_problem(
        actor=liaison,
        org=tree.county_a,
        campaign=campaign,
        title="群众办事多头跑",
        responsible_leaders="张三",
    )
    for content in ("措施一", "措施二", "措施三"):
        services.add_measure(actor=liaison, problem=p, content=content, deadline_kind="ongoing")
    ws = load_workbook(io.BytesIO(_export(liaison, tree.county_a, campaign)))["班子问题"]
    assert "问题整改台账" in ws["A1"].value and "填报单位" in ws["A2"].value
    assert ws["A3"].value == "序号" and ws["H3"].value == "责任主体"
    assert [ws["H4"].value, ws["I4"].value, ws["J4"].value] == ["责任领导", "责任单位", "责任人"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "H3:J3", "D5:D7"} <= merged
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows == "$3:$4"
    assert ws["D5"].alignment.wrap_text


def test_text_that_looks_like_a_formula_is_shown_not_run_and_numbers_stay_numbers(
    tree, campaign, liaison
):
    hostile = ["=1+1", "+1", "-1", "@SUM(A1)", "=1\t2", "=1\r", "＝1", "=cmd|' /C calc'!A0"]
    for i, text in enumerate(hostile):
        p = services.create_problem(
            actor=liaison, org=tree.county_a, campaign=campaign, title=text, number=str(i + 1)
        )
        services.add_measure(actor=liaison, problem=p, content=text, deadline_kind="ongoing")
    hostile = list(Problem.objects.order_by("id").values_list("title", flat=True))
    data = _export(liaison, tree.county_a, campaign)
    ws = load_workbook(io.BytesIO(data))["班子问题"]
    titles = [ws.cell(r, 4) for r in range(5, 5 + len(hostile))]
    assert [c.value for c in titles] == hostile
    assert all(c.data_type == "s" for c in titles)
    assert ws.cell(5, 1).data_type == "n" and ws.cell(5, 1).value == 1
    sheet = read_workbook(data, "x.xlsx")[0]
    assert [sheet.value(r, 3) for r in range(4, 4 + len(hostile))] == hostile


def test_export_is_scoped_to_the_user(tree, campaign, liaison):
    from tests.factories import user_with

    services.create_problem(actor=liaison, org=tree.county_a, campaign=campaign, title="甲的问题")
    other = user_with(tree.county_b, "liaison", username="b_liaison")
    data = _export(other, tree.county_b, campaign)
    assert "甲的问题" not in str(read_workbook(data, "x.xlsx")[0].rows)


def test_a_problem_without_measures_yet_exports_and_imports_back_unchanged(tree, campaign, liaison):
    """A problem with no measure yet (无措施: a finding passed up, an opinion taken in) is
    exported with its measure cell empty; importing that export changes nothing and refuses
    nothing, while a new problem without a measure is still refused by its row."""
    done = services.create_problem(
        actor=liaison, org=tree.county_a, campaign=campaign, title="已有措施的问题"
    )
    services.add_measure(
        actor=liaison, problem=done, content="措施一", deadline_kind="ongoing", due_on=None
    )
    services.create_problem(
        actor=liaison, org=tree.county_a, campaign=campaign, title="走访发现，措施待定"
    )
    before = _snapshot()
    data = _export(liaison, tree.county_a, campaign)
    result = import_ledger(
        actor=liaison, data=data, name="导出.xlsx", org=tree.county_a, campaign=campaign
    )
    assert result.errors == [], result.errors
    assert (result.problems, result.changes) == (2, 0)
    assert _snapshot() == before

    Problem.objects.filter(title="走访发现，措施待定").delete()
    refused = import_ledger(
        actor=liaison, data=data, name="导出.xlsx", org=tree.county_a, campaign=campaign
    )
    assert [e.message for e in refused.errors] == ["该问题没有可读取的整改措施"]
    assert _snapshot()[0] == [p for p in before[0] if p[3] != "走访发现，措施待定"]
