"""The columns no roll-up counts (rollups.UNCOUNTED_*): a write that changes only these needs no
recount. Each is changed behind every roll-up's back and every roll-up still equals a direct
count; and the importer recounts only when a counted column changed, marking the cached pages
either way."""

import pytest

from luoshi.core import versions
from luoshi.core.registry import ROLLUPS
from luoshi.ledger_io import importer
from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification.models import Measure, Problem
from luoshi.rectification.rollups import UNCOUNTED_MEASURE_FIELDS, UNCOUNTED_PROBLEM_FIELDS
from tests.ledger_io.builders import sheet_of

pytestmark = pytest.mark.django_db

HEADER = ["序号", "存在问题", "整改措施", "整改时限", "责任领导", "责任人", "整改进展"]


def table(n: int = 6) -> list[list]:
    return [
        [k, f"问题{k}", f"措施{k}", "2030年12月底前", f"领导{k}", f"责任人{k}", f"进展{k}"]
        for k in range(1, n + 1)
    ]


def run(liaison, org, rows):
    result = import_ledger(actor=liaison, data=sheet_of(HEADER, rows), name="台账.xlsx", org=org)
    assert result.errors == [], result.errors
    return result


def drift() -> list[str]:
    return [line for rollup in ROLLUPS for line in rollup.drift()]


@pytest.mark.parametrize(
    ("model", "field"),
    [(Problem, f) for f in sorted(UNCOUNTED_PROBLEM_FIELDS)]
    + [(Measure, f) for f in sorted(UNCOUNTED_MEASURE_FIELDS)],
)
def test_no_roll_up_counts_an_uncounted_column(tree, campaign, liaison, model, field):
    run(liaison, tree.county_a, table())
    assert drift() == []
    model.objects.update(**{field: "改过的文字"})  # behind every roll-up's back
    assert drift() == []


@pytest.fixture
def recounts(monkeypatch):
    calls: list[set] = []
    real = importer.refresh_ledger_tallies

    def recording(org_ids, paths=None):
        calls.append(set(org_ids))
        return real(org_ids, paths=paths)

    monkeypatch.setattr(importer, "refresh_ledger_tallies", recording)
    return calls


@pytest.fixture
def marks(monkeypatch):
    marked: list[str] = []
    real = versions.changed

    def recording(paths):
        paths = list(paths)
        marked.extend(paths)
        return real(paths)

    monkeypatch.setattr(versions, "changed", recording)
    return marked


def test_a_reimport_editing_only_wordings_recounts_nothing_and_marks_the_pages(
    tree, campaign, liaison, recounts, marks
):
    rows = table()
    run(liaison, tree.county_a, rows)
    recounts.clear(), marks.clear()
    rows[0][2] = "措施1（已细化）"  # content
    rows[1][5] = "另一位责任人"  # owner
    rows[2][4] = "另一位领导"  # the problem's responsible leaders
    rows[3][6] = "进展4（过半）"  # a new progress text
    result = run(liaison, tree.county_a, rows)
    assert (result.updated_problems, result.updated_measures, result.progress_added) == (1, 2, 1)
    assert recounts == []
    assert tree.county_a.path in marks  # the pages that show the rows are new
    assert drift() == []


def test_a_reimport_moving_a_deadline_recounts_its_organisation(tree, campaign, liaison, recounts):
    rows = table()
    run(liaison, tree.county_a, rows)
    recounts.clear()
    rows[0][3] = "2031年6月底前"
    result = run(liaison, tree.county_a, rows)
    assert result.updated_measures == 1
    assert recounts == [{tree.county_a.pk}]
    assert drift() == []
