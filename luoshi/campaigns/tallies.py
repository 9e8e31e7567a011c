"""The key actions' tally (core/tallies.py): per anchor, the checklist items, those done, and
the pending ones by due date (overdue is counted on read: pending and due before today)."""

from luoshi.campaigns.models import ActionItem
from luoshi.core import tallies

TOPIC = "key_actions"


def _sql() -> str:
    i = ActionItem._meta.db_table
    pending, done = ActionItem.State.PENDING.value, ActionItem.State.DONE.value
    A, W = "{anchor}", "{where}"
    return " UNION ALL ".join(
        [
            f"SELECT {A} AS a, 'items' AS k, count(*) AS n FROM {i} WHERE {W} GROUP BY {A}",
            f"SELECT {A}, 'done', count(*) FROM {i} WHERE {W} AND state = '{done}' GROUP BY {A}",
            f"SELECT {A}, 'due:' || due_on, count(*) FROM {i} WHERE {W}"
            f" AND state = '{pending}' GROUP BY {A}, due_on",
        ]
    )


TOPIC_DEF = tallies.Topic(TOPIC, _sql)


def refresh(paths) -> None:
    """Recount the tallies over these organisations' items (in the writer's transaction)."""
    tallies.refresh(TOPIC, paths)
