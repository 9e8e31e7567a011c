"""Benchmark the ledger: W3 (the ledger page against its raw-SQL floor) and W6 (transitions under
contention against a no-locking strawman), on PostgreSQL and SQLite.

Each database is seeded once with `luoshi migrate && luoshi seed --scale <scale>` (PostgreSQL:
database `bench_ledger`, or `bench_ledger_<scale>` below province scale; SQLite: a file in
$TMPDIR/bench-ledger-sqlite-<scale>/ used as LUOSHI_VAR), then measured in a child process of its
own (Django reads the database settings once).

W3 times warm requests in-process through django.test.Client (1 warm-up, then --runs), the
selector alone (sliced to the page and evaluated with its prefetch), and the floor: the best raw
SQL for the same 31 rows (keyset on org_path, id) plus the measures of those problems, summed.
The same raw SQL with OFFSET is shown too. Rows are checked to be the same as the selector's.

W6 races K threads (own connection each) calling transition_measure(action="verify") on the same
submitted measure; exactly one must win, the others get Conflict, no other error, and one
LedgerEvent per win. "spread" gives each thread its own measure (all must win). The strawman
reads, sleeps 5 ms and updates without a version check; every thread believes it won.
W6 changes the database (verified measures stay closed): --reuse runs see slightly other data.

    bench/ledger.py                                   # PostgreSQL and SQLite at province scale
    bench/ledger.py --db postgres --reuse             # re-use bench_ledger if it holds data
    bench/ledger.py --db sqlite --scale city --json
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

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

PER_PAGE = 30
AIM_MS, AIM_RATIO = 150.0, 3.0
LEVELS = {1: "province", 2: "city", 3: "county", 4: "township", 5: "branch"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the parent: seed, then one child process per database ----------------------------------
def psql(sql: str, db: str = "postgres") -> str:
    done = subprocess.run([*PG, "-d", db, "-c", sql], check=True, capture_output=True, timeout=60)
    return done.stdout.decode().strip()


def pg_name(scale: str) -> str:
    return "bench_ledger" if scale == "province" else f"bench_ledger_{scale}"


def seeded_scale(db: str, env: dict) -> str | None:
    """The scale of the seed already in the database, None if it holds no seed."""
    if db == "postgres":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            return None
        count_sql = "SELECT count(*) FROM rectification_problem"
        try:
            count = int(psql(count_sql, name) or 0)
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
    """ANALYZE the PostgreSQL database, as autovacuum would soon after a bulk load (this
    server may run with autovacuum off, and `luoshi seed` does not analyse); seconds taken."""
    started = time.perf_counter()
    psql("ANALYZE", env["DATABASE_URL"].rsplit("/", 1)[1])
    return time.perf_counter() - started


def prepare(
    db: str, scale: str, reuse: bool, analyse: bool, var: Path | None = None
) -> tuple[dict, dict]:
    """An environment pointing at a seeded database of `scale`; seeds it unless reused. `var`:
    the LUOSHI_VAR folder (default: one per database and scale in $TMPDIR, kept for --reuse)."""
    var = var or Path(tempfile.gettempdir()) / f"bench-ledger-{db}-{scale}"
    env = {**os.environ, "LUOSHI_VAR": str(var)}
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL + pg_name(scale)
    found = seeded_scale(db, env) if reuse else None
    if found == scale:
        log(f"{db}: re-using the {scale} seed in {env.get('DATABASE_URL', var)}")
        setup = {"reused": True, "scale": scale, "analyzed": analyse and db == "postgres"}
        if setup["analyzed"]:
            setup["analyze_seconds"] = analyze(env)
        return env, setup
    if found:
        log(f"{db}: the database holds a {found} seed, not {scale}: seeding afresh")
    shutil.rmtree(var, ignore_errors=True)
    var.mkdir(parents=True)
    if db == "postgres":
        psql(f"DROP DATABASE IF EXISTS {pg_name(scale)} WITH (FORCE)")
        psql(f"CREATE DATABASE {pg_name(scale)}")
    log(f"{db}: migrating and seeding {scale} (minutes at province scale) ...")
    started = time.perf_counter()
    seeded = migrate_and_seed(env, scale, cwd=env["LUOSHI_VAR"])
    seconds = time.perf_counter() - started
    log(f"{db}: seeded {seeded['organizations']:,} organisations in {seconds:.0f}s")
    setup = {"reused": False, "scale": scale, "seed_seconds": seconds, "seed": seeded}
    setup["analyzed"] = analyse and db == "postgres"
    if setup["analyzed"]:
        setup["analyze_seconds"] = analyze(env)
        log(f"{db}: analysed in {setup['analyze_seconds']:.1f}s")
    return env, setup


def measure_in_child(db: str, env: dict, args) -> dict:
    """Run the measurements in a fresh process pointed at `env`'s database."""
    command = [str(VENV_PYTHON), __file__, "--child", "--db", db, "--scale", args.scale]
    command += ["--runs", str(args.runs), "--races", str(args.races)]
    command += ["--spread-races", str(args.spread_races), "--threads", args.threads]
    command += ["--only", ",".join(args.only)]
    done = subprocess.run(command, env=env, cwd=env["LUOSHI_VAR"], stdout=subprocess.PIPE)
    if done.returncode:
        raise RuntimeError(f"the {db} measurements exited with {done.returncode}")
    return json.loads(done.stdout)


