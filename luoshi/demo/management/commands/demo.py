import io
import json
import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from luoshi.orgs.models import Organization


class Command(BaseCommand):
    help = "迁移数据库；库为空时生成演示城市；打印演示账号并在 127.0.0.1:8000 启动服务"

    def add_arguments(self, parser):
        parser.add_argument("--scale", default="city", choices=["tiny", "city", "province"])
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    def handle(self, *args, scale, addr, no_serve, **options):
        if not no_serve and not settings.DEMO:
            # Settings are read once, at start: run again with the demo's (no debug pages, the
            # task worker's queue in the database).
            argv = [sys.executable, "-m", "luoshi.cli", "demo", "--scale", scale, "--addr", addr]
            os.execve(sys.executable, argv, {**os.environ, "DEMO": "1"})
        call_command("migrate", verbosity=0)
        accounts_file = settings.VAR_DIR / "demo-accounts.json"
        if not Organization.objects.exists():
            self.stdout.write(f"正在生成演示数据（{scale}）……")
            out = io.StringIO()
            call_command("seed", scale=scale, json=True, stdout=out)
            accounts_file.write_text(out.getvalue())
            accounts_file.chmod(0o600)
        # 三色督办: the day's reminders and 督办单 (idempotent: nothing is issued or sent twice)
        call_command("sweep-reminders", stdout=io.StringIO())
        if accounts_file.exists():
            seeded = json.loads(accounts_file.read_text())
            self.stdout.write(
                f"演示数据：党组织 {seeded['organizations']} 个，党员 {seeded['members']} 名"
            )
            self.stdout.write("演示账号（账号  密码  组织代码  角色）：")
            for a in seeded["accounts"]:
                self.stdout.write(
                    f"  {a['username']:<15} {a['password']:<14} {a['org']:<14} {a['role']}"
                )
        if not no_serve:
            self.serve(addr)

    def serve(self, addr: str) -> None:
        """The web server, with the task worker beside it (reports and imports run there, not in
        the request); the worker stops with the server."""
        worker = start_worker() if settings.TASKS_BACKEND == "db" else None
        # Stopped by a signal, the server still stops its worker (the finally below runs).
        before = signal.signal(signal.SIGTERM, _exit)
        self.stdout.write(f"打开 http://{addr}/ 登录")
        try:
            call_command("runserver", addr, use_reloader=False)
        finally:
            signal.signal(signal.SIGTERM, before)
            if worker is not None:
                stop_worker(worker)


def _exit(signum, frame):
    raise SystemExit(0)


def start_worker() -> subprocess.Popen:
    """`luoshi db_worker` in a process of its own, with the demo's environment."""
    command = [sys.executable, "-m", "luoshi.cli", "db_worker", "--no-reload", "--interval", "1"]
    return subprocess.Popen(command, env={**os.environ, "DEMO": "1"})


def stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
