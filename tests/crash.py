"""Real luoshi processes on the test database, stopped at a pause point and killed with SIGKILL
(R19). The process announces the point through a file (luoshi.core.faults)."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.db import connection


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user, host, port = s["USER"] or "postgres", s["HOST"] or "localhost", s["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


def process_env(pause_at: str, pause_file: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url(),
        LUOSHI_PAUSE_AT=pause_at,
        LUOSHI_PAUSE_FILE=str(pause_file),
        TASKS_BACKEND="immediate",
    )
    env.update(extra)
    return env


def luoshi_process(args: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_pause(pause_file: Path, proc: subprocess.Popen, timeout: float = 90) -> int:
    """The pid of the process that reached the pause point."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pause_file.exists() and pause_file.read_text().strip():
            return int(pause_file.read_text())
        if proc.poll() is not None:
            raise AssertionError(f"ended before the pause point: {proc.stdout.read()}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"never reached the pause point: {proc.stdout.read()}")


def kill9(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server ended: {proc.stdout.read()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("server did not start")


def integrity_ok() -> bool:
    """SQLite's own check of the file (PostgreSQL needs none: its WAL replays on restart)."""
    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        return cursor.fetchone()[0] == "ok"
