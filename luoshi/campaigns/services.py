"""Writes to a campaign's settings: its vocabularies. Only the campaign office (or an admin) of
the organisation that runs the campaign may change them."""

from datetime import date

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over, may_keep_ledger, verifier_role
from luoshi.campaigns import tallies as key_action_tallies
from luoshi.campaigns.models import (
    ActionItem,
    Batch,
    Campaign,
    Category,
    KeyAction,
    ProblemSource,
    Proof,
)
from luoshi.core import tallies, versions
from luoshi.core.audit import record_event
from luoshi.core.bulk import insert_rows
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.files import UploadRefused, check_upload, store_upload
from luoshi.core.paths import outermost, subtree_q
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization, OrgKind


def _require_office(actor, campaign: Campaign) -> None:
    """The campaign is visible to the actor (checked by the caller); only its office acts on it."""
    if not has_role_over(actor, campaign.org_path, Role.OFFICE, Role.ADMIN):
        raise NotAllowed("只有本级主题教育办公室可以执行此操作")


@transaction.atomic
def add_category(*, actor, campaign_id: int, name: str, parent_id: int | None = None) -> Category:
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    name = name.strip()
    if not name:
        raise Invalid("请填写类别名称")
    parent = None
    if parent_id:
        parent = Category.objects.filter(campaign=campaign, pk=parent_id, parent=None).first()
        if parent is None:
            raise Invalid("上级类别须是本次主题教育的一级类别")
    if Category.objects.filter(campaign=campaign, parent=parent, name=name).exists():
        raise Invalid(f"类别“{name}”已存在")
    rank = Category.objects.filter(campaign=campaign, parent=parent).count()
    versions.changed_everywhere()  # categories and sources show in every node's figures
    return Category.objects.create(campaign=campaign, parent=parent, name=name, rank=rank)


@transaction.atomic
def rename_category(*, actor, category_id: int, name: str) -> Category:
    category = Category.objects.select_related("campaign").filter(pk=category_id).first()
    if category is None:
        raise Invalid("类别不存在")
    get_visible_or_404(Campaign.objects, actor, pk=category.campaign_id)
    _require_office(actor, category.campaign)
    if not name.strip():
        raise Invalid("请填写类别名称")
    category.name = name.strip()
    category.save(update_fields=["name"])
    versions.changed_everywhere()
    return category


@transaction.atomic
def add_source(*, actor, campaign_id: int, name: str) -> ProblemSource:
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    name = name.strip()
    if not name:
        raise Invalid("请填写问题来源")
    if ProblemSource.objects.filter(campaign=campaign, name=name).exists():
        raise Invalid(f"问题来源“{name}”已存在")
    rank = ProblemSource.objects.filter(campaign=campaign).count()
    versions.changed_everywhere()
    return ProblemSource.objects.create(campaign=campaign, name=name, rank=rank)


# --- key actions (关键动作) -------------------------------------------------------------------
KIND_VALUES = {k.value for k in OrgKind}


@transaction.atomic
def define_key_action(
    *,
    actor,
    campaign_id: int,
    name: str,
    due_on: date,
    proof: str = Proof.MANUAL,
    kinds: list[str] | tuple = (),
    evidence_required: str = "",
    batch_id: int | None = None,
) -> KeyAction:
    """Add a key action to a campaign (or one of its batches). Office of the campaign only."""
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    name = name.strip()
    if not name:
        raise Invalid("请填写关键动作名称")
    if proof not in Proof.values:
        raise Invalid(f"未知的完成依据“{proof}”")
    unknown = set(kinds) - KIND_VALUES
    if unknown:
        raise Invalid(f"未知的组织类别：{'、'.join(sorted(unknown))}")
    if not campaign.starts_on <= due_on:
        raise Invalid("完成时限不能早于主题教育开始日期")
    batch = None
    if batch_id:
        batch = Batch.objects.filter(campaign=campaign, pk=batch_id).first()
        if batch is None:
            raise Invalid("批次不属于本次主题教育")
    if KeyAction.objects.filter(campaign=campaign, name=name).exists():
        raise Invalid(f"关键动作“{name}”已存在")
    versions.changed_everywhere()
    return KeyAction.objects.create(
        campaign=campaign,
        batch=batch,
        name=name,
        due_on=due_on,
        proof=proof,
        kinds=sorted(set(kinds)),
        evidence_required=evidence_required.strip(),
        rank=KeyAction.objects.filter(campaign=campaign).count(),
    )


def _scope_paths(campaign: Campaign, batch: Batch | None) -> list[str]:
    if batch is None:
        return [campaign.org_path]
    return list(outermost(batch.orgs.values_list("path", flat=True)))


@transaction.atomic
def launch_key_actions(*, actor, campaign_id: int, batch_id: int | None = None) -> int:
    """Give every organisation in the campaign's (or the batch's) scope its checklist: one item
    per key action that applies to its kind, owned by that organisation. Launching again adds
    only what is missing (new organisations, new actions). Items already proved by records
    (a 专题党课 held, problems listed) are marked done at once. Returns the items created."""
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    batch = None
    if batch_id:
        batch = Batch.objects.filter(campaign=campaign, pk=batch_id).first()
        if batch is None:
            raise Invalid("批次不属于本次主题教育")
    actions = list(
        campaign.key_actions.filter(Q(batch=None) | Q(batch=batch) if batch else Q(batch=None))
    )
    if not actions:
        raise Invalid("尚未设置关键动作")
    paths = _scope_paths(campaign, batch)
    if not paths:
        raise Invalid("该批次未覆盖任何组织")
    orgs_q = Q()
    for path in paths:
        orgs_q |= subtree_q("path", path)
    # One launch at a time per campaign, so that two never write the same item.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    existing = set(ActionItem.objects.filter(action__in=actions).values_list("action_id", "org_id"))

    # Read before writing: on PostgreSQL the rows are COPYed on the same connection, which
    # cannot fetch from a cursor meanwhile.
    orgs = list(Organization.objects.filter(orgs_q).values_list("id", "path", "kind"))
    with tallies.batched():  # the checklists and the records' credits, recounted once
        created = _write_checklists(campaign, actions, orgs, existing)
    record_event(
        "key_actions_launched",
        user=actor,
        org_path=campaign.org_path,
        target=f"{campaign.slug}{'/' + batch.name if batch else ''}",
        created=created,
    )
    return created


