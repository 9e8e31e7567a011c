"""Writes of the dashboards: a node's figures submitted upward (报送), kept as a dated snapshot
(the snapshot is its own record of who sent what, and when); report jobs whose worker died
marked as interrupted."""

from django.db import transaction
from django.utils import timezone

from luoshi.accounts.permissions import may_keep_ledger
from luoshi.core import versions
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.dashboards import selectors
from luoshi.dashboards.models import ReportJob, Snapshot

NOTE_MAX = Snapshot._meta.get_field("note").max_length


@transaction.atomic
def submit_figures(*, actor, org, campaign, note: str = "") -> Snapshot:
    """Keep the node's current figures as submitted by `actor` (who keeps the node's ledger).
    The node's dashboard compares with its last submission: its version is marked."""
    if not may_keep_ledger(actor, org.path):
        raise NotAllowed("当前岗位不能报送该组织的数字")
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"报送说明最多 {NOTE_MAX} 个字")
    snapshot = Snapshot.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        figures=selectors.snapshot_figures(actor, org, campaign),
        note=note,
        submitted_by=actor,
    )
    versions.changed([org.path])
    return snapshot


def interrupt_stale_reports(jobs) -> int:
    """Mark the stale jobs among `jobs` (ReportJobQuerySet.stale: running, their worker silent
    too long) 失败（处理中断）, so their pages stop waiting and offer 重新生成. Only a job still
    running is marked; a worker that was merely slow and finishes later still sets it done."""
    return jobs.stale().update(state=ReportJob.State.INTERRUPTED, finished_at=timezone.now())
