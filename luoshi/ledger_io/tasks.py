"""Background work of the ledger files, on the django.tasks API: the immediate backend runs it
in the request (demo, tests); RQ on Redis runs it in `luoshi rqworker` (production)."""

from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from luoshi.ledger_io.importer import import_ledger
from luoshi.ledger_io.models import ImportJob
from luoshi.ledger_io.services import imports_dir


def _stage(job_id: int, progress: int, stage: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(progress=progress, stage=stage)


@task
def run_import(job_id: int) -> None:
    """Import the job's file as its user (permissions are checked now, not when queued)."""
    job = ImportJob.objects.select_related("org", "campaign").get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.RUNNING, progress=5, stage="读取文件"
    )
    user = get_user_model().objects.get(pk=job.user_id)
    path = imports_dir() / job.stored_file
    try:
        result = import_ledger(
            actor=user,
            data=path.read_bytes(),
            name=job.file_name,
            org=job.org,
            campaign=job.campaign,
            progress=lambda p, s: _stage(job_id, p, s),
        )
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
    ImportJob.objects.filter(pk=job_id).update(
        state=ImportJob.State.FAILED if result.errors else ImportJob.State.DONE,
        progress=100,
        stage="完成",
        result=result.as_json(),
        finished_at=timezone.now(),
    )
    path.unlink(missing_ok=True)
