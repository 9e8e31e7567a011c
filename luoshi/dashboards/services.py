"""Writes of the dashboards: a node's figures submitted upward (报送), kept as a dated snapshot
(the snapshot is its own record of who sent what, and when)."""

from django.db import transaction

from luoshi.accounts.permissions import may_keep_ledger
from luoshi.core import versions
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.dashboards import selectors
from luoshi.dashboards.models import Snapshot

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
