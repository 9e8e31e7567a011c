"""The import job through a real queue: RQ on the local Redis, run by `luoshi rqworker`."""

import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import override_settings

from luoshi.ledger_io.models import ImportJob
from luoshi.ledger_io.services import imports_dir
from luoshi.rectification.models import Problem
from tests.ledger_io.builders import messy_ledger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
RQ = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


def _redis_up() -> bool:
    import redis
    from django.conf import settings

    try:
        return redis.Redis.from_url(settings.REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        return False


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    user, host, port = s["USER"] or "postgres", s["HOST"] or "localhost", s["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{s['NAME']}"


@pytest.mark.skipif(not _redis_up(), reason="no Redis on this machine")
def test_worker_imports_a_queued_ledger(tree, campaign, liaison, settings, tmp_path, monkeypatch):
    import django_rq.settings

    # A Redis database of this run's own, so that a worker of another run on this machine never
    # takes the job (nor this worker theirs).
    url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{1 + os.getpid() % 15}"
    monkeypatch.setitem(django_rq.settings.QUEUES["default"], "URL", url)
    import redis

    redis.Redis.from_url(url).flushdb()
    with override_settings(TASKS=RQ):
        stored = "job-test.xlsx"
        (imports_dir() / stored).write_bytes(messy_ledger())
        job = ImportJob.objects.create(
            org=tree.county_a,
            org_path=tree.county_a.path,
            user=liaison,
            campaign=campaign,
            file_name="台账.xlsx",
            stored_file=stored,
        )
        from luoshi.ledger_io.tasks import run_import

        run_import.enqueue(job.pk)
        job.refresh_from_db()
        assert job.state == "queued" and not Problem.objects.exists()
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "TASKS_BACKEND": "rq",
            "REDIS_URL": url,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "luoshi.cli",
                "rqworker",
                "default",
                "--burst",
                "--job-class",
                "django_tasks_rq.Job",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    job.refresh_from_db()
    assert job.state == "done", job.result
    assert Problem.objects.count() == 6
