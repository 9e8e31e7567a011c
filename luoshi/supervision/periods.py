"""The rules of reporting upward (报送), in one place: the deadlines of a demand's periods, who
must report, which period a new submission answers, and when a missing one is late (the day
after its deadline)."""

import calendar
from datetime import date, timedelta

from luoshi.core.paths import is_within, subtree_q
from luoshi.orgs.models import Organization, OrgLevel
from luoshi.supervision.models import Period, Senders, SubmissionState

MAX_PERIODS = 120
DIFF_KEYS = ("problems", "measures", "measures_closed", "measures_overdue", "closure_rate")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def deadlines(demand, upto: date) -> list[date]:
    """The demand's deadlines up to `upto`, and the first one after it (the period now open)."""
    if demand.period == Period.ONCE:
        return [demand.first_due_on]
    if demand.period == Period.BATCH_END:
        return [demand.batch.ends_on if demand.batch_id else demand.first_due_on]
    found = []
    for k in range(MAX_PERIODS):
        if demand.period == Period.WEEKLY:
            day = demand.first_due_on + timedelta(days=7 * k)
        else:
            day = _add_months(demand.first_due_on, k)
        found.append(day)
        if day > upto:
            break
    return found


def passed(demand, today: date) -> list[date]:
    """Deadlines already past on `today`: a report missing for one of them is late."""
    return [d for d in deadlines(demand, today) if d < today]


def is_late(period_due_on: date, on: date) -> bool:
    """Late on `on`: the day after the deadline and later (on the deadline itself, in time)."""
    return on > period_due_on


def senders(demand):
    """The organisations that must report, never outside the subtree of the demand's
    organisation nor that organisation itself: those directly below it (default), every one of
    its subtree at the chosen level, or the ones listed."""
    if demand.senders == Senders.LEVEL:
        rows = Organization.objects.filter(
            subtree_q("path", demand.org_path), level=demand.sender_level
        )
    elif demand.senders == Senders.LIST:
        rows = Organization.objects.filter(
            subtree_q("path", demand.org_path), pk__in=demand.sender_list.values("pk")
        )
    else:
        return Organization.objects.filter(parent_id=demand.org_id).order_by("path")
    return rows.exclude(pk=demand.org_id).order_by("path")


def is_sender(demand, org) -> bool:
    return senders(demand).filter(pk=org.pk).exists()


def senders_refusal(org, senders_kind: str, level, chosen) -> str | None:
    """Why these senders may not be named for a demand of `org`, or None."""
    if senders_kind not in Senders.values:
        return "请选择报送单位的范围"
    if senders_kind == Senders.LEVEL:
        if level not in OrgLevel.values or level <= org.level:
            return "报送层级须是本级组织以下的层级"
        found = Organization.objects.filter(subtree_q("path", org.path), level=level)
        if not found.exclude(pk=org.pk).exists():
            return f"本级组织范围内没有{OrgLevel(level).label}组织"
    if senders_kind == Senders.LIST:
        if not chosen:
            return "请选择报送单位"
        outside = [o.name for o in chosen if o.pk == org.pk or not is_within(o.path, org.path)]
        if outside:
            return f"报送单位须是本级组织的下级组织：{'、'.join(outside[:5])}不是"
    return None


def open_period(demand, org, today: date, live: set[date]) -> date | None:
    """The period a new submission of `org` answers: the earliest deadline (up to the one now
    open) for which it has no submission standing (`live`: received or waiting); None when every
    one is answered."""
    for day in deadlines(demand, today):
        if day not in live:
            return day
    return None


def standing(state: str) -> bool:
    """A submission that answers its period (a returned one does not: the unit submits again)."""
    return state != SubmissionState.RETURNED


def difference(last: dict | None, before: dict | None) -> dict | None:
    """The change of the main figures between a unit's last two submissions."""
    if not last or not before:
        return None
    a, b = last.get("node", {}), before.get("node", {})
    diff = {}
    for key in DIFF_KEYS:
        if isinstance(a.get(key), int | float) and isinstance(b.get(key), int | float):
            diff[key] = round(a[key] - b[key], 1)
    return diff
