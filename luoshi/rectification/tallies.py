"""The ledger's problem mix (core/tallies.py): per anchor, problems by campaign and source and by
campaign and category, for the dashboard's charts. (The ledger's own figures are kept per
organisation in LedgerTally, since the dashboard's table needs every child's.)"""

from luoshi.core import tallies
from luoshi.rectification.models import Problem

TOPIC = "problem_mix"


def _sql() -> str:
    p = Problem._meta.db_table
    return " UNION ALL ".join(
        [
            f"SELECT 's:' || campaign_id || ':' || COALESCE(source_id, 0) AS k, count(*) AS n"
            f" FROM {p} WHERE {{where}} GROUP BY campaign_id, source_id",
            f"SELECT 'c:' || campaign_id || ':' || COALESCE(category_id, 0), count(*)"
            f" FROM {p} WHERE {{where}} GROUP BY campaign_id, category_id",
        ]
    )


TOPIC_DEF = tallies.Topic(TOPIC, _sql)


def refresh(paths) -> None:
    """Recount the mix over these organisations' problems (in the writer's transaction, after
    problems are added, removed, or change source or category)."""
    tallies.refresh(TOPIC, paths)


def mix(path: str, campaign) -> tuple[dict[int | None, int], dict[int | None, int]]:
    """Problems of the subtree (in `campaign`, or every one when None) by source id and by
    category id (None: not given)."""
    sources: dict[int | None, int] = {}
    categories: dict[int | None, int] = {}
    for key, n in tallies.sums(TOPIC, path).items():
        kind, campaign_id, pk = key.split(":")
        if campaign is not None and int(campaign_id) != campaign.pk:
            continue
        into = sources if kind == "s" else categories
        pk = int(pk) or None
        into[pk] = into.get(pk, 0) + n
    return sources, categories