# --- the child: measurements inside Django --------------------------------------------------
class Ledger:
    """W3 on the seeded database."""

    def __init__(self, runs: int):
        from django.contrib.auth import get_user_model

        from luoshi.orgs.models import Organization, OrgLevel, UnitType
        from luoshi.rectification import selectors

        self.runs = runs
        users = get_user_model().objects
        self.office = users.get(username="city_office")
        self.liaison = users.get(username="county_liaison")
        self.campaign = selectors.visible_campaigns(self.office)[0]
        self.root = Organization.objects.get(parent=None)
        city = self.root
        if self.root.level == OrgLevel.PROVINCE:
            city = Organization.objects.filter(parent=self.root).order_by("sort_order").first()
        self.county = (
            Organization.objects.filter(parent=city, unit_type=UnitType.REGION)
            .order_by("sort_order", "id")
            .first()
        )
        # At province scale the seed assigns county_liaison to the first city, not a county.
        self.liaison_org = self.liaison.assignments.get().org
        self.liaison_level = LEVELS.get(self.liaison_org.level, str(self.liaison_org.level))

    def workloads(self) -> list[tuple[str, object, object, dict]]:
        """(name, user, the organisation the rows lie under, query parameters)."""
        root, county, office, liaison = self.root, self.county, self.office, self.liaison
        return [
            ("a root, page 1", office, root, {}),
            ("b root, overdue", office, root, {"overdue": "1"}),
            ("c county, overdue (office)", office, county, {"org": county.pk, "overdue": "1"}),
            (f"c {self.liaison_level} (liaison)", liaison, self.liaison_org, {}),
            (
                f"c {self.liaison_level}, overdue (liaison)",
                liaison,
                self.liaison_org,
                {"overdue": "1"},
            ),
            ("d root, page 50", office, root, {"page": "50"}),
            ("d root, overdue, page 50", office, root, {"overdue": "1", "page": "50"}),
        ]

    def floor_sql(self, path: str, overdue: bool, offset: int, after=None):
        from luoshi.core.paths import path_upper
        from luoshi.rectification.models import DeadlineKind, MeasureState, today

        sql = [
            "SELECT p.*, o.name, o.short_name, s.name, c.name",
            "FROM rectification_problem p JOIN orgs_organization o ON o.id = p.org_id",
            "LEFT JOIN campaigns_problemsource s ON s.id = p.source_id",
            "LEFT JOIN campaigns_category c ON c.id = p.category_id",
            "WHERE p.campaign_id = %s AND p.org_path >= %s AND p.org_path < %s",
        ]
        params = [self.campaign.pk, path, path_upper(path)]
        if overdue:
            sql.append(
                "AND EXISTS (SELECT 1 FROM rectification_measure m WHERE m.problem_id = p.id"
                " AND m.state <> %s AND m.deadline_kind <> %s AND m.due_on < %s)"
            )
            params += [MeasureState.CLOSED, DeadlineKind.ONGOING, today()]
        if after is not None:  # keyset: the rows after the last one of the previous page
            sql.append("AND p.org_path >= %s AND (p.org_path > %s OR p.id > %s)")
            params += [after[0], after[0], after[1]]
        sql.append(f"ORDER BY p.org_path, p.id LIMIT {PER_PAGE + 1}")
        if after is None and offset:
            sql.append(f"OFFSET {offset}")
        return " ".join(sql), params

    MEASURES_SQL = (
        "SELECT m.*, o.name, o.short_name FROM rectification_measure m"
        " JOIN orgs_organization o ON o.id = m.org_id"
        " WHERE m.problem_id IN ({}) ORDER BY m.problem_id, m.number, m.id"
    )

    def floor(self, sql: str, params: list) -> tuple[list, list]:
        """The page's problems (one more, to know whether a next page exists) and their
        measures; each list starts with its column names."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            problems = [[c[0] for c in cursor.description], *cursor.fetchall()]
            ids = [row[0] for row in problems[1 : PER_PAGE + 1]]  # p.id comes first
            measures = [[]]
            if ids:
                cursor.execute(self.MEASURES_SQL.format(", ".join(["%s"] * len(ids))), ids)
                measures = [[c[0] for c in cursor.description], *cursor.fetchall()]
        return problems, measures

    @staticmethod
    def same_rows(rows: list, problems: list, measures: list) -> bool:
        """Whether the floor found the selector's problems, in its order, with its measures."""
        if [p.pk for p in rows] != [r[0] for r in problems[1:]]:
            return False
        if len(measures) == 1:
            return not any(p.measures.all() for p in rows[:PER_PAGE])
        id_at, problem_at = measures[0].index("id"), measures[0].index("problem_id")
        theirs: dict[int, list[int]] = {}
        for row in measures[1:]:
            theirs.setdefault(row[problem_at], []).append(row[id_at])
        ours = {p.pk: [m.pk for m in p.measures.all()] for p in rows[:PER_PAGE]}
        return ours == {pk: theirs.get(pk, []) for pk in ours}

    def measure(self, name, user, org, query) -> dict:
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from luoshi.rectification import selectors

        page = int(query.get("page", 1))
        offset = (page - 1) * PER_PAGE
        overdue = query.get("overdue") == "1"
        offset_sql = self.floor_sql(org.path, overdue, offset)
        after = None
        if offset:  # the cursor a client carries from the previous page's 下一页 link (not timed)
            previous, _ = self.floor(*self.floor_sql(org.path, overdue, offset - 1))
            if len(previous) > 1:
                after = (previous[1][previous[0].index("org_path")], previous[1][0])
                query = {**query, "after": quote(f"{after[0]}|{after[1]}")}
        url = "/ledger/" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")

        client = Client()
        client.force_login(user)

        def get():
            response = client.get(url)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            return response

        with CaptureQueriesContext(connection) as captured:
            body = get().content.decode()
        queries = captured.captured_queries  # now: the next request clears the log
        shapes = Counter(query_shape(q["sql"]) for q in queries)
        repeated = [(n, s) for s, n in shapes.most_common() if n > 2]
        ours = timed(get, self.runs)

        f = selectors.LedgerFilter(
            org_path=org.path if "org" in query else None,
            campaign_id=self.campaign.pk,
            overdue=overdue,
        )

        def select():
            if after is not None:  # as the page does: keyset from the cursor
                rows = selectors.after_cursor(selectors.ledger(user, f), after)
                return list(rows[: PER_PAGE + 1])
            return list(selectors.ledger(user, f)[offset : offset + PER_PAGE + 1])

        with CaptureQueriesContext(connection) as captured:
            rows = select()
        selector_queries = captured.captured_queries
        selector = timed(select, self.runs)

        keyset_sql = offset_sql  # page 1, or a page past the last row
        if after is not None:
            keyset_sql = self.floor_sql(org.path, overdue, offset, after)
        problems, measures = self.floor(*keyset_sql)
        floor = timed(lambda: self.floor(*keyset_sql), self.runs)
        by_offset = timed(lambda: self.floor(*offset_sql), self.runs)

        result = {
            "workload": name,
            "url": url,
            "user": user.username,
            "ours": summary(ours),
            "queries": len(queries),
            "repeated_queries": [{"count": n, "sql": s[:300]} for n, s in repeated],
            "problems_on_page": body.count('class="problem-first"'),
            "selector": summary(selector),
            "selector_queries": len(selector_queries),
            "floor": summary(floor),
            "floor_queries": 2,
            "offset_sql": summary(by_offset),
            "rows": min(len(problems) - 1, PER_PAGE),
            "same_rows": self.same_rows(rows, problems, measures),
        }
        result["ratio"] = result["ours"]["median_ms"] / result["floor"]["median_ms"]
        result["meets_aim"] = result["ours"]["median_ms"] < AIM_MS and result["ratio"] <= AIM_RATIO
        return result

    def describe(self) -> dict:
        return {
            "root": f"{self.root.name} (id {self.root.pk})",
            "county": f"{self.county.name} (id {self.county.pk})",
            "liaison_org": f"{self.liaison_org.name} ({self.liaison_level})",
            "campaign": self.campaign.pk,
        }

    def all(self) -> list[dict]:
        results = []
        for name, user, org, query in self.workloads():
            log(f"  W3 {name} ...")
            results.append(self.measure(name, user, org, query))
        return results


