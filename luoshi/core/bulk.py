"""Fast inserts for seeding and imports (COPY on PostgreSQL, executemany on SQLite) and updates
of many rows by id in one statement.

Rows are plain tuples in the order of `columns`; values must already be database-ready
(str, int, date, datetime, None). Model validation is the caller's job."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.core.management.color import no_style
from django.db import connection, transaction

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


def update_rows(
    model, columns: list[str], rows: list[tuple], *, increment: tuple[str, ...] = (), **fixed
) -> int:
    """Set `columns` of many rows, each row (id, *values), in one statement per BATCH rows; the
    `increment` columns move on by one and the `fixed` ones take one value on every row.

    Django's bulk_update writes a CASE of one WHEN per row and column, which PostgreSQL tries
    in turn on every row: 5.6 ms for 11 measures of an import batch where this statement takes
    0.9 ms (docs/capacity.md, 2026-12-05). PostgreSQL joins the rows as arrays (`unnest`), SQLite
    as a VALUES list."""
    if not rows:
        return 0
    quote, table = connection.ops.quote_name, connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk.column
    sets = [f"{quote(c)} = v.{quote(c)}" for c in columns]
    sets += [f"{quote(c)} = o.{quote(c)} + 1" for c in increment]
    sets += [f"{quote(c)} = %s" for c in fixed]
    head = [_stored(v) for v in fixed.values()]
    # SQLite takes at most 32,766 parameters a statement
    step = BATCH if connection.vendor == "postgresql" else 30_000 // (len(columns) + 1 + len(fixed))
    count = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), step):
            source, params = _rows_source(model, columns, rows[start : start + step])
            cursor.execute(
                f"UPDATE {table} AS o SET {', '.join(sets)} FROM {source} "
                f"WHERE o.{quote(pk)} = v.{quote(pk)}",
                [*head, *params],
            )
            count += cursor.rowcount
    return count


def _rows_source(model, columns: list[str], batch: list[tuple]) -> tuple[str, list]:
    """The rows (id, *values) as a table `v` with the columns' names, and its parameters."""
    quote, pk = connection.ops.quote_name, model._meta.pk
    if connection.vendor == "postgresql":
        fields = [pk, *(model._meta.get_field(c) for c in columns)]
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        names = ", ".join(quote(f.column) for f in fields)
        return f"unnest({arrays}) AS v({names})", [list(c) for c in zip(*batch, strict=True)]
    row = f"({', '.join(['%s'] * (len(columns) + 1))})"
    aliases = ", ".join(
        f"column{i} AS {quote(c)}" for i, c in enumerate((pk.column, *columns), start=1)
    )
    source = f"(SELECT {aliases} FROM (VALUES {', '.join([row] * len(batch))})) AS v"
    return source, [value for row in _stored_datetimes(batch) for value in row]


def _stored(value):
    return stored_datetime(value) if isinstance(value, datetime) else value


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


@contextmanager
def reading_every_row() -> Iterator[None]:
    """Within the block, PostgreSQL plans the server-side cursors of `.iterator()` for reading
    every row, not the first tenth (its `cursor_tuple_fraction` of 0.1 chose index-ordered nested
    loops where a hash join and one sort read the whole result sooner: the importer's read of
    the stored progress texts took 48 ms that way against 33 ms, 13,000 rows). Rows still come
    in chunks, so memory stays flat."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('cursor_tuple_fraction')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('cursor_tuple_fraction', '1', true)")
        try:
            yield
        finally:
            cursor.execute("SELECT set_config('cursor_tuple_fraction', %s, true)", [before])
