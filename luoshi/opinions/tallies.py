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
    return " UNION ALL ".join(
        [
            f"SELECT 'state:' || state AS k, count(*) AS n FROM {o} WHERE {{where}} GROUP BY state",
            f"SELECT 'channel:' || channel, count(*) FROM {o} WHERE {{where}} GROUP BY channel",
            f"SELECT 'rating:' || rating, count(*) FROM {o} WHERE {{where}} AND rating <> ''"
            " GROUP BY rating",
            f"SELECT 'transferred', count(*) FROM {o} WHERE {{where}}"
            " AND transferred_from_id IS NOT NULL",
            f"SELECT 'handle_seconds', sum(handle_seconds) FROM {o} WHERE {{where}}",
            f"SELECT 'days:' || ((handle_seconds + {DAY // 2}) / {DAY}), count(*) FROM {o}"
            f" WHERE {{where}} AND handle_seconds IS NOT NULL"
            f" GROUP BY (handle_seconds + {DAY // 2}) / {DAY}",
            f"SELECT 'symposia', count(*) FROM {s} WHERE {{where}}",
            f"SELECT 'problems', count(*) FROM {p} WHERE {{where}}"
            f" AND EXISTS (SELECT 1 FROM {o} x WHERE x.problem_id = {p}.id)",
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
