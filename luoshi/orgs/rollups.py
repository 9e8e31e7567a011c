"""The organisations' roll-up (OrgTally): one row per organisation counting its own members and
leadership team, so that a subtree's organisation and member counts are a sum over a path range
instead of a scan of millions of member rows. See core/rollups.py and docs/decisions.md."""

from collections.abc import Iterable

from luoshi.core import tallies
from luoshi.core.rollups import recount
from luoshi.orgs.models import LeadershipTeam, Member, Organization, OrgKind, OrgTally

LOCK = 71  # the advisory-lock class of this roll-up


def _sql() -> str:
    t, o = OrgTally._meta.db_table, Organization._meta.db_table
    m, team = Member._meta.db_table, LeadershipTeam._meta.db_table
    probationary = Member.Status.PROBATIONARY.value
    return (
        f"INSERT INTO {t} (org_id, org_path, branches, members, probationary_members,"
        " leadership_teams)"
        f" SELECT o.id, o.path, CASE WHEN o.kind = '{OrgKind.BRANCH.value}' THEN 1 ELSE 0 END,"
        " COALESCE(m.n, 0), COALESCE(m.p, 0), COALESCE(lt.n, 0)"
        f" FROM {o} o"
        " LEFT JOIN (SELECT org_id, count(*) AS n,"
        f" count(*) FILTER (WHERE status = '{probationary}') AS p"
        # a member who left (left_on set) is kept on the rolls' history but not counted
        f" FROM {m} WHERE left_on IS NULL AND {{only}} GROUP BY org_id) m ON m.org_id = o.id"
        f" LEFT JOIN (SELECT org_id, count(*) AS n FROM {team} WHERE {{only}} GROUP BY org_id) lt"
        " ON lt.org_id = o.id"
        " WHERE {only_o} AND o.dissolved_on IS NULL"  # a merged or dissolved one counts nothing
    )


def refresh_org_tallies(org_ids: Iterable[int]) -> int:
    """Recount the roll-up rows of these organisations (call it in the writer's transaction
    after adding organisations, members or leadership teams, or changing an organisation's
    kind), and their anchors' sums of them."""
    org_ids = list(org_ids)
    written = recount(OrgTally._meta.db_table, LOCK, _sql(), org_ids)
    tallies.refresh(
        SUMS, Organization.objects.filter(pk__in=org_ids).values_list("path", flat=True)
    )
    return written


# The anchored sums of OrgTally (core/tallies.py): what a node above the tally depth reads for
# each child, so that a province's root sums a few thousand rows instead of 200,000.
SUMS = "org_sums"


def _sums_sql() -> str:
    t = OrgTally._meta.db_table
    sums = ", ".join(f"sum({f}) AS {f}" for f in ORG_FIELDS)
    return (
        f"SELECT a, k, n FROM (WITH s AS (SELECT {{anchor}} AS a, count(*) AS organizations,"
        f" {sums} FROM {t} WHERE {{where}} GROUP BY {{anchor}}) "
        + " UNION ALL ".join(
            f"SELECT a, '{f}' AS k, {f} AS n FROM s" for f in ["organizations", *ORG_FIELDS]
        )
        + ") x"
    )


SUMS_TOPIC = tallies.Topic(SUMS, _sums_sql)


def rebuild_org_tallies() -> int:
    """Recount every organisation's roll-up row (after a seed; `luoshi rollups --rebuild`)."""
    return recount(OrgTally._meta.db_table, LOCK, _sql(), None)


def org_tally_drift() -> list[str]:
    """Where the roll-up differs from a direct count of the rows (empty when it is exact),
    counted another way than the recount: grouped in the ORM, summed in Python."""
    from django.db.models import Count

    expected = {
        pk: {
            "org_path": path,
            "branches": int(kind == OrgKind.BRANCH),
            "members": 0,
            "probationary_members": 0,
            "leadership_teams": 0,
        }
        for pk, path, kind in Organization.objects.values_list("pk", "path", "kind")
    }
    gone = {"org_path": None, **dict.fromkeys(ORG_FIELDS, 0)}  # rows left on a dissolved one
    for org_id, status, n in (
        Member.objects.filter(left_on__isnull=True)
        .values_list("org_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        expected.setdefault(org_id, dict(gone))["members"] += n
        if status == Member.Status.PROBATIONARY:
            expected[org_id]["probationary_members"] += n
    for org_id, n in (
        LeadershipTeam.objects.values_list("org_id").annotate(n=Count("id")).order_by()
    ):
        expected.setdefault(org_id, dict(gone))["leadership_teams"] += n
    stored = {
        row.pop("org_id"): row for row in OrgTally.objects.values("org_id", "org_path", *ORG_FIELDS)
    }
    return _differences("orgs", expected, stored)


ORG_FIELDS = ["branches", "members", "probationary_members", "leadership_teams"]


def _differences(name: str, expected: dict, stored: dict) -> list[str]:
    found = []
    for key in sorted(set(expected) | set(stored), key=str):
        if expected.get(key) != stored.get(key):
            found.append(f"{name} {key}: stored {stored.get(key)} != counted {expected.get(key)}")
    return found
