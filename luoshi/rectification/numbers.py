"""What a problem's number (序号) may be, for every path in (pages, API, import): half-width
decimal digits, optionally in parts ("12", "3-1", "2.4"), at most the field's 40 characters, or
nothing. Other digits ("²", "①", "１") look like numbers but are not ones: `str.isdigit()`
accepts "²" and `int()` then fails, which once broke the ledger export for everyone above."""

import re

from luoshi.core.errors import Invalid

MAX_LENGTH = 40  # Problem.number's max_length
_NUMBER = re.compile(r"[0-9]{1,9}(?:[-.][0-9]{1,9}){0,3}")


def clean_problem_number(value) -> str:
    """The number stripped of surrounding spaces; Invalid, saying why, when it is not one."""
    text = "" if value is None else str(value).strip()
    if text and (len(text) > MAX_LENGTH or not _NUMBER.fullmatch(text)):
        shown = text if len(text) <= 20 else f"{text[:20]}…"
        raise Invalid(f"序号“{shown}”无效：只能填写半角数字，如 12 或 3-1")
    return text
