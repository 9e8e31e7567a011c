"""The ledger's clock: when a measure is open, overdue on a day, red, yellow or green on a day
(红黄绿灯, with its campaign's warning days), and closed on time (按期销号).

Each rule is written once, here, in the three forms its readers need, from the same constants
(the closed state, the ongoing kind) and the same comparisons:

- Q builders (`open_q`, `overdue_q`, `light_q`, `closed_on_time_q`, ...) for querysets and
  aggregates: `Measure.objects.overdue()` and the other `MeasureQuerySet` methods, the ledger's
  overdue filter, the dashboards' counts of the day, `measure_figures_as_of`;
- predicates on one measure (`is_open`, `is_overdue`, `light`, `is_closed_on_time`), for the
  pages and the API (`Measure.is_overdue`, `Measure.light_on`) and for the tallies' groups of
  open measures (`day_figures` applies `light` to each group's deadline and was-overdue flag);
- SQL conditions compiled from the Q builders (`where_sql`) for the raw roll-up and tally
  statements (`rectification/rollups.py`, `rectification/tallies.py`), which therefore say what
  the ORM says.

`tests/rectification/test_rules_agree.py` checks that all of them agree, for any measure on any
day, on SQLite and PostgreSQL.

Why a module of its own and not `rules.py` (the state machine): `rules.py` says who may take
which step and reads the accounts' roles; these rules are about the calendar and need nothing
above the ledger's models, while the models, the roll-ups, the tallies and the dashboards all
read them. A module that imports only the models keeps those lower layers from importing the
roles."""

from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from luoshi.rectification.models import DeadlineKind, Light, MeasureState, ProgressUpdate, today

CLOSED = MeasureState.CLOSED
ONGOING = DeadlineKind.ONGOING


def _f(prefix: str, name: str) -> str:
    return f"{prefix}{name}"


# --- Q builders ------------------------------------------------------------------------------
# `prefix` names the measure through a relation ("measures__"); `by` (an aware datetime) asks
# whether a measure was closed by then: closed now, and at or before `by` (a closed measure
# without a closing time counts as closed all along; reopening clears the time).


def closed_q(prefix: str = "", *, by: datetime | None = None) -> Q:
    """Closed (已销号); with `by`, closed by then."""
    q = Q(**{_f(prefix, "state"): CLOSED})
    if by is not None:
        q &= Q(**{_f(prefix, "closed_at__isnull"): True}) | Q(**{_f(prefix, "closed_at__lte"): by})
    return q


def open_q(prefix: str = "", *, by: datetime | None = None) -> Q:
    """Not closed (with `by`: not closed by then)."""
    return ~closed_q(prefix, by=by)


def dated_q(prefix: str = "") -> Q:
    """Measures whose light depends on the day: they have a deadline and are not 长期坚持."""
    return ~Q(**{_f(prefix, "deadline_kind"): ONGOING}) & Q(**{_f(prefix, "due_on__isnull"): False})


def late_q(prefix: str = "", *, on: date | None = None) -> Q:
    """Past the deadline on `on` (today), whether closed or not: dated and due before that day
    (a measure due on a day is on time all that day)."""
    on = on or today()
    return ~Q(**{_f(prefix, "deadline_kind"): ONGOING}) & Q(**{_f(prefix, "due_on__lt"): on})


def overdue_q(prefix: str = "", *, on: date | None = None, by: datetime | None = None) -> Q:
    """Overdue (逾期) on `on`: open and late. 长期坚持 measures are never overdue."""
    return open_q(prefix, by=by) & late_q(prefix, on=on)


def warned_q(warning_days: int, prefix: str = "", *, on: date | None = None) -> Q:
    """Red or yellow if open: overdue once (`was_overdue`: an extension moved a red deadline), or
    dated and due within `warning_days` of `on` (or before it)."""
    _check(warning_days)
    warn_on = (on or today()) + timedelta(days=warning_days)
    return Q(**{_f(prefix, "was_overdue"): True}) | (
        ~Q(**{_f(prefix, "deadline_kind"): ONGOING}) & Q(**{_f(prefix, "due_on__lte"): warn_on})
    )


def attention_q(warning_days: int, prefix: str = "", *, on: date | None = None) -> Q:
    """Open measures showing red or yellow on `on`."""
    return open_q(prefix) & warned_q(warning_days, prefix, on=on)


def light_q(light: str, warning_days: int, prefix: str = "", *, on: date | None = None) -> Q:
    """Measures showing `light` on `on` (see `light`)."""
    if light == Light.NONE:
        return closed_q(prefix)
    if light == Light.RED:
        return overdue_q(prefix, on=on)
    warned = warned_q(warning_days, prefix, on=on)
    if light == Light.YELLOW:
        return open_q(prefix) & warned & ~late_q(prefix, on=on)
    if light == Light.GREEN:
        return open_q(prefix) & ~warned
    raise ValueError(f"unknown light {light!r}")


