"""W8: load against the production layout. 50 clients on loopback for 60 s mixing ledger pages,
dashboards, problem pages, progress reports and transitions; prints requests/s, p50/p99 latency
per kind of request and the error count, with the machine's load (other engineers share it).

The server is `scripts/production.sh` (gunicorn, the RQ worker on Redis, collected static files,
PostgreSQL) on 127.0.0.1:--port, against database `bench_load` (seeded once with the city:
4,601 orgs, 110,500 members, 6,145 problems, 7,197 measures). SECURE_COOKIES=0 because the
clients speak plain HTTP on loopback (in production TLS sits in front).

Clients are closed loops in --processes processes (the load generator shares the 2 cores): each
logs in as one of the demo accounts (pages by session cookie; writes through the HTTP API with
that account's bearer token, as integrations do) and waits --think seconds between requests.
Readers (leader, office, guidance, liaisons) open the ledger (page 1, a filter, a search), a
dashboard of an organisation in their scope and a problem page; owners (liaisons) report
progress, sometimes with a PDF, and ask for closure; verifiers (office, guidance) verify, return
and reopen. A write first GETs the measure for its version and allowed actions.
Outcomes: "ok" (2xx/3xx), "conflict" (409: someone changed the measure first, the designed
answer), "refused" (400: the state no longer allows it) and "errors" (5xx, other 4xx, timeouts,
connection failures), which must be 0.

    bench/load.py                                   # 50 clients, 60 s, no think time
    bench/load.py --think 1 --clients 50            # users who click about once a second
    bench/load.py --db-name bench_wt9_load --port 8009 --json
    bench/load.py --smoke     # 5 clients for 3 s against gunicorn on a tiny SQLite seed

--smoke checks that the bench runs, with what the test suite has: gunicorn (one worker, no RQ
worker: background tasks run in the request) on SQLite in a temporary folder, seeded tiny, on a
free port; the PostgreSQL layout of scripts/production.sh is not started.
"""

import argparse
import gc
import json
import math
import multiprocessing
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

