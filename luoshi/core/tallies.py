"""Anchored tallies: the roll-up of the figures whose rows are few per organisation (opinions,
study sessions, key-action items, the ledger's problem mix).

A per-organisation roll-up (core/rollups.py) saves little when an organisation has one or two
rows: at the root of a province it still sums 200,000 roll-up rows. Here the counts are kept per
*anchor* instead: every organisation at the tally depth (`TALLY_DEPTH`, counties in a province)
keeps the counts of its whole subtree, and every organisation above it keeps the counts of its
own rows. Rows deeper than the anchors count in their anchor's tally. So

- a node at or above the tally depth sums the tally rows of its path range (a province reads
  about as many rows as it has counties and offices above them, times the keys);
- a node below it is a small subtree, counted directly from the rows with the same SQL.

A topic is one SELECT of `(a, k, n)` rows over the module's tables, where `{where}` stands for
the rows of a region (`org_path` in the anchor's range, or equal to the anchor's path), `{own}`
for the rows of the region's own organisation, and `{anchor}` for the anchor a row counts in
(grouped by, in every part of the SELECT). Keys starting with `own:` are the node's own rows and
are never summed over a range. Every writer calls `refresh(topic, paths)` in its transaction with
the paths of the organisations whose rows it changed; refresh recounts their anchors with the
topic's SELECT (a recount, not a delta, so a tally always equals a direct count of its region),
each anchor under a transaction-level advisory lock on PostgreSQL. A few anchors are recounted
region by region (`{anchor}` a constant); many at once, on PostgreSQL, in one pass over the rows
grouped by the anchor each row counts in (`_anchor_sql`): an import across a city touches every
anchor, and region by region cost half a second of bitmap scans for 10,000 rows."""

import re
import zlib
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from luoshi.core.paths import SEP, ancestor_ids, path_upper

OWN = "own:"
_PLACE = re.compile(r"\{(where|own|anchor)\}")
_NO_ANCHOR = "CAST(NULL AS TEXT)"  # one region's SELECT: every row counts in its one anchor
_deferred: ContextVar[bool] = ContextVar("tallies_deferred", default=False)
_batch: ContextVar[dict | None] = ContextVar("tallies_batch", default=None)


@dataclass(frozen=True)
class Topic:
    name: str
    sql: Callable[[], str]  # SELECT k, n ... with {where} / {own} (see the module docstring)


TOPICS: dict[str, Topic] = {}


def add_topic(topic: Topic) -> Topic:
    """Register a topic, and its roll-up with `luoshi rollups` (rebuild and drift)."""
    from luoshi.core.registry import Rollup, add_rollup

    TOPICS[topic.name] = topic
    add_rollup(
        Rollup(
            f"tally:{topic.name}",
            lambda: rebuild(topic.name),
            lambda: drift(topic.name),
        )
    )
    return topic


def tally_depth() -> int:
    return settings.LUOSHI_TALLY_DEPTH


def depth(path: str) -> int:
    return path.count(SEP) - 2


def anchor_of(path: str) -> str:
    """The path of the anchor whose tally counts the rows of the organisation at `path`."""
    ids = ancestor_ids(path)[: tally_depth() + 1]
    return SEP + SEP.join(map(str, ids)) + SEP


def _region(anchor: str, node: str | None = None) -> tuple[str, list, list]:
    """(where-SQL, its parameters, the {own} parameters) for the rows an anchor counts, or for a
    node's whole subtree when `node` is given."""
    if node is not None or depth(anchor) >= tally_depth():
        base = node or anchor
        return "org_path >= %s AND org_path < %s", [base, path_upper(base)], [base]
    return "org_path = %s", [anchor], [anchor]


def _compiled(
    topic: Topic, where: str, where_params: list, own_params: list, anchor: str = _NO_ANCHOR
) -> tuple[str, list]:
    """The topic's SELECT for a region (`_region`); `anchor` the SQL naming the anchor of each row
    (a constant by default: one region, one anchor)."""
    template, params = topic.sql(), []
    for match in _PLACE.finditer(template):
        if match.group(1) != "anchor":
            params += where_params if match.group(1) == "where" else own_params
    own = "org_path = %s" if own_params else f"org_path = {anchor}"
    fill = {"where": where, "own": own, "anchor": anchor}
    sql = _PLACE.sub(lambda m: fill[m.group(1)], template)
    return sql, params


