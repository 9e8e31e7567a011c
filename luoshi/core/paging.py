"""Bounds of the list APIs' `limit` and `offset`: an offset past any real list is an empty page,
not a database error (OFFSET is a 64-bit integer in SQLite and PostgreSQL)."""

MAX_OFFSET = 10_000_000


def bounded(limit: int, offset: int, *, max_limit: int = 200) -> tuple[int, int]:
    return max(1, min(limit, max_limit)), min(max(0, offset), MAX_OFFSET)
