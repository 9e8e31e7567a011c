"""`luoshi demo` runs with the demo's settings (no debug pages, tasks queued in the database)
and serves with the task worker beside the web server, stopping it with the server."""

import sys

import pytest
from django.core.management import call_command

from luoshi.demo.management.commands import demo


class FakeWorker:
    def __init__(self):
        self.stopped = False

    def terminate(self):
        self.stopped = True

    def wait(self, timeout=None):
        return 0


def test_the_demo_serves_with_the_task_worker_and_stops_it_with_the_server(monkeypatch, settings):
    settings.DEMO, settings.TASKS_BACKEND = True, "db"
    started, served = [], []
    worker = FakeWorker()

    def popen(command, env):
        started.append((command, env))
        return worker

    def runserver(name, *args, **kwargs):
        assert name == "runserver" and started and not worker.stopped  # worker first
        served.append(args)

    monkeypatch.setattr(demo.subprocess, "Popen", popen)
    monkeypatch.setattr(demo, "call_command", runserver)
    demo.Command().serve("127.0.0.1:8765")
    command, env = started[0]
    assert command[:4] == [sys.executable, "-m", "luoshi.cli", "db_worker"]
    assert env["DEMO"] == "1"
    assert served == [("127.0.0.1:8765",)] and worker.stopped


def test_luoshi_demo_runs_again_with_the_demos_settings(monkeypatch, settings):
    settings.DEMO = False
    seen = {}

    class Restarted(Exception):
        pass

    def execve(path, argv, env):
        seen.update(argv=argv, env=env)
        raise Restarted

    monkeypatch.setattr(demo.os, "execve", execve)
    with pytest.raises(Restarted):
        call_command("demo", "--scale", "tiny", "--addr", "127.0.0.1:8766")
    assert seen["env"]["DEMO"] == "1"
    assert seen["argv"][1:] == ["-m", "luoshi.cli", "demo", "--scale", "tiny"] + [
        "--addr",
        "127.0.0.1:8766",
    ]
