"""R12/R19: `luoshi import-ledger` killed with SIGKILL in the middle of writing. Killed before the
commit the import is wholly absent; after it, wholly present; importing the file again then
brings exactly what is missing (everything, or nothing)."""

import json
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from luoshi.core.models import AuditEvent
from luoshi.rectification.models import LedgerEvent, Measure, Problem, ProgressUpdate
from tests.crash import integrity_ok, kill9, luoshi_process, process_env, wait_for_pause
from tests.ledger_io.builders import messy_ledger

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _counts():
    return {
        "problems": Problem.objects.count(),
        "measures": Measure.objects.count(),
        "progress": ProgressUpdate.objects.count(),
        "history": LedgerEvent.objects.count(),
        "audited": AuditEvent.objects.filter(kind="import").count(),
    }


@pytest.mark.parametrize("point", ["before_commit", "after_commit"])
def test_import_killed_midway_is_wholly_absent_or_wholly_present(tree, campaign, tmp_path, point):
    sheet = tmp_path / "兴庆区台账.xlsx"
    sheet.write_bytes(messy_ledger())
    args = ["luoshi.cli", "import-ledger", str(sheet), "--org", tree.county_a.code]
    args += ["--campaign", campaign.slug, "--json"]
    pause_file = tmp_path / "paused"
    proc = luoshi_process(args, process_env(f"ledger_import.{point}", pause_file))
    assert wait_for_pause(pause_file, proc) == proc.pid
    kill9(proc.pid)
    proc.wait(timeout=30)

    assert integrity_ok()
    killed = _counts()
    again = subprocess.run(
        [sys.executable, "-m", *args],
        env=process_env("", pause_file),
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    result = json.loads(again.stdout)
    full = _counts()
    assert full["problems"] == 6 and full["audited"] == killed["audited"] + 1
    if point == "before_commit":
        assert killed == dict.fromkeys(killed, 0)  # not one row of it
        assert result["created"]["problems"] == 6
    else:
        assert killed == full | {"audited": 1}  # every row of it
        assert result["created"] == {"problems": 0, "measures": 0}
        assert result["updated"] == {"problems": 0, "measures": 0}
        assert result["progress_added"] == 0


def _redis_up() -> bool:
    import redis
    from django.conf import settings

    try:
        return redis.Redis.from_url(settings.REDIS_URL).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on this machine")
def test_worker_killed_mid_import_leaves_no_rows_and_no_stuck_job(
    client, tree, campaign, liaison, settings, tmp_path, monkeypatch
):
    """R12: the RQ work-horse running a queued import is killed inside the transaction; the
    import's page then says it was interrupted and nothing was written, instead of "importing"
    for ever."""
    import django_rq.settings
    import redis
    from django.test import override_settings

    from luoshi.ledger_io.models import ImportJob
    from luoshi.ledger_io.services import imports_dir
    from luoshi.ledger_io.tasks import queue_import

    # a Redis database of this run's own (as tests/ledger_io/test_worker.py)
    url = settings.REDIS_URL.rsplit("/", 1)[0] + f"/{1 + os.getpid() % 15}"
    monkeypatch.setitem(django_rq.settings.QUEUES["default"], "URL", url)
    redis.Redis.from_url(url).flushdb()
    rq = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    with override_settings(TASKS=rq):
        (imports_dir() / "job-crash.xlsx").write_bytes(messy_ledger())
        job = ImportJob.objects.create(
            org=tree.county_a,
            org_path=tree.county_a.path,
            user=liaison,
            campaign=campaign,
            file_name="台账.xlsx",
            stored_file="job-crash.xlsx",
        )
        queue_import(job)
        pause_file = tmp_path / "paused"
        env = process_env(
            "ledger_import.before_commit",
            pause_file,
            TASKS_BACKEND="rq",
            REDIS_URL=url,
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
        )
        worker = luoshi_process(
            ["luoshi.cli", "rqworker", "default", "--burst", "--job-class", "django_tasks_rq.Job"],
            env,
        )
        horse = wait_for_pause(pause_file, worker)
        assert horse != worker.pid  # the forked work-horse, inside the import's transaction
        kill9(horse)
        worker.wait(timeout=60)

        assert integrity_ok()
        assert _counts() | {"audited": 0} == dict.fromkeys(_counts(), 0)
        client.force_login(liaison)
        page = client.get(reverse("ledger_io:job", args=[job.pk])).content.decode()
    assert "导入中断" in page and "未写入任何数据" in page
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED and job.finished
