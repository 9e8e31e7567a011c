"""Re-importing a ledger: the importer skips problems the file leaves as they are without reading
their rows (a fingerprint of the compared columns), and compares the others in full. What an
office sees must not depend on which way a problem went: exactly the edited rows change, each
with its history, and nothing else does."""

import pytest

from luoshi.ledger_io import importer
from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification.models import LedgerEvent, Measure, Problem, ProgressUpdate
from tests.ledger_io.builders import sheet_of

pytestmark = pytest.mark.django_db

HEADER = ["序号", "存在问题", "整改措施", "整改时限", "责任人", "整改进展"]


def rows(n: int) -> list[list]:
    return [
        [k, f"问题{k}", f"措施{k}", "2030年12月底前", f"责任人{k}", f"进展{k}" if k % 2 else ""]
        for k in range(1, n + 1)
    ]


def run(liaison, org, table):
    result = import_ledger(actor=liaison, data=sheet_of(HEADER, table), name="台账.xlsx", org=org)
    assert result.errors == [], result.errors
    return result


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr("luoshi.ledger_io.importer.BATCH", 3)


def test_a_few_edited_rows_write_exactly_their_history(tree, campaign, liaison, small_batches):
    table = rows(12)
    run(liaison, tree.county_a, table)
    before = set(LedgerEvent.objects.values_list("id", flat=True))
    table[1][2] = "措施2（已细化）"  # content
    table[6][4] = "另一位责任人"  # owner
    table[10][5] = "进展11（已完成一半）"  # progress text: a new progress update
    result = run(liaison, tree.county_a, table)
    assert (result.created_problems, result.created_measures) == (0, 0)
    assert (result.updated_problems, result.updated_measures) == (0, 2)
    assert result.progress_added == 1
    new = LedgerEvent.objects.exclude(id__in=before)
    assert sorted(new.values_list("action", "problem__title")) == [
        ("measure_imported", "问题2"),
        ("measure_imported", "问题7"),
        ("progress_imported", "问题11"),
    ]
    assert Measure.objects.get(problem__title="问题2").content == "措施2（已细化）"
    assert Measure.objects.get(problem__title="问题7").owner_name == "另一位责任人"
    assert ProgressUpdate.objects.filter(text="进展11（已完成一半）").count() == 1
    assert Problem.objects.count() == 12


def test_edited_measures_move_on_one_version_each_whatever_columns_change(tree, campaign, liaison):
    # The changed measures of a batch are written together, grouped by the columns changed:
    # each gets exactly its own columns and one version more; the others stay as they were.
    table = rows(6)
    run(liaison, tree.county_a, table)
    before = {m.problem.title: m for m in Measure.objects.select_related("problem")}
    table[0][2] = "措施1（改）"
    table[2][2], table[2][4] = "措施3（改）", "新责任人3"
    table[4][4] = "新责任人5"
    result = run(liaison, tree.county_a, table)
    assert result.updated_measures == 3
    after = {m.problem.title: m for m in Measure.objects.select_related("problem")}
    wanted = {
        "问题1": ("措施1（改）", "责任人1"),
        "问题3": ("措施3（改）", "新责任人3"),
        "问题5": ("措施5", "新责任人5"),
    }
    for title, m in after.items():
        old = before[title]
        if title in wanted:
            assert (m.content, m.owner_name) == wanted[title]
            assert m.version == old.version + 1 and m.updated_at > old.updated_at
        else:
            assert (m.content, m.owner_name, m.version) == (
                old.content,
                old.owner_name,
                old.version,
            )


def test_what_the_rules_do_not_count_as_a_change_is_not_one(tree, campaign, liaison, small_batches):
    """Stored problems that differ from the file only where the file does not speak (a
    progress report made in the system since, an empty progress cell) are left alone, without
    history."""
    table = rows(6)
    run(liaison, tree.county_a, table)
    measure = Measure.objects.get(problem__title="问题2")  # its progress cell is empty
    ProgressUpdate.objects.create(
        org_id=measure.org_id,
        org_path=measure.org_path,
        measure=measure,
        text="系统中填报的进展",
        progress=50,
    )
    table[2][5] = ""  # 问题3's progress (stored: 进展3) left out of the file this time
    events, updates = LedgerEvent.objects.count(), ProgressUpdate.objects.count()
    again = run(liaison, tree.county_a, table)
    assert again.changes == 0
    assert LedgerEvent.objects.count() == events
    assert ProgressUpdate.objects.count() == updates
    assert measure.updates.order_by("-created_at", "-id").first().text == "系统中填报的进展"


def test_problems_whose_keys_share_a_hash_are_found_by_their_key(
    tree, campaign, liaison, small_batches, monkeypatch
):
    """Two stored problems whose keys hash alike are looked up by the key itself: the file's
    problems still match the stored ones, nothing is created twice, edits still land."""
    table = rows(5)
    table[3][1] = "问题1"  # the same wording twice: the second is the second stored one
    run(liaison, tree.county_a, table)
    read = importer._index_existing
    monkeypatch.setattr(
        importer,
        "_index_existing",
        lambda campaign, org: dict.fromkeys(read(campaign, org), importer.COLLIDED),
    )
    table[3][2] = "措施4（已细化）"
    result = run(liaison, tree.county_a, table)
    assert (result.created_problems, result.updated_measures) == (0, 1)
    first, second = Problem.objects.filter(title="问题1").order_by("id")
    assert first.measures.get().content == "措施1"
    assert second.measures.get().content == "措施4（已细化）"
    assert Problem.objects.count() == 5


def test_an_unchanged_file_reads_no_stored_problem_in_full(tree, campaign, liaison, monkeypatch):
    """The fingerprints of the file and of the stored rows agree (progress texts in Chinese with
    punctuation included), so a file that changes nothing sends no problem to the full
    comparison; one edited progress text sends its own."""
    table = rows(8)
    table[2][5] = "进展3：已完成 60%，“回头看”中"
    run(liaison, tree.county_a, table)
    compared: list[str] = []
    real = importer._existing

    def recording(candidates):
        compared.extend(p.title for p, _ in candidates)
        return real(candidates)

    monkeypatch.setattr(importer, "_existing", recording)
    assert run(liaison, tree.county_a, table).changes == 0
    assert compared == []
    table[4][5] = "进展5（新）"
    assert run(liaison, tree.county_a, table).progress_added == 1
    assert compared == ["问题5"]


def test_a_moved_deadline_of_a_measure_not_yet_under_way_is_written_with_its_kind(
    tree, campaign, liaison
):
    # The deadline's three columns (kind, date, 长期坚持) change together, as the file says.
    table = rows(3)
    run(liaison, tree.county_a, table)
    table[0][3] = "2031年6月30日前完成，并长期坚持"
    table[1][3] = "长期坚持"
    result = run(liaison, tree.county_a, table)
    assert result.updated_measures == 2
    first, second, third = Measure.objects.order_by("problem__number")
    assert (str(first.due_on), first.long_term) == ("2031-06-30", True)
    assert (second.due_on, second.deadline_kind) == (None, "ongoing")
    assert (str(third.due_on), third.long_term, third.version) == ("2030-12-31", False, 1)
