"""W11: `luoshi backup` and `luoshi restore` at a seeded scale, on PostgreSQL and SQLite: seconds,
backup size, and every root's figures (`luoshi stats`) equal after the restore into an empty
database. The floor is copying the database alone (pg_dump -Fc / SQLite's backup API through the
sqlite3 shell's `.backup`), so the ratio shows what the manifest and the files add.

Each source is seeded once (PostgreSQL: database `bench_backup_<scale>`; SQLite: a folder in
$TMPDIR) and re-used by later runs; the restore target is created empty each run.

    bench/backup.py                           # city scale, both databases
    bench/backup.py --scale province --db postgres
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATABASES, LUOSHI, PG, PG_URL, SCALES


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def luoshi(env, *args) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run([LUOSHI, *args], env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"luoshi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout, seconds


def psql(sql: str) -> str:
    done = subprocess.run([*PG, "-d", "postgres", "-c", sql], capture_output=True, text=True)
    return done.stdout.strip()


def environment(db: str, name: str, folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LUOSHI_VAR=str(folder), MEDIA_ROOT=str(folder / "media"))
    if db == "postgres":
        env["DATABASE_URL"] = PG_URL + name
    return env


def run(db: str, scale: str, work: Path) -> dict:
    source_name, target_name = f"bench_backup_{scale}", f"bench_backup_{scale}_restored"
    source = environment(db, source_name, work / f"{db}-{scale}-source")
    target = environment(db, target_name, work / f"{db}-{scale}-target-{os.getpid()}")
    seed_file = work / f"{db}-{scale}-seed.json"
    if db == "postgres":
        if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{source_name}'"):
            psql(f'CREATE DATABASE "{source_name}"')
            seed_file.unlink(missing_ok=True)
        psql(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{target_name}"')
    if not seed_file.exists():
        log(f"{db}: seeding {scale} ...")
        luoshi(source, "migrate", "-v0")
        seed_file.write_text(luoshi(source, "seed", "--scale", scale, "--json")[0])
    root = json.loads(seed_file.read_text())["root"]
    archive = work / f"{db}-{scale}.tar"

    if db == "postgres":
        floor_cmd = ["pg_dump", *PG[1:7], "-Fc", "-f", str(work / "floor.dump"), source_name]
    else:
        db_file = Path(source["LUOSHI_VAR"]) / "luoshi.sqlite3"
        floor_cmd = ["sqlite3", str(db_file), f".backup {work / 'floor.sqlite3'}"]
    started = time.perf_counter()
    subprocess.run(floor_cmd, check=True, capture_output=True)
    floor_s = time.perf_counter() - started

    _, backup_s = luoshi(source, "backup", "-o", str(archive))
    luoshi(target, "migrate", "-v0")
    _, restore_s = luoshi(target, "restore", str(archive))
    before = json.loads(luoshi(source, "stats", "--org", root, "--json")[0])
    after = json.loads(luoshi(target, "stats", "--org", root, "--json")[0])
    if db == "postgres":
        psql(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
    return {
        "db": db,
        "scale": scale,
        "backup_s": round(backup_s, 2),
        "floor_s": round(floor_s, 2),
        "ratio": round(backup_s / floor_s, 2) if floor_s else None,
        "restore_s": round(restore_s, 2),
        "size_mb": round(archive.stat().st_size / 1e6, 1),
        "figures_equal": before == after,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=SCALES, default="city")
    parser.add_argument("--db", choices=DATABASES, action="append")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="the tiny scale once on SQLite in a temporary folder (a check that the bench runs,"
        " not a measurement)",
    )
    args = parser.parse_args()
    if args.smoke:
        if "postgres" in (args.db or DATABASES):
            log("--smoke: SQLite only (the PostgreSQL half needs databases of its own)")
        args.scale, args.db = "tiny", ["sqlite"]
        work = Path(tempfile.mkdtemp(prefix="bench-backup-smoke-"))
    else:
        work = Path(tempfile.gettempdir()) / "bench-backup"
        work.mkdir(exist_ok=True)
    try:
        rows = [run(db, args.scale, work) for db in args.db or DATABASES]
    finally:
        if args.smoke:
            shutil.rmtree(work, ignore_errors=True)
    report(rows, args.json)
    failed = [r for r in rows if not r["figures_equal"]]
    for r in failed:
        print(f"FAILED: {r['db']} {r['scale']}: the figures differ after the restore")
    if failed:
        sys.exit(1)


def report(rows: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    print("W11 backup and restore (each in its own process, Django start-up included)")
    for r in rows:
        print(
            f"  {r['db']:<8} {r['scale']:<8} backup {r['backup_s']:6.1f} s "
            f"(floor {r['floor_s']:.1f} s, x{r['ratio']})  restore {r['restore_s']:6.1f} s  "
            f"{r['size_mb']:7.1f} MB  figures equal: {r['figures_equal']}"
        )


if __name__ == "__main__":
    main()
