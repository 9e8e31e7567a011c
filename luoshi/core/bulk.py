"""Fast inserts for seeding and imports: COPY on PostgreSQL, executemany on SQLite.

Rows are plain tuples in the order of `columns`; values must already be database-ready
(str, int, date, datetime, None). Model validation is the caller's job."""

from collections.abc import Iterable
from datetime import datetime

from django.core.management.color import no_style
from django.db import connection

BATCH = 5000


def insert_rows(model, columns: list[str], rows: Iterable[tuple]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
        batch: list[tuple] = []
        adapt = connection.ops.adapt_datetimefield_value
        for row in rows:
            # As the ORM stores them (UTC, one text format), so that comparisons hold.
            batch.append(tuple(adapt(v) if isinstance(v, datetime) else v for v in row))
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


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