class Contention:
    """W6 on the seeded database: threads racing transition_measure on submitted measures."""

    def __init__(self):
        from django.contrib.auth import get_user_model

        from luoshi.orgs.models import Organization
        from luoshi.rectification.models import Measure, MeasureState

        self.actor = get_user_model().objects.get(username="city_office")
        root = Organization.objects.get(parent=None)
        # Verifiable by the root's office: submitted below the root, not by the office itself.
        self.pool = list(
            Measure.objects.filter(state=MeasureState.SUBMITTED)
            .exclude(org_path=root.path)
            .exclude(submitted_by=self.actor)
            .order_by("-id")
            .values_list("id", flat=True)
        )

    def take(self, n: int) -> list[int]:
        if len(self.pool) < n:
            raise RuntimeError(f"only {len(self.pool)} submitted measures left: seed afresh")
        taken, self.pool = self.pool[:n], self.pool[n:]
        return taken

    def race(self, measure_ids: list[int], strawman: bool) -> dict:
        """One race: thread i works on measure_ids[i], all released at once by a barrier."""
        from django.contrib.auth import get_user_model
        from django.db import connections
        from django.db.models import F
        from django.utils import timezone

        from luoshi.accounts.permissions import role_paths
        from luoshi.core.errors import Conflict
        from luoshi.core.scoping import scope_paths
        from luoshi.rectification import services
        from luoshi.rectification.models import LedgerEvent, Measure, MeasureState

        k = len(measure_ids)
        versions = dict(Measure.objects.filter(pk__in=measure_ids).values_list("id", "version"))
        events_before = LedgerEvent.objects.filter(measure_id__in=measure_ids).count()
        barrier = threading.Barrier(k, timeout=60)
        outcomes: list[str] = [""] * k
        spans: list[tuple[float, float]] = [(0.0, 0.0)] * k

        def verify(mid: int, actor) -> str:
            services.transition_measure(
                actor=actor, measure_id=mid, action="verify", version=versions[mid]
            )
            return "won"

        def strawman_verify(mid: int, actor) -> str:
            measure = Measure.objects.get(pk=mid)
            if measure.state != MeasureState.SUBMITTED:
                return "conflict"
            time.sleep(0.005)
            Measure.objects.filter(pk=mid).update(
                state=MeasureState.CLOSED, closed_at=timezone.now(), version=F("version") + 1
            )
            return "won"  # it believes so

        def work(i: int) -> None:
            try:
                actor = get_user_model().objects.get(pk=self.actor.pk)  # own connection
                role_paths(actor), scope_paths(actor)  # fill the per-user caches beforehand
                barrier.wait()
                started = time.perf_counter()
                try:
                    outcomes[i] = (strawman_verify if strawman else verify)(measure_ids[i], actor)
                except Conflict:
                    outcomes[i] = "conflict"
                except Exception as exc:  # every other failure is counted
                    outcomes[i] = f"error: {type(exc).__name__}: {exc}"
                spans[i] = (started, time.perf_counter())
            except Exception as exc:  # e.g. the barrier broke
                outcomes[i] = f"error: {type(exc).__name__}: {exc}"
            finally:
                connections.close_all()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        per_measure = Counter(m for m, o in zip(measure_ids, outcomes, strict=True) if o == "won")
        return {
            "won": sum(1 for o in outcomes if o == "won"),
            "conflicts": outcomes.count("conflict"),
            "errors": [o for o in outcomes if o.startswith("error")],
            "lost_updates": sum(n - 1 for n in per_measure.values()),
            "events_added": LedgerEvent.objects.filter(measure_id__in=measure_ids).count()
            - events_before,
            "ms": (max(e for _, e in spans) - min(s for s, _ in spans)) * 1000,
        }

    def series(self, mode: str, k: int, races: int) -> dict:
        totals = Counter()
        errors: list[str] = []
        times = []
        for _ in range(races):
            if mode == "spread":
                ids = self.take(k)
            else:
                ids = self.take(1) * k
            r = self.race(ids, strawman=mode == "strawman")
            totals.update(
                won=r["won"],
                conflicts=r["conflicts"],
                errors=len(r["errors"]),
                lost=r["lost_updates"],
                events=r["events_added"],
            )
            errors += r["errors"]
            times.append(r["ms"])
        wins_expected = races * (k if mode == "spread" else 1)
        ok = (
            totals["won"] == wins_expected
            and totals["errors"] == 0
            and totals["lost"] == 0
            and totals["events"] == totals["won"]
        )
        return {
            "mode": mode,
            "threads": k,
            "races": races,
            "won": totals["won"],
            "wins_expected": wins_expected,
            "conflicts": totals["conflicts"],
            "errors": totals["errors"],
            "error_messages": sorted(set(errors))[:5],
            "lost_updates": totals["lost"],
            "events_added": totals["events"] if mode != "strawman" else None,
            "race_ms": statistics.median(times),
            "ok": ok if mode != "strawman" else None,
        }

    def all(self, threads: list[int], races: int, spread_races: int) -> list[dict]:
        results = []
        for k in threads:
            for mode, n in (("same", races), ("strawman", races), ("spread", spread_races)):
                if n:
                    log(f"  W6 {mode} K={k} x{n} ...")
                    results.append(self.series(mode, k, n))
        return results


