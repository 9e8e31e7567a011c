"""The ledger's roll-up (LedgerTally): one row per organisation and campaign counting its own
problems by status and its own measures by state, so that a subtree's ledger figures are a sum
over a path range. Overdue and the lights depend on the day and are counted on read from the open
measures' indexed deadlines. See core/rollups.py and docs/decisions.md."""

from collections.abc import Iterable
from functools import cache

from django.db import connection

from luoshi.core import tallies
from luoshi.core.rollups import recount
from luoshi.orgs.models import Organization
from luoshi.rectification import clock
from luoshi.rectification.models import LedgerTally, Measure, MeasureState, Problem, ProblemStatus

LOCK = 72  # the advisory-lock class of this roll-up

PROBLEM_COUNTS = {
    "problems": "",
    "problems_no_measures": f"status = '{ProblemStatus.NO_MEASURES.value}'",
    "problems_not_started": f"status = '{ProblemStatus.NOT_STARTED.value}'",
    "problems_in_progress": f"status = '{ProblemStatus.IN_PROGRESS.value}'",
    "problems_closed": f"status = '{ProblemStatus.CLOSED.value}'",
    "immediate": "immediate",
    "immediate_closed": f"immediate AND status = '{ProblemStatus.CLOSED.value}'",
}
MEASURE_COUNTS = {  # closed and closed on time as `clock` defines them
    "measures": "",
    "closed": lambda: clock.where_sql(clock.closed_q()),
    "closed_on_time": lambda: clock.where_sql(clock.closed_on_time_q()),
    "returned": f"state = '{MeasureState.RETURNED.value}'",
    "submitted": f"state = '{MeasureState.SUBMITTED.value}'",
}
COUNTS = [*PROBLEM_COUNTS, *MEASURE_COUNTS]


def _count(condition) -> str:
    condition = condition() if callable(condition) else condition
    return f"count(*) FILTER (WHERE {condition})" if condition else "count(*)"


@cache
def _sql_for(vendor: str) -> str:
    t, o = LedgerTally._meta.db_table, Organization._meta.db_table
    p, m = Problem._meta.db_table, Measure._meta.db_table
    problem_cols = [_count(c) for c in PROBLEM_COUNTS.values()] + ["0"] * len(MEASURE_COUNTS)
    measure_cols = ["0"] * len(PROBLEM_COUNTS) + [_count(c) for c in MEASURE_COUNTS.values()]
    named = ", ".join(f"{sql} AS {name}" for sql, name in zip(problem_cols, COUNTS, strict=True))
    return (
        f"INSERT INTO {t} (org_id, org_path, campaign_id, {', '.join(COUNTS)})"
        f" SELECT c.org_id, o.path, c.campaign_id, {', '.join(f'sum(c.{n})' for n in COUNTS)}"
        f" FROM (SELECT org_id, campaign_id, {named} FROM {p} WHERE {{only}}"
        " GROUP BY org_id, campaign_id"
        f" UNION ALL SELECT org_id, campaign_id, {', '.join(measure_cols)} FROM {m}"
        " WHERE {only} GROUP BY org_id, campaign_id) c"
        f" JOIN {o} o ON o.id = c.org_id"
        " GROUP BY c.org_id, o.path, c.campaign_id"
    )


def _sql() -> str:
    """The recount statement (compiled once per kind of database: the clock's conditions are
    compiled for it)."""
    return _sql_for(connection.vendor)


# The columns a write may change that no roll-up or tally of the ledger counts (the recount
# above; `rectification.tallies`: open measures by deadline, closures by day, the problem mix):
# a write that changes only these, or adds only a progress text, changes no figure and needs no
# recount, only a mark on the cached pages that show the rows (`core.versions.changed`). A
# re-import of a city ledger with a few hundred wordings edited recounted every county's
# tallies (1.2 s of 8 s, bench/excel.py). tests/ledger_io/test_uncounted.py changes
# each one and finds every roll-up still equal to a direct count.
UNCOUNTED_PROBLEM_FIELDS = frozenset({"responsible_leaders", "responsible_units", "number"})
UNCOUNTED_MEASURE_FIELDS = frozenset({"content", "owner_name"})