def _write_checklists(campaign, actions, orgs, existing) -> int:
    now = timezone.now()

    def rows():
        for org_id, path, kind in orgs:
            for action in actions:
                if action.applies_to(kind) and (action.pk, org_id) not in existing:
                    yield (action.pk, org_id, path, action.due_on, ActionItem.State.PENDING, now)

    created = insert_rows(
        ActionItem,
        [
            "action_id",
            "org_id",
            "org_path",
            "due_on",
            "state",
            "auto",
            "proof_note",
            "evidence_name",
            "evidence_stored",
            "evidence_kind",
            "updated_at",
        ],
        (row[:5] + (False, "", "", "", "") + row[5:] for row in rows()),
    )
    KeyAction.objects.filter(pk__in=[a.pk for a in actions], launched_at=None).update(
        launched_at=now
    )
    versions.changed_everywhere()
    for proof in {a.proof for a in actions} - {Proof.MANUAL}:
        for finder in RECORD_FINDERS.get(proof, []):
            proved: dict[tuple, list[int]] = {}
            for org_id, on, note in finder(campaign):
                proved.setdefault((on, note), []).append(org_id)
            for (on, note), org_ids in proved.items():
                for i in range(0, len(org_ids), 5000):
                    complete_from_records(
                        org_ids=org_ids[i : i + 5000], proof=proof, on=on, note=note
                    )
    key_action_tallies.refresh(path for _, path, _ in orgs)
    return created


# Functions (campaign) -> [(org_id, date, note)] registered by the apps whose records prove a
# key action (study: lessons and sessions; research: visits; rectification: problems listed), so
# launching late still credits what was already done.
RECORD_FINDERS: dict[str, list] = {}


def add_record_finder(proof: str, finder) -> None:
    RECORD_FINDERS.setdefault(proof, [])
    if finder not in RECORD_FINDERS[proof]:
        RECORD_FINDERS[proof].append(finder)


def complete_from_records(*, org_ids, proof: str, on: date, note: str) -> int:
    """Mark done the pending items of these organisations whose key action is proved by this kind
    of record, for campaigns that had started by `on`. Called in the transaction that writes the
    record. `org_ids` may be a queryset of ids (one statement). Returns the items completed."""
    org_ids = org_ids if isinstance(org_ids, QuerySet) else list(org_ids)
    done = ActionItem.objects.filter(
        org_id__in=org_ids,
        state=ActionItem.State.PENDING,
        action__proof=proof,
        action__campaign__starts_on__lte=on,
    ).update(state=ActionItem.State.DONE, done_on=on, auto=True, proof_note=note[:300])
    if done:
        paths = Organization.objects.filter(pk__in=org_ids).values_list("path", flat=True)
        key_action_tallies.refresh(list(paths))
    return done


@transaction.atomic
def mark_action_done(*, actor, item_id: int, done_on: date, note: str = "", upload=None):
    """The organisation (its liaison or office, or a level above) marks its item done with the
    evidence the action asks for. A file is required unless a record already proves it."""
    item = get_visible_or_404(
        ActionItem.objects.select_for_update().select_related("action"), actor, pk=item_id
    )
    if not may_keep_ledger(actor, item.org_path):
        raise NotAllowed("当前岗位不能填报该组织的关键动作")
    if item.state == ActionItem.State.DONE:
        raise Invalid("该关键动作已完成")
    if done_on > timezone.localdate():
        raise Invalid("完成日期不能晚于今天")
    if upload is None:
        asked = item.action.evidence_required
        raise Invalid(f"请上传佐证材料{'：' + asked if asked else ''}")
    try:
        checked = check_upload(upload)
    except UploadRefused as refused:
        raise Invalid(str(refused)) from None
    item.evidence_stored = store_upload(upload, checked)
    item.evidence_name = checked.original_name
    item.evidence_kind = checked.kind
    item.state = ActionItem.State.DONE
    item.done_on = done_on
    item.auto = False
    item.proof_note = note.strip()[:300]
    item.done_by = actor
    item.save()
    key_action_tallies.refresh([item.org_path])
    return item


@transaction.atomic
def reopen_action(*, actor, item_id: int, reason: str):
    """The level above (office or guidance group) sends a done item back: the evidence did not
    show the action done. The reason is kept in the note."""
    item = get_visible_or_404(ActionItem.objects.select_for_update(), actor, pk=item_id)
    if item.state != ActionItem.State.DONE:
        raise Invalid("该关键动作尚未完成")
    if not reason.strip():
        raise Invalid("请填写退回理由")
    # The same rule as verifying a measure: an office above the organisation, or a guidance group.
    if verifier_role(actor, item.org_path) is None:
        raise NotAllowed("只有上级党组织或指导组可以退回")
    item.state = ActionItem.State.PENDING
    item.done_on = None
    item.auto = False
    item.proof_note = f"退回：{reason.strip()}"[:300]
    item.save()
    key_action_tallies.refresh([item.org_path])
    return item
