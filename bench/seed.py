"""Benchmark `luoshi seed`: wall time and peak memory per scale, on SQLite and PostgreSQL.

Each run gets an empty database (a fresh LUOSHI_VAR folder for SQLite, a fresh
`bench_seed_<scale>` database for PostgreSQL), is migrated, seeded in its own process (seconds
and max RSS are that process's, Django start-up included) and checked with `luoshi stats`.

    bench/seed.py                                 # tiny, city, province on both databases
    bench/seed.py --scales city --db sqlite --repeat 3 --json
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
if sys.version_info < (3, 12):  # noqa: UP036 - run with the system python: re-exec
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])

LUOSHI = str(REPO / ".venv" / "bin" / "luoshi")
PG = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-qAtc"]
PG_URL = "postgres://postgres@127.0.0.1:5432/"
SCALES = ("tiny", "city", "province")
DATABASES = ("sqlite", "postgres")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: list[str], env: dict, cwd: str) -> tuple[str, float, float]:
    """Run a command to completion; return its stdout, wall seconds and peak RSS in MB."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            tail = err.read().decode(errors="replace").strip().splitlines()[-15:]
            raise RuntimeError(
                f"{' '.join(args[1:])} exited with {proc.returncode} after {seconds:.1f}s, "
                f"peak {usage.ru_maxrss / 1024:.0f} MB:\n  " + "\n  ".join(tail)
            )
        return out.read().decode(), seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB


def psql(sql: str) -> None:
    subprocess.run([*PG, sql], check=True, capture_output=True, timeout=60)


def postgres_up() -> bool:
    try:
        psql("SELECT 1")
    except (OSError, subprocess.SubprocessError) as exc:
        log(f"PostgreSQL at 127.0.0.1:5432 does not answer, skipping it ({exc})")
        return False
    return True


def seed_once(db: str, scale: str) -> dict:
    """Migrate an empty database, time the seed, check it with stats, then throw it away."""
    name = f"bench_seed_{scale}"
    with tempfile.TemporaryDirectory(prefix=f"bench-seed-{db}-{scale}-") as var:
        env = {**os.environ, "LUOSHI_VAR": var}
        env.pop("DATABASE_URL", None)
        if db == "postgres":
            psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            psql(f"CREATE DATABASE {name}")
            env["DATABASE_URL"] = PG_URL + name
        try:
            run([LUOSHI, "migrate", "-v0"], env, var)
            out, seconds, peak = run([LUOSHI, "seed", "--scale", scale, "--json"], env, var)
            seeded = json.loads(out)
            out, _, _ = run([LUOSHI, "stats", "--org", seeded["root"], "--json"], env, var)
            stats = json.loads(out)
        finally:
            if db == "postgres":
                psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    counts = (seeded["organizations"], seeded["members"])
    checked = (stats["organizations"], stats["members"])
    log(
        f"  {db} {scale}: seed {seconds:.1f}s, peak {peak:.0f} MB; stats organizations="
        f"{checked[0]} members={checked[1]} "
        + ("(matches seed)" if checked == counts else f"(MISMATCH: seed said {counts})")
    )
    return {
        "db": db,
        "scale": scale,
        "organizations": counts[0],
        "members": counts[1],
        "accounts": len(seeded["accounts"]),
        "stats_match": checked == counts,
        "seconds": seconds,
        "peak_mb": peak,
    }


def bench(db: str, scale: str, repeat: int) -> dict:
    runs = []
    for _ in range(repeat):
        try:
            runs.append(seed_once(db, scale))
        except (RuntimeError, subprocess.CalledProcessError, ValueError, KeyError) as exc:
            log(f"  {db} {scale}: FAILED: {exc}")
            return {"db": db, "scale": scale, "error": str(exc)}
    result = dict(runs[-1])
    result["seconds"] = statistics.median(r["seconds"] for r in runs)
    result["peak_mb"] = statistics.median(r["peak_mb"] for r in runs)
    result["rows_per_second"] = result["members"] / result["seconds"]
    result["runs"] = [{"seconds": r["seconds"], "peak_mb": r["peak_mb"]} for r in runs]
    return result


def table(results: list[dict], repeat: int) -> str:
    head = "seconds" if repeat == 1 else f"median s ({repeat})"
    lines = [
        f"{'db':<9}{'scale':<10}{'organizations':>14}{'members':>12}{head:>16}"
        f"{'peak MB':>10}{'rows/s':>11}"
    ]
    for r in results:
        if "error" in r:
            lines.append(f"{r['db']:<9}{r['scale']:<10}  FAILED: {r['error'].splitlines()[0]}")
            continue
        lines.append(
            f"{r['db']:<9}{r['scale']:<10}{r['organizations']:>14,}{r['members']:>12,}"
            f"{r['seconds']:>16.2f}{r['peak_mb']:>10.0f}{r['rows_per_second']:>11,.0f}"
        )
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
    parser.add_argument("--scales", type=choices(SCALES), default=list(SCALES))
    parser.add_argument("--db", type=choices(DATABASES), default=list(DATABASES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the median is shown")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="the tiny scale once on SQLite (a check that the bench runs, not a measurement)",
    )
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.smoke:
        if "postgres" in args.db:
            log("--smoke: SQLite only (the PostgreSQL half seeds a database of its own)")
        args.scales, args.db, args.repeat = ["tiny"], ["sqlite"], 1

    dbs = [db for db in args.db if db != "postgres" or postgres_up()]
    results = []
    for db in dbs:
        for scale in args.scales:
            log(f"{db} {scale} ...")
            results.append(bench(db, scale, args.repeat))
    print(json.dumps(results, indent=2) if args.json else table(results, args.repeat))
    failed = [r for r in results if "error" in r or not r["stats_match"]]
    for r in failed:
        print(f"FAILED: {r['db']} {r['scale']}: {r.get('error') or 'luoshi stats disagrees'}")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
