import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from luoshi.dashboards.models import ReportJob
from luoshi.dashboards.reports import word_report


def reports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _progress(job_id: int, percent: int) -> None:
    ReportJob.objects.filter(pk=job_id).update(progress=percent, progressed_at=timezone.now())


@task
def build_report(job_id: int) -> None:
    """Generate the job's Word report as its user sees the data, telling its progress."""
    job = ReportJob.objects.select_related("org", "campaign").get(pk=job_id)
    ReportJob.objects.filter(pk=job_id).update(
        state=ReportJob.State.RUNNING, progress=10, progressed_at=timezone.now()
    )
    name = f"{uuid.uuid4().hex}.docx"
    try:
        word_report(
            user=get_user_model().objects.get(pk=job.user_id),
            org=job.org,
            campaign=job.campaign,
            kind=job.kind,
            target=reports_dir() / name,
            progress=lambda percent: _progress(job_id, percent),
        )
    except Exception:
        ReportJob.objects.filter(pk=job_id).update(
            state=ReportJob.State.FAILED, progress=100, finished_at=timezone.now()
        )
        raise
    ReportJob.objects.filter(pk=job_id).update(
        state=ReportJob.State.DONE, progress=100, stored_file=name, finished_at=timezone.now()
    )
