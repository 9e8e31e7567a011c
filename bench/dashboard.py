"""Benchmark the tree and the dashboard: W1 (subtree ids and is-ancestor, per level), W2 (the
dashboard page of a node against its raw-SQL floor and an N+1 strawman) and W10 (roll-up
maintenance: cost per write, full rebuild, drift against direct counts after a random replay of
writes, and the page's figures equal to a direct recount).

Each database is seeded once with `luoshi migrate && luoshi seed --scale <scale>` (PostgreSQL:
database `bench_dash_<scale>`, or the one named by --database-name; SQLite: a file in
$TMPDIR/bench-dash-sqlite-<scale>/ used as LUOSHI_VAR), then measured in a child process of its
own (Django reads the database settings once). Timings are warm: one warm-up call, then the
median and p90 (nearest rank) of --runs calls, in milliseconds.

W1  per level (root, city, county, township, branch): the ids of the node's subtree by (a) a raw
    path range, the floor, (b) a recursive CTE over parent_id, (c) our selector
    Organization.objects.in_subtree(path); the three id sets must be equal. Is-ancestor of a
    branch below the node: core.paths.is_within on paths in hand (ours), one indexed query for
    both paths plus the prefix test (the floor), and a recursive CTE up the branch's parents.
W2  GET /dashboard/<id>/ as the seed's `city_office` (root office), through django.test.Client,
    with its query count (which must not grow with the subtree) and its time inside execute().
    Floor: the page's data in 13 raw queries (one statement per table gives the per-child
    figures and, summed, the headline ones; charts; the node, its children, crumbs, campaigns,
    last snapshot, the ten most overdue measures), checked equal to the selectors' figures.
    Per table the floor takes the faster, timed beforehand, of two formulations: GROUP BY the
    child's path prefix, or one range aggregate per child joined by UNION ALL (and of two
    predicates for the weekly chart). N+1: the per-child statements replaced by one query per
    child per table in a Python loop.
W10 the roll-ups (OrgTally, LedgerTally; see docs/decisions.md): roll-up rows recounted and ms
    per write, a full rebuild, and the drift of every roll-up row against a direct count (ORM
    group-by, summed in Python) before and after the writes and after the rebuild; replaying
    --writes random service calls
    (verify / return / reopen by the root office, start / resume / progress reports by the
    county liaison, on behalf of the units below it) and comparing the root page's figures
    with a recount in Python over the rows
    (organisations by parent, facts by org_id, not by the org_path copies), before and after.
    W10 changes the database (the writes are committed).

    bench/dashboard.py --db postgres --scale province
    bench/dashboard.py --db postgres --scale province --database-name bench_ledger
    bench/dashboard.py --db sqlite --scale city --json
"""

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from common import (
    DATABASES,
    PG,
    PG_URL,
    PROBLEMS_AT,
    SCALES,
    VENV_PYTHON,
    migrate_and_seed,
    print_and_exit,
    query_shape,
    setup_django,
    summary,
    timed,
)

LEVELS = {1: "province", 2: "city", 3: "county", 4: "township", 5: "branch"}
AIM_MS, AIM_RATIO = 300.0, 2.0
ROW_KEYS = (
    "organizations members problems immediate measures closed closed_on_time overdue returned"
    " red yellow green closure_rate on_time_rate"
).split()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the parent: seed, then one child process per database ----------------------------------
def psql(sql: str, db: str = "postgres") -> str:
    done = subprocess.run([*PG, "-d", db, "-c", sql], check=True, capture_output=True, timeout=600)
    return done.stdout.decode().strip()


def seeded_scale(db: str, env: dict) -> str | None:
    """The scale of the seed already in the database, None if it holds no seed."""
    if db == "postgres":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            return None
        try:
            count = int(psql("SELECT count(*) FROM rectification_problem", name) or 0)
        except subprocess.CalledProcessError:
            return None  # no tables yet
    else:
        import sqlite3

        path = Path(env["LUOSHI_VAR"]) / "luoshi.sqlite3"
        if not path.exists():
            return None
        with sqlite3.connect(path) as conn:
            try:
                count = conn.execute("SELECT count(*) FROM rectification_problem").fetchone()[0]
            except sqlite3.OperationalError:
                return None
    return PROBLEMS_AT.get(count, f"unknown ({count} problems)") if count else None


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(args, env=env, cwd=env["LUOSHI_VAR"], capture_output=True)
    if done.returncode:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-15:]
        message = f"{' '.join(args)} exited with {done.returncode}:\n  "
        raise RuntimeError(message + "\n  ".join(tail))
    return done.stdout.decode()


def analyze(env: dict) -> float:
    """ANALYZE the PostgreSQL database, as autovacuum would soon after a bulk load (this server
    runs with autovacuum off, and `luoshi seed` does not analyse); seconds taken."""
    started = time.perf_counter()
    psql("ANALYZE", env["DATABASE_URL"].rsplit("/", 1)[1])
    return time.perf_counter() - started


