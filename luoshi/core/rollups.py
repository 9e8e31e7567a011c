"""The mechanism the roll-up tables share: each keeps one row per organisation (and, for the
ledger, per campaign) counting that organisation's own rows, recounted from the rows themselves
for the organisations a write touched, in the writer's transaction. A subtree's figure is the sum
of those rows over the subtree's path range, so moving a subtree changes no roll-up row but its
`org_path` (which `move_subtree` rewrites like every OrgOwned row). Recounting, not adding deltas,
means a roll-up row is always what a direct count of that organisation's rows gives.

Each app that keeps a roll-up writes one INSERT ... SELECT (`recount_sql`, with `{only}`
placeholders (`org_id IN (...)`, or `{only_o}` for `o.id IN (...)`) naming the organisations to
recount) and calls `recount` with it."""

from collections.abc import Iterable

from django.db import connection, transaction

CHUNK = 500


def recount(table: str, lock_class: int, recount_sql: str, org_ids: Iterable[int] | None) -> int:
    """Replace the rows of `table` for `org_ids` (every organisation when None) with a recount.

    On PostgreSQL a transaction-level advisory lock per organisation makes concurrent writers of
    the same organisation recount one after the other, each seeing the other's committed rows;
    SQLite's immediate transactions already run writers one at a time. Returns the rows written."""
    quoted = connection.ops.quote_name(table)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if org_ids is None:
            cursor.execute(f"DELETE FROM {quoted}")
            cursor.execute(recount_sql.format(only="1 = 1", only_o="1 = 1"), [])
            return cursor.rowcount
        ids = sorted({int(i) for i in org_ids if i is not None})
        uses = recount_sql.count("{only")
        if connection.vendor == "postgresql":
            # One statement for every organisation, the ids as one array: IN lists of CHUNK
            # ids cost a plan and a scan of both tables each (0.20 s against 0.05 s for the
            # 4,220 organisations a 10,000-row import touches, docs/capacity.md 2026-12-05).
            if not ids:
                return 0
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, i) FROM"
                " (SELECT unnest(%s::integer[]) AS i ORDER BY 1) AS ids",
                [lock_class, ids],
            )
            cursor.execute(f"DELETE FROM {quoted} WHERE org_id = ANY(%s)", [ids])
            sql = recount_sql.format(only="org_id = ANY(%s)", only_o="o.id = ANY(%s)")
            cursor.execute(sql, [ids] * uses)
            return max(cursor.rowcount, 0)
        for start in range(0, len(ids), CHUNK):  # SQLite: at most 32,766 parameters
            chunk = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {quoted} WHERE org_id IN ({marks})", chunk)
            sql = recount_sql.format(only=f"org_id IN ({marks})", only_o=f"o.id IN ({marks})")
            cursor.execute(sql, chunk * uses)
            written += max(cursor.rowcount, 0)
    return written
