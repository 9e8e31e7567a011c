"""Issue 23, finding 1 against the production layout: the expanding spreadsheet and 20 parallel
imports. Prints the peak memory (RSS) of the web workers and of the background worker (its
work-horse processes included), what each hostile upload was answered, the outcome of every
import, and the time of a normal page (the ledger, as the leader) made meanwhile against the
same page on the idle server.

The server is `scripts/production.sh` (gunicorn, the RQ worker on Redis, PostgreSQL), started
and seeded as bench/load.py does (its helpers are reused): database `bench_abuse` with the city
seed (4,601 orgs, 6,145 problems), or `bench_abuse_smoke` with the tiny one for --smoke.

Uploads: the expanding spreadsheet (a few hundred kB that inflate to 96 MB), the same lying
about its size, and a sheet whose two cells span 3 billion (which aborted the reader's process
before the checks); each must be refused (400) with the limit in the message. Then N clients
at once, each as one of the accounts that keep a ledger: export that account's ledger, upload
it for the preview, confirm, and poll the job to its end. One import per user at a time: a
client whose account already has one running is told so (409), the designed answer.

    bench/abuse.py                 # city seed, 20 parallel imports
    bench/abuse.py --smoke         # tiny seed, 4 imports, one run; exits 1 if a check fails
"""

import argparse
import atexit
import os
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import LUOSHI, PG_SOCKET, REPO, migrate_and_seed, pg_url
from load import Client, psql, server_pids, start_server, stop_server

sys.path.insert(0, str(REPO))
from tests.ledger_io.builders import bomb_xlsx, expanding_xlsx, lying_about_size  # noqa: E402

OWNERS = ("city_office", "county_liaison", "branch_a", "branch_b")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(db: str, scale: str, env: dict) -> dict:
    import json

    seed_file = Path(env["LUOSHI_VAR"]) / "seed.json"
    if not psql("SELECT 1", db):
        psql(f'CREATE DATABASE "{db}"')
    if not seed_file.exists() or psql("SELECT count(*) FROM orgs_organization", db) in ("", "0"):
        log(f"seeding {scale} into {db} ...")
        seed_file.write_text(json.dumps(migrate_and_seed(env, scale)))
    else:
        subprocess.run([LUOSHI, "migrate", "-v0"], env=env, check=True)
    # jobs of an earlier run (one import per user at a time) must not refuse this one's
    psql("DELETE FROM ledger_io_importjob", db)
    return json.loads(seed_file.read_text())


