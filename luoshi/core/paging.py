"""Paging, in one place: the pages' numbered lists (`page_of`, no count of the whole list) and
the bounds of the list APIs' `limit` and `offset`: an offset past any real list is an empty page,
not a database error (OFFSET is a 64-bit integer in SQLite and PostgreSQL)."""

from dataclasses import dataclass

MAX_OFFSET = 10_000_000
MAX_PAGE = 100_000  # a page number above it is refused (core.params), 100 rows a page at most


def bounded(limit: int, offset: int, *, max_limit: int = 200) -> tuple[int, int]:
    return max(1, min(limit, max_limit)), min(max(0, offset), MAX_OFFSET)


@dataclass
class Page:
    """A page of rows without counting the whole list (counts come from the figures)."""

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of(queryset, number: int, size: int) -> Page:
    number = min(max(1, number), MAX_PAGE)
    start = (number - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(rows=rows[:size], number=number, has_next=len(rows) > size)