from common import LUOSHI, PG, PG_SOCKET, REPO, migrate_and_seed, pg_url

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
OWNERS = ("county_liaison", "branch_a", "branch_b")
VERIFIERS = ("city_office", "guidance")
READERS = ("leader", "city_office", "guidance", "county_liaison", "branch_a", "branch_b")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def psql(sql: str, db: str = "postgres") -> str:
    done = subprocess.run([*PG, "-d", db, "-c", sql], capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else ""


def machine_load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def prepare(args, env) -> dict:
    """The seeded database and its demo accounts (seeded on first use)."""
    seed_file = Path(env["LUOSHI_VAR"]) / "seed.json"
    if not psql("SELECT 1", args.db_name):
        psql(f'CREATE DATABASE "{args.db_name}"')
    if not seed_file.exists() or psql("SELECT count(*) FROM orgs_organization", args.db_name) in (
        "",
        "0",
    ):
        log(f"seeding the city into {args.db_name} ...")
        subprocess.run([LUOSHI, "migrate", "-v0"], env=env, check=True)
        out = subprocess.run(
            [LUOSHI, "seed", "--scale", "city", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        seed_file.write_text(out)
    return json.loads(seed_file.read_text())


def cpu_ticks(pids) -> dict[int, int]:
    """User + system CPU of each process so far, in clock ticks (from /proc)."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's master and workers and the RQ worker: the server's session."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == server.pid:  # the session id
                pids.append(int(entry.name))
    return pids


def database_pids(db: str) -> list[int]:
    rows = psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{db}'")
    return [int(p) for p in rows.split()]


def cpu_used(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds between two readings; a process first seen in the second counts whole."""
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks / os.sysconf("SC_CLK_TCK")


def prepare_smoke(env) -> dict:
    """A tiny seed in the smoke's own SQLite folder."""
    log("--smoke: seeding tiny into a temporary SQLite folder ...")
    return migrate_and_seed(env, "tiny")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(args, env) -> subprocess.Popen:
    log(f"starting the production layout on 127.0.0.1:{args.port} ({args.workers} workers) ...")
    args.server_log = Path(env["LUOSHI_VAR"]) / f"server-{time.strftime('%H%M%S')}.log"
    command = [str(REPO / "scripts" / "production.sh")]
    if args.smoke:  # gunicorn alone, as production.sh starts it, on SQLite
        command = [str(REPO / ".venv" / "bin" / "gunicorn"), "luoshi.wsgi:application"]
        command += ["--bind", env["BIND"], "--workers", str(args.workers), "--timeout", "120"]
        command += ["--preload", "--error-logfile", "-"]
    server = subprocess.Popen(
        command,
        env=env,
        cwd=REPO,
        stdout=open(args.server_log, "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped; see {env['LUOSHI_VAR']}/server-*.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)  # not left holding the port for the next run
    raise SystemExit("the server did not answer /healthz within 3 minutes")


def stop_server(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)


def pools(base: str, env: dict, usernames: set[str]) -> dict:
    """Per account: a bearer token, organisations and problems/measures in its scope."""
    import requests

    result = {}
    for username in sorted(usernames):
        token = subprocess.run(
            [LUOSHI, "token", username], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        tops = s.get(f"{base}/api/v1/organizations").json()
        orgs = [o["id"] for o in tops]
        for top in tops[:2]:
            orgs += [
                o["id"] for o in s.get(f"{base}/api/v1/organizations?parent={top['id']}").json()
            ]
        problems = [p["id"] for p in s.get(f"{base}/api/v1/problems?limit=60").json()]
        measures = []
        for pid in problems[:30]:
            measures += [m["id"] for m in s.get(f"{base}/api/v1/problems/{pid}").json()["measures"]]
        result[username] = {
            "token": token,
            "orgs": orgs,
            "problems": problems,
            "measures": measures,
        }
    return result


class Http:
    """One keep-alive connection (urllib3 without requests.Session, whose cookie jar and hooks
    cost CPU on the cores the server needs) with fixed headers: the session cookie for pages,
    the bearer token for the API."""

    def __init__(self, base: str, headers: dict | None = None):
        import urllib3

        host, port = base.removeprefix("http://").split(":")
        self.pool = urllib3.HTTPConnectionPool(
            host, int(port), maxsize=1, block=True, retries=False, timeout=30
        )
        self.headers = dict(headers or {})

    def request(self, method, path, *, params=None, data=None, files=None, json=None, timeout=30):
        if params:
            path += "?" + urllib.parse.urlencode(params)
        kw = {"headers": self.headers, "redirect": False, "timeout": timeout}
        if json is not None:
            kw["json"] = json
        elif data is not None or files:
            fields = dict(data or {})
            for name, value in files or []:
                fields[name] = value
            kw |= {"fields": fields, "encode_multipart": bool(files)}
        return self.pool.request(method, path, **kw)

    def cookies(self, response) -> dict:
        return dict(
            c.split(";", 1)[0].split("=", 1) for c in response.headers.getlist("Set-Cookie")
        )


class Client:
    def __init__(self, base, account, pool, role, think, deadline, records):
        self.base, self.pool, self.role, self.think = base, pool, role, think
        self.deadline, self.records = deadline, records
        self.session = Http(base)
        self.api = Http(base, {"Authorization": f"Bearer {pool['token']}"})
        self.evidence: set[int] = set()
        self.rng = random.Random()
        # Not measured, and slow on purpose (password hashing): 50 at once on 2 busy cores take
        # longer than a measured request may.
        page = self.session.request("GET", "/accounts/login/", timeout=300)
        cookies = self.session.cookies(page)
        text = page.data.decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
        self.session.headers["Cookie"] = f"csrftoken={cookies['csrftoken']}"
        done = self.session.request(
            "POST",
            "/accounts/login/",
            data={"username": account["username"], "password": account["password"]}
            | {"csrfmiddlewaretoken": csrf},
            timeout=300,
        )
        if done.status != 302:
            raise RuntimeError(f"login of {account['username']} answered {done.status}")
        cookies |= self.session.cookies(done)
        self.session.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())

    def call(self, kind, session, method, path, **kw):
        started = time.perf_counter()
        try:
            response = session.request(method, path, **kw)
            status = response.status
        except Exception as exc:  # counted as an error below
            response, status = None, type(exc).__name__
        ms = (time.perf_counter() - started) * 1000
        at = time.time() - ms / 1000
        if isinstance(status, int) and status < 400:
            outcome = "ok"
        elif status == 409:
            outcome = "conflict"
        elif status == 400:
            outcome = "refused"
        else:
            outcome = "error"
        self.records.append((kind, outcome, ms, status, at))
        return response if outcome == "ok" else None

    def read(self):
        rng, pool = self.rng, self.pool
        choice = rng.random()
        if choice < 0.35:
            params = rng.choice([{}, {}, {"overdue": "1"}, {"q": "制度"}, {"status": "closed"}])
            self.call("ledger page", self.session, "GET", "/ledger/", params=params)
        elif choice < 0.75 and pool["orgs"]:
            self.call("dashboard", self.session, "GET", f"/dashboard/{rng.choice(pool['orgs'])}/")
        elif pool["problems"]:
            self.call(
                "problem page", self.session, "GET", f"/problems/{rng.choice(pool['problems'])}/"
            )

    def write(self):
        if not self.pool["measures"]:
            return self.read()
        mid = self.rng.choice(self.pool["measures"])
        got = self.call("measure (api)", self.api, "GET", f"/api/v1/measures/{mid}")
        if got is None:
            return
        m = got.json()
        actions = [a for a in m["allowed_actions"] if a != "submit" or mid in self.evidence]
        if self.role == "owner" and m["state"] in ("not_started", "in_progress", "returned"):
            if not actions or self.rng.random() < 0.7:
                files = None
                if self.rng.random() < 0.3:
                    files = [("files", ("佐证.pdf", PDF, "application/pdf"))]
                done = self.call(
                    "progress (api)",
                    self.api,
                    "POST",
                    f"/api/v1/measures/{mid}/progress",
                    data={
                        "version": m["version"],
                        "text": "按计划推进",
                        "progress": self.rng.randint(1, 99),
                        "on_behalf": "true" if m["on_behalf"] else "false",
                    },
                    files=files,
                )
                if done is not None and files:
                    self.evidence.add(mid)
                return
        if actions:
            self.call(
                "transition (api)",
                self.api,
                "POST",
                f"/api/v1/measures/{mid}/transitions",
                json={
                    "action": self.rng.choice(actions),
                    "version": m["version"],
                    "reason": "压测",
                    "on_behalf": m["on_behalf"],  # 代为填报 when a level above reports the work
                },
            )

    def run(self):
        if self.think:  # users are at random points of their work, not all clicking at once
            time.sleep(self.rng.expovariate(1 / self.think))
        while time.time() < self.deadline:
            if self.role == "reader" or self.rng.random() < 0.5:
                self.read()
            else:
                self.write()
            if self.think:
                time.sleep(self.rng.expovariate(1 / self.think))


def client_process(base, plans, think, ready, go, deadline, queue):
    """Log every client in (password hashing is slow on purpose), report ready, and run them
    from the common start until the deadline."""
    records, errors, clients = [], [], []

    def login(plan):
        try:
            clients.append(Client(base, *plan, think, 0, records))
        except Exception as exc:  # a client that could not start is an error too
            errors.append(repr(exc))

    threads = [threading.Thread(target=login, args=(plan,)) for plan in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ready.put(len(clients))
    # the generator's own collector pauses would show as latency: keep them rare
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    go.wait()
    started = time.process_time()
    for c in clients:
        c.deadline = deadline.value
    threads = [threading.Thread(target=c.run) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.put((records, errors, time.process_time() - started))


def server_times(log: Path, offset: int) -> list[float]:
    """Milliseconds gunicorn spent on each request, from the access log's last field (the
    format load.py asks for: `%(r)s %(s)s %(M)s`)."""
    times = []
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode(errors="replace")
    for line in text.splitlines():
        if line.startswith("ACCESS "):
            try:
                times.append(float(line.rsplit(" ", 1)[1]))
            except ValueError:
                continue
    return sorted(times)


def percentile(ordered, q):
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db-name", default="bench_load")
    parser.add_argument("--port", type=int, default=8009)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between requests")
    parser.add_argument(
        "--warmup", type=float, default=10, help="seconds run before measuring (not counted)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (production's default: one per core)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--processes", type=int, default=2, help="load-generator processes")
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log requests in gunicorn too (off in production) and report its own request time",
    )
    parser.add_argument(
        "--pg-socket",
        default=PG_SOCKET,
        help="reach PostgreSQL through the Unix socket in this folder, as the production layout "
        f"on one machine does (default: {PG_SOCKET or 'none found'}); '' for TCP on 127.0.0.1",
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="5 clients for 3 s against gunicorn on a tiny SQLite seed in a temporary folder (a"
        " check that the bench runs, not a measurement)",
    )
    args = parser.parse_args()
    if not args.smoke:
        return measure(args)
    args.clients, args.seconds, args.warmup, args.processes = 5, 3.0, 1.0, 1
    args.workers, args.port, args.db_name, args.pg_socket = 1, free_port(), "", ""
    var = Path(tempfile.mkdtemp(prefix="bench-load-smoke-"))
    try:
        measure(args, var)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def measure(args, var: Path | None = None) -> None:
    """The load run; `var`: the smoke's temporary folder (SQLite, gunicorn alone)."""
    args.workers = args.workers or os.cpu_count()
    if var is None:
        var = REPO / "var" / f"bench-load-{args.db_name}"
        var.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        LUOSHI_VAR=str(var),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        BIND=f"127.0.0.1:{args.port}",
        WEB_WORKERS=str(args.workers),
        WEB_THREADS=str(args.threads),
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
        GUNICORN_CMD_ARGS='--access-logformat "ACCESS %(r)s %(s)s %(M)s"',
        ACCESS_LOG="-" if args.access_log else "",
        # a Redis database of its own: the worker must not take other checkouts' jobs
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
    )
    if args.smoke:
        env.update(DEBUG="0", MEDIA_ROOT=str(var / "media"))
        seed = prepare_smoke(env)
    else:
        env["DATABASE_URL"] = pg_url(args.pg_socket) + args.db_name
        seed = prepare(args, env)
    accounts = {a["username"]: a for a in seed["accounts"]}
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(args, env)
    try:
        pool = pools(base, env, set(OWNERS + VERIFIERS + READERS))
        plans = []
        for i in range(args.clients):
            kind = i % 5  # 3 readers, 1 owner, 1 verifier in every 5 clients
            if kind < 3:
                name, role = READERS[i % len(READERS)], "reader"
            elif kind == 3:
                name, role = OWNERS[i % len(OWNERS)], "owner"
            else:
                name, role = VERIFIERS[i % len(VERIFIERS)], "verifier"
            plans.append((accounts[name], pool[name], role))
        queue, ready = multiprocessing.Queue(), multiprocessing.Queue()
        go, deadline = multiprocessing.Event(), multiprocessing.Value("d", 0.0)
        procs = [
            multiprocessing.Process(
                target=client_process,
                args=(base, plans[p :: args.processes], args.think, ready, go, deadline, queue),
            )
            for p in range(args.processes)
        ]
        for p in procs:
            p.start()
        logged_in = sum(ready.get() for _ in procs)
        load_before = machine_load()
        log(
            f"{logged_in} clients logged in; {args.warmup:.0f} s of warm-up, then measuring for "
            f"{args.seconds:.0f} s; {load_before}"
        )
        deadline.value = time.time() + args.warmup + args.seconds
        go.set()
        time.sleep(args.warmup)
        measured_from = time.time()
        server_before = cpu_ticks(server_pids(server))
        db_before = cpu_ticks(database_pids(args.db_name) if args.db_name else [])
        log_offset = args.server_log.stat().st_size
        sample = {}

        def sample_load():
            time.sleep(args.seconds / 2)
            sample["mid"] = machine_load()

        threading.Thread(target=sample_load, daemon=True).start()
        records, client_errors, client_cpu = [], [], 0.0
        for _ in procs:
            r, e, cpu = queue.get()
            records += r
            client_errors += e
            client_cpu += cpu
        server_cpu = cpu_used(server_before, cpu_ticks(server_pids(server)))
        db_cpu = cpu_used(db_before, cpu_ticks(database_pids(args.db_name) if args.db_name else []))
        for p in procs:
            p.join()
        load_after = machine_load()
    finally:
        stop_server(server)

    # the warm-up's requests (workers loading templates and opening connections, clients not yet
    # spread over their think time) are not measured; their errors still count
    warmup_errors = sum(
        1 for _, outcome, _, _, at in records if outcome == "error" and at < measured_from
    )
    client_cpu *= sum(1 for r in records if r[4] >= measured_from) / max(1, len(records))
    records = [r for r in records if r[4] >= measured_from]
    by_kind = defaultdict(list)
    outcomes = Counter()
    statuses = Counter()
    slow_by_second = Counter(int(at - measured_from) for _, _, ms, _, at in records if ms > 500)
    inside = server_times(args.server_log, log_offset)
    for kind, outcome, ms, status, _ in records:
        by_kind[kind].append(ms)
        outcomes[outcome] += 1
        if outcome == "error":
            statuses[str(status)] += 1
    every = sorted(ms for _, _, ms, _, _ in records)
    result = {
        "clients": args.clients,
        "seconds": args.seconds,
        "think_s": args.think,
        "gunicorn": {"workers": args.workers, "threads": args.threads},
        "requests": len(records),
        "requests_per_s": len(records) / args.seconds,
        "p50_ms": percentile(every, 0.5),
        "p99_ms": percentile(every, 0.99),
        "outcomes": dict(outcomes),
        "errors": outcomes["error"] + len(client_errors) + warmup_errors,
        "warmup_s": args.warmup,
        "error_statuses": dict(statuses),
        "client_start_errors": client_errors[:5],
        "by_kind": {
            k: {
                "n": len(v),
                "p50_ms": percentile(sorted(v), 0.5),
                "p99_ms": percentile(sorted(v), 0.99),
            }
            for k, v in sorted(by_kind.items())
        },
        # CPU per request: gunicorn and the RQ worker, PostgreSQL's backends for the database,
        # and the load generator's own processes (all on the same cores)
        "cpu_ms_per_request": {
            "server": 1000 * server_cpu / max(1, len(records)),
            "postgres": 1000 * db_cpu / max(1, len(records)),
            "load_generator": 1000 * client_cpu / max(1, len(records)),
        },
        # where the time went: gunicorn's own request time (parse to response) against what the
        # clients waited; slow requests (> 500 ms) by second of the run show stalls or queues
        "server_p50_ms": percentile(inside, 0.5),
        "server_p99_ms": percentile(inside, 0.99),
        "slow_by_second": dict(sorted(slow_by_second.items())),
        "load": {"before": load_before, "middle": sample.get("mid", ""), "after": load_after},
        "cpus": os.cpu_count(),
        "postgresql": args.pg_socket or "tcp",
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return finish(result)
    where = "socket " + args.pg_socket if args.pg_socket else "TCP 127.0.0.1"
    print(
        f"W8 load: {args.clients} clients, {args.seconds:.0f} s"
        f" after {args.warmup:.0f} s of warm-up,"
        f" think {args.think} s, "
        f"gunicorn {args.workers}x{args.threads}, "
        + ("SQLite tiny seed (--smoke)" if args.smoke else f"PostgreSQL city seed ({where})")
    )
    print(
        f"  {result['requests']} requests, {result['requests_per_s']:.1f} req/s, "
        f"p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, errors {result['errors']}"
        f"  (aim: 0 errors, p99 < 500 ms)"
    )
    print(f"  outcomes {dict(outcomes)}  error statuses {dict(statuses)}")
    for kind, row in result["by_kind"].items():
        print(
            f"  {kind:<18} n={row['n']:>6}  p50 {row['p50_ms']:7.1f} ms"
            f"  p99 {row['p99_ms']:7.1f} ms"
        )
    cpu = result["cpu_ms_per_request"]
    print(
        f"  CPU per request: server {cpu['server']:.1f} ms, PostgreSQL {cpu['postgres']:.1f} ms,"
        f" load generator {cpu['load_generator']:.1f} ms"
    )
    if inside:
        print(
            "  inside gunicorn (request parsed to response sent):"
            f" p50 {result['server_p50_ms']:.0f} ms,"
            f" p99 {result['server_p99_ms']:.0f} ms over {len(inside)} logged requests"
        )
    if slow_by_second:
        print(
            "  requests over 500 ms by second of the run: "
            + " ".join(f"{s}s:{n}" for s, n in sorted(slow_by_second.items()))
        )
    for when, text in result["load"].items():
        print(f"  load {when:<6}: {text}")
    finish(result)


def finish(result: dict) -> None:
    """Exit 1 when the run failed: errors (5xx, other 4xx, timeouts, clients that could not
    start) or no request answered at all."""
    if result["errors"] or not result["requests"]:
        print(f"FAILED: {result['errors']} errors in {result['requests']} requests")
        sys.exit(1)


if __name__ == "__main__":
    main()
