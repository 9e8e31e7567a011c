"""R18: a backup taken while the application writes restores into an empty database with every
figure equal. Run as the commands an operator would run, each in its own process."""

import json
import os
import subprocess
import sys
import threading

import pytest
import redis
from django.db import connection

pytestmark = pytest.mark.slow


def luoshi(env, *args, check=True):
    done = subprocess.run(
        [sys.executable, "-m", "luoshi.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _env(tmp_path, name, database_url=None):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(LUOSHI_VAR=str(tmp_path / name), MEDIA_ROOT=str(tmp_path / name / "media"))
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _pg_databases(tmp_path):
    import psycopg

    base = dict(connection.settings_dict)
    names = [f"luoshi_bk_{os.getpid()}_{i}" for i in (1, 2)]
    admin = psycopg.connect(
        host=base["HOST"] or "localhost",
        port=base["PORT"] or 5432,
        user=base["USER"] or "postgres",
        dbname="postgres",
        autocommit=True,
    )
    for name in names:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    user, host = base["USER"] or "postgres", base["HOST"] or "localhost"
    url = f"postgres://{user}@{host}:{base['PORT'] or 5432}"
    return admin, names, [f"{url}/{n}" for n in names]


def test_backup_under_writes_restores_with_every_figure_equal(tmp_path):
    admin = None
    if connection.vendor == "postgresql":
        admin, names, urls = _pg_databases(tmp_path)
        source, target = _env(tmp_path, "a", urls[0]), _env(tmp_path, "b", urls[1])
    else:
        source, target = _env(tmp_path, "a"), _env(tmp_path, "b")
    try:
        luoshi(source, "migrate", "-v0")
        root = json.loads(luoshi(source, "seed", "--scale", "tiny", "--json").stdout)["root"]
        # the seed's own evidence files sit in folders named by their first two characters
        (tmp_path / "a" / "media" / "evidence" / "ab").mkdir(parents=True, exist_ok=True)
        (tmp_path / "a" / "media" / "evidence" / "ab" / "ab12.pdf").write_bytes(b"%PDF-1.4 x")
        stop = threading.Event()

        def write_while_backing_up():
            while not stop.is_set():
                luoshi(
                    source,
                    "shell",
                    "-c",
                    "from luoshi.core.audit import record_event; record_event('login')",
                )

        writer = threading.Thread(target=write_while_backing_up)
        writer.start()
        try:
            luoshi(source, "backup", "-o", str(tmp_path / "backup.tar"))
        finally:
            stop.set()
            writer.join()
        luoshi(target, "migrate", "-v0")
        # The target serves from a shared cache (production): what it cached of the data before
        # the restore is of another state, so the restore marks every version.
        target.update(CACHE_BACKEND="redis", REDIS_URL="redis://127.0.0.1:6379/12")
        shared, every = redis.Redis(db=12), ":1:figures:v:*"
        shared.set(every, b"before the restore")
        restored = luoshi(target, "restore", str(tmp_path / "backup.tar"))
        assert "统计数字一致" in restored.stdout
        assert shared.get(every) not in (None, b"before the restore")
        before = json.loads(luoshi(source, "stats", "--org", root, "--json").stdout)
        after = json.loads(luoshi(target, "stats", "--org", root, "--json").stdout)
        assert after == before
        assert (tmp_path / "b" / "media" / "evidence" / "ab" / "ab12.pdf").exists()
        again = luoshi(target, "restore", str(tmp_path / "backup.tar"), check=False)
        assert again.returncode != 0 and "已有数据" in again.stderr
    finally:
        if admin is not None:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
