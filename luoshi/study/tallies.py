"""The study tally (core/tallies.py): per anchor, sessions by kind (all, and those of a
leadership team; `own:` the node's own team's), the audience of public events, and attendance
by status (counted where the member belongs)."""

from luoshi.core import tallies
from luoshi.study.models import Attendance, StudyActivity

TOPIC = "study"


def _sql() -> str:
    a, att = StudyActivity._meta.db_table, Attendance._meta.db_table
    A, W = "{anchor}", "{where}"
    return " UNION ALL ".join(
        [
            f"SELECT {A} AS a, 'kind:' || kind AS k, count(*) AS n FROM {a} WHERE {W}"
            f" GROUP BY {A}, kind",
            f"SELECT {A}, 'team:' || kind, count(*) FROM {a} WHERE {W}"
            f" AND team_id IS NOT NULL GROUP BY {A}, kind",
            f"SELECT {A}, '{tallies.OWN}team:' || kind, count(*) FROM {a} WHERE {{own}}"
            f" AND team_id IS NOT NULL GROUP BY {A}, kind",
            f"SELECT {A}, 'audience', sum(audience) FROM {a} WHERE {W} GROUP BY {A}",
            f"SELECT {A}, 'attendance:' || status, count(*) FROM {att} WHERE {W}"
            f" GROUP BY {A}, status",
        ]
    )


TOPIC_DEF = tallies.Topic(TOPIC, _sql)


def refresh(paths) -> None:
    """Recount the tallies over these organisations' study rows (in the writer's transaction)."""
    tallies.refresh(TOPIC, paths)