class Memory(threading.Thread):
    """Samples every server process's resident memory (VmRSS, and the peak the kernel kept,
    VmHWM) every 50 ms: gunicorn's workers as "web", the RQ worker and the work-horse it forks
    for each job as "worker"."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.stop = server, threading.Event()
        self.peak = {"web": 0, "worker": 0}
        self.seen = {"web": set(), "worker": set()}

    def pids(self) -> list[int]:
        """The server's session (load.py's server_pids) and the children of its processes: RQ
        puts each work-horse in a session of its own."""
        session = set(server_pids(self.server))
        found = set(session)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) in session:  # the parent
                    found.add(int(entry.name))
        return sorted(found)

    def sample(self) -> dict:
        now = {"web": 0, "worker": 0}
        for pid in self.pids():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kind = "web" if b"gunicorn" in cmd else "worker" if b"rqworker" in cmd else None
            if kind is None:
                continue
            kb = dict(
                (line.split(":")[0], int(line.split()[1]))
                for line in status.splitlines()
                if line.startswith(("VmRSS", "VmHWM"))
            )
            self.seen[kind].add(pid)
            self.peak[kind] = max(self.peak[kind], kb.get("VmHWM", 0), kb.get("VmRSS", 0))
            now[kind] = max(now[kind], kb.get("VmRSS", 0))
        return now

    def run(self):
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.05)

    def reset(self):
        self.peak = {"web": 0, "worker": 0}


def login(base: str, account: dict) -> Client:
    """A signed-in page session (load.py's client, without its API pool)."""
    return Client(base, account, {"token": ""}, "reader", 0, 0, [])


def csrf(client: Client) -> str:
    return re.search(r"csrftoken=([^;]+)", client.session.headers["Cookie"]).group(1)


def upload(client: Client, data: bytes, name: str = "台账.xlsx"):
    """The import page's form, as a browser sends it: the account's first organisation and
    campaign. Returns (status, the page's text, the preview's token or None, seconds)."""
    page = client.session.request("GET", "/ledger/import/").data.decode()
    org = re.search(r'<select id="org"[^>]*>\s*<option value="(\d+)"', page)
    campaign = re.search(r'<select id="campaign"[^>]*>\s*<option value="(\d+)"', page)
    fields = {
        "org": org.group(1) if org else "",
        "campaign": campaign.group(1) if campaign else "",
        "csrfmiddlewaretoken": csrf(client),
    }
    started = time.perf_counter()
    response = client.session.request(
        "POST", "/ledger/import/", data=fields, files=[("file", (name, data, XLSX))], timeout=600
    )
    seconds = time.perf_counter() - started
    text = response.data.decode(errors="replace")
    token = re.search(r"/ledger/import/([0-9a-f]{32})/confirm/", text)
    return response.status, text, token.group(1) if token else None, seconds


def message(text: str) -> str:
    found = re.search(r'data-testid="error">([^<]*)<', text)
    return found.group(1).strip() if found else ""


def normal_request(client: Client) -> float:
    started = time.perf_counter()
    response = client.session.request("GET", "/ledger/", timeout=600)
    if response.status != 200:
        raise RuntimeError(f"the ledger page answered {response.status}")
    return (time.perf_counter() - started) * 1000


def problems_in(data: bytes) -> int:
    """Rows of an exported ledger below its title, unit line and two header rows."""
    import io

    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return sum(max(0, book.get_sheet_by_name(n).height - 4) for n in book.sheet_names)


def one_import(client, account: dict, data: bytes, outcomes: list, lock: threading.Lock) -> None:
    """Preview the account's exported ledger, confirm, and follow the job to its end."""
    record = {"account": account["username"]}
    try:
        status, text, token, seconds = upload(client, data)
        record.update(preview=status, preview_s=seconds)
        if status == 409:
            record["outcome"] = "refused: one at a time"
        elif token is None:
            record["outcome"] = f"preview {status}: {message(text)[:60]}"
        else:
            done = client.session.request(
                "POST",
                f"/ledger/import/{token}/confirm/",
                data={"csrfmiddlewaretoken": csrf(client)},
                timeout=600,
            )
            if done.status == 409:
                record["outcome"] = "refused: one at a time"
            elif done.status != 302:
                record["outcome"] = f"confirm {done.status}"
            else:
                job = done.headers["Location"]
                started = time.perf_counter()
                while True:
                    page = client.session.request("GET", job, timeout=600).data.decode()
                    state = re.search(r'data-state="(\w+)"', page)
                    if state and state.group(1) == "done":
                        record["outcome"] = "imported"
                        break
                    if state and state.group(1) == "failed":
                        record["outcome"] = "job failed"
                        break
                    if time.perf_counter() - started > 900:
                        record["outcome"] = "job did not end"
                        break
                    time.sleep(0.5)
                record["job_s"] = time.perf_counter() - started
    except Exception as exc:  # counted as a failure below
        record["outcome"] = f"error: {exc!r}"[:120]
    with lock:
        outcomes.append(record)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny seed, 4 imports, fast")
    parser.add_argument("--scale", choices=("tiny", "city"), default=None)
    parser.add_argument("--imports", type=int, default=None, help="parallel imports (20)")
    parser.add_argument("--port", type=int, default=8019)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--db-name", default=None)
    parser.add_argument("--pg-socket", default=PG_SOCKET)
    args = parser.parse_args()
    args.scale = args.scale or ("tiny" if args.smoke else "city")
    args.imports = args.imports or (4 if args.smoke else 20)
    args.workers = args.workers or os.cpu_count()
    # the smoke seeds a database of its own each run and drops it at the end: one left by an
    # earlier run (another schema, another seed) must never make it fail or pass
    db = args.db_name or (f"bench_abuse_smoke_{os.getpid()}" if args.smoke else "bench_abuse")
    var = Path(os.environ.get("LUOSHI_VAR", REPO / "var")) / f"bench-abuse-{db}"
    var.mkdir(parents=True, exist_ok=True)
    if args.smoke:
        atexit.register(psql, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    # the production layout's environment: no test-only switch (a test run's
    # DJANGO_ALLOW_ASYNC_UNSAFE fails production.sh's `check --deploy`)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATABASE_URL=pg_url(args.pg_socket) + db,
        LUOSHI_VAR=str(var),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        BIND=f"127.0.0.1:{args.port}",
        WEB_WORKERS=str(args.workers),
        WEB_THREADS="1",
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
        ACCESS_LOG="",
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"),
    )
    seed = prepare(db, args.scale, env)
    accounts = {a["username"]: a for a in seed["accounts"]}
    base = f"http://127.0.0.1:{args.port}"
    failures: list[str] = []
    # the production layout even for the smoke (load.py's smoke starts gunicorn alone): the
    # imports must run in the RQ worker, whose memory is what is measured
    server = start_server(argparse.Namespace(**{**vars(args), "smoke": False}), env)
    memory = Memory(server)
    memory.start()
    try:
        leader = login(base, accounts["leader"])
        office = login(base, accounts["city_office"])
        idle = [normal_request(leader) for _ in range(6 if args.smoke else 15)][1:]
        memory.sample()
        at_rest = dict(memory.peak)
        print(
            f"abuse: {args.scale} seed, gunicorn {args.workers} workers + RQ worker, "
            f"PostgreSQL ({'socket' if args.pg_socket else 'TCP'})"
        )
        print(
            f"  at rest: web peak {at_rest['web'] / 1024:.0f} MB,"
            f" worker {at_rest['worker'] / 1024:.0f} MB;"
            f" ledger page idle median {statistics.median(idle):.0f} ms"
        )

        hostile = {
            "expanding (96 MB inflated)": (bomb_xlsx(), "解压后过大：超过 50 MB"),
            "lying about its size": (
                lying_about_size(bomb_xlsx(), "xl/worksheets/sheet1.xml", 1000),
                "解压后",
            ),
            "two cells 3 billion apart": (
                expanding_xlsx(1, 2, far=(199_000, 16384)),
                "内容范围过大",
            ),
        }
        for label, (data, expected) in hostile.items():
            memory.reset()
            status, text, token, seconds = upload(office, data)
            peak = memory.peak["web"] / 1024
            said = message(text)
            ok = status == 400 and expected in said and token is None
            print(
                f"  {label:<28} {len(data) / 1024:6.0f} kB -> {status} in {seconds:5.2f} s,"
                f" web peak {peak:.0f} MB, token {'none' if token is None else 'GIVEN'}:"
                f" {said[:48]}"
            )
            if not ok:
                failures.append(f"{label}: {status} {said[:80]}")

        memory.reset()
        outcomes: list[dict] = []
        lock = threading.Lock()
        busy: list[float] = []
        done = threading.Event()

        def measure():
            while not done.is_set():
                try:
                    busy.append(normal_request(leader))
                except Exception as exc:  # a failed normal request is a failure of the run
                    failures.append(f"normal request: {exc!r}")
                time.sleep(0.2)

        # each account keeping a ledger re-imports its own export (the city's 6,145 problems for
        # the office): read, checked and compared in full, 0 changes
        owners = []
        for name in OWNERS:
            if name in accounts:
                data = (
                    login(base, accounts[name])
                    .session.request("GET", "/ledger/export.xlsx", timeout=600)
                    .data
                )
                if problems_in(data):
                    owners.append((accounts[name], data))
                    print(f"  {name}: ledger of {problems_in(data)} rows, {len(data) // 1024} kB")
        # signed in before the measured part (password hashing is slow on purpose)
        plans = [owners[i % len(owners)] for i in range(args.imports)]
        clients: list = [None] * len(plans)

        def sign_in(i):
            clients[i] = login(base, plans[i][0])

        signing = [threading.Thread(target=sign_in, args=(i,)) for i in range(len(plans))]
        for t in signing:
            t.start()
        for t in signing:
            t.join()
        memory.reset()
        meter = threading.Thread(target=measure)
        meter.start()
        started = time.perf_counter()
        threads = [
            threading.Thread(target=one_import, args=(clients[i], *plans[i], outcomes, lock))
            for i in range(len(plans))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        done.set()
        meter.join()
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o["outcome"]] = counts.get(o["outcome"], 0) + 1
        previews = [o["preview_s"] for o in outcomes if "preview_s" in o]
        jobs = [o["job_s"] for o in outcomes if "job_s" in o]
        print(f"  {args.imports} parallel imports in {elapsed:.1f} s: {counts}")
        if previews:
            print(
                f"    preview median {statistics.median(previews):.1f} s,"
                f" max {max(previews):.1f} s; jobs to their end median"
                f" {statistics.median(jobs) if jobs else float('nan'):.1f} s"
            )
        print(
            f"    peak RSS: web {memory.peak['web'] / 1024:.0f} MB"
            f" (any of {len(memory.seen['web'])} processes),"
            f" worker {memory.peak['worker'] / 1024:.0f} MB"
            f" (any of {len(memory.seen['worker'])} processes incl. work-horses)"
        )
        if busy:
            ratio = statistics.median(busy) / statistics.median(idle)
            print(
                f"    ledger page meanwhile: n={len(busy)},"
                f" median {statistics.median(busy):.0f} ms, max {max(busy):.0f} ms;"
                f" ratio to idle {ratio:.1f}x"
            )
        else:
            failures.append("no normal request completed during the imports")
        for o in outcomes:
            if o["outcome"] not in ("imported", "refused: one at a time"):
                failures.append(f"import as {o['account']}: {o['outcome']}")
        if not any(o["outcome"] == "imported" for o in outcomes):
            failures.append("no import went through")
        if not memory.seen["web"] or not memory.seen["worker"]:
            failures.append("the server's processes were not found for the memory figures")
    finally:
        memory.stop.set()
        stop_server(server)
    for f in failures:
        print(f"  FAILED: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
