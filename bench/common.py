"""Helpers the benchmarks share: Django set-up in a child process, timing and summaries."""

import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

# Importing this module from a benchmark re-runs it with the project's interpreter when started
# with an older python.
REPO = Path(__file__).resolve().parents[1]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
if sys.version_info < (3, 12):  # noqa: UP036 - run with the system python: re-exec
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])

LUOSHI = str(REPO / ".venv" / "bin" / "luoshi")
PG = ["psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-qAt"]
PG_URL = "postgres://postgres@127.0.0.1:5432/"
# PostgreSQL's own socket on this machine, as a server beside the app reaches it (README,
# production): a query costs the web worker less CPU than through TCP on loopback.
PG_SOCKET = next(
    (d for d in ("/var/run/postgresql", "/tmp") if Path(d, ".s.PGSQL.5432").exists()), ""
)


def pg_url(socket: str = PG_SOCKET) -> str:
    """The server's URL less the database name: through the socket in `socket`, else TCP."""
    if not socket:
        return PG_URL
    return f"postgres://postgres@{urllib.parse.quote(socket, safe='')}:5432/"


SCALES = ("tiny", "city", "province")
DATABASES = ("postgres", "sqlite")
PROBLEMS_AT = {60: "tiny", 6145: "city", 300_000: "province"}  # luoshi seed's exact volumes


# A folder holding a tiny seed on SQLite (`var/`, and the seed's JSON in `seed.json`), made once
# by tests/test_benches.py for every bench's --smoke: migrating an empty database costs some 16 s
# of CPU (Django renders the migration state again after each index), seeding tiny 9 s more,
# and eight benches did both on every test run.
SMOKE_SEED = "BENCH_SMOKE_SEED"


def migrate_and_seed(env: dict, scale: str, cwd: str | None = None) -> dict:
    """`luoshi migrate`, then `luoshi seed --scale SCALE --json` into the database `env` names;
    the seed's JSON. A tiny seed on SQLite is copied from BENCH_SMOKE_SEED when the test run
    made one (the same commands' result, the day the tests run)."""
    ready = env.get(SMOKE_SEED)
    if ready and scale == "tiny" and not env.get("DATABASE_URL"):
        shutil.copytree(Path(ready) / "var", env["LUOSHI_VAR"], dirs_exist_ok=True)
        return json.loads((Path(ready) / "seed.json").read_text())
    subprocess.run([LUOSHI, "migrate", "-v0"], env=env, cwd=cwd, check=True)
    out = subprocess.run(
        [LUOSHI, "seed", "--scale", scale, "--json"],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luoshi.settings")
    import django

    django.setup()


def timed(fn, runs: int) -> list[float]:
    """Milliseconds of `runs` calls after one warm-up call."""
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[math.ceil(0.9 * len(ordered)) - 1],  # nearest rank
        "runs": len(ordered),
    }


def query_shape(sql: str) -> str:
    """The SQL with its literals blanked and its column list cut, to spot the same query run
    again and again."""
    sql = re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", sql)
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def print_and_exit(results, failed: list[str], *, as_json: bool, report) -> None:
    """Print the results (JSON or the bench's report) and every failed measurement; exit 1 when
    one failed, so that a bench that no longer measures fails `make test`'s smoke run."""
    import json

    if as_json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print(report(results))
    for message in failed:
        print(f"FAILED: {message}")
    if failed:
        sys.exit(1)
