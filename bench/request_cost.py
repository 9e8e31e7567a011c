"""What one request of W8's mix costs the server: CPU milliseconds and queries per kind of
request, in one process through django.test.Client, with the production settings of
`scripts/production.sh` (DEBUG off, hashed static files, Redis cache, RQ tasks) on the database
bench/load.py seeds (city). The load bench measures the whole layout under contention; this
measures what each request costs on its own, which is what the server's throughput divides.

Per kind: the median and p90 of --runs requests of CPU time (time.process_time: this process
only, so other engineers' work on the machine hardly moves it; PostgreSQL's own CPU is not in
it) and of wall time, and the queries of one request. The kinds and their URLs are load.py's,
as the same demo accounts: the ledger (page 1, overdue, a search, closed), a dashboard of an
organisation in scope, a problem page, and through the API with a bearer token: a measure,
a progress report and a transition (these write, as the load bench does).
--profile KIND prints the functions that cost the most in that kind (cProfile, cumulative).

    bench/request_cost.py --db-name bench_wt9_load
    bench/request_cost.py --db-name bench_wt9_load --profile dashboard --top 40
    bench/request_cost.py --smoke   # 2 requests per kind on a tiny SQLite seed of its own

--smoke checks that the bench runs: a tiny seed in a temporary SQLite folder (never ./var nor
DATABASE_URL), the cache in the process and tasks run in the request, 2 requests per kind.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import LUOSHI, REPO, VENV_PYTHON, migrate_and_seed, pg_url, summary

KINDS = (
    "ledger page",
    "dashboard",
    "problem page",
    "measure (api)",
    "progress (api)",
    "transition (api)",
    "healthz",  # not in the mix: the floor of any request (middleware, no session)
)


def child(args) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from luoshi.accounts.tokens import issue_token
    from luoshi.core.scoping import scope_paths
    from luoshi.orgs.models import Organization
    from luoshi.rectification import rules
    from luoshi.rectification.models import Measure, Problem

    rng = random.Random(9)

    def client_for(username):
        user = get_user_model().objects.get(username=username)
        c = Client(HTTP_HOST="127.0.0.1")
        c.force_login(user)
        token = issue_token(user)
        return user, c, {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    reader_user, reader, _ = client_for("city_office")
    owner_user, owner, owner_auth = client_for("county_liaison")
    verifier_user, _, verifier_auth = client_for("city_office")
    (root,) = scope_paths(reader_user)
    # load.py's: the top of the scope and its children
    top = Organization.objects.get(path=root)
    orgs = [top.pk, *top.children.values_list("pk", flat=True)]
    problems = list(
        Problem.objects.visible_to(reader_user).order_by("id").values_list("pk", flat=True)[:60]
    )
    owned = list(
        Measure.objects.visible_to(owner_user)
        .exclude(state="closed")
        .order_by("id")
        .values_list("pk", flat=True)[:200]
    )
    ledger_params = [{}, {}, {"overdue": "1"}, {"q": "制度"}, {"status": "closed"}]

    # Each returns the request to time (its preparation, e.g. reading a measure's version, is
    # not timed), or None when the chosen measure allows nothing.
    def ledger():
        params = rng.choice(ledger_params)
        return lambda: reader.get("/ledger/", params)

    def dashboard():
        pk = rng.choice(orgs)
        return lambda: reader.get(f"/dashboard/{pk}/")

    def problem():
        pk = rng.choice(problems)
        return lambda: reader.get(f"/problems/{pk}/")

    def measure():
        mid = rng.choice(owned)
        return lambda: owner.get(f"/api/v1/measures/{mid}", **owner_auth)

    def progress():
        m = Measure.objects.get(pk=rng.choice(owned))
        if m.state not in ("in_progress", "returned", "not_started"):
            return None
        data = {"version": m.version, "text": "按计划推进", "progress": rng.randint(1, 99)}
        return lambda: owner.post(f"/api/v1/measures/{m.pk}/progress", data, **owner_auth)

    def transition():
        # an owner's step or a verifier's, whichever the measure allows
        m = Measure.objects.select_related("problem").get(pk=rng.choice(owned))
        for user, auth in ((owner_user, owner_auth), (verifier_user, verifier_auth)):
            actions = [t.action for t in rules.allowed_actions(user, m) if t.action != "submit"]
            if actions:
                body = {"action": rng.choice(actions), "version": m.version, "reason": "压测"}
                return lambda: owner.post(
                    f"/api/v1/measures/{m.pk}/transitions",
                    body,
                    content_type="application/json",
                    **auth,
                )
        return None

    def healthz():
        return lambda: reader.get("/healthz")

    kinds = (ledger, dashboard, problem, measure, progress, transition, healthz)
    calls = dict(zip(KINDS, kinds, strict=True))
    wanted = [args.profile] if args.profile else KINDS
    result = {}
    for kind in wanted:
        fn = calls[kind]
        for _ in range(3):  # warm-up: templates compiled, connections open
            if request := fn():
                request()
        cpu, wall, queries, statuses = [], [], [], []
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
        attempts = 0
        while len(cpu) < args.runs and attempts < 20 * args.runs:
            attempts += 1  # a write whose chosen measure allows nothing is chosen again
            request = fn()
            if request is None:
                continue
            with CaptureQueriesContext(connection) as captured:
                c0, w0 = time.process_time(), time.perf_counter()
                if args.profile:
                    profiler.enable()
                response = request()
                if args.profile:
                    profiler.disable()
                c1, w1 = time.process_time(), time.perf_counter()
            statuses.append(response.status_code)
            cpu.append((c1 - c0) * 1000)
            wall.append((w1 - w0) * 1000)
            queries.append(len(captured))
        if args.queries:
            print(f"--- {kind}: {len(captured)} queries", file=sys.stderr)
            for q in captured:
                print("   ", q["sql"][:300], file=sys.stderr)
        result[kind] = {
            "cpu": summary(cpu),
            "wall": summary(wall),
            "queries": statistics.median(queries),
            "statuses": sorted(set(statuses)),
        }
        if args.profile:
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_callees(r"views.py.*\(|api.py.*\(")
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-name", default="bench_load")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--profile", choices=KINDS)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--queries", action="store_true", help="print each kind's SQL")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="2 requests per kind on a tiny seed in a temporary SQLite folder (a check that the"
        " bench runs, not a measurement)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    if not args.smoke:
        return measure(args)
    args.runs = 2
    var = Path(tempfile.mkdtemp(prefix="bench-cost-smoke-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        LUOSHI_VAR=str(var),
        MEDIA_ROOT=str(var / "media"),
        DEBUG="0",
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    try:
        migrate_and_seed(env, "tiny")
        measure(args, env, "tiny SQLite seed (--smoke)")
    finally:
        shutil.rmtree(var, ignore_errors=True)


def measure(args, env: dict | None = None, label: str = "") -> None:
    """Run the child against `env` (default: load.py's PostgreSQL database) and print."""
    if env is not None:
        return report(args, env, label)
    var = REPO / "var" / f"bench-load-{args.db_name}"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=pg_url() + args.db_name,  # as load.py: the local socket
        LUOSHI_VAR=str(var),
        DEBUG="0",
        STATIC_MANIFEST="1",
        STATIC_ROOT=str(var / "static"),
        CACHE_BACKEND="redis",
        TASKS_BACKEND="rq",
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    )
    if not (var / "static" / "staticfiles.json").exists():
        raise SystemExit(f"run bench/load.py --db-name {args.db_name} first (it seeds {var})")
    subprocess.run([LUOSHI, "migrate", "-v0"], env=env, check=True)
    report(args, env, f"city seed, {args.db_name}")