def refresh_ledger_tallies(org_ids: Iterable[int], paths: Iterable[str] | None = None) -> int:
    """Recount the roll-up rows of these organisations, in the writer's transaction (after any
    write that adds, removes or changes the state of their problems or measures), and their
    anchors' sums of them. `paths`: the organisations' paths (or their anchors) when the caller
    has them (an import across a city touches 4,000 organisations: looking them up by id cost
    0.05 s)."""
    org_ids = list(org_ids)
    written = recount(LedgerTally._meta.db_table, LOCK, _sql(), org_ids)
    if paths is None:
        paths = Organization.objects.filter(pk__in=org_ids).values_list("path", flat=True)
    paths = list(paths)
    from luoshi.rectification.tallies import CLOSURES, OPEN_DUE

    for topic in (SUMS, OPEN_DUE, CLOSURES):
        tallies.refresh(topic, paths)
    return written


# The anchored sums of LedgerTally per campaign (core/tallies.py), keyed "campaign id:count":
# what a node above the tally depth reads for each child.
SUMS = "ledger_sums"


def _sums_sql() -> str:
    t = LedgerTally._meta.db_table
    sums = ", ".join(f"sum({f}) AS {f}" for f in COUNTS)
    return (
        f"SELECT a, k, n FROM (WITH s AS (SELECT {{anchor}} AS a, campaign_id AS c, {sums}"
        f" FROM {t} WHERE {{where}} GROUP BY {{anchor}}, campaign_id) "
        + " UNION ALL ".join(f"SELECT a, c || ':{f}' AS k, {f} AS n FROM s" for f in COUNTS)
        + ") x"
    )


SUMS_TOPIC = tallies.Topic(SUMS, _sums_sql)


def rebuild_ledger_tallies() -> int:
    """Recount every roll-up row (after a seed; `luoshi rollups --rebuild`)."""
    return recount(LedgerTally._meta.db_table, LOCK, _sql(), None)


def ledger_tally_drift() -> list[str]:
    """Where the roll-up differs from a direct count of the rows (empty when it is exact),
    counted another way than the recount: grouped in the ORM, summed in Python. Also checks the
    measures' copy of their problem's campaign."""
    from django.db.models import Count, F

    from luoshi.orgs.rollups import _differences

    paths = dict(Organization.objects.values_list("pk", "path"))
    expected: dict = {}

    def row(org_id, campaign_id) -> dict:
        key = (org_id, campaign_id)
        if key not in expected:
            expected[key] = {"org_path": paths[org_id], **dict.fromkeys(COUNTS, 0)}
        return expected[key]

    for org_id, campaign_id, status, immediate, n in (
        Problem.objects.values_list("org_id", "campaign_id", "status", "immediate")
        .annotate(n=Count("id"))
        .order_by()
    ):
        r = row(org_id, campaign_id)
        r["problems"] += n
        r[f"problems_{status}"] += n
        if immediate:
            r["immediate"] += n
            r["immediate_closed"] += n if status == ProblemStatus.CLOSED else 0
    for org_id, campaign_id, state, was_overdue, extensions, n in (
        Measure.objects.values_list(
            "org_id", "problem__campaign_id", "state", "was_overdue", "extensions"
        )
        .annotate(n=Count("id"))
        .order_by()
    ):
        r = row(org_id, campaign_id)
        r["measures"] += n
        facts = clock.Facts(state=state, was_overdue=was_overdue, extensions=extensions)
        if clock.is_closed(facts):
            r["closed"] += n
        if state in (MeasureState.RETURNED, MeasureState.SUBMITTED):
            r[state] += n
        if clock.is_closed_on_time(facts):
            r["closed_on_time"] += n
    stored = {
        (r.pop("org_id"), r.pop("campaign_id")): r
        for r in LedgerTally.objects.values("org_id", "campaign_id", "org_path", *COUNTS)
    }
    found = _differences("ledger", expected, stored)
    wrong = Measure.objects.exclude(campaign_id=F("problem__campaign_id")).count()
    if wrong:
        found.append(f"ledger: {wrong} measures carry another campaign than their problem's")
    return found
