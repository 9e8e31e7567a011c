"""Numbers, ids and dates read from a request's query string or form, in one place.

Only ASCII decimal digits are numbers here (`str.isdigit()` accepts "²" and `int()` accepts
"١٢" and " 1_0 "), and every value is bounded, so no malformed or huge value reaches `int()`,
an OFFSET or the database. An empty or absent parameter is its default; anything else that is
not a number in range is refused with BadParameter, which the middleware (pages) and the API's
handler answer 400 with the message."""

import re
from datetime import date

from luoshi.core.errors import BadParameter
from luoshi.core.paging import MAX_PAGE

MAX_ID = 2**63 - 1  # the largest primary key either database holds (a signed 64-bit integer)
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 12, 31)

_DIGITS = re.compile(r"[0-9]{1,19}")
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")

# The words the messages use for the parameters (users never see the parameter's own name).
LABELS = {
    "page": "页码",
    "org": "组织",
    "parent": "上级组织",
    "campaign": "主题教育",
    "action": "关键动作",
    "batch": "批次",
    "source": "问题来源",
    "category": "问题类别",
    "symposium": "座谈会",
    "measure": "整改措施",
    "version": "版本号",
    "other": "关联问题编号",
    "per_team": "目标次数",
    "as_of": "统计日期",
    "due_on": "完成时限",
    "done_on": "完成日期",
    "visited_on": "走访日期",
}


def _label(name: str, label: str | None) -> str:
    return label or LABELS.get(name, "请求参数")


def _raw(data, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def int_param(
    data,
    name: str,
    *,
    default: int | None = None,
    min: int = 0,  # noqa: A002 - read as the bounds of the parameter
    max: int = MAX_ID,  # noqa: A002
    label: str | None = None,
) -> int | None:
    """The parameter `name` of `data` (request.GET or request.POST) as an int in [min, max];
    `default` when it is absent or empty."""
    raw = _raw(data, name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not min <= int(raw) <= max:
        if max == MAX_ID:
            raise BadParameter(f"{_label(name, label)}的编号无效：应为半角数字")
        raise BadParameter(f"{_label(name, label)}应为 {min} 到 {max} 之间的整数（半角数字）")
    return int(raw)


def id_param(data, name: str, *, label: str | None = None) -> int | None:
    """The id in the parameter `name`, or None when it is absent or empty."""
    return int_param(data, name, min=1, max=MAX_ID, label=label)


def ids_param(data, name: str, *, label: str | None = None, limit: int = 1000) -> list[int]:
    """Every id given under `name` (a list of checkboxes), empty values left out."""
    values = [v for v in data.getlist(name) if v.strip()][: limit + 1]
    if len(values) > limit:
        raise BadParameter(f"{_label(name, label)}一次最多 {limit} 项")
    return [id_param({name: v}, name, label=label) for v in values]


def page_param(data, name: str = "page") -> int:
    """The page number of a list (1 when absent)."""
    return int_param(data, name, default=1, min=1, max=MAX_PAGE)


def date_param(
    data,
    name: str,
    *,
    default: date | None = None,
    earliest: date = EARLIEST,
    latest: date = LATEST,
    label: str | None = None,
) -> date | None:
    """The date in `name` written YYYY-MM-DD (as date inputs send it), within [earliest,
    latest]; `default` when absent or empty."""
    raw = _raw(data, name)
    if raw is None:
        return default
    message = (
        f"{_label(name, label)}应为 {earliest:%Y-%m-%d} 到 {latest:%Y-%m-%d} 之间的日期，"
        "如 2026-03-31"
    )
    if not (m := _DATE.fullmatch(raw)):
        raise BadParameter(message)
    try:
        value = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise BadParameter(message) from None
    if not earliest <= value <= latest:
        raise BadParameter(message)
    return value


def chosen(items, data, name: str = "campaign", *, first: bool = True):
    """The item (a campaign the user works in, …) whose id is in `name`; otherwise the first
    of them (with `first`) or None. An id not among them is not an error: the choice falls back
    as if none had been made."""
    pk = id_param(data, name)
    found = next((item for item in items if item.pk == pk), None) if pk is not None else None
    if found is None and first and items:
        return items[0]
    return found


def next_url(request, default: str, *, name: str = "next") -> str:
    """Where to go back to: the `next` parameter (form or query string) when it is a URL of this
    site, otherwise `default`. `//host/…`, `/\\host`, `https://host/…` and `javascript:` are
    other sites or worse, and are never followed."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get(name) or request.GET.get(name) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
