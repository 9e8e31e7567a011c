"""Keeping the search index: the services that write a searchable record call `index` (or
`forget`) in their transaction, so that pages, the API and imports all keep it; bulk writers
(the ledger import, the seed) call `reindex` for what they wrote; `rebuild` (the command
`luoshi reindex-search`) makes it anew from the records."""

from django.db import transaction

from luoshi.core.paths import subtree_q
from luoshi.search.kinds import KINDS, model_of
from luoshi.search.models import SearchEntry
from luoshi.search.words import document_tokens

BATCH = 1000


def _entry(kind: str, row, doc) -> SearchEntry:
    return SearchEntry(
        kind=kind,
        object_id=row.pk,
        page_id=doc.page_id,
        org_id=row.org_id,
        org_path=row.org_path,
        title=doc.title[:300],
        text=doc.text,
        tokens=document_tokens(doc.text),
    )


def _same(entry: SearchEntry, doc, row) -> bool:
    return (entry.text, entry.title, entry.org_path) == (doc.text, doc.title[:300], row.org_path)


def index(kind: str, obj) -> None:
    """Indexes the record (an object or its id) as it now stands in the database; forgets it
    when it is gone."""
    pk = getattr(obj, "pk", obj)
    kd = KINDS[kind]
    row = kd.rows(model_of(kind).objects.filter(pk=pk)).first()
    if row is None:
        forget(kind, pk)
        return
    doc = kd.describe(row)
    entry = SearchEntry.objects.filter(kind=kind, object_id=pk).first()
    if entry and _same(entry, doc, row):
        return
    fresh = _entry(kind, row, doc)
    if entry is None:
        fresh.save()
        return
    fields = ["page_id", "org_id", "org_path", "title", "text", "tokens"]
    for name in fields:
        setattr(entry, name, getattr(fresh, name))
    entry.save(update_fields=fields)


def forget(kind: str, *object_ids) -> None:
    SearchEntry.objects.filter(kind=kind, object_id__in=object_ids).delete()


def reindex(kind: str, queryset=None) -> int:
    """Indexes every record of the queryset (default: all of the kind) whose text, title or
    organisation changed, and forgets those of the kind in the same organisations' subtrees
    that are gone when the whole kind is given. Returns the entries written."""
    kd = KINDS[kind]
    whole = queryset is None
    rows = kd.rows(model_of(kind).objects.all() if whole else queryset).order_by("pk")
    written = 0
    with transaction.atomic():
        batch = []
        for row in rows.iterator(chunk_size=BATCH):
            batch.append(row)
            if len(batch) >= BATCH:
                written += _write_batch(kind, batch)
                batch = []
        written += _write_batch(kind, batch)
        if whole:
            live = model_of(kind).objects.values("pk")
            SearchEntry.objects.filter(kind=kind).exclude(object_id__in=live).delete()
    return written


def _write_batch(kind: str, rows: list) -> int:
    if not rows:
        return 0
    kd = KINDS[kind]
    stored = {
        e.object_id: e
        for e in SearchEntry.objects.filter(kind=kind, object_id__in=[r.pk for r in rows]).only(
            "id", "object_id", "title", "text", "org_path"
        )
    }
    fresh = []
    for row in rows:
        doc = kd.describe(row)
        old = stored.get(row.pk)
        if old and _same(old, doc, row):
            continue
        fresh.append(_entry(kind, row, doc))
    changed = [e.object_id for e in fresh if e.object_id in stored]
    SearchEntry.objects.filter(kind=kind, object_id__in=changed).delete()
    SearchEntry.objects.bulk_create(fresh, batch_size=BATCH)
    return len(fresh)


def reindex_ids(kind: str, ids) -> int:
    """Reindexes the records of the kind with these ids (after a bulk write of them), a
    batch of ids at a time."""
    ids, written = sorted(ids), 0
    for start in range(0, len(ids), 5 * BATCH):
        chunk = ids[start : start + 5 * BATCH]
        written += reindex(kind, model_of(kind).objects.filter(pk__in=chunk))
    return written


def reindex_later(kind: str, ids) -> None:
    """After the transaction commits, index the records with these ids on the task queue: a
    bulk write (a ledger import of 100,000 rows cuts as many texts into words, four times the
    import's own work) does not keep its user waiting for the index. The immediate backend
    (tests, the command line without a worker) indexes them at the commit."""
    if not ids:
        return
    from luoshi.search.tasks import reindex_records

    ids = sorted(ids)
    transaction.on_commit(lambda: reindex_records.enqueue(kind, ids))


def reindex_subtree(kinds, path: str) -> int:
    """Reindexes the records of these kinds in the subtree (after a bulk write there), and
    forgets entries there whose records are gone."""
    written = 0
    for kind in kinds:
        model = model_of(kind)
        written += reindex(kind, model.objects.filter(subtree_q("org_path", path)))
        live = model.objects.filter(subtree_q("org_path", path)).values("pk")
        SearchEntry.objects.filter(subtree_q("org_path", path), kind=kind).exclude(
            object_id__in=live
        ).delete()
    return written


def rebuild() -> dict[str, int]:
    """The whole index anew from the records: {kind: entries}."""
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        return {kind: reindex(kind) for kind in KINDS}


def seed_index(context) -> None:
    rebuild()
