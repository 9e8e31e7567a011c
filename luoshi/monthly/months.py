"""Months as the cycle counts them: a month is the date of its first day."""

from datetime import date

from django.utils import timezone

from luoshi.core.errors import BadParameter


def month_of(day: date) -> date:
    return day.replace(day=1)


def current_month() -> date:
    return month_of(timezone.localdate())


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier`'s month to `later`'s (0 within the same month)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def last_months(n: int, until: date | None = None) -> list[date]:
    """The `n` months ending with `until` (the current month by default), oldest first."""
    until = until or current_month()
    return [add_months(until, -i) for i in range(n - 1, -1, -1)]


def month_param(data, name: str = "month") -> date:
    """The month in `name` written YYYY-MM (as month inputs send it); the current month when
    absent. A malformed or future month is refused (400)."""
    raw = (data.get(name) or "").strip()
    if not raw:
        return current_month()
    message = "月份应写作 2026-03 这样的年-月，且不晚于本月"
    try:
        year, month = raw.split("-")[:2]
        value = date(int(year), int(month), 1)
    except ValueError:
        raise BadParameter(message) from None
    if value > current_month() or value.year < 2000:
        raise BadParameter(message)
    return value


def label(month: date) -> str:
    return f"{month.year}年{month.month}月"
