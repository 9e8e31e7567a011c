"""Background work of the ledger files, on the django.tasks API: the immediate backend runs it
in the request (demo, tests); RQ on Redis runs it in `luoshi rqworker` (production)."""

import resource
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import TaskResultStatus, task
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from luoshi.ledger_io.importer import Mapping, import_ledger
from luoshi.ledger_io.models import ImportJob
from luoshi.ledger_io.services import imports_dir


def _stage(job_id: int, progress: int, stage: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(progress=progress, stage=stage)


def _cap_memory() -> None:
    """Under RQ each job runs in a process of its own (the worker forks one per job): give it a
    ceiling (LUOSHI_IMPORT_MEMORY_MB above what it holds at the start), so that a file which
    gets past the checks fails its own import (reported as interrupted, nothing written) rather
    than taking the machine's memory. Not in the web process (the immediate backend)."""
    limit = getattr(settings, "LUOSHI_IMPORT_MEMORY_MB", 0)
    if not limit or "RQBackend" not in settings.TASKS["default"]["BACKEND"]:
        return
    from rq import get_current_job

    if get_current_job() is None:
        return
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    ceiling = pages * resource.getpagesize() + limit * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, resource.getrlimit(resource.RLIMIT_AS)[1]))


@task
def run_import(job_id: int) -> None:
    """Import the job's file as its user (permissions are checked now, not when queued)."""
    _cap_memory()
    job = ImportJob.objects.select_related("org", "campaign").get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.RUNNING, progress=5, stage="读取文件"
    )
    user = get_user_model().objects.get(pk=job.user_id)
    path = imports_dir() / job.stored_file
    try:
        result = _import(job, user, path)
    except Exception as exc:  # a report for the user instead of a stuck job
        ImportJob.objects.filter(pk=job_id).update(
            state=ImportJob.State.FAILED,
            progress=100,
            stage="出错",
            result={
                "errors": [
                    {
                        "sheet": job.file_name,
                        "row": 0,
                        "column": "",
                        "message": f"导入时出错：{type(exc).__name__}",
                    }
                ]
            },
            finished_at=timezone.now(),
        )
        raise
    finally:
        path.unlink(missing_ok=True)  # kept only between preview and import
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.FAILED if result.errors else ImportJob.State.DONE,
        progress=100,
        stage="完成",
        result=result.as_json(),
        finished_at=timezone.now(),
    )


def _import(job, user, path):
    return import_ledger(
        actor=user,
        data=path.read_bytes(),
        name=job.file_name,
        org=job.org,
        campaign=job.campaign,
        progress=lambda p, s: _stage(job.pk, p, s),
        mappings=[Mapping.from_json(m) for m in job.mappings],
    )


def queue_import(job: ImportJob) -> None:
    """Queue the job and remember its task, so that its page can tell when the worker died."""
    result = run_import.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.QUEUED).update(
        result={"task": result.id}
    )


def settle_if_abandoned(job: ImportJob) -> ImportJob:
    """A job whose worker process died (kill -9, out of memory) is failed by the queue; the page
    says so instead of "importing" for ever. The import is one transaction: nothing of it was
    written, and the user may import the file again."""
    task_id = (job.result or {}).get("task")
    if job.finished or not task_id:
        return job
    try:
        status = run_import.get_result(task_id).status
    except TaskResultDoesNotExist:
        return job
    if status != TaskResultStatus.FAILED:
        return job
    message = "导入中断（后台处理进程意外终止），未写入任何数据，请重新导入"
    ImportJob.objects.filter(pk=job.pk, state__in=[job.State.QUEUED, job.State.RUNNING]).update(
        state=ImportJob.State.FAILED,
        progress=100,
        stage="中断",
        result={"errors": [{"sheet": job.file_name, "row": 0, "column": "", "message": message}]},
        finished_at=timezone.now(),
    )
    job.refresh_from_db()
    return job
