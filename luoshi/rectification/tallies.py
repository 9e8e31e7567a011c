"""The ledger's problem mix (core/tallies.py): per anchor, problems by campaign and source and by
campaign and category, for the dashboard's charts. (The ledger's own figures are kept per
organisation in LedgerTally, since the dashboard's table needs every child's.)"""

from datetime import date
from functools import cache, lru_cache

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from luoshi.core import tallies
from luoshi.rectification import clock
from luoshi.rectification.models import DeadlineKind, Light, Measure, MeasureState, Problem

TOPIC = "problem_mix"


def _sql() -> str:
    p = Problem._meta.db_table
    return " UNION ALL ".join(
        [
            "SELECT {anchor} AS a, 's:' || campaign_id || ':' || COALESCE(source_id, 0) AS k,"
            f" count(*) AS n FROM {p} WHERE {{where}} GROUP BY {{anchor}}, campaign_id, source_id",
            "SELECT {anchor}, 'c:' || campaign_id || ':' || COALESCE(category_id, 0), count(*)"
            f" FROM {p} WHERE {{where}} GROUP BY {{anchor}}, campaign_id, category_id",
        ]
    )


TOPIC_DEF = tallies.Topic(TOPIC, _sql)


def refresh(paths) -> None:
    """Recount the mix over these organisations' problems (in the writer's transaction, after
    problems are added, removed, or change source or category)."""
    tallies.refresh(TOPIC, paths)


def mix(path: str, campaign) -> tuple[dict[int | None, int], dict[int | None, int]]:
    """Problems of the subtree (in `campaign`, or every one when None) by source id and by
    category id (None: not given)."""
    sources: dict[int | None, int] = {}
    categories: dict[int | None, int] = {}
    for key, n in tallies.sums(TOPIC, path).items():
        kind, campaign_id, pk = key.split(":")
        if campaign is not None and int(campaign_id) != campaign.pk:
            continue
        into = sources if kind == "s" else categories
        pk = int(pk) or None
        into[pk] = into.get(pk, 0) + n
    return sources, categories


# The open measures by deadline, and the closures by day (core/tallies.py): what the lights,
# overdue and the weekly closures chart read above the tally depth. A day's figures come from
# these on read, by applying the clock's rules to each group of open measures (`day_figures`),
# so nothing stored depends on the date. The groups: the open measures whose light depends on
# the day, by campaign, deadline and was-overdue ("d:"); those whose light does not and that
# were once overdue (yellow whatever the day, "g:"); the rest are green.
OPEN_DUE = "open_due"
CLOSURES = "closures"


@cache
def _open_due_for(vendor: str) -> str:
    m = Measure._meta.db_table
    dated = clock.where_sql(clock.open_q() & clock.dated_q())
    undated = clock.where_sql(clock.open_q() & ~clock.dated_q() & Q(was_overdue=True))
    flag = "CASE WHEN was_overdue THEN 1 ELSE 0 END"
    return (
        f"SELECT {{anchor}} AS a, 'd:' || campaign_id || ':' || due_on || ':' || {flag} AS k,"
        f" count(*) AS n FROM {m} WHERE {{where}} AND {dated}"
        f" GROUP BY {{anchor}}, campaign_id, due_on, {flag}"
        " UNION ALL SELECT {anchor}, 'g:' || campaign_id, count(*)"
        f" FROM {m} WHERE {{where}} AND {undated} GROUP BY {{anchor}}, campaign_id"
    )


def _open_due_sql() -> str:
    return _open_due_for(connection.vendor)


def _local_day(column: str) -> str:
    """SQL for the local calendar day of a stored datetime, as 'YYYY-MM-DD'."""
    if connection.vendor == "postgresql":
        return f"to_char({column} AT TIME ZONE '{settings.TIME_ZONE}', 'YYYY-MM-DD')"
    # SQLite keeps UTC text; luoshi's zone (China Standard Time) has no daylight saving.
    minutes = int(timezone.localtime().utcoffset().total_seconds() // 60)
    return f"date({column}, '{minutes:+d} minutes')"


def _closures_sql() -> str:
    m = Measure._meta.db_table
    day = _local_day("closed_at")
    return (
        f"SELECT {{anchor}} AS a, 'c:' || campaign_id || ':' || {day} AS k, count(*) AS n"
        f" FROM {m} WHERE {{where}} AND state = '{MeasureState.CLOSED.value}'"
        f" AND closed_at IS NOT NULL GROUP BY {{anchor}}, campaign_id, {day}"
    )


OPEN_DUE_TOPIC = tallies.Topic(OPEN_DUE, _open_due_sql)
CLOSURES_TOPIC = tallies.Topic(CLOSURES, _closures_sql)


def day_figures(
    sums: dict[str, int], campaign, warning_days: int, on: date | None = None
) -> dict[str, int]:
    """From a region's `open_due` sums: its measures red on `on` (today) and red or yellow
    (`attention`) in `campaign` (every campaign when None), and overdue in every campaign
    (`overdue_all`): the clock's `light` applied to each group's deadline and flag."""
    on = on or timezone.localdate()
    red = attention = overdue_all = 0
    for key, n in sums.items():
        parts = key.split(":")
        ours = campaign is None or int(parts[1]) == campaign.pk
        light = _group_light(parts[0], *parts[2:], warning_days=warning_days, on=on)
        if light == Light.RED:
            overdue_all += n
            red += n if ours else 0
        if ours and light in (Light.RED, Light.YELLOW):
            attention += n
    return {"red": red, "attention": attention, "overdue_all": overdue_all}


@lru_cache(maxsize=8192)  # the same deadlines recur in every child's sums
def _group_light(kind: str, due: str = "", flag: str = "", *, warning_days: int, on: date) -> str:
    """The light of an `open_due` group: "d" with its deadline and was-overdue flag, or "g"."""
    if kind == "g":
        group = clock.Facts(deadline_kind=DeadlineKind.ONGOING, was_overdue=True)
    else:
        group = clock.Facts(due_on=date.fromisoformat(due), was_overdue=flag == "1")
    return clock.light(group, warning_days, on)


def closures_by_day(path: str, campaign, since: date) -> dict[date, int]:
    """Measures of the subtree closed on each local day from `since` on (in `campaign`, or every
    one when None)."""
    days: dict[date, int] = {}
    start = since.isoformat()
    for key, n in tallies.sums(CLOSURES, path).items():
        _, campaign_id, day = key.split(":")
        if day >= start and (campaign is None or int(campaign_id) == campaign.pk):
            on = date.fromisoformat(day)
            days[on] = days.get(on, 0) + n
    return days
