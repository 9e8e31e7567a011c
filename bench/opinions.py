"""W7: the public opinion form under a flood, from one address and from many.

Runs in one process against a seeded database (default: a copy of ./var/luoshi.sqlite3, so the
demo keeps its data; or DATABASE_URL). A legitimate sender is a new address submitting to a
random organisation; the flood is a thread posting as fast as it can. Prints the legitimate
senders' median and p95 without and with each flood, and what the flood got back.

    .venv/bin/python bench/opinions.py [--runs 150]
    .venv/bin/python bench/opinions.py --smoke   # 5 senders per run on a tiny seed of its own

--smoke checks that the bench runs: a tiny seed in a temporary SQLite folder (never ./var nor
DATABASE_URL), 5 legitimate senders per run. Exits 1 when any request answered a server error.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import REPO, migrate_and_seed, setup_django, summary  # noqa: E402


def smoke_database() -> Path:
    """A tiny seed in a temporary SQLite folder, used as LUOSHI_VAR by this process."""
    var = Path(tempfile.mkdtemp(prefix="bench-opinions-smoke-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ["LUOSHI_VAR"] = str(var)
    os.environ["MEDIA_ROOT"] = str(var / "media")
    migrate_and_seed(dict(os.environ), "tiny")
    os.environ["DATABASE_URL"] = f"sqlite:///{var / 'luoshi.sqlite3'}"
    return var


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="5 senders per run on a tiny seed in a temporary folder (a check that the bench"
        " runs, not a measurement)",
    )
    args = parser.parse_args()
    if not args.smoke:
        return measure(args)
    args.runs = 5
    var = smoke_database()
    try:
        measure(args)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def measure(args) -> None:
    if "DATABASE_URL" not in os.environ:
        copy = Path(tempfile.mkdtemp()) / "bench.sqlite3"
        shutil.copy(REPO / "var" / "luoshi.sqlite3", copy)
        os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    setup_django()
    from django.core.cache import cache
    from django.test import Client

    from luoshi.opinions.models import Opinion
    from luoshi.orgs.models import Organization

    codes = list(Organization.objects.values_list("code", flat=True))
    rng = random.Random(7)
    target = codes[len(codes) // 2]
    serial = iter(range(10**9))

    def post(client, code, ip):
        return client.post(
            f"/p/{code}/",
            {
                "topic": "livelihood",
                "text": f"路灯不亮，请尽快修理 {next(serial)}",
                "anonymous": "on",
            },
            REMOTE_ADDR=ip,
        )

    def legit_run(runs):
        client, samples, statuses = Client(), [], Counter()
        for i in range(runs):
            started = time.perf_counter()
            ip = f"172.16.{i // 250}.{i % 250 + 1}"
            statuses[post(client, rng.choice(codes), ip).status_code] += 1
            samples.append((time.perf_counter() - started) * 1000)
        return samples, statuses

    def flood(stop, result, many):
        client, n = Client(), 0
        while not stop.is_set():
            ip = f"10.{n // 65000 % 250}.{n // 250 % 250}.{n % 250 + 1}" if many else "10.66.66.66"
            result[post(client, target, ip).status_code] += 1
            n += 1

    before = Opinion.objects.count()
    rows = []
    for label, many in (
        ("no flood", None),
        ("flood, one address", False),
        ("flood, many addresses, one org", True),
    ):
        cache.clear()
        stop, got = threading.Event(), Counter()
        thread = None
        if many is not None:
            thread = threading.Thread(target=flood, args=(stop, got, many), daemon=True)
            thread.start()
            time.sleep(0.5)
        samples, statuses = legit_run(args.runs)
        stop.set()
        if thread:
            thread.join()
        s = summary(samples)
        p95 = sorted(samples)[int(0.95 * len(samples)) - 1]
        rows.append((label, s["median_ms"], p95, dict(statuses), dict(got)))
    base = rows[0][2]
    print(
        f"database: {os.environ['DATABASE_URL'].split('://')[0]}, {len(codes)} organisations, "
        f"{args.runs} legitimate senders per run"
    )
    print(f"{'run':34} {'median ms':>10} {'p95 ms':>8} {'p95/base':>9}  legit / flood statuses")
    for label, median, p95, statuses, got in rows:
        print(f"{label:34} {median:10.1f} {p95:8.1f} {p95 / base:9.2f}  {statuses!s:16} {got}")
    print(
        f"opinions written: {Opinion.objects.count() - before} "
        f"(legit {sum(r[3].get(302, 0) for r in rows)}, flood accepted "
        f"{sum(r[4].get(302, 0) for r in rows)})"
    )
    errors = sum(n for r in rows for got in r[3:] for status, n in got.items() if status >= 500)
    if errors:
        print(f"FAILED: {errors} requests answered a server error")
        sys.exit(1)


if __name__ == "__main__":
    main()
