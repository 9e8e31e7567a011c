"""The key actions' tally (core/tallies.py): per anchor, the checklist items, those done, and
the pending ones by due date (overdue is counted on read: pending and due before today)."""

from luoshi.campaigns.models import ActionItem
from luoshi.core import tallies

TOPIC = "key_actions"


def _sql() -> str:
    i = ActionItem._meta.db_table
    pending, done = ActionItem.State.PENDING.value, ActionItem.State.DONE.value
    return " UNION ALL ".join(
        [
            f"SELECT 'items' AS k, count(*) AS n FROM {i} WHERE {{where}}",
            f"SELECT 'done', count(*) FROM {i} WHERE {{where}} AND state = '{done}'",
            f"SELECT 'due:' || due_on, count(*) FROM {i} WHERE {{where}}"
            f" AND state = '{pending}' GROUP BY due_on",
        ]
    )


TOPIC_DEF = tallies.Topic(TOPIC, _sql)


def refresh(paths) -> None:
    """Recount the tallies over these organisations' items (in the writer's transaction)."""
    tallies.refresh(TOPIC, paths)