def child(args) -> None:
    setup_django()
    from django.db import connection

    out = {"db": args.db, "scale": args.scale, "vendor": connection.vendor}
    if "w3" in args.only:
        ledger = Ledger(args.runs)
        out["w3_orgs"] = ledger.describe()
        out["w3"] = ledger.all()
    if "w6" in args.only:
        threads = [int(k) for k in args.threads.split(",")]
        out["w6"] = Contention().all(threads, args.races, args.spread_races)
    print(json.dumps(out))


# --- output ---------------------------------------------------------------------------------
def w3_table(result: dict) -> str:
    runs = result["w3"][0]["ours"]["runs"] if result["w3"] else 0
    orgs = result["w3_orgs"]
    lines = [
        f"W3 ledger page - {result['db']} {result['scale']}, warm, median of {runs} runs and p90,"
        " in ms",
        f"  root {orgs['root']}; county {orgs['county']}; county_liaison at {orgs['liaison_org']}",
        "  ours = GET /ledger/ through the test client; selector = selectors.ledger() page with"
        " its prefetch; floor = keyset SQL for the page + its measures (2 queries);"
        " offset = the same SQL with OFFSET",
        f"{'workload':<30}{'ours':>8}{'p90':>8}{'queries':>8}{'max rep':>8}"
        f"{'selector':>9}{'sel q':>6}{'floor':>9}{'p90':>9}{'offset':>9}"
        f"{'ours/floor':>11}{'rows':>5}{'same':>5}  aim",
    ]
    for r in result["w3"]:
        worst = r["repeated_queries"][0]["count"] if r["repeated_queries"] else 1
        lines.append(
            f"{r['workload']:<30}{r['ours']['median_ms']:>8.1f}{r['ours']['p90_ms']:>8.1f}"
            f"{r['queries']:>8}{worst:>8}{r['selector']['median_ms']:>9.1f}"
            f"{r['selector_queries']:>6}{r['floor']['median_ms']:>9.2f}{r['floor']['p90_ms']:>9.2f}"
            f"{r['offset_sql']['median_ms']:>9.2f}{r['ratio']:>10.1f}x{r['rows']:>5}"
            f"{'yes' if r['same_rows'] else 'NO':>5}  {'met' if r['meets_aim'] else 'missed'}"
        )
    shapes = {q["sql"]: q["count"] for r in result["w3"] for q in r["repeated_queries"]}
    for sql, count in shapes.items():
        lines.append(f"  repeated up to {count}x per request: {sql[:160]}")
    lines.append(f"  aim: ours < {AIM_MS:.0f} ms and ours/floor <= {AIM_RATIO:.0f}x")
    return "\n".join(lines)


