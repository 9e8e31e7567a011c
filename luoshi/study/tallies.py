"""The study tally (core/tallies.py): per anchor, sessions by kind (all, and those of a
leadership team; `own:` the node's own team's), the audience of public events, and attendance
by status (counted where the member belongs)."""

from luoshi.core import tallies
from luoshi.study.models import Attendance, StudyActivity

TOPIC = "study"


def _sql() -> str:
    a, att = StudyActivity._meta.db_table, Attendance._meta.db_table
    return " UNION ALL ".join(
        [
            f"SELECT 'kind:' || kind AS k, count(*) AS n FROM {a} WHERE {{where}} GROUP BY kind",
            f"SELECT 'team:' || kind, count(*) FROM {a} WHERE {{where}}"
            " AND team_id IS NOT NULL GROUP BY kind",
            f"SELECT '{tallies.OWN}team:' || kind, count(*) FROM {a} WHERE {{own}}"
            " AND team_id IS NOT NULL GROUP BY kind",
            f"SELECT 'audience', sum(audience) FROM {a} WHERE {{where}}",
            f"SELECT 'attendance:' || status, count(*) FROM {att} WHERE {{where}} GROUP BY status",
        ]
    )


TOPIC_DEF = tallies.Topic(TOPIC, _sql)


def refresh(paths) -> None:
    """Recount the tallies over these organisations' study rows (in the writer's transaction)."""
    tallies.refresh(TOPIC, paths)
