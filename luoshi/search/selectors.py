"""Searching the index, scoped: a user finds only entries in their subtree (core.scoping, through
the entries' own `org_path`). Every word of the query must be in a hit, in any order; hits are
ranked by the database's own measure (bm25 on SQLite's FTS5, ts_rank on PostgreSQL)."""

import re
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Q, Value
from django.db.models.expressions import RawSQL

from luoshi.search.kinds import KINDS
from luoshi.search.models import Kind, SearchEntry
from luoshi.search.words import query_words

_CJK_CHAR = re.compile(r"^[\u3400-\u9fff]$")
PER_KIND = 20
MAX_QUERY = 100


def split_words(query: str) -> tuple[list[str], list[str]]:
    """The query's words the index holds (two characters or more, or Latin words and numbers),
    and its single Chinese characters, which no jieba word is and are found as substrings."""
    words = query_words(query)
    chars = [w for w in words if _CJK_CHAR.match(w)]
    return [w for w in words if w not in chars], chars


def _fts_query(words: list[str]) -> str:
    # Each word quoted: FTS5 reads it as a plain token, never as an operator.
    return " ".join(f'"{w}"' for w in words)


def matching(entries, query: str, *, ranked: bool = False):
    """The entries that hold every word of the query (none for a query without words); with
    `ranked`, best first, each with `rank` (higher is better)."""
    words, chars = split_words(query)
    if not words and not chars:  # ranked or not, the same columns as a query with words
        return entries.none().annotate(rank=Value(0.0)) if ranked else entries.none()
    for char in chars:
        entries = entries.filter(text__contains=char)
    if not words:
        return entries.annotate(rank=Value(0.0)).order_by("-id") if ranked else entries
    if connection.vendor == "postgresql":
        return _postgres(entries, " ".join(words), ranked)
    return _sqlite(entries, _fts_query(words), ranked)


def _sqlite(entries, fts: str, ranked: bool):
    if not ranked:
        hits = RawSQL("SELECT rowid FROM search_fts WHERE search_fts MATCH %s", [fts])
        return entries.filter(id__in=hits)
    # bm25() needs the MATCH in its own query: the FTS table joins the entries (lower is better).
    return entries.extra(
        tables=["search_fts"],
        where=["search_fts.rowid = search_searchentry.id", "search_fts MATCH %s"],
        params=[fts],
        select={"rank": "-bm25(search_fts)"},
        order_by=["-rank", "-id"],
    )


def _postgres(entries, words: str, ranked: bool):
    hit = RawSQL(
        "tsv @@ plainto_tsquery('simple', %s)",
        [words],
        output_field=BooleanField(),
    )
    entries = entries.alias(hit=hit).filter(hit=True)
    if not ranked:
        return entries
    return entries.extra(
        select={"rank": "ts_rank(tsv, plainto_tsquery('simple', %s))"},
        select_params=[words],
        order_by=["-rank", "-id"],
    )


def matching_ids(user, kind: str, query: str):
    """The ids of the user's records of this kind that hold every word of the query (a
    subquery, for a list's own filter)."""
    entries = SearchEntry.objects.visible_to(user).filter(kind=kind)
    return matching(entries, query).values("object_id")


def text_q(user, kind: str, query: str, *fields: str) -> Q:
    """A list's search box: the records holding every word of the query in any order (through
    the index), or, as before the index, holding the query as written in one of `fields`."""
    query = query.strip()[:MAX_QUERY]
    found = Q(pk__in=matching_ids(user, kind, query))
    for name in fields:
        found |= Q(**{f"{name}__icontains": query})
    return found


@dataclass
class KindHits:
    kind: str
    label: str
    hits: list = field(default_factory=list)
    more: bool = False


@dataclass(slots=True)
class Hit:
    """A search hit: what the page and the API show of an entry, and its record's page."""

    kind: str
    object_id: int
    page_id: int
    title: str
    text: str
    org_id: int
    rank: float
    url: str = ""


HIT_FIELDS = ("kind", "object_id", "page_id", "title", "text", "org_id", "rank")


def ranked_hits(user, query: str, *, kind: str | None = None, within: str | None = None):
    """The user's entries (of `kind`, or of every kind) holding every word of `query`, best
    first, as rows of HIT_FIELDS: the one scoping and ranking of the search page and the API.
    (Plain rows, not model instances: building those was a tenth of a search's time.)"""
    entries = SearchEntry.objects.visible_to(user, within=within)
    if kind:
        entries = entries.filter(kind=kind)
    return matching(entries, query.strip()[:MAX_QUERY], ranked=True).values_list(*HIT_FIELDS)


def hits_of(rows) -> list[Hit]:
    """Rows of `ranked_hits` as hits, each with the `url` of its record's page."""
    urls = {}
    hits = []
    for row in rows:
        hit = Hit(*row)
        if hit.kind not in urls:
            urls[hit.kind] = KINDS[hit.kind].urls()
        hit.url = urls[hit.kind](hit.page_id, hit.object_id)
        hits.append(hit)
    return hits


_KIND = "\x00kind"  # stands for the kind in the statement `search` compiles once for every kind


def search(
    user, query: str, *, within: str | None = None, per_kind: int = PER_KIND, kinds=tuple(KINDS)
):
    """The user's best hits of each kind, grouped in the kinds' order, each with its `url`.
    `ranked_hits` is compiled once and run for each kind (building and compiling the query for
    each kind was a third of a search's time)."""
    statement = ranked_hits(user, query, kind=_KIND, within=within)[: per_kind + 1]
    try:
        sql, params = statement.query.sql_with_params()
    except EmptyResultSet:  # nothing in scope, or no word to look for
        return []
    groups = []
    with connection.cursor() as cursor:
        for kind in kinds:
            cursor.execute(sql, [kind if p == _KIND else p for p in params])
            columns = [c[0] for c in cursor.description]
            at = [columns.index(name) for name in HIT_FIELDS]
            found = hits_of([tuple(row[i] for i in at) for row in cursor.fetchall()])
            if found:
                groups.append(
                    KindHits(kind, Kind(kind).label, found[:per_kind], len(found) > per_kind)
                )
    return groups
