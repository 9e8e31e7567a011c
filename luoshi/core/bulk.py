"""Fast inserts for seeding and imports: COPY on PostgreSQL, executemany on SQLite.

Rows are plain tuples in the order of `columns`; values must already be database-ready
(str, int, date, datetime, None). Model validation is the caller's job."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.core.management.color import no_style
from django.db import connection

from luoshi.core import versions

BATCH = 5000
STREAMING_CACHE_KIB = 8 * 1024


def insert_rows(model, columns: list[str], rows: Iterable[tuple]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            versions.wrote(model)  # COPY is not seen by the database wrapper
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[tuple] = []
        for row in _stored_datetimes(rows):
            batch.append(row)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _stored_datetimes(rows: Iterable[tuple]) -> Iterable[tuple]:
    """The rows with their datetimes as the ORM stores them on SQLite (UTC, one text format),
    so that comparisons hold. A column holds one type (or None): its type is learnt from its
    first value that is not None, so that only datetime columns are looked at after that, and
    each distinct datetime (an import stamps every row with the same one) is converted once."""
    adapt = connection.ops.adapt_datetimefield_value
    unknown: list[int] | None = None  # columns that have held only None so far
    stamps: list[int] = []  # datetime columns
    done: dict[datetime, str] = {}
    for row in rows:
        if unknown is None:
            unknown = list(range(len(row)))
        if unknown:
            stamps += [i for i in unknown if isinstance(row[i], datetime)]
            unknown = [i for i in unknown if row[i] is None]
        if stamps:
            row = list(row)
            for i in stamps:
                value = row[i]
                if isinstance(value, datetime):
                    if value not in done:
                        done[value] = adapt(value)
                    row[i] = done[value]
            row = tuple(row)
        yield row


def stored_datetime(value: datetime):
    """`value` as insert_rows stores it, converted once: an import stamps 40,000 rows with the
    same time, and a row with nothing to convert goes through untouched."""
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(value)
    return value


def next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def reset_sequences(*models) -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def reserve_ids(model, count: int) -> list[int]:
    """`count` fresh primary keys for rows inserted with explicit ids, inside a transaction.

    PostgreSQL hands them out from the table's sequence, so concurrent writers never collide;
    SQLite's immediate transactions hold the write lock from the start, so the next ids after the
    current maximum stay free until commit."""
    if count == 0:
        return []
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
    first = next_id(model)
    return list(range(first, first + count))


@contextmanager
def streaming_page_cache() -> Iterator[None]:
    """SQLite's page cache kept small while a big write streams through it (settings give it
    64 MB for reads; a 100,000-row import would fill it with pages it never reads again), and
    given back afterwards. PostgreSQL keeps its cache in the server: nothing to do."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{STREAMING_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")