def _anchor_sql() -> str:
    """The path of the anchor a row counts in, from its `org_path` (PostgreSQL): its first
    tally-depth + 1 ids, or the whole path of a row above the tally depth (`left` of a longer
    length than the string is the string). Measured cheaper than a regular expression, which
    cost more than the grouping saved."""
    ids = " + ".join(
        f"length(split_part(org_path, '{SEP}', {i}))" for i in range(2, tally_depth() + 3)
    )
    return f"left(org_path, {ids} + {tally_depth() + 2})"


def _lock_class(topic: str) -> int:
    return zlib.crc32(f"tally:{topic}".encode()) & 0x7FFFFFFF


def is_deferred() -> bool:
    """Inside `deferred()`: a bulk load that recounts (and marks) everything at its end."""
    return _deferred.get()


def refresh(topic_name: str, paths: Iterable[str | None]) -> int:
    """Recount the tallies of the anchors of these organisations' paths, in the caller's
    transaction (after any write that adds, removes or changes the topic's rows). Returns the
    tally rows written."""
    if _deferred.get():
        return 0
    anchors = {anchor_of(p) for p in paths if p}
    batch = _batch.get()
    if batch is not None:
        batch.setdefault(topic_name, set()).update(anchors)
        return 0
    return _recount(TOPICS[topic_name], sorted(anchors))


@contextmanager
def batched():
    """Recount each anchor once, at the end of the block, however many writes inside it touched
    it (a launch writing a whole province's checklists and crediting its records)."""
    if _batch.get() is not None:  # already inside a batch: the outer one recounts
        yield
        return
    touched: dict[str, set[str]] = {}
    token = _batch.set(touched)
    try:
        yield
    finally:
        _batch.reset(token)
    for name, anchors in sorted(touched.items()):
        _recount(TOPICS[name], sorted(anchors))


@contextmanager
def deferred():
    """Skip the recounts inside the block and rebuild every topic at its end, in the same
    transaction: for bulk loads (the seed) that write through the services."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    rebuild_all()


# Anchors recounted per statement region by region: an import over a whole city touches a few
# hundred, and one statement per anchor (lock, delete, insert) was a second of round trips for
# 10,000 rows. From _GROUPED anchors on, PostgreSQL recounts them in one pass instead.
_CHUNK = 50
_GROUPED = 20


def _recount(topic: Topic, anchors: list[str], mark: bool = True) -> int:
    """Recount these anchors' tallies of the topic (on PostgreSQL under their advisory locks,
    taken in the anchors' order); with `mark`, the figures of their subtrees have a new version
    (core.versions) for the caches of what is computed from them."""
    from luoshi.core import versions
    from luoshi.core.models import Tally

    table = connection.ops.quote_name(Tally._meta.db_table)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(anchors) >= _GROUPED:
            written = _recount_grouped(cursor, table, topic, anchors)
        else:
            for i in range(0, len(anchors), _CHUNK):
                written += _recount_regions(cursor, table, topic, anchors[i : i + _CHUNK])
    if mark:
        versions.changed(anchors)
    return written


def _clear(cursor, table: str, topic: Topic, org_ids: list[int]) -> None:
    """Lock (PostgreSQL) and delete the tallies of the topic of these anchors."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, x) FROM unnest(%s::integer[])"
            " WITH ORDINALITY AS a(x, i) ORDER BY i",
            [_lock_class(topic.name), org_ids],
        )
    marks = ", ".join(["%s"] * len(org_ids))
    cursor.execute(
        f"DELETE FROM {table} WHERE topic = %s AND org_id IN ({marks})", [topic.name, *org_ids]
    )


def _recount_regions(cursor, table: str, topic: Topic, anchors: list[str]) -> int:
    """One statement: each anchor's region counted by itself."""
    org_ids = [ancestor_ids(anchor)[-1] for anchor in anchors]
    _clear(cursor, table, topic, org_ids)
    selects, params = [], []
    for org_id, anchor in zip(org_ids, anchors, strict=True):
        sql, own = _compiled(topic, *_region(anchor))
        selects.append(f"SELECT %s, %s, %s, t.k, t.n FROM ({sql}) t WHERE t.n <> 0")
        params += [org_id, anchor, topic.name, *own]
    cursor.execute(
        f"INSERT INTO {table} (org_id, org_path, topic, key, n) " + " UNION ALL ".join(selects),
        params,
    )
    return max(cursor.rowcount, 0)


