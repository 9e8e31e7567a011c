"""The opinions' tally (core/tallies.py): per anchor, opinions by state, channel and rating, the
passed-on ones, handling time (total seconds, and how many took each number of days, rounded,
for the median), symposia, and the problems of the ledger that opinions went into (counted by
the problem's organisation, so that several opinions merged into one problem count it once)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from luoshi.core import tallies
from luoshi.opinions.models import Opinion, Symposium
from luoshi.rectification.models import Problem

TOPIC = "opinions"
DAY = 86400


def _sql() -> str:
    o, s, p = Opinion._meta.db_table, Symposium._meta.db_table, Problem._meta.db_table
    A, W = "{anchor}", "{where}"
    return " UNION ALL ".join(
        [
            f"SELECT {A} AS a, 'state:' || state AS k, count(*) AS n FROM {o} WHERE {W}"
            f" GROUP BY {A}, state",
            f"SELECT {A}, 'channel:' || channel, count(*) FROM {o} WHERE {W} GROUP BY {A}, channel",
            f"SELECT {A}, 'rating:' || rating, count(*) FROM {o} WHERE {W} AND rating <> ''"
            f" GROUP BY {A}, rating",
            f"SELECT {A}, 'transferred', count(*) FROM {o} WHERE {W}"
            f" AND transferred_from_id IS NOT NULL GROUP BY {A}",
            f"SELECT {A}, 'handle_seconds', sum(handle_seconds) FROM {o} WHERE {W} GROUP BY {A}",
            f"SELECT {A}, 'days:' || ((handle_seconds + {DAY // 2}) / {DAY}), count(*) FROM {o}"
            f" WHERE {W} AND handle_seconds IS NOT NULL"
            f" GROUP BY {A}, (handle_seconds + {DAY // 2}) / {DAY}",
            f"SELECT {A}, 'symposia', count(*) FROM {s} WHERE {W} GROUP BY {A}",
            f"SELECT {A}, 'problems', count(*) FROM {p} WHERE {W}"
            f" AND EXISTS (SELECT 1 FROM {o} x WHERE x.problem_id = {p}.id) GROUP BY {A}",
        ]
    )


TOPIC_DEF = tallies.Topic(TOPIC, _sql)


def refresh(*paths: str | None) -> None:
    """Recount the tallies over these organisations' opinions (in the writer's transaction)."""
    tallies.refresh(TOPIC, paths)


@receiver(post_delete, sender=Problem, dispatch_uid="opinions_tally_problem_deleted")
def _problem_deleted(sender, instance, **kwargs):
    """A deleted problem no longer counts as made from opinions (they keep their state)."""
    refresh(instance.org_path)