def w6_table(result: dict) -> str:
    lines = [
        f"W6 transitions under contention - {result['db']} {result['scale']} (verify by the "
        "root office; same = K threads on one measure, spread = one measure each)",
        f"{'mode':<10}{'K':>3}{'races':>7}{'won':>6}{'expected':>9}{'conflicts':>10}"
        f"{'errors':>7}{'events':>7}{'lost updates':>13}{'race ms':>9}  verdict",
    ]
    for r in result["w6"]:
        events = "-" if r["events_added"] is None else r["events_added"]
        verdict = "-" if r["ok"] is None else ("ok" if r["ok"] else "FAILED")
        lines.append(
            f"{r['mode']:<10}{r['threads']:>3}{r['races']:>7}{r['won']:>6}"
            f"{r['wins_expected']:>9}{r['conflicts']:>10}{r['errors']:>7}{events:>7}"
            f"{r['lost_updates']:>13}{r['race_ms']:>9.1f}  {verdict}"
        )
        lines += [f"    {message}" for message in r["error_messages"]]
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
        "--no-analyze", action="store_true", help="do not ANALYZE PostgreSQL after seeding"
    )
    parser.add_argument("--only", type=choices(("w3", "w6")), default=["w3", "w6"])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per W3 workload")
    parser.add_argument("--races", type=int, default=20, help="W6 races per K (same, strawman)")
    parser.add_argument("--spread-races", type=int, default=5, help="W6 spread races per K")
    parser.add_argument("--threads", default="2,4,8", help="W6 thread counts")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="W3 and W6 once on a tiny seed in a temporary SQLite folder, one race per mode with"
        " 2 threads (a check that the bench runs, not a measurement)",
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
        args.db, args.scale, args.runs, args.reuse = ["sqlite"], "tiny", 1, False
        args.races, args.spread_races, args.threads = 1, 1, "2"
        smoke = Path(tempfile.mkdtemp(prefix="bench-ledger-smoke-"))
    try:
        results = measure_all(args, smoke)
    finally:
        if smoke:
            shutil.rmtree(smoke, ignore_errors=True)
    print_and_exit(results, failures(results), as_json=args.json, report=report)


