"""The monthly cycle's figures (issue 18): the month's figures of the root at city scale with six
months of visits (about 100,000 targets), through our selector (monthly.selectors.month_figures,
the function `luoshi stats` and the dashboards call) against the best raw SQL for the same counts
(five statements over the path range, the floor), checked equal. Also the per-organisation
table of the root (one grouped query per measure) and the figures of a county.

The database is seeded once with `luoshi migrate && luoshi seed --scale <scale>` (PostgreSQL:
database `bench_monthly_<scale>`; SQLite: $TMPDIR/bench-monthly-sqlite-<scale>/ as LUOSHI_VAR).
Timings are warm: one warm-up call, then the median of --runs calls, in milliseconds.

    .venv/bin/python bench/monthly.py --db postgres --scale city
    .venv/bin/python bench/monthly.py --db sqlite --scale city
    .venv/bin/python bench/monthly.py --smoke   # a tiny seed in a temporary SQLite folder
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import LUOSHI, PG, migrate_and_seed, pg_url, setup_django, summary, timed  # noqa: E402

FLOOR_SQL = {
    "assigned": """SELECT COUNT(DISTINCT target_id), COUNT(DISTINCT cadre_id)
        FROM monthly_targetassignment WHERE org_path >= %(lo)s AND org_path < %(hi)s
        AND starts_on < %(next)s AND (ends_on IS NULL OR ends_on >= %(month)s)""",
    "visits": """SELECT COUNT(*), COUNT(CASE WHEN visited_at < %(deadline)s THEN 1 END)
        FROM monthly_monthlyvisit WHERE month = %(month)s
        AND org_path >= %(lo)s AND org_path < %(hi)s""",
    # coverage's numerator (monthly.selectors.reached): targets visited in the month AND
    # assigned in it
    "reached": """SELECT COUNT(DISTINCT target_id) FROM monthly_monthlyvisit
        WHERE month = %(month)s AND org_path >= %(lo)s AND org_path < %(hi)s
        AND target_id IN (SELECT target_id FROM monthly_targetassignment
            WHERE org_path >= %(lo)s AND org_path < %(hi)s
            AND starts_on < %(next)s AND (ends_on IS NULL OR ends_on >= %(month)s))""",
    "findings": """SELECT
        COUNT(CASE WHEN month = %(month)s THEN 1 END),
        COUNT(CASE WHEN closed_month = %(month)s THEN 1 END),
        COUNT(CASE WHEN closed_month = %(month)s AND state = 'resolved' THEN 1 END),
        COUNT(CASE WHEN closed_month = %(month)s AND state = 'passed_up' THEN 1 END),
        COUNT(CASE WHEN month < %(month)s AND (closed_month IS NULL
              OR closed_month >= %(month)s) THEN 1 END)
        FROM monthly_finding WHERE month <= %(month)s
        AND org_path >= %(lo)s AND org_path < %(hi)s""",
    "meetings": """SELECT COUNT(*) FROM monthly_monthlymeeting WHERE month = %(month)s
        AND org_path >= %(lo)s AND org_path < %(hi)s""",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(db: str, scale: str) -> None:
    """Point this process at a seeded database of `scale` (seeding it the first time)."""
    env = dict(os.environ)
    if db == "postgres":
        name = f"bench_monthly_{scale}"
        exists = subprocess.run(
            [*PG, "-d", "postgres", "-c", f"SELECT 1 FROM pg_database WHERE datname='{name}'"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        env["DATABASE_URL"] = pg_url() + name
        if not exists:
            subprocess.run([*PG, "-d", "postgres", "-c", f"CREATE DATABASE {name}"], check=True)
    else:
        var = Path(tempfile.gettempdir()) / f"bench-monthly-sqlite-{scale}"
        env.pop("DATABASE_URL", None)
        env["LUOSHI_VAR"] = str(var)
        env["MEDIA_ROOT"] = str(var / "media")
        var.mkdir(parents=True, exist_ok=True)
        exists = (var / "seeded").exists()
    if not exists or (db == "sqlite" and not (Path(env["LUOSHI_VAR"]) / "seeded").exists()):
        subprocess.run([LUOSHI, "migrate", "-v0"], env=env, check=True)
        started = time.monotonic()
        subprocess.run(
            [LUOSHI, "seed", "--scale", scale, "--json"], env=env, check=True, capture_output=True
        )
        log(f"seeded {scale} on {db} in {time.monotonic() - started:.1f} s")
        if db == "sqlite":
            (Path(env["LUOSHI_VAR"]) / "seeded").touch()
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "LUOSHI_VAR", "MEDIA_ROOT") if k in env})
    if db == "sqlite":
        os.environ.pop("DATABASE_URL", None)


def floor_figures(path: str, month) -> dict:
    from django.db import connection

    from luoshi.core.paths import path_upper
    from luoshi.monthly.months import add_months
    from luoshi.monthly.selectors import deadline

    params = {
        "lo": path,
        "hi": path_upper(path),
        "month": month,
        "next": add_months(month, 1),
        "deadline": deadline(month),
    }
    out = {}
    with connection.cursor() as cursor:
        for name, sql in FLOOR_SQL.items():
            cursor.execute(sql, params)
            out[name] = cursor.fetchone()
    return out


def measure(runs: int) -> list[tuple]:
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.monthly import selectors
    from luoshi.monthly.models import MonthlyVisit, VisitTarget
    from luoshi.monthly.months import current_month
    from luoshi.orgs.models import Organization

    root = Organization.objects.filter(parent__isnull=True).order_by("pk").first()
    county = Organization.objects.filter(parent=root).order_by("pk").first()
    month = current_month()
    ours = selectors.month_figures(root.path, month)
    floor = floor_figures(root.path, month)
    assert ours["monthly_targets_assigned"] == floor["assigned"][0], (ours, floor)
    assert ours["monthly_visits"] == floor["visits"][0], (ours, floor)
    assert ours["monthly_targets_visited"] == floor["reached"][0], (ours, floor)
    assert ours["monthly_timely_visits"] == floor["visits"][1], (ours, floor)
    assert ours["monthly_carried_over"] == floor["findings"][4], (ours, floor)
    with CaptureQueriesContext(connection) as queries:
        selectors.month_figures(root.path, month)
    print(
        f"database {connection.vendor}: {VisitTarget.objects.count():,} targets, "
        f"{MonthlyVisit.objects.count():,} visits over six months; root coverage "
        f"{ours['monthly_coverage']}%, carried over {ours['monthly_carried_over']}; "
        f"our figures in {len(queries)} queries"
    )
    rows = []
    for label, fn_ours, fn_floor in (
        (
            "root: month figures",
            lambda: selectors.month_figures(root.path, month),
            lambda: floor_figures(root.path, month),
        ),
        (
            "county: month figures",
            lambda: selectors.month_figures(county.path, month),
            lambda: floor_figures(county.path, month),
        ),
        ("root: per-organisation table", lambda: selectors.org_rows(root, month), None),
        ("root: visits per cadre", lambda: selectors.cadre_rows(root.path, month), None),
        ("root: six months' history", lambda: selectors.history(root.path, 6), None),
    ):
        mine = summary(timed(fn_ours, runs))["median_ms"]
        best = summary(timed(fn_floor, runs))["median_ms"] if fn_floor else None
        rows.append((label, mine, best))
    print(f"{'workload':32} {'ours ms':>9} {'raw SQL ms':>11} {'ratio':>7}")
    for label, mine, best in rows:
        ratio = f"{mine / best:7.2f}" if best else "      —"
        floor_text = f"{best:11.1f}" if best else "          —"
        print(f"{label:32} {mine:9.1f} {floor_text} {ratio}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--scale", choices=("tiny", "city"), default="city")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="tiny seed, temporary SQLite, 1 run")
    args = parser.parse_args()
    if args.smoke:
        var = Path(tempfile.mkdtemp(prefix="bench-monthly-smoke-"))
        os.environ.pop("DATABASE_URL", None)
        os.environ["LUOSHI_VAR"] = str(var)
        os.environ["MEDIA_ROOT"] = str(var / "media")
        try:
            migrate_and_seed(dict(os.environ), "tiny")
            measure(1)
        finally:
            shutil.rmtree(var, ignore_errors=True)
        return
    prepare(args.db, args.scale)
    measure(args.runs)


if __name__ == "__main__":
    main()