def prepare(
    db: str, scale: str, reuse: bool, name: str | None, var: Path | None = None
) -> tuple[dict, dict]:
    """An environment pointing at a seeded database of `scale`; seeds it unless reused. A
    database named with --database-name is re-used when it holds a seed of the scale, seeded
    when missing or empty, and never dropped. `var`: the LUOSHI_VAR folder (default: one per
    database and scale in $TMPDIR, kept for --reuse)."""
    var = var or Path(tempfile.gettempdir()) / f"bench-dash-{db}-{scale}"
    env = {**os.environ, "LUOSHI_VAR": str(var)}
    env.pop("DATABASE_URL", None)
    pg_name = name or f"bench_dash_{scale}"
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL + pg_name
        where = pg_name
    else:
        where = str(var / "luoshi.sqlite3")
    var.mkdir(parents=True, exist_ok=True)
    found = seeded_scale(db, env) if (reuse or name) else None
    if found == scale:
        log(f"{db}: re-using the {scale} seed in {where}")
        setup = {"reused": True, "scale": scale, "where": where, "analyzed": db == "postgres"}
        if db == "postgres":
            setup["analyze_seconds"] = analyze(env)
        return env, setup
    if name and db == "postgres" and (found or seeded_scale(db, env)):
        raise RuntimeError(f"{name} holds a {found} seed, not {scale}: not dropping it")
    if found:
        log(f"{db}: the database holds a {found} seed, not {scale}: seeding afresh")
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if db == "postgres":
        if not name:
            psql(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{pg_name}'"):
            psql(f"CREATE DATABASE {pg_name}")
    log(f"{db}: migrating and seeding {scale} into {where} (minutes at province scale) ...")
    started = time.perf_counter()
    seeded = migrate_and_seed(env, scale, cwd=env["LUOSHI_VAR"])
    seconds = time.perf_counter() - started
    log(f"{db}: seeded {seeded['organizations']:,} organisations in {seconds:.0f}s")
    setup = {"reused": False, "scale": scale, "where": where, "seed_seconds": seconds}
    setup["seed"] = seeded
    setup["analyzed"] = db == "postgres"
    if db == "postgres":
        setup["analyze_seconds"] = analyze(env)
        log(f"{db}: analysed in {setup['analyze_seconds']:.1f}s")
    return env, setup


def measure_in_child(db: str, env: dict, args) -> dict:
    """Run the measurements in a fresh process pointed at `env`'s database."""
    command = [str(VENV_PYTHON), __file__, "--child", "--db", db, "--scale", args.scale]
    command += ["--runs", str(args.runs), "--writes", str(args.writes), "--seed", str(args.seed)]
    command += ["--only", ",".join(args.only)]
    done = subprocess.run(command, env=env, cwd=env["LUOSHI_VAR"], stdout=subprocess.PIPE)
    if done.returncode:
        raise RuntimeError(f"the {db} measurements exited with {done.returncode}")
    return json.loads(done.stdout)


# --- the child: measurements inside Django --------------------------------------------------
def fetch(sql: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def table(model) -> str:
    return model._meta.db_table


class Nodes:
    """One organisation per level along the demo accounts' first county: the root, its first
    city (province scale), the county of `county_liaison`, that county's first township-level
    region and the first branch below that township."""

    def __init__(self):
        from django.contrib.auth import get_user_model

        from luoshi.orgs.models import Organization, OrgKind, OrgLevel, UnitType

        users = get_user_model().objects
        self.office = users.get(username="city_office")
        self.liaison = users.get(username="county_liaison")
        orgs = Organization.objects
        self.root = orgs.get(parent=None)
        # The liaison's county (older province seeds assign the liaison to a city instead).
        self.liaison_org = self.liaison.assignments.get().org
        self.county = self.liaison_org
        if self.county.level < OrgLevel.COUNTY:
            self.county = (
                orgs.in_subtree(self.county.path)
                .filter(level=OrgLevel.COUNTY, unit_type=UnitType.REGION)
                .order_by("path")
                .first()
            )
        township = (
            orgs.in_subtree(self.county.path)
            .filter(level=OrgLevel.TOWNSHIP, unit_type=UnitType.REGION)
            .order_by("path")
            .first()
        ) or orgs.in_subtree(self.county.path).filter(level=OrgLevel.TOWNSHIP).first()
        branch = orgs.in_subtree(township.path).filter(kind=OrgKind.BRANCH).order_by("path").first()
        self.by_level = [self.root]
        if self.root.level < OrgLevel.CITY and self.county.parent.level == OrgLevel.CITY:
            self.by_level.append(self.county.parent)
        self.by_level += [self.county, township, branch]
        self.branch = branch
        # A branch outside the county, for a negative is-ancestor test.
        self.outsider = (
            orgs.filter(kind=OrgKind.BRANCH).exclude(path__startswith=self.county.path).last()
        )

    @staticmethod
    def label(org) -> str:
        return LEVELS.get(org.level, str(org.level))

    def describe(self) -> list[dict]:
        from luoshi.orgs.models import Organization

        return [
            {
                "level": self.label(o),
                "id": o.pk,
                "name": o.name,
                "path": o.path,
                "subtree": Organization.objects.in_subtree(o.path).count(),
            }
            for o in self.by_level
        ]


# --- W1 -------------------------------------------------------------------------------------
class Subtrees:
    """W1: subtree ids and is-ancestor, per level."""

    CTE_DOWN = (
        "WITH RECURSIVE t(id) AS ("
        " SELECT id FROM {org} WHERE id = %(id)s"
        " UNION ALL SELECT o.id FROM {org} o JOIN t ON o.parent_id = t.id"
        ") SELECT id FROM t"
    )
    CTE_UP = (
        "WITH RECURSIVE up(id, parent_id) AS ("
        " SELECT id, parent_id FROM {org} WHERE id = %(d)s"
        " UNION ALL SELECT o.id, o.parent_id FROM {org} o JOIN up ON o.id = up.parent_id"
        ") SELECT EXISTS (SELECT 1 FROM up WHERE id = %(a)s)"
    )
    RANGE = "SELECT id FROM {org} WHERE path >= %(lo)s AND path < %(hi)s"
    PATHS = "SELECT id, path FROM {org} WHERE id IN (%(a)s, %(d)s)"

    def __init__(self, nodes: Nodes, runs: int):
        from luoshi.orgs.models import Organization

        org = table(Organization)
        self.nodes, self.runs = nodes, runs
        self.cte_down, self.cte_up = self.CTE_DOWN.format(org=org), self.CTE_UP.format(org=org)
        self.range, self.paths = self.RANGE.format(org=org), self.PATHS.format(org=org)

    def ids(self, org) -> dict:
        from luoshi.core.paths import path_upper
        from luoshi.orgs.models import Organization

        bounds = {"lo": org.path, "hi": path_upper(org.path)}

        def floor():
            return [r[0] for r in fetch(self.range, bounds)]

        def cte():
            return [r[0] for r in fetch(self.cte_down, {"id": org.pk})]

        def ours():
            return list(Organization.objects.in_subtree(org.path).values_list("id", flat=True))

        sets = [set(f()) for f in (floor, cte, ours)]
        result = {
            "level": self.nodes.label(org),
            "org": org.pk,
            "ids": len(sets[0]),
            "floor": summary(timed(floor, self.runs)),
            "cte": summary(timed(cte, self.runs)),
            "ours": summary(timed(ours, self.runs)),
            "same": sets[0] == sets[1] == sets[2],
        }
        base = result["floor"]["median_ms"]
        result["cte_ratio"] = result["cte"]["median_ms"] / base
        result["ours_ratio"] = result["ours"]["median_ms"] / base
        return result

    def ancestor(self, org, other) -> dict:
        """Whether `org` is `other`'s ancestor (or itself), three ways."""
        from luoshi.core.paths import is_within

        params = {"a": org.pk, "d": other.pk}

        def floor():
            paths = dict(fetch(self.paths, params))
            return is_within(paths[other.pk], paths[org.pk])

        def cte():
            return bool(fetch(self.cte_up, params)[0][0])

        inner = 10_000

        def ours():
            for _ in range(inner):
                found = is_within(other.path, org.path)
            return found

        answers = {floor(), cte(), ours()}
        result = {
            "level": self.nodes.label(org),
            "org": org.pk,
            "of": other.pk,
            "answer": answers.pop() if len(answers) == 1 else None,
            "floor": summary(timed(floor, self.runs)),
            "cte": summary(timed(cte, self.runs)),
            "ours": summary([t / inner for t in timed(ours, self.runs)]),
        }
        result["cte_ratio"] = result["cte"]["median_ms"] / result["floor"]["median_ms"]
        result["ours_ratio"] = result["ours"]["median_ms"] / result["floor"]["median_ms"]
        return result

    def all(self) -> dict:
        subtree, ancestors = [], []
        for org in self.nodes.by_level:
            log(f"  W1 {self.nodes.label(org)} ...")
            subtree.append(self.ids(org))
            ancestors.append(self.ancestor(org, self.nodes.branch))
            if self.nodes.outsider and not self.nodes.outsider.path.startswith(org.path):
                ancestors.append(self.ancestor(org, self.nodes.outsider))
        return {"subtree": subtree, "ancestor": ancestors}


# --- W2 -------------------------------------------------------------------------------------
class Floor:
    """The dashboard's data with the fewest and simplest queries we could write, on a raw cursor.

    One statement per table over the subtree gives each child's figures (and the node's own
    rows); the headline figures are their sums, so they cost no scan of their own. FILTERed
    counts carry every campaign and the chosen one in the same pass. calibrate() picks, per
    table, GROUP BY the child's path prefix or one range aggregate per child (UNION ALL)."""

    def __init__(self, vendor: str, campaign, nodes: Nodes):
        from luoshi.campaigns.models import Campaign, Category, ProblemSource
        from luoshi.dashboards.models import Snapshot
        from luoshi.orgs.models import LeadershipTeam, Member, Organization
        from luoshi.rectification.models import Measure, Problem, Regulation

        self.vendor, self.campaign, self.user = vendor, campaign, nodes.office
        self.t = {
            "org": table(Organization),
            "member": table(Member),
            "team": table(LeadershipTeam),
            "problem": table(Problem),
            "measure": table(Measure),
            "regulation": table(Regulation),
            "campaign": table(Campaign),
            "category": table(Category),
            "source": table(ProblemSource),
            "snapshot": table(Snapshot),
        }
        self.scope = nodes.root.path  # the office's scope: the whole tree

    # SQL pieces
    def child(self, col: str, path: str) -> str:
        """The path of the child of `path` that `col` lies under (the node's own path for its own
        rows); lengths are ints, inlined."""
        n = len(path)
        find = "strpos" if self.vendor == "postgresql" else "instr"
        return f"substr({col}, 1, {n} + {find}(substr({col}, {n + 1}), '/'))"

    @staticmethod
    def where(col: str, own: bool = False) -> str:
        if own:
            return f"{col} = %(lo)s"
        return f"{col} >= %(lo)s AND {col} < %(hi)s"

    def measure_columns(self) -> str:
        from luoshi.rectification.models import DeadlineKind, MeasureState

        closed, ongoing = f"'{MeasureState.CLOSED}'", f"'{DeadlineKind.ONGOING}'"
        overdue = (
            f"m.state <> {closed} AND m.deadline_kind <> {ongoing}"
            " AND m.due_on IS NOT NULL AND m.due_on < %(today)s"
        )
        on_time = f"m.state = {closed} AND NOT m.was_overdue AND m.extensions = 0"
        yellow = (
            f"m.state <> {closed} AND NOT ({overdue}) AND (m.was_overdue"
            f" OR (m.deadline_kind <> {ongoing} AND m.due_on IS NOT NULL"
            " AND m.due_on <= %(warn)s))"
        )
        green = f"m.state <> {closed} AND NOT ({overdue}) AND NOT ({yellow})"
        every = [
            "",
            f"m.state = {closed}",
            on_time,
            overdue,
            f"m.state = '{MeasureState.RETURNED}'",
            f"m.state = '{MeasureState.SUBMITTED}'",
        ]
        cols = [f"count(*) FILTER (WHERE {c})" if c else "count(*)" for c in every]
        chosen = [*every[:5], overdue, yellow, green]
        ours = "p.campaign_id = %(campaign)s"
        cols += [f"count(*) FILTER (WHERE {ours}{' AND ' + c if c else ''})" for c in chosen]
        return ", ".join(cols)

    MEASURE_KEYS = (
        "all_measures all_closed all_on_time all_overdue all_returned all_submitted"
        " measures closed closed_on_time overdue returned red yellow green"
    ).split()

    def sql(self, kind: str, path: str, own: bool = False, grouped: bool = True) -> str:
        from luoshi.orgs.models import Member, OrgKind

        t = self.t
        if kind == "orgs":
            col = "path"
            cols = f"count(*), count(*) FILTER (WHERE kind = '{OrgKind.BRANCH}')"
            body = f"FROM {t['org']} WHERE {self.where(col, own)}"
        elif kind == "members":
            col = "org_path"
            status = Member.Status.PROBATIONARY
            cols = f"count(*), count(*) FILTER (WHERE status = '{status}')"
            body = f"FROM {t['member']} WHERE {self.where(col, own)}"
        elif kind == "problems":
            col = "org_path"
            cols = (
                "status, count(*), count(*) FILTER (WHERE campaign_id = %(campaign)s),"
                " count(*) FILTER (WHERE immediate),"
                " count(*) FILTER (WHERE immediate AND campaign_id = %(campaign)s)"
            )
            body = f"FROM {t['problem']} WHERE {self.where(col, own)}"
        else:  # measures
            col = "m.org_path"
            cols = self.measure_columns()
            body = (
                f"FROM {t['measure']} m JOIN {t['problem']} p ON p.id = m.problem_id"
                f" WHERE {self.where(col, own)}"
            )
        if grouped:
            group = "1, 2" if kind == "problems" else "1"
            return f"SELECT {self.child(col, path)}, {cols} {body} GROUP BY {group}"
        return f"SELECT {cols} {body}" + (" GROUP BY status" if kind == "problems" else "")

    def fixed_sql(self) -> dict[str, dict[str, str]]:
        """The queries the floor and the N+1 strawman share (everything but the per-child
        figures), each with one or more formulations; calibrate() picks the fastest."""
        from luoshi.rectification.models import DeadlineKind, MeasureState

        t, rng = self.t, self.where
        closed, ongoing = MeasureState.CLOSED, DeadlineKind.ONGOING
        if self.vendor == "postgresql":
            week = "date_trunc('week', m.closed_at AT TIME ZONE %(tz)s)"
            local_date = "(m.closed_at AT TIME ZONE %(tz)s)::date"
        else:
            week = "django_datetime_trunc('week', m.closed_at, %(tz)s, 'UTC')"
            local_date = "django_datetime_cast_date(m.closed_at, %(tz)s, 'UTC')"
        weekly = (
            f"SELECT {week}, count(*) FROM {t['measure']} m"
            f" JOIN {t['problem']} p ON p.id = m.problem_id"
            f" WHERE {rng('m.org_path')} AND p.campaign_id = %(campaign)s"
            f" AND m.state = '{closed}' AND {{since}} GROUP BY 1 ORDER BY 1"
        )
        return {
            "org": f"SELECT id, name, short_name, code, path, level FROM {t['org']}"
            " WHERE id = %(id)s AND path >= %(scope_lo)s AND path < %(scope_hi)s",
            "crumbs": f"SELECT id, name, short_name FROM {t['org']}"
            " WHERE id IN ({ancestors}) AND path >= %(scope_lo)s AND path < %(scope_hi)s",
            "campaigns": f"SELECT id, name, warning_days FROM {t['campaign']}"
            " WHERE org_path >= %(scope_lo)s AND org_path < %(scope_hi)s"
            " ORDER BY starts_on DESC, id",
            "snapshot": f"SELECT id, figures, submitted_at FROM {t['snapshot']}"
            " WHERE org_id = %(id)s AND campaign_id = %(campaign)s"
            " ORDER BY submitted_at DESC, id DESC LIMIT 1",
            "children": f"SELECT id, name, short_name, path FROM {t['org']}"
            " WHERE parent_id = %(id)s AND path >= %(scope_lo)s AND path < %(scope_hi)s"
            " ORDER BY sort_order, id",
            "counts": f"SELECT (SELECT count(*) FROM {t['team']} WHERE {rng('org_path')}),"
            f" (SELECT count(*) FROM {t['regulation']} WHERE {rng('org_path')})",
            "vocabulary": f"SELECT s.name, pc.name, count(*) FROM {t['problem']} p"
            f" LEFT JOIN {t['source']} s ON s.id = p.source_id"
            f" LEFT JOIN {t['category']} c ON c.id = p.category_id"
            f" LEFT JOIN {t['category']} pc ON pc.id = c.parent_id"
            f" WHERE p.campaign_id = %(campaign)s AND {rng('p.org_path')} GROUP BY 1, 2",
            "weekly": {
                "instant": weekly.replace("{since}", "m.closed_at >= %(since)s"),
                "local-date": weekly.replace("{since}", f"{local_date} >= %(since_date)s"),
            },
            "overdue": "SELECT m.id, m.problem_id, m.due_on, m.content, p.title, o.name,"
            f" o.short_name FROM {t['measure']} m JOIN {t['problem']} p ON p.id = m.problem_id"
            f" JOIN {t['org']} o ON o.id = m.org_id WHERE {rng('m.org_path')}"
            f" AND p.campaign_id = %(campaign)s AND m.state <> '{closed}'"
            f" AND m.deadline_kind <> '{ongoing}' AND m.due_on < %(today)s"
            " ORDER BY m.due_on, m.id LIMIT 10",
        }

    def params(self, org) -> dict:
        from datetime import datetime, timedelta
        from datetime import time as dtime

        from django.db import connection
        from django.utils import timezone

        from luoshi.core.paths import path_upper
        from luoshi.rectification.models import today

        on = today()
        since = timezone.make_aware(datetime.combine(on - timedelta(weeks=12), dtime.min))
        return {
            "id": org.pk,
            "lo": org.path,
            "hi": path_upper(org.path),
            "scope_lo": self.scope,
            "scope_hi": path_upper(self.scope),
            "campaign": self.campaign.pk,
            "today": on,
            "warn": on + timedelta(days=self.campaign.warning_days),
            "since": connection.ops.adapt_datetimefield_value(since),
            "since_date": on - timedelta(weeks=12),
            "tz": timezone.get_current_timezone_name(),
        }

    KINDS = ("orgs", "members", "problems", "measures")

    def prepare(self, org) -> dict:
        """Everything the timed calls need that does not depend on the data."""
        from luoshi.core.paths import ancestor_ids

        fixed = self.fixed_sql()
        ids = ", ".join(str(int(i)) for i in ancestor_ids(org.path)[:-1]) or "0"
        fixed["crumbs"] = fixed["crumbs"].replace("{ancestors}", ids)  # ints, spelt out
        return {
            "org": org,
            "params": self.params(org),
            "fixed": {k: v if isinstance(v, dict) else {"": v} for k, v in fixed.items()},
            "grouped": {k: self.sql(k, org.path) for k in self.KINDS},
            "choice": {},  # slot -> formulation, from calibrate(); the first one until then
        }

    def ranges(self, kind: str, plan: dict, targets: list) -> tuple[str, dict]:
        """One statement with one range aggregate per child (UNION ALL): index ranges instead
        of a string expression to group by."""
        from luoshi.core.paths import path_upper

        parts, params = [], dict(plan["params"])
        for i, (path, own) in enumerate(targets):
            single = self.sql(kind, plan["org"].path, own=own, grouped=False)
            single = single.replace("%(lo)s", f"%(lo{i})s").replace("%(hi)s", f"%(hi{i})s")
            parts.append(single.replace("SELECT ", f"SELECT %(lo{i})s, ", 1))
            params[f"lo{i}"], params[f"hi{i}"] = path, path_upper(path)
        return " UNION ALL ".join(parts), params

    @staticmethod
    def targets(plan: dict, children: list) -> list[tuple[str, bool]]:
        """The node's own rows, then each child's subtree."""
        return [(plan["org"].path, True)] + [(c[3], False) for c in children]

    def run_fixed(self, cursor, plan: dict, out: dict) -> None:
        for name, forms in plan["fixed"].items():
            cursor.execute(forms[plan["choice"].get(name, next(iter(forms)))], plan["params"])
            out[name] = cursor.fetchall()

    def run_kind(self, cursor, plan: dict, kind: str, form: str, children: list) -> list:
        if form == "grouped":
            cursor.execute(plan["grouped"][kind], plan["params"])
        else:
            cursor.execute(*self.ranges(kind, plan, self.targets(plan, children)))
        return cursor.fetchall()

    def calibrate(self, plan: dict, runs: int = 3) -> dict:
        """Time each formulation of each slot (median of `runs` after a warm-up) and keep the
        fastest in plan["choice"]; returns the medians."""
        from django.db import connection

        times = {}
        with connection.cursor() as cursor:
            children = fetch(plan["fixed"]["children"][""], plan["params"])
            slots = [(k, ("grouped", "ranges")) for k in self.KINDS]
            slots += [(k, tuple(f)) for k, f in plan["fixed"].items() if len(f) > 1]

            def call(slot: str, form: str):
                if slot in self.KINDS:
                    return self.run_kind(cursor, plan, slot, form, children)
                cursor.execute(plan["fixed"][slot][form], plan["params"])
                return cursor.fetchall()

            for slot, forms in slots:
                for form in forms:
                    samples = timed(lambda s=slot, f=form: call(s, f), runs)
                    times[f"{slot}:{form}"] = statistics.median(samples)
                plan["choice"][slot] = min(forms, key=lambda f, s=slot: times[f"{s}:{f}"])
        return times

    def run(self, plan: dict) -> dict:
        """The floor: the fixed queries, then one statement per table for the children."""
        from django.db import connection

        out = {}
        with connection.cursor() as cursor:
            self.run_fixed(cursor, plan, out)
            for kind in self.KINDS:
                form = plan["choice"].get(kind, "grouped")
                out[kind] = self.run_kind(cursor, plan, kind, form, out["children"])
        return self.derive(plan, out)

    def run_n_plus_1(self, plan: dict) -> dict:
        """The strawman: the fixed queries, then per child (and the node's own rows) one query
        per table, in a Python loop."""
        from django.db import connection

        from luoshi.core.paths import path_upper

        out = {}
        with connection.cursor() as cursor:
            self.run_fixed(cursor, plan, out)
            targets = self.targets(plan, out["children"])
            for kind in self.KINDS:
                out[kind] = []
            for path, own in targets:
                params = {**plan["params"], "lo": path, "hi": path_upper(path)}
                for kind in self.KINDS:
                    cursor.execute(self.sql(kind, plan["org"].path, own=own, grouped=False), params)
                    out[kind] += [(path, *r) for r in cursor.fetchall()]
        figures = self.derive(plan, out)
        figures["queries"] = len(plan["fixed"]) + len(self.KINDS) * len(targets)
        return figures

    def derive(self, plan: dict, out: dict) -> dict:
        """The page's figures from the raw rows, in the shape the selectors give them."""
        from luoshi.dashboards.selectors import _rates
        from luoshi.rectification.models import Problem, ProblemStatus

        org = plan["org"]
        orgs = {r[0]: r[1:] for r in out["orgs"]}
        members = {r[0]: r[1:] for r in out["members"]}
        measures = {r[0]: dict(zip(self.MEASURE_KEYS, r[1:], strict=True)) for r in out["measures"]}
        problems: dict[str, dict] = defaultdict(Counter)
        status_all, status_chosen, immediate_by_status = Counter(), Counter(), Counter()
        for child, status, n_all, n_chosen, imm_all, imm_chosen in out["problems"]:
            problems[child].update(problems=n_chosen, immediate=imm_chosen)
            status_all[status] += n_all
            status_chosen[status] += n_chosen
            immediate_by_status[status] += imm_all
        team_count, regulation_count = out["counts"][0]
        m_total = Counter()
        for fig in measures.values():
            m_total.update(fig)

        figures = {
            "organizations": sum(r[0] for r in orgs.values()),
            "branches": sum(r[1] for r in orgs.values()),
            "members": sum(r[0] for r in members.values()),
            "probationary_members": sum(r[1] for r in members.values()),
            "leadership_teams": team_count,
            "problems": sum(status_all.values()),
            "problems_closed": status_all[ProblemStatus.CLOSED],
            "problems_in_progress": status_all[ProblemStatus.IN_PROGRESS],
            "measures": m_total["all_measures"],
            "measures_closed": m_total["all_closed"],
            "measures_closed_on_time": m_total["all_on_time"],
            "measures_overdue": m_total["all_overdue"],
            "measures_returned": m_total["all_returned"],
            "measures_submitted": m_total["all_submitted"],
            "immediate_problems": sum(immediate_by_status.values()),
            "immediate_closed": immediate_by_status[ProblemStatus.CLOSED],
            "regulations": regulation_count,
        }
        figures["closure_rate"] = (
            round(100 * figures["measures_closed"] / figures["measures"], 1)
            if figures["measures"]
            else 0.0
        )
        figures["on_time_rate"] = (
            round(100 * figures["measures_closed_on_time"] / figures["measures_closed"], 1)
            if figures["measures_closed"]
            else 0.0
        )
        chosen_keys = self.MEASURE_KEYS[6:]
        node_measures = _rates({k: m_total[k] for k in chosen_keys})

        children = [(c[3], c[0]) for c in out["children"]]
        own_rows = problems.get(org.path, {}).get("problems") or measures.get(org.path, {}).get(
            "measures"
        )
        if children and own_rows:  # the view lists no rows at all for a node without children
            children = [(org.path, org.pk), *children]
        rows = {}
        for path, _ in children:
            fig = {"organizations": 0, "members": 0, "problems": 0, "immediate": 0}
            fig |= dict.fromkeys(chosen_keys, 0)
            fig["organizations"] = orgs.get(path, (0,))[0]
            fig["members"] = members.get(path, (0,))[0]
            fig.update(problems.get(path, {}))
            fig.update({k: measures[path][k] for k in chosen_keys} if path in measures else {})
            rows[path] = _rates(fig)

        labels = dict(Problem._meta.get_field("status").choices)
        sources, categories = Counter(), Counter()
        for source, top, n in out["vocabulary"]:
            sources[source or "未填"] += n
            categories[top or "未分类"] += n
        weekly = [
            (w.strftime("%m-%d") if hasattr(w, "strftime") else f"{w[5:7]}-{w[8:10]}", n)
            for w, n in out["weekly"]
            if w
        ]
        return {
            "figures": figures,
            "measures": node_measures,
            "rows": rows,
            "charts": {
                "status": [(labels[s], n) for s, n in sorted(status_chosen.items()) if n],
                "sources": dict(sources),
                "categories": dict(categories),
                "weekly_closures": shown_weeks(weekly),
            },
            "overdue": [r[0] for r in out["overdue"]],
            "crumbs": len(out["crumbs"]),
        }

    def ours(self, org) -> dict:
        """The same figures from the selectors the view calls (not timed)."""
        from luoshi.core.registry import subtree_figures
        from luoshi.dashboards import selectors

        charts = selectors.charts(org.path, self.campaign)
        return {
            "figures": subtree_figures(org.path),
            "measures": selectors.node_measure_figures(org.path, self.campaign),
            "rows": {  # the figures the floor computes (the rows carry a few more)
                r.org.path: {k: r.figures[k] for k in ROW_KEYS}
                for r in selectors.children_rows(self.user, org, self.campaign)
            },
            "charts": {
                "status": [
                    (label, n) for label, n in charts["status"] if n
                ],  # the view lists present statuses only
                "sources": dict(charts["sources"]),
                "categories": dict(charts["categories"]),
                "weekly_closures": charts["weekly_closures"],
            },
            "overdue": [m.pk for m in selectors.most_overdue(self.user, org.path, self.campaign)],
        }


def shown_weeks(weekly: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """A floor's weeks with closures as the page draws them: all twelve, the current one
    marked (the page's own presentation, dashboards.selectors.every_week)."""
    from luoshi.dashboards import selectors

    return selectors.every_week(weekly)


def shown_overdue(by_child: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """A floor's overdue per child as the page draws them (dashboards.views._figures): those
    with any, the most first, the thirteenth on folded into 其他."""
    from luoshi.dashboards import selectors

    ranked = sorted((r for r in by_child if r[1]), key=lambda r: -r[1])
    return selectors.top_and_others(ranked, n=12)


def counted_here(page: dict, counted: dict) -> dict:
    """The page's figures without those that other modules register (study, research, key
    actions...), which this benchmark does not count itself."""
    ours = {k: v for k, v in page["figures"].items() if k in counted["figures"]}
    return {**page, "figures": ours}


def differences(ours: dict, theirs: dict, prefix: str = "") -> list[str]:
    """Keys whose values differ, as 'a.b: ours != theirs' (at most a few)."""
    found = []
    for key in sorted(set(ours) | set(theirs), key=str):
        a, b = ours.get(key), theirs.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            found += differences(a, b, f"{prefix}{key}.")
        elif a != b:
            found.append(f"{prefix}{key}: {str(a)[:80]} != {str(b)[:80]}")
    return found


class SqlTimer:
    """An execute wrapper noting each query's seconds inside execute()."""

    def __init__(self):
        self.calls: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.calls.append((sql, time.perf_counter() - started))


class Dashboard:
    """W2 on the seeded database."""

    def __init__(self, nodes: Nodes, runs: int):
        from django.db import connection

        from luoshi.rectification import selectors

        self.nodes, self.runs = nodes, runs
        self.campaign = selectors.visible_campaigns(nodes.office)[0]
        self.floor = Floor(connection.vendor, self.campaign, nodes)

    def measure(self, org) -> dict:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        url = f"/dashboard/{org.pk}/"
        client = Client()
        client.force_login(self.nodes.office)

        def get():
            response = client.get(url)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            return response

        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            get()  # a first request fills per-process caches (templates, url resolvers)
            timer.calls.clear()
            with CaptureQueriesContext(connection) as captured:
                get()
            queries = captured.captured_queries
            assert len(queries) == len(timer.calls)
            by_time = sorted(
                zip((c[1] for c in timer.calls), (q["sql"] for q in queries), strict=True),
                reverse=True,
            )
            ours, ours_sql = [], []
            get()
            for _ in range(self.runs):
                timer.calls.clear()
                started = time.perf_counter()
                get()
                ours.append((time.perf_counter() - started) * 1000)
                ours_sql.append(sum(c[1] for c in timer.calls) * 1000)
        shapes = Counter(query_shape(q["sql"]) for q in queries)
        repeated = [(n, s) for s, n in shapes.most_common() if n > 2]

        plan = self.floor.prepare(org)
        calibration = self.floor.calibrate(plan)
        floor_figures = self.floor.run(plan)
        floor = timed(lambda: self.floor.run(plan), self.runs)
        floor_new_connection = None
        if connection.vendor == "sqlite":  # as a request: CONN_MAX_AGE is 0 on SQLite

            def reconnected():
                connection.close()
                return self.floor.run(plan)

            floor_new_connection = summary(timed(reconnected, self.runs))
        n1_figures = self.floor.run_n_plus_1(plan)
        n1 = timed(lambda: self.floor.run_n_plus_1(plan), self.runs)
        expected = self.floor.ours(org)
        floor_figures.pop("crumbs")
        n1_figures.pop("crumbs")
        n1_queries = n1_figures.pop("queries")
        floor_queries = len(plan["fixed"]) + len(plan["grouped"])
        result = {
            "workload": f"{self.nodes.label(org)} {org.pk}",
            "url": url,
            "children": len(expected["rows"]),
            "ours": summary(ours),
            "queries": len(queries),
            "sql": summary(ours_sql),
            "slowest_queries": [{"ms": t * 1000, "sql": sql} for t, sql in by_time[:5]],
            "repeated_queries": [{"count": n, "sql": s[:300]} for n, s in repeated],
            "floor": summary(floor),
            "floor_queries": floor_queries,
            "floor_choice": dict(plan["choice"]),
            "calibration_ms": calibration,
            "floor_new_connection": floor_new_connection,
            "n_plus_1": summary(n1),
            "n_plus_1_queries": n1_queries,
            "same": differences(counted_here(expected, floor_figures), floor_figures),
            "n_plus_1_same": differences(counted_here(expected, n1_figures), n1_figures),
        }
        result["ratio"] = result["ours"]["median_ms"] / result["floor"]["median_ms"]
        result["meets_aim"] = result["ours"]["median_ms"] < AIM_MS and result["ratio"] <= AIM_RATIO
        return result

    def all(self) -> list[dict]:
        results = []
        for org in self.nodes.by_level:
            log(f"  W2 {self.nodes.label(org)} ...")
            results.append(self.measure(org))
        return results


# --- W10 ------------------------------------------------------------------------------------
class Replay:
    """W10: random writes through the services, then the root page against a direct recount."""

    def __init__(self, nodes: Nodes, seed: int):
        from luoshi.rectification import selectors

        self.nodes = nodes
        self.rng = random.Random(seed)
        self.campaign = selectors.visible_campaigns(nodes.office)[0]

    def pools(self) -> dict[str, list[int]]:
        """Measure ids on which each kind of write is valid now."""
        from luoshi.rectification.models import Measure, MeasureState

        office, root, county = self.nodes.office, self.nodes.root, self.nodes.liaison_org
        below_root = Measure.objects.exclude(org_path=root.path)
        in_county = Measure.objects.in_subtree(county.path)  # the liaison's own subtree

        def ids(qs) -> list[int]:
            return list(qs.order_by("id").values_list("id", flat=True)[:20_000])

        submitted = below_root.filter(state=MeasureState.SUBMITTED).exclude(submitted_by=office)
        closed = below_root.filter(state=MeasureState.CLOSED)
        return {
            "verify": ids(submitted),
            "return": ids(submitted),
            "reopen": ids(closed),
            "start": ids(in_county.filter(state=MeasureState.NOT_STARTED)),
            "resume": ids(in_county.filter(state=MeasureState.RETURNED)),
            "progress": ids(
                in_county.filter(
                    state__in=[
                        MeasureState.NOT_STARTED,
                        MeasureState.IN_PROGRESS,
                        MeasureState.RETURNED,
                    ]
                )
            ),
        }

    def write(self, kind: str, measure_id: int) -> None:
        from luoshi.rectification import services
        from luoshi.rectification.models import Measure

        version = Measure.objects.values_list("version", flat=True).get(pk=measure_id)
        if kind == "progress":
            services.report_progress(
                actor=self.nodes.liaison,
                measure_id=measure_id,
                version=version,
                text="W10 基准测试进展",
                progress=self.rng.randrange(0, 101),
                on_behalf=True,  # the county's liaison reports for the units below it (代为填报)
            )
            return
        actor = self.nodes.liaison if kind in ("start", "resume") else self.nodes.office
        reason = "W10 基准测试" if kind in ("return", "reopen") else ""
        services.transition_measure(
            actor=actor,
            measure_id=measure_id,
            action=kind,
            version=version,
            reason=reason,
            on_behalf=True,  # start / resume below the liaison's county: 代为填报
        )

    def page(self) -> dict:
        """The root page's figures, as rendered (the test client keeps the context)."""
        from django.test import Client

        client = Client()
        client.force_login(self.nodes.office)
        response = client.get(f"/dashboard/{self.nodes.root.pk}/")
        assert response.status_code == 200
        ctx = response.context
        charts = ctx["charts"]
        return {
            "figures": ctx["figures"],
            "measures": ctx["measures"],
            "rows": {r.org.path: {k: r.figures[k] for k in ROW_KEYS} for r in ctx["rows"]},
            "charts": {
                "status": dict(charts["status"]),
                "sources": dict(charts["sources"]),
                "categories": dict(charts["categories"]),
                "weekly_closures": charts["weekly_closures"],
                "overdue_by_child": charts["overdue_by_child"],
            },
        }

    def recount(self) -> dict:
        """The root's figures counted in Python from the rows: each row placed in the tree by
        its org_id and the parent links, never by the org_path copies or SQL ranges."""
        from datetime import datetime, timedelta
        from datetime import time as dtime

        from django.utils import timezone

        from luoshi.campaigns.models import Category, ProblemSource
        from luoshi.dashboards.selectors import _rates
        from luoshi.orgs.models import LeadershipTeam, Member, Organization, OrgKind
        from luoshi.rectification.models import (
            Measure,
            MeasureState,
            Problem,
            ProblemStatus,
            Regulation,
            today,
        )

        root, campaign = self.nodes.root, self.campaign
        warn = campaign.warning_days
        on = today()
        # Which child of the root each organisation lies under, from the parent links.
        parent, kind = {}, {}
        for pk, parent_id, org_kind in Organization.objects.values_list("id", "parent", "kind"):
            parent[pk], kind[pk] = parent_id, org_kind
        under: dict[int, int] = {root.pk: root.pk}

        def top(pk: int) -> int:
            chain = []
            while pk not in under:
                chain.append(pk)
                if parent[pk] == root.pk:
                    under[pk] = pk
                    break
                pk = parent[pk]
            under.update(dict.fromkeys(chain, under[pk]))
            return under[pk]

        for pk in parent:
            top(pk)
        paths = dict(Organization.objects.filter(parent=root).values_list("id", "path"))
        paths[root.pk] = root.path

        figures = Counter()
        rows = defaultdict(Counter)
        for pk in parent:
            rows[under[pk]]["organizations"] += 1
            figures["organizations"] += 1
            figures["branches"] += kind[pk] == OrgKind.BRANCH
        for org_id, status in Member.objects.values_list("org_id", "status").iterator(50_000):
            rows[under[org_id]]["members"] += 1
            figures["members"] += 1
            figures["probationary_members"] += status == Member.Status.PROBATIONARY
        figures["leadership_teams"] = LeadershipTeam.objects.count()
        figures["regulations"] = Regulation.objects.count()

        sources = dict(ProblemSource.objects.values_list("id", "name"))
        category_parent = dict(Category.objects.values_list("id", "parent_id"))
        category_name = dict(Category.objects.values_list("id", "name"))
        problem_campaign = {}
        status_chart, source_chart, category_chart = Counter(), Counter(), Counter()
        fields = ("id", "org_id", "campaign_id", "status", "immediate", "source_id", "category_id")
        for (
            pk,
            org_id,
            c_id,
            status,
            immediate,
            source_id,
            category_id,
        ) in Problem.objects.values_list(*fields).iterator(50_000):
            problem_campaign[pk] = c_id
            figures["problems"] += 1
            figures["problems_closed"] += status == ProblemStatus.CLOSED
            figures["problems_in_progress"] += status == ProblemStatus.IN_PROGRESS
            figures["immediate_problems"] += bool(immediate)
            figures["immediate_closed"] += bool(immediate) and status == ProblemStatus.CLOSED
            if c_id == campaign.pk:
                rows[under[org_id]]["problems"] += 1
                rows[under[org_id]]["immediate"] += bool(immediate)
                status_chart[status] += 1
                source_chart[sources.get(source_id) or "未填"] += 1
                top_category = category_parent.get(category_id)
                category_chart[category_name.get(top_category) or "未分类"] += 1

        class Row:  # the model's own definitions of overdue and the light
            is_overdue = Measure.is_overdue
            light_on = Measure.light_on

        since = timezone.make_aware(datetime.combine(on - timedelta(weeks=12), dtime.min))
        weekly = Counter()
        node = Counter()
        fields = (
            "org_id",
            "problem_id",
            "state",
            "deadline_kind",
            "due_on",
            "was_overdue",
            "extensions",
            "closed_at",
        )
        m = Row()
        for org_id, problem_id, *values in Measure.objects.values_list(*fields).iterator(50_000):
            m.state, m.deadline_kind, m.due_on, m.was_overdue, m.extensions, m.closed_at = values
            closed = m.state == MeasureState.CLOSED
            on_time = closed and not m.was_overdue and m.extensions == 0
            overdue = m.is_overdue(on)
            figures["measures"] += 1
            figures["measures_closed"] += closed
            figures["measures_closed_on_time"] += on_time
            figures["measures_overdue"] += overdue
            figures["measures_returned"] += m.state == MeasureState.RETURNED
            figures["measures_submitted"] += m.state == MeasureState.SUBMITTED
            if problem_campaign[problem_id] != campaign.pk:
                continue
            light = m.light_on(warn, on)
            for target in (node, rows[under[org_id]]):
                target["measures"] += 1
                target["closed"] += closed
                target["closed_on_time"] += on_time
                target["overdue"] += overdue
                target["returned"] += m.state == MeasureState.RETURNED
                for colour in ("red", "yellow", "green"):
                    target[colour] += light == colour
            if closed and m.closed_at and m.closed_at >= since:
                local = timezone.localtime(m.closed_at).date()
                weekly[local - timedelta(days=local.weekday())] += 1

        figures = dict(figures)
        rates = _rates(
            {
                "measures": figures["measures"],
                "closed": figures["measures_closed"],
                "closed_on_time": figures["measures_closed_on_time"],
            }
        )
        figures["closure_rate"] = rates["closure_rate"]
        figures["on_time_rate"] = rates["on_time_rate"]
        measure_keys = "measures closed closed_on_time overdue returned red yellow green".split()
        zero = dict.fromkeys(["organizations", "members", "problems", "immediate"], 0)
        zero |= dict.fromkeys(measure_keys, 0)
        own = rows.get(root.pk, {})
        shown = [pk for pk in paths if pk != root.pk]
        if own.get("problems") or own.get("measures"):
            shown.append(root.pk)
        child_rows = {paths[pk]: _rates({**zero, **rows.get(pk, {})}) for pk in shown}
        labels = dict(Problem._meta.get_field("status").choices)
        children = Organization.objects.filter(parent=root).order_by("sort_order", "id")
        by_child = [(c.display_name, child_rows[c.path]["overdue"]) for c in children]
        if root.pk in shown:
            by_child.insert(0, ("本级", child_rows[root.path]["overdue"]))
        return {
            "figures": figures,
            "measures": _rates({k: node[k] for k in measure_keys}),
            "rows": child_rows,
            "charts": {
                "status": {labels[s]: n for s, n in status_chart.items()},
                "sources": dict(source_chart),
                "categories": dict(category_chart),
                "weekly_closures": shown_weeks(
                    [(week.strftime("%m-%d"), n) for week, n in sorted(weekly.items())]
                ),
                "overdue_by_child": shown_overdue(by_child),
            },
        }

    def all(self, writes: int) -> dict:
        from django.test.utils import setup_test_environment, teardown_test_environment

        import luoshi.core.tallies as tallies
        import luoshi.orgs.rollups as org_rollups
        import luoshi.rectification.rollups as ledger_rollups
        from luoshi.core.errors import DomainError
        from luoshi.core.registry import ROLLUPS

        # Count the roll-up rows each write recounts, and the time it takes.
        recounted = {"rows": 0, "seconds": 0.0}
        for module, name in (
            (org_rollups, "recount"),
            (ledger_rollups, "recount"),
            (tallies, "_recount"),  # the anchored tallies (core/tallies.py)
        ):
            inner = getattr(module, name)

            def counting(*args, inner=inner, **kwargs):
                started = time.perf_counter()
                rows = inner(*args, **kwargs)
                recounted["seconds"] += time.perf_counter() - started
                recounted["rows"] += rows
                return rows

            setattr(module, name, counting)
        rollup_rows, rollup_ms = [], []
        setup_test_environment()  # the test client then keeps each response's context
        try:
            log("  W10 roll-ups against direct counts before the writes ...")
            started = time.perf_counter()
            rollup_drift_before = [d for r in ROLLUPS for d in r.drift()]
            drift_seconds = time.perf_counter() - started
            log("  W10 recount before the writes ...")
            started = time.perf_counter()
            before_page, before = self.page(), self.recount()
            recount_seconds = time.perf_counter() - started
            drift_before = differences(counted_here(before_page, before), before)
            pools = self.pools()
            done, failed, samples = Counter(), Counter(), []
            log(f"  W10 {writes} random writes ...")
            used: set[int] = set()  # each measure written once: the pools stay valid
            while sum(done.values()) + sum(failed.values()) < writes:
                kinds = [k for k, ids in pools.items() if ids]
                if not kinds:
                    break  # a tiny seed runs out of measures to write
                kind = self.rng.choice(kinds)
                measure_id = pools[kind].pop(self.rng.randrange(len(pools[kind])))
                if measure_id in used:
                    continue
                used.add(measure_id)
                started = time.perf_counter()
                recounted.update(rows=0, seconds=0.0)
                try:
                    self.write(kind, measure_id)
                except DomainError as exc:
                    failed[f"{kind}: {type(exc).__name__}: {exc}"] += 1
                    continue
                samples.append((time.perf_counter() - started) * 1000)
                rollup_rows.append(recounted["rows"])
                rollup_ms.append(recounted["seconds"] * 1000)
                done[kind] += 1
            log("  W10 recount after the writes ...")
            after_page, after = self.page(), self.recount()
            rollup_drift_after = [d for r in ROLLUPS for d in r.drift()]
            log("  W10 full rebuild of the roll-ups ...")
            from django.db import connection, transaction

            rebuild = {}
            for rollup in ROLLUPS:
                started = time.perf_counter()
                with transaction.atomic():
                    rows = rollup.rebuild()
                rebuild[rollup.name] = {"rows": rows, "seconds": time.perf_counter() - started}
            rollup_drift_rebuilt = [d for r in ROLLUPS for d in r.drift()]
            if connection.vendor == "postgresql":  # as autovacuum would after the rewrite
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM ANALYZE")
        finally:
            teardown_test_environment()
        drift_after = differences(counted_here(after_page, after), after)
        changed = {
            k: (before["figures"].get(k), after["figures"].get(k))
            for k in ("measures_closed", "measures_returned", "measures_submitted")
            if before["figures"].get(k) != after["figures"].get(k)
        }
        changed |= {
            f"campaign {k}": (before["measures"].get(k), after["measures"].get(k))
            for k in ("closed", "red", "yellow", "green")
            if before["measures"].get(k) != after["measures"].get(k)
        }
        return {
            "rollup_tables": len(ROLLUPS),
            "rollup_rows_per_write": summary(rollup_rows) if rollup_rows else None,
            "rollup_ms_per_write": summary(rollup_ms) if rollup_ms else None,
            "rebuild": rebuild,
            "rollup_drift_seconds": drift_seconds,
            "rollup_drift_before": rollup_drift_before,
            "rollup_drift_after": rollup_drift_after,
            "rollup_drift_rebuilt": rollup_drift_rebuilt,
            "writes": sum(done.values()),
            "by_kind": dict(done),
            "failed": dict(failed),
            "write": summary(samples) if samples else None,
            "recount_seconds": recount_seconds,
            "changed": changed,
            "drift_before": drift_before,
            "drift_after": drift_after,
        }


def child(args) -> None:
    setup_django()
    from django.db import connection

    out = {"db": args.db, "scale": args.scale, "vendor": connection.vendor}
    out["pgoptions"] = os.environ.get("PGOPTIONS", "")
    out["load_before"] = os.getloadavg()
    nodes = Nodes()
    out["nodes"] = nodes.describe()
    if "w1" in args.only:
        out["w1"] = Subtrees(nodes, args.runs).all()
    if "w2" in args.only:
        out["w2"] = Dashboard(nodes, args.runs).all()
    if "w10" in args.only:
        out["w10"] = Replay(nodes, args.seed).all(args.writes)
    out["load_after"] = os.getloadavg()
    print(json.dumps(out, default=str))


# --- output ---------------------------------------------------------------------------------
def w1_table(result: dict) -> str:
    w1 = result["w1"]
    runs = w1["subtree"][0]["floor"]["runs"]
    lines = [
        f"W1 subtree ids - {result['db']} {result['scale']}, warm, median of {runs} runs, ms",
        "  floor = SELECT id ... WHERE path >= lo AND path < hi; cte = recursive CTE over"
        " parent_id; ours = Organization.objects.in_subtree(path).values_list('id')",
        f"{'level':<10}{'org':>8}{'ids':>9}{'floor':>9}{'p90':>8}{'cte':>9}{'cte/fl':>8}"
        f"{'ours':>9}{'ours/fl':>8}{'same':>6}",
    ]
    for r in w1["subtree"]:
        lines.append(
            f"{r['level']:<10}{r['org']:>8}{r['ids']:>9,}{r['floor']['median_ms']:>9.2f}"
            f"{r['floor']['p90_ms']:>8.2f}{r['cte']['median_ms']:>9.2f}{r['cte_ratio']:>7.1f}x"
            f"{r['ours']['median_ms']:>9.2f}{r['ours_ratio']:>7.1f}x"
            f"{'yes' if r['same'] else 'NO':>6}"
        )
    lines += [
        "",
        "W1 is-ancestor (or self) of a branch - floor = one indexed query for both paths + the"
        " prefix test; cte = recursive CTE up the parents; ours = core.paths.is_within on paths"
        " in hand (the scope checks' way), ms",
        f"{'level':<10}{'org':>8}{'of':>8}{'answer':>8}{'floor':>9}{'cte':>9}{'cte/fl':>8}"
        f"{'ours':>11}{'ours/fl':>9}",
    ]
    for r in w1["ancestor"]:
        answer = {True: "yes", False: "no", None: "DIFFER"}[r["answer"]]
        lines.append(
            f"{r['level']:<10}{r['org']:>8}{r['of']:>8}{answer:>8}"
            f"{r['floor']['median_ms']:>9.3f}{r['cte']['median_ms']:>9.3f}{r['cte_ratio']:>7.1f}x"
            f"{r['ours']['median_ms']:>11.6f}{r['ours_ratio']:>8.4f}x"
        )
    return "\n".join(lines)


def w2_table(result: dict) -> str:
    runs = result["w2"][0]["ours"]["runs"] if result["w2"] else 0
    lines = [
        f"W2 dashboard /dashboard/<id>/ as city_office - {result['db']} {result['scale']}, warm,"
        f" median of {runs} runs and p90, ms",
        "  ours = GET through the test client (server time: middleware, session, view, template);"
        " sql = the request's time inside cursor.execute() (median), other = ours - sql;"
        " floor = the page's data in the fewest raw queries on an open connection (new conn ="
        " the same after reconnecting, as every SQLite request does); N+1 = per-child queries"
        " in a loop; rows = rows of the children table",
        f"{'workload':<16}{'rows':>5}{'ours':>9}{'p90':>9}{'queries':>8}{'sql':>8}{'other':>7}"
        f"{'floor':>9}{'p90':>8}{'fl q':>5}{'new conn':>9}{'ours/fl':>8}{'N+1':>9}{'N+1 q':>6}"
        f"{'same':>5}  aim",
    ]
    for r in result["w2"]:
        same = "yes" if not r["same"] and not r["n_plus_1_same"] else "NO"
        new = r["floor_new_connection"]
        new = f"{new['median_ms']:>9.1f}" if new else f"{'-':>9}"
        lines.append(
            f"{r['workload']:<16}{r['children']:>5}{r['ours']['median_ms']:>9.1f}"
            f"{r['ours']['p90_ms']:>9.1f}{r['queries']:>8}{r['sql']['median_ms']:>8.1f}"
            f"{r['ours']['median_ms'] - r['sql']['median_ms']:>7.1f}"
            f"{r['floor']['median_ms']:>9.1f}{r['floor']['p90_ms']:>8.1f}{r['floor_queries']:>5}"
            f"{new}{r['ratio']:>7.1f}x{r['n_plus_1']['median_ms']:>9.1f}"
            f"{r['n_plus_1_queries']:>6}{same:>5}  {'met' if r['meets_aim'] else 'missed'}"
        )
        for d in (r["same"] + r["n_plus_1_same"])[:6]:
            lines.append(f"    differs: {d}")
    counts = {r["workload"]: r["queries"] for r in result["w2"]}
    root = result["w2"][0]
    township = next((r for r in result["w2"] if r["workload"].startswith("township")), root)
    grows = root["queries"] > township["queries"]
    lines.append(
        "  queries by node: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + f" - root ({root['children']} rows) {root['queries']} vs township"
        f" ({township['children']} rows) {township['queries']}: "
        + ("GROWS with the subtree" if grows else "no growth with the subtree")
    )
    for r in result["w2"]:
        chosen = " ".join(f"{k}={v}" for k, v in r["floor_choice"].items())
        lines.append(f"  floor formulations, {r['workload']}: {chosen}")
    for r in result["w2"]:
        top = r["slowest_queries"][: 5 if r is root else 1]
        for q in top:
            sql = re.sub(r'"[a-z_]+"\.', "", q["sql"])  # drop the table qualifiers
            lines.append(f"  slow, {r['workload']}: {q['ms']:.1f} ms: {sql[:200]}")
    shapes = {q["sql"]: q["count"] for r in result["w2"] for q in r["repeated_queries"]}
    for sql, count in shapes.items():
        lines.append(f"  repeated up to {count}x per request: {sql[:160]}")
    lines.append(f"  aim: ours < {AIM_MS:.0f} ms and ours/floor <= {AIM_RATIO:.0f}x")
    return "\n".join(lines)


def w10_table(result: dict) -> str:
    r = result["w10"]
    write = r["write"]
    max_rows = r["rollup_rows_per_write"]["p90_ms"] if r["rollup_rows_per_write"] else 0
    lines = [
        f"W10 roll-up maintenance - {result['db']} {result['scale']}",
        f"  roll-up tables: {r['rollup_tables']} (OrgTally, LedgerTally: per organisation (and"
        " campaign) counts recounted by each write); per write: "
        + (
            f"median {r['rollup_rows_per_write']['median_ms']:.0f} roll-up rows recounted"
            f" (p90 {max_rows:.0f}), median {r['rollup_ms_per_write']['median_ms']:.2f} ms"
            f" (p90 {r['rollup_ms_per_write']['p90_ms']:.2f} ms) of the write"
            if r["rollup_rows_per_write"]
            else "no write"
        ),
        "  full rebuild: "
        + ", ".join(
            f"{name} {b['rows']:,} rows in {b['seconds']:.1f}s" for name, b in r["rebuild"].items()
        )
        + "; roll-ups vs a direct count of every organisation's rows"
        f" ({r['rollup_drift_seconds']:.1f}s):"
        f" drift {len(r['rollup_drift_before'])} before the writes,"
        f" {len(r['rollup_drift_after'])} after, {len(r['rollup_drift_rebuilt'])} after the"
        " rebuild",
        f"  replay: {r['writes']} random writes through the services "
        f"({', '.join(f'{k} {n}' for k, n in sorted(r['by_kind'].items()))}); "
        + (
            f"median {write['median_ms']:.1f} ms, p90 {write['p90_ms']:.1f} ms per write"
            if write
            else "no write done"
        ),
    ]
    for message, n in r["failed"].items():
        lines.append(f"  refused {n}x: {message[:150]}")
    lines.append(
        "  root figures changed by the writes: "
        + (", ".join(f"{k} {a}->{b}" for k, (a, b) in r["changed"].items()) or "none")
    )
    lines.append(
        f"  root page vs a recount in Python over the rows ({r['recount_seconds']:.1f}s):"
        f" drift before {len(r['drift_before'])}, drift {len(r['drift_after'])} after the writes"
    )
    for d in (r["rollup_drift_before"] + r["rollup_drift_after"] + r["rollup_drift_rebuilt"])[:10]:
        lines.append(f"    roll-up differs: {d}")
    for d in (r["drift_before"] + r["drift_after"])[:10]:
        lines.append(f"    differs: {d}")
    return "\n".join(lines)


def choices(allowed: tuple[str, ...]):
    def parse(value: str) -> list[str]:
        items = [v.strip() for v in value.split(",") if v.strip()]
        unknown = sorted(set(items) - set(allowed))
        if unknown or not items:
            raise argparse.ArgumentTypeError(f"choose from {','.join(allowed)}")
        return items

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=choices(DATABASES), default=list(DATABASES))
    parser.add_argument("--scale", choices=SCALES, default="province")
    parser.add_argument("--reuse", action="store_true", help="keep a database already seeded")
    parser.add_argument(
        "--database-name",
        help="PostgreSQL: use this database (e.g. bench_ledger); re-used if it holds a seed of"
        " the scale, seeded if missing or empty, never dropped",
    )
    parser.add_argument("--only", type=choices(("w1", "w2", "w10")), default=["w1", "w2", "w10"])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per workload")
    parser.add_argument("--writes", type=int, default=200, help="W10 random writes")
    parser.add_argument("--seed", type=int, default=10, help="W10 random seed")
    parser.add_argument(
        "--pg-options",
        default="",
        help='PostgreSQL: PGOPTIONS for the measuring process, e.g. "-c jit=off"',
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="W1, W2 and W10 once on a tiny seed in a temporary SQLite folder, 20 writes (a check"
        " that the bench runs, not a measurement)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    if args.child:
        args.db = args.db[0]
        child(args)
        return
    smoke = None
    if args.smoke:
        if "postgres" in args.db:
            log("--smoke: SQLite only (the PostgreSQL half needs a seeded server database)")
        args.db, args.scale, args.runs, args.writes, args.reuse = ["sqlite"], "tiny", 1, 20, False
        smoke = Path(tempfile.mkdtemp(prefix="bench-dash-smoke-"))
    try:
        results = measure_all(args, smoke)
    finally:
        if smoke:
            shutil.rmtree(smoke, ignore_errors=True)
    print_and_exit(results, failures(results), as_json=args.json, report=report)


def failures(results: list[dict]) -> list[str]:
    """What went wrong in the measurements: a database that could not be measured, or figures
    that disagree where they must be equal (ids, answers, floors, roll-ups, recounts)."""
    found = []
    for r in results:
        where = f"{r['db']} {r['scale']}"
        if "error" in r:
            found.append(f"{where}: {r['error']}")
            continue
        if "w1" in r:
            found += [
                f"{where} W1: the subtree ids of {s['level']} differ between floor, CTE and ours"
                for s in r["w1"]["subtree"]
                if not s["same"]
            ]
            found += [
                f"{where} W1: is-ancestor of {a['of']} below {a['level']} answered differently"
                for a in r["w1"]["ancestor"]
                if a["answer"] is None
            ]
        for page in r.get("w2", []):
            if page["same"] or page["n_plus_1_same"]:
                found.append(
                    f"{where} W2: the floor's figures for {page['workload']} differ from the "
                    f"page's: {(page['same'] + page['n_plus_1_same'])[:3]}"
                )
        if "w10" in r:
            w10 = r["w10"]
            for key in (
                "rollup_drift_before",
                "rollup_drift_after",
                "rollup_drift_rebuilt",
                "drift_before",
                "drift_after",
            ):
                if w10[key]:
                    found.append(f"{where} W10: {key.replace('_', ' ')}: {w10[key][:3]}")
    return found


def measure_all(args, smoke: Path | None) -> list[dict]:
    results = []
    for db in args.db:
        try:
            name = args.database_name if db == "postgres" else None
            env, seed = prepare(db, args.scale, args.reuse, name, smoke)
            if db == "postgres" and args.pg_options:
                env["PGOPTIONS"] = args.pg_options
            log(f"{db}: measuring ...")
            results.append({**measure_in_child(db, env, args), "setup": seed})
        except (RuntimeError, subprocess.SubprocessError, OSError, ValueError) as exc:
            log(f"{db}: FAILED: {exc}")
            results.append({"db": db, "scale": args.scale, "error": str(exc)})
    return results


def report(results: list[dict]) -> str:
    blocks = []
    for r in results:
        if "error" in r:
            blocks.append(f"{r['db']} {r['scale']}: FAILED: {r['error']}")
            continue
        seed = r["setup"]
        how = "re-used" if seed["reused"] else f"seeded in {seed['seed_seconds']:.0f}s"
        if seed["analyzed"]:
            how += f", then ANALYZE in {seed['analyze_seconds']:.1f}s"
        extra = f"; PGOPTIONS {r['pgoptions']}" if r.get("pgoptions") else ""
        load = f"load average {r['load_before'][0]:.2f} before, {r['load_after'][0]:.2f} after"
        blocks.append(f"== {r['db']} {r['scale']} ({seed['where']}; {how}{extra}; {load})")
        blocks.append(
            "nodes: "
            + "; ".join(
                f"{n['level']} {n['id']} {n['name']} ({n['subtree']:,} orgs)" for n in r["nodes"]
            )
        )
        if "w1" in r:
            blocks.append(w1_table(r))
        if "w2" in r:
            blocks.append(w2_table(r))
        if "w10" in r:
            blocks.append(w10_table(r))
    return "\n\n".join(blocks)


if __name__ == "__main__":
    main()