def report(args, env: dict, label: str) -> None:
    argv = [str(VENV_PYTHON), __file__, "--child", "--db-name", args.db_name]
    argv += ["--runs", str(args.runs), "--top", str(args.top)]
    if args.profile:
        argv += ["--profile", args.profile]
    if args.queries:
        argv += ["--queries"]
    out = subprocess.run(argv, env=env, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    if out.returncode:
        raise SystemExit(out.returncode)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    failed = [k for k, row in result.items() if any(s >= 500 for s in row["statuses"])]
    if args.json:
        print(json.dumps({"kinds": result, "load": load}, ensure_ascii=False, indent=1))
    else:
        table(args, result, load, label)
    if failed:
        print(f"FAILED: server errors in {', '.join(failed)}")
        sys.exit(1)


def table(args, result: dict, load: str, label: str) -> None:
    print(f"CPU per request (this process only), {args.runs} runs, {label}")
    print(f"  {'kind':<18} {'cpu p50':>8} {'cpu p90':>8} {'wall p50':>9} {'queries':>8}  statuses")
    for kind, row in result.items():
        print(
            f"  {kind:<18} {row['cpu']['median_ms']:6.1f}ms {row['cpu']['p90_ms']:6.1f}ms"
            f" {row['wall']['median_ms']:7.1f}ms {row['queries']:>8}  {row['statuses']}"
        )
    print(f"  load: {load}")


if __name__ == "__main__":
    main()