def failures(results: list[dict]) -> list[str]:
    """What went wrong in the measurements: a database that could not be measured, a page
    whose rows differ from the floor's, a race with other winners than exactly one."""
    found = []
    for r in results:
        where = f"{r['db']} {r['scale']}"
        if "error" in r:
            found.append(f"{where}: {r['error']}")
            continue
        found += [
            f"{where} W3 {w['workload']}: the page's rows differ from the floor's"
            for w in r.get("w3", [])
            if not w["same_rows"]
        ]
        found += [
            f"{where} W6 {w['mode']} K={w['threads']}: won {w['won']} of {w['wins_expected']}, "
            f"{w['errors']} errors, {w['lost_updates']} lost updates {w['error_messages'][:2]}"
            for w in r.get("w6", [])
            if w["ok"] is False
        ]
    return found


def measure_all(args, smoke: Path | None) -> list[dict]:
    results = []
    for db in args.db:
        try:
            env, seed = prepare(db, args.scale, args.reuse, not args.no_analyze, smoke)
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
        elif r["db"] == "postgres":
            how += ", not analysed"
        blocks.append(f"== {r['db']} {r['scale']} ({how})")
        if "w3" in r:
            blocks.append(w3_table(r))
        if "w6" in r:
            blocks.append(w6_table(r))
    return "\n\n".join(blocks)


if __name__ == "__main__":
    main()