def _recount_grouped(cursor, table: str, topic: Topic, anchors: list[str]) -> int:
    """One statement (PostgreSQL): every row in the anchors' range counted once, grouped by the
    anchor it counts in; the groups of other anchors in the range are left out."""
    org_ids = [ancestor_ids(anchor)[-1] for anchor in anchors]
    _clear(cursor, table, topic, org_ids)
    low, high = min(anchors), max(path_upper(anchor) for anchor in anchors)
    where = "org_path >= %s AND org_path < %s"
    sql, params = _compiled(topic, where, [low, high], [], anchor=_anchor_sql())
    cursor.execute(
        f"INSERT INTO {table} (org_id, org_path, topic, key, n)"
        f" SELECT o.id, t.a, %s, t.k, t.n FROM ({sql}) t"
        " JOIN unnest(%s::text[], %s::integer[]) AS o(path, id) ON o.path = t.a"
        " WHERE t.n <> 0",
        [topic.name, *params, list(anchors), org_ids],
    )
    return max(cursor.rowcount, 0)


def _anchors() -> list[str]:
    """Every organisation at or above the tally depth: the anchors that may hold tallies."""
    from luoshi.core.registry import organizations

    paths = organizations().values_list("path", flat=True)
    return sorted(p for p in paths if depth(p) <= tally_depth())


def rebuild(topic_name: str) -> int:
    """Recount every anchor's tallies of the topic (after a seed; `luoshi rollups --rebuild`)."""
    from luoshi.core import versions
    from luoshi.core.models import Tally

    Tally.objects.filter(topic=topic_name).delete()
    written = _recount(TOPICS[topic_name], _anchors(), mark=False)
    versions.changed_everywhere()
    return written


def rebuild_all() -> int:
    return sum(rebuild(name) for name in TOPICS)


def after_move(old_parent_path: str, new_parent_path: str, old_root: str, new_root: str) -> None:
    """Re-anchor after `move_subtree` moved the subtree at `old_root` to `new_root`, under a new
    parent: the moved rows leave one anchor and join another, and organisations in the subtree
    may now lie above, at or below the tally depth. (`move_subtree` leaves the tallies' paths
    alone: their rows in the old range are dropped here and recounted where they now belong.)"""
    from luoshi.core import versions
    from luoshi.core.models import Tally
    from luoshi.core.paths import subtree_q
    from luoshi.core.registry import organizations

    Tally.objects.filter(subtree_q("org_path", old_root)).delete()
    inside = organizations().filter(subtree_q("path", new_root)).values_list("path", flat=True)
    anchors = {anchor_of(old_parent_path), anchor_of(new_parent_path)}
    anchors |= {p for p in inside if depth(p) <= tally_depth()}
    for topic in TOPICS.values():
        _recount(topic, sorted(anchors), mark=False)
    versions.changed_everywhere()  # the moved nodes' anchors and ancestors are new


def sums(topic_name: str, path: str) -> dict[str, int]:
    """The topic's counts for the subtree at `path` (own: keys for the node's own rows): summed
    from the tallies at or above the tally depth, counted from the rows below it."""
    from luoshi.core.models import Tally

    topic = TOPICS[topic_name]
    if depth(path) > tally_depth():
        sql, params = _compiled(topic, *_region(path, node=path))
    else:
        table = connection.ops.quote_name(Tally._meta.db_table)
        sql = (
            f"SELECT NULL, key, sum(n) FROM {table} WHERE topic = %s AND org_path >= %s"
            " AND org_path < %s AND (org_path = %s OR key NOT LIKE %s) GROUP BY key"
        )
        params = [topic.name, path, path_upper(path), path, f"{OWN}%"]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {k: int(n) for _, k, n in cursor.fetchall() if n}


def drift(topic_name: str) -> list[str]:
    """Where an anchor's stored tallies differ from a recount of its region (empty when exact);
    tallies of organisations that are not anchors are drift too."""
    from luoshi.core.models import Tally

    topic = TOPICS[topic_name]
    stored: dict[str, dict[str, int]] = {}
    for path, key, n in Tally.objects.filter(topic=topic_name).values_list("org_path", "key", "n"):
        stored.setdefault(path, {})[key] = n
    found = []
    anchors = _anchors()
    for anchor in anchors:
        sql, params = _compiled(topic, *_region(anchor))
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            expected = {k: int(n) for _, k, n in cursor.fetchall() if n}
        if stored.pop(anchor, {}) != expected:
            found.append(f"tally:{topic_name} {anchor}: differs from a recount")
    found += [f"tally:{topic_name} {p}: not an anchor" for p in sorted(stored)]
    return found
