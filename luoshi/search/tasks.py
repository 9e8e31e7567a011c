from django.tasks import task

from luoshi.search import services


@task
def reindex_records(kind: str, ids: list[int]) -> int:
    """Index the records of the kind with these ids (a bulk write's, after it committed)."""
    return services.reindex_ids(kind, ids)
