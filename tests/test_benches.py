"""Every bench in bench/ runs to the end: each script's --smoke (a tiny seed, SQLite in a
temporary folder, one run of every measurement) must exit 0, so that a change to the schema or
to a function a bench calls fails the test suite instead of the next measurement.

The scripts are found by glob (any bench/*.py run as a script), so a new bench is covered as
soon as it exists. They run in processes of their own, a few at a time, started together by
the first test that needs one (the others wait for theirs). Each gets the environment of the
test run less DATABASE_URL (the smoke runs are SQLite only: the CI's PostgreSQL database is
never touched), with LUOSHI_VAR and TMPDIR in pytest's temporary folder, so that nothing lands
in ./var or stays behind. The tiny seed they start from is made once and copied by each
(BENCH_SMOKE_SEED, bench/common.py `migrate_and_seed`): migrating an empty database and seeding
it cost some 25 s of CPU, which eight benches paid each."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bench.common import SMOKE_SEED, migrate_and_seed

BENCH = Path(__file__).resolve().parents[1] / "bench"
BENCHES = sorted(
    path for path in BENCH.glob("*.py") if 'if __name__ == "__main__":' in path.read_text()
)
TIMEOUT_S = 900  # a smoke run takes seconds to a minute; minutes only on a machine under load

pytestmark = pytest.mark.bench


def smoke_env(folder: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {
        "LUOSHI_VAR": str(folder / "var"),
        "MEDIA_ROOT": str(folder / "var" / "media"),
        "TMPDIR": str(folder),
    }


def tiny_seed(folder: Path) -> Path:
    """One tiny seed on SQLite for every bench's smoke to copy (bench/common.py SMOKE_SEED),
    made the way each bench would make it."""
    folder.mkdir(parents=True)
    seeded = migrate_and_seed(smoke_env(folder), "tiny", cwd=str(folder))
    (folder / "seed.json").write_text(json.dumps(seeded))
    return folder


def smoke(script: Path, folder: Path, seeded: Path) -> subprocess.CompletedProcess:
    folder.mkdir(parents=True)
    env = smoke_env(folder) | {SMOKE_SEED: str(seeded)}
    try:
        return subprocess.run(
            [sys.executable, str(script), "--smoke"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        return subprocess.CompletedProcess(
            exc.cmd, f"timed out after {TIMEOUT_S}s", exc.stdout or "", exc.stderr or ""
        )


@pytest.fixture(scope="module")
def smoke_runs(request, tmp_path_factory):
    """The --smoke of every bench this session tests, all started at once, at most as many
    running at a time as there are cores (up to 4)."""
    wanted = [
        item.callspec.params["script"]
        for item in request.session.items
        if item.originalname == "test_bench_smoke_runs_to_the_end"
    ]
    root = tmp_path_factory.mktemp("bench-smoke")
    seeded = tiny_seed(root / "tiny-seed") if wanted else root
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        yield {name: pool.submit(smoke, BENCH / name, root / name[:-3], seeded) for name in wanted}


def test_benches_are_found():
    assert {"excel.py", "dashboard.py", "ledger.py", "search.py"} <= {
        script.name for script in BENCHES
    }
    assert "common.py" not in {script.name for script in BENCHES}


@pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the smoke runs are SQLite only and the same on every run: CI's SQLite pass runs them",
)
@pytest.mark.parametrize("script", [script.name for script in BENCHES])
def test_bench_smoke_runs_to_the_end(script, smoke_runs):
    done = smoke_runs[script].result()
    assert done.returncode == 0, (
        f"bench/{script} --smoke exited with {done.returncode}\n"
        f"--- stdout (end)\n{done.stdout[-4000:]}\n--- stderr (end)\n{done.stderr[-4000:]}"
    )
