"""Reading deadlines as offices write them in ledgers.

"2019年12月底前", "2019年11月底", "2020年1月", "2019.12", "2019-12-31", "2019/12/31",
"2019年12月31日前", "2019年底前", an Excel date, "长期坚持", "立行立改", and a date or
立行立改 with 长期坚持 beside it ("2019年12月底前完成，并长期坚持", "立行立改并长期坚持"), which
keeps both. A month without a day means the end of that month. Anything else is an error: a
deadline is never guessed."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

ONGOING_WORDS = ("长期坚持", "长期", "持续推进", "常态化", "持续整改")
IMMEDIATE_WORDS = ("立行立改", "立即整改", "即知即改", "立查立改", "马上就改")
_DATE = re.compile(
    r"^(?P<y>\d{4})\s*(?:年|[.\-/])\s*(?:(?P<m>\d{1,2})\s*(?:月|[.\-/])?\s*"
    r"(?:(?P<d>\d{1,2})\s*日?)?)?\s*(?:底|末)?\s*(?:前|以前|之前)?\s*(?:完成)?$"
)
_YEAR_DOT_MONTH = re.compile(r"\d{4}\.\d{1,2}")
_SPACES = re.compile(r"\s+")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－／", "0123456789.-/")
# what joins a date (or 立行立改) to 长期坚持: "…完成，并长期坚持", "立行立改并长期坚持"
_JOINER = re.compile(r"[，,；;、。]*(?:并且|并|且|同时)?$")
_LONG_TERM = re.compile("|".join(sorted(ONGOING_WORDS, key=len, reverse=True)))


class DeadlineError(ValueError):
    pass


@dataclass(frozen=True)
class Deadline:
    kind: str  # "date", "ongoing" or "immediate" (DeadlineKind values)
    due_on: date | None = None
    long_term: bool = False  # a date or 立行立改 that is also to be kept up (并长期坚持)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def read_deadline(value) -> Deadline:
    """The deadline in a ledger cell, or DeadlineError saying why it cannot be read."""
    if isinstance(value, datetime):
        return Deadline("date", value.date())
    if isinstance(value, date):
        return Deadline("date", value)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DeadlineError("整改时限为空")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DeadlineError(f"无法识别的整改时限：{value!r}")
    if type(value) is str:
        return _read_text(value)  # a ledger repeats a few wordings thousands of times
    return _read(value)


@lru_cache(maxsize=4096)
def _read_text(value: str) -> Deadline:
    return _read(value)


def _read(value) -> Deadline:
    text = str(value).strip()
    text = text.translate(_FULL_WIDTH)
    text = _SPACES.sub("", text)
    if any(word in text for word in ONGOING_WORDS):
        compound = _with_long_term(text)
        if compound is not None:
            return compound
    if any(word in text for word in IMMEDIATE_WORDS):
        return Deadline("immediate")
    if any(word in text for word in ONGOING_WORDS):
        return Deadline("ongoing")
    if isinstance(value, float) and value.is_integer() and 1900 <= value <= 2200:
        text = str(int(value))
    return _read_date(text)


def _read_date(text: str) -> Deadline:
    if _YEAR_DOT_MONTH.fullmatch(text):
        year, month = text.split(".")
        return _from_parts(text, int(year), int(month), None)
    match = _DATE.match(text)
    if not match:
        raise DeadlineError(f"无法识别的整改时限“{text[:40]}”，请写成如“2019年12月底前”“长期坚持”")
    year = int(match["y"])
    month = int(match["m"]) if match["m"] else None
    day = int(match["d"]) if match["d"] else None
    return _from_parts(text, year, month, day)


def _with_long_term(text: str) -> Deadline | None:
    """A date or 立行立改 joined to 长期坚持 ("2019年12月底前完成，并长期坚持"), with both kept;
    None when the text is not such a pair (then 长期坚持 alone, or 立行立改 alone, is read)."""
    found = _LONG_TERM.search(text)
    before, after = text[: found.start()], text[found.end() :]
    if after.strip("，,；;。、") or not before:
        return None  # "长期坚持，定期督查": the words after it are no deadline
    head = before[: _JOINER.search(before).start()]
    if head in IMMEDIATE_WORDS:
        return Deadline("immediate", long_term=True)
    if not head[:4].isdigit():
        return None
    return Deadline("date", _read_date(head).due_on, long_term=True)  # a wrong date is an error


def _from_parts(text: str, year: int, month: int | None, day: int | None) -> Deadline:
    if not 1990 <= year <= 2100:
        raise DeadlineError(f"整改时限“{text[:40]}”的年份不合理")
    try:
        if month is None:
            return Deadline("date", date(year, 12, 31))
        if day is None:
            return Deadline("date", _month_end(year, month))
        return Deadline("date", date(year, month, day))
    except ValueError as exc:
        raise DeadlineError(f"整改时限“{text[:40]}”不是有效日期") from exc


def write_deadline(kind: str, due_on: date | None, long_term: bool = False) -> str:
    """The text a ledger shows for a deadline; `read_deadline` reads it back to the same."""
    if kind == "ongoing":
        return "长期坚持"
    if kind == "immediate":
        return "立行立改并长期坚持" if long_term else "立行立改"
    if not due_on:
        return ""
    text = f"{due_on.year}年{due_on.month}月{due_on.day}日"
    return f"{text}前完成，并长期坚持" if long_term else text