def closed_on_time_q(prefix: str = "", *, by: datetime | None = None) -> Q:
    """Closed on time (按期销号): closed (by `by`) never having been overdue and never extended
    (the verification marks a measure closed after its deadline as once overdue)."""
    never_late = {_f(prefix, "was_overdue"): False, _f(prefix, "extensions"): 0}
    return closed_q(prefix, by=by) & Q(**never_late)


# --- this week (本周要做) ----------------------------------------------------------------------
# What a unit has to do in the week of `on` (Monday to Sunday): the open measures due before the
# week ends and not late yet, and the measures in work (整改中, or returned to it) with no
# progress reported since the week began, for a weekly rhythm of reports.


def week_of(on: date | None = None) -> tuple[date, date]:
    """Monday and Sunday of the week holding `on` (today)."""
    on = on or today()
    monday = on - timedelta(days=on.weekday())
    return monday, monday + timedelta(days=6)


def due_this_week_q(prefix: str = "", *, on: date | None = None) -> Q:
    """Open, dated, due from `on` (today) to the week's Sunday: not overdue yet, due this week."""
    on = on or today()
    _, sunday = week_of(on)
    return (
        open_q(prefix)
        & dated_q(prefix)
        & ~late_q(prefix, on=on)
        & Q(**{_f(prefix, "due_on__lte"): sunday})
    )


IN_WORK = (MeasureState.IN_PROGRESS, MeasureState.RETURNED)


def unreported_q(*, on: date | None = None) -> Q:
    """In work (整改中 or 退回) with no progress report since the Monday of the week of `on`
    (on the measures' own table: the reports are a related table)."""
    monday, _ = week_of(on)
    since = timezone.make_aware(datetime.combine(monday, datetime.min.time()))
    reported = ProgressUpdate.objects.filter(measure=OuterRef("pk"), created_at__gte=since)
    return Q(state__in=IN_WORK) & ~Exists(reported)


# --- the same rules on one measure -----------------------------------------------------------
# Anything with the measure's fields will do (a Measure, or `Facts` for a group of rows).


class Facts(NamedTuple):
    """The fields the rules read, for rules applied to a group of rows (a tally's key)."""

    state: str = MeasureState.IN_PROGRESS
    deadline_kind: str = DeadlineKind.DATE
    due_on: date | None = None
    was_overdue: bool = False
    extensions: int = 0
    closed_at: datetime | None = None


def is_closed(m, by: datetime | None = None) -> bool:
    return m.state == CLOSED and (by is None or m.closed_at is None or m.closed_at <= by)


def is_open(m, by: datetime | None = None) -> bool:
    return not is_closed(m, by)


def is_dated(m) -> bool:
    return m.deadline_kind != ONGOING and m.due_on is not None


def is_late(m, on: date | None = None) -> bool:
    return is_dated(m) and m.due_on < (on or today())


def is_overdue(m, on: date | None = None, by: datetime | None = None) -> bool:
    return is_open(m, by) and is_late(m, on)


def is_warned(m, warning_days: int, on: date | None = None) -> bool:
    _check(warning_days)
    warn_on = (on or today()) + timedelta(days=warning_days)
    return bool(m.was_overdue) or (is_dated(m) and m.due_on <= warn_on)


def light(m, warning_days: int, on: date | None = None) -> str:
    """已销号 when closed; red when overdue; yellow when once overdue or due within the warning
    days; green otherwise (长期坚持 measures are green unless once overdue)."""
    on = on or today()
    if is_closed(m):
        return Light.NONE
    if is_late(m, on):
        return Light.RED
    return Light.YELLOW if is_warned(m, warning_days, on) else Light.GREEN


def is_closed_on_time(m, by: datetime | None = None) -> bool:
    return is_closed(m, by) and not m.was_overdue and m.extensions == 0


def _check(warning_days: int) -> None:
    # Red implies warned only for warning days >= 0 (the campaign's field is positive).
    if warning_days < 0:
        raise ValueError("预警天数不能为负数")


# --- SQL ------------------------------------------------------------------------------------


def where_sql(q: Q) -> str:
    """`q` as an SQL condition on the measures' table (columns qualified by the table's name),
    compiled by the ORM for the current database, with its constant parameters written in: for
    the raw statements of the roll-ups and tallies, which take no parameters of their own. Only
    constants that do not move with the calendar may appear (no dates)."""
    from luoshi.rectification.models import Measure

    query = Measure.objects.filter(q).query
    sql, params = query.get_compiler(connection=connection).compile(query.where)
    return sql % tuple(_literal(p) for p in params)


def _literal(value) -> str:
    if isinstance(value, bool):
        if connection.vendor == "postgresql":
            return "true" if value else "false"
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # Doubled % because the statement is run with parameters of its own.
        return "'" + value.replace("'", "''").replace("%", "%%") + "'"
    raise TypeError(f"not a constant for a roll-up's SQL: {value!r}")
