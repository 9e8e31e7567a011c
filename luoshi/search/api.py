"""The search of the API: the /search/ page's hits as a list, ranked and paged."""

from ninja import Router, Schema

from luoshi.core.paging import bounded
from luoshi.search import selectors
from luoshi.search.models import Kind

router = Router(tags=["搜索"])


class HitOut(Schema):
    kind: Kind
    kind_label: str
    object_id: int  # the record's id (a measure's own, not its problem's)
    title: str
    org_id: int
    url: str  # the record's page
    rank: float  # higher is better: the database's own measure (bm25, ts_rank)


@router.get("/search", response=list[HitOut])
def search(request, q: str = "", kind: Kind | None = None, limit: int = 20, offset: int = 0):
    """Problems, measures, opinions, study and research records holding every word of `q`, in
    any order, best first: what the /search/ page finds for the token's user, in the same
    order, as one list (of one `kind` when given). Longer queries are cut to 100 characters."""
    limit, offset = bounded(limit, offset, max_limit=100)
    if not q.strip():
        return []
    hits = selectors.ranked_hits(request.user, q, kind=kind)[offset : offset + limit]
    return [
        {
            "kind": h.kind,
            "kind_label": Kind(h.kind).label,
            "object_id": h.object_id,
            "title": h.title,
            "org_id": h.org_id,
            "url": h.url,
            "rank": float(h.rank),
        }
        for h in selectors.hits_of(hits)
    ]
