"""Writes to a campaign: creating it from a preset, editing it, its lifecycle, its vocabularies
and key actions. Only the campaign office (or an admin) of
the organisation that runs the campaign may change them."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over, may_keep_ledger, verifier_role
from luoshi.campaigns import batches, lifecycle, presets
from luoshi.campaigns import tallies as key_action_tallies
from luoshi.campaigns.batches import item_due_on
from luoshi.campaigns.models import (
    ActionItem,
    Batch,
    BatchMember,
    Campaign,
    Category,
    KeyAction,
    ProblemSource,
    Proof,
)
from luoshi.core import tallies, versions
from luoshi.core.audit import record_event
from luoshi.core.bulk import insert_rows
from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.core.files import UploadRefused, check_upload, store_upload
from luoshi.core.paths import subtree_q
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization, OrgKind


def _require_office(actor, campaign: Campaign) -> None:
    """The campaign is visible to the actor (checked by the caller); only its office acts on it."""
    if not has_role_over(actor, campaign.org_path, Role.OFFICE, Role.ADMIN):
        raise NotAllowed("只有本级主题教育办公室可以执行此操作")


@transaction.atomic
def _office_campaign(actor, campaign_id: int, *, lock: bool = False) -> Campaign:
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    if lock:  # one change at a time per campaign
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    return campaign


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
MAX_DUE_DAYS = 3650


@transaction.atomic
def define_key_action(
    *,
    actor,
    campaign_id: int,
    name: str,
    due_on: date | None = None,
    proof: str = Proof.MANUAL,
    kinds: list[str] | tuple = (),
    evidence_required: str = "",
    batch_id: int | None = None,
    due_days: int | None = None,
) -> KeyAction:
    """Add a key action to a campaign (or one of its batches). Office of the campaign only.
    With `due_days` each organisation's deadline is that many days after its batch's start
    (campaigns.batches.item_due_on); `due_on` is then the campaign's start plus the days."""
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    name = name.strip()
    if not name:
        raise Invalid("请填写关键动作名称")
    if due_days is not None:
        if not 0 <= due_days <= MAX_DUE_DAYS:
            raise Invalid(f"批次开始后天数应为 0 到 {MAX_DUE_DAYS} 之间的整数")
        due_on = campaign.starts_on + timedelta(days=due_days)
    if due_on is None:
        raise Invalid("请填写完成时限或批次开始后天数")
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
        due_days=due_days,
        proof=proof,
        kinds=sorted(set(kinds)),
        evidence_required=evidence_required.strip(),
        rank=KeyAction.objects.filter(campaign=campaign).count(),
    )


def _launch_orgs(campaign: Campaign, batch: Batch | None):
    """(id, path, kind) of the organisations a launch reaches: the campaign's subtree, or the
    batch's members."""
    orgs = Organization.objects.filter(subtree_q("path", campaign.org_path))
    if batch is not None:
        orgs = orgs.filter(Exists(BatchMember.objects.filter(batch=batch, org_id=OuterRef("pk"))))
    return list(orgs.values_list("id", "path", "kind"))


@transaction.atomic
def launch_key_actions(*, actor, campaign_id: int, batch_id: int | None = None) -> int:
    """Give every organisation in the campaign's (or the batch's) scope its checklist: one item
    per key action that applies to its kind (and, for a batch's own action, to that batch's
    organisations), owned by that organisation, due as its own batch says
    (batches.item_due_on). Launching again adds only what is missing (new organisations, new
    actions). Items already proved by records (a 专题党课 held, problems listed) are marked
    done at once. Returns the items created."""
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    batch = None
    if batch_id:
        batch = Batch.objects.filter(campaign=campaign, pk=batch_id).first()
        if batch is None:
            raise Invalid("批次不属于本次主题教育")
    actions = list(
        campaign.key_actions.filter(Q(batch=None) | Q(batch=batch))
        if batch
        else campaign.key_actions.all()
    )
    if not actions:
        raise Invalid("尚未设置关键动作")
    # One launch at a time per campaign, so that two never write the same item.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    existing = set(ActionItem.objects.filter(action__in=actions).values_list("action_id", "org_id"))

    # Read before writing: on PostgreSQL the rows are COPYed on the same connection, which
    # cannot fetch from a cursor meanwhile.
    orgs = _launch_orgs(campaign, batch)
    if batch is not None and not orgs:
        raise Invalid("该批次尚未划入任何组织")
    memberships = dict(
        BatchMember.objects.filter(campaign=campaign).values_list("org_id", "batch_id")
    )
    starts = dict(campaign.batches.values_list("pk", "starts_on"))
    with tallies.batched():  # the checklists and the records' credits, recounted once
        created = _write_checklists(campaign, actions, orgs, existing, memberships, starts)
    record_event(
        "key_actions_launched",
        user=actor,
        org_path=campaign.org_path,
        target=f"{campaign.slug}{'/' + batch.name if batch else ''}",
        created=created,
    )
    return created


def _write_checklists(campaign, actions, orgs, existing, memberships, starts) -> int:
    now = timezone.now()

    def rows():
        for org_id, path, kind in orgs:
            in_batch = memberships.get(org_id)
            start = starts.get(in_batch)
            for action in actions:
                if (
                    action.applies_to(kind)
                    and action.batch_id in (None, in_batch)
                    and (action.pk, org_id) not in existing
                ):
                    due = item_due_on(action, start, campaign.starts_on)
                    yield (action.pk, org_id, path, due, ActionItem.State.PENDING, now)

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


# --- campaigns: created from a preset, edited, and moved through their lifecycle ---------------
MAX_GOALS = 20


def _clean_goals(goals) -> list[str]:
    if isinstance(goals, str):
        goals = goals.splitlines()
    cleaned = [str(g).strip() for g in goals or () if str(g).strip()]
    if len(cleaned) > MAX_GOALS:
        raise Invalid(f"目标最多 {MAX_GOALS} 条")
    for goal in cleaned:
        if len(goal) > 100:
            raise Invalid(f"目标“{goal[:20]}…”过长（每条不超过100字）")
    return cleaned


def _clean_campaign(name: str, general_requirement: str, starts_on, ends_on) -> tuple[str, str]:
    name, general_requirement = (name or "").strip(), (general_requirement or "").strip()
    if not name:
        raise Invalid("请填写主题教育名称")
    if len(name) > Campaign._meta.get_field("name").max_length:
        raise Invalid("主题教育名称不超过120字")
    if len(general_requirement) > Campaign._meta.get_field("general_requirement").max_length:
        raise Invalid("总要求不超过200字")
    if starts_on is None or ends_on is None:
        raise Invalid("请填写开始日期和结束日期")
    if ends_on <= starts_on:
        raise Invalid("结束日期须晚于开始日期")
    return name, general_requirement


def _launching_org(actor, org) -> Organization:
    """The organisation that launches the campaign: one the actor sees (else 404) and runs the
    office of, or is administrator over (else NotAllowed)."""
    org_id = org.pk if isinstance(org, Organization) else org
    found = get_visible_or_404(Organization.objects, actor, pk=org_id or 0)
    if not has_role_over(actor, found.path, Role.OFFICE, Role.ADMIN):
        raise NotAllowed("只有本级主题教育办公室可以发起主题教育")
    return found


def _new_slug(org: Organization, starts_on: date) -> str:
    base = f"zt-{starts_on.year}-{slugify(org.code) or org.pk}"[:54]
    slug, n = base, 1
    while Campaign.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def copy_vocabulary(campaign: Campaign, preset: presets.Preset) -> None:
    """The preset's problem sources and categories (two levels), in its order."""
    ProblemSource.objects.bulk_create(
        ProblemSource(campaign=campaign, name=name, rank=rank)
        for rank, name in enumerate(preset.sources)
    )
    for rank, (top, subs) in enumerate(preset.categories):
        parent = Category.objects.create(campaign=campaign, name=top, rank=rank)
        Category.objects.bulk_create(
            Category(campaign=campaign, parent=parent, name=sub, rank=sub_rank)
            for sub_rank, sub in enumerate(subs)
        )


def _copy_key_actions(campaign: Campaign, preset: presets.Preset) -> None:
    # Each due a number of days after the start of the organisation's own batch
    # (batches.item_due_on); `due_on` is the campaign's start plus the days.
    KeyAction.objects.bulk_create(
        KeyAction(
            campaign=campaign,
            name=rule.name,
            due_days=rule.days,
            due_on=campaign.starts_on + timedelta(days=rule.days),
            proof=rule.proof,
            kinds=sorted(str(k) for k in rule.kinds),
            evidence_required=rule.evidence,
            rank=rank,
        )
        for rank, rule in enumerate(preset.key_actions)
    )


@transaction.atomic
def create_campaign(
    *,
    actor,
    org,
    preset: str,
    name: str,
    general_requirement: str = "",
    goals=(),
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Campaign:
    """Start a campaign (筹备) for the subtree of `org`, from a preset: its vocabulary (problem
    sources, categories) and key actions are copied, and can be edited afterwards. Only the
    office or administrator over `org` (404 when the actor does not see it). Recorded in the
    audit log; every cached figure is marked (a new campaign shows everywhere)."""
    launching = _launching_org(actor, org)
    chosen = presets.preset(preset)
    if chosen is None:
        raise Invalid("请选择起始模板")
    name, general_requirement = _clean_campaign(name, general_requirement, starts_on, ends_on)
    if Campaign.objects.filter(org=launching, name=name).exists():
        raise Invalid(f"{launching.name}已有名为“{name}”的主题教育，请换一个名称")
    campaign = Campaign.objects.create(
        org=launching,
        org_path=launching.path,
        slug=_new_slug(launching, starts_on),
        name=name,
        general_requirement=general_requirement,
        goals=_clean_goals(goals),
        starts_on=starts_on,
        ends_on=ends_on,
        preset=chosen.key,
        status=Campaign.Status.DRAFT,
        min_batch_days=chosen.min_batch_days or Campaign._meta.get_field("min_batch_days").default,
    )
    copy_vocabulary(campaign, chosen)
    _copy_key_actions(campaign, chosen)
    record_event(
        "campaign_created",
        user=actor,
        org_path=launching.path,
        target=campaign.slug,
        name=name,
        preset=chosen.key,
    )
    versions.changed_everywhere()
    return campaign


@transaction.atomic
def update_campaign(
    *,
    actor,
    campaign_id: int,
    name: str | None = None,
    general_requirement: str | None = None,
    goals=None,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Campaign:
    """Edit a campaign's name, 总要求, goals and period (the fields given). Office of the
    campaign only; an ended campaign is not edited. While in 筹备, moving the start moves the
    key actions' deadlines with it; once launched the start stays (the checklists count from
    it). Recorded with what changed."""
    campaign = _office_campaign(actor, campaign_id, lock=True)
    if campaign.status == Campaign.Status.ENDED:
        raise Invalid("主题教育已结束，不能再修改")
    wanted = {
        "name": campaign.name if name is None else name,
        "general_requirement": (
            campaign.general_requirement if general_requirement is None else general_requirement
        ),
        "starts_on": campaign.starts_on if starts_on is None else starts_on,
        "ends_on": campaign.ends_on if ends_on is None else ends_on,
    }
    wanted["name"], wanted["general_requirement"] = _clean_campaign(**wanted)
    wanted["goals"] = campaign.goals if goals is None else _clean_goals(goals)
    shift = (wanted["starts_on"] - campaign.starts_on).days
    if shift and campaign.status != Campaign.Status.DRAFT:
        raise Invalid("主题教育启动后不能修改开始日期")
    changed = {k: v for k, v in wanted.items() if getattr(campaign, k) != v}
    if not changed:
        return campaign
    before = {k: str(getattr(campaign, k)) for k in changed}
    for key, value in changed.items():
        setattr(campaign, key, value)
    campaign.save(update_fields=list(changed))
    if shift:
        for action in campaign.key_actions.filter(launched_at=None):
            action.due_on += timedelta(days=shift)
            action.save(update_fields=["due_on"])
    versions.changed_everywhere()  # the name and period show on every page of the campaign
    record_event(
        "campaign_updated",
        user=actor,
        org_path=campaign.org_path,
        target=campaign.slug,
        before=before,
        after={k: str(v) for k, v in changed.items()},
    )
    return campaign


@transaction.atomic
def advance_campaign(*, actor, campaign_id: int, action: str) -> Campaign:
    """Take the campaign one step along its lifecycle (lifecycle.STEPS): launching gives every
    organisation in scope its key-action checklist (launch_key_actions); ending closes the
    problem list to new problems while the measures go on. Office of the campaign only; a step
    out of order is refused with the reason; two offices pressing at once: one wins, the other
    gets Conflict. Recorded in the audit log."""
    campaign = _office_campaign(actor, campaign_id, lock=True)
    refusal = lifecycle.step_refusal(campaign, action)
    if refusal:
        raise Invalid(refusal)
    step = lifecycle.STEPS[action]
    updated = Campaign.objects.filter(pk=campaign.pk, status=step.source).update(status=step.target)
    if not updated:
        raise Conflict("主题教育的状态已被他人更改，请刷新后重试")
    created = 0
    if action == "launch":
        created = _launch_all(actor, campaign)
    campaign.status = step.target
    record_event(
        "campaign_advanced",
        user=actor,
        org_path=campaign.org_path,
        target=campaign.slug,
        action=action,
        before=step.source,
        after=step.target,
        items=created,
    )
    versions.changed_everywhere()  # the status shows on every page of the campaign
    return campaign


def _launch_all(actor, campaign: Campaign) -> int:
    """Fan the key actions out: the campaign-wide ones, then each batch's own."""
    created = 0
    if campaign.key_actions.filter(batch=None).exists():
        created += launch_key_actions(actor=actor, campaign_id=campaign.pk)
    batch_ids = set(campaign.key_actions.exclude(batch=None).values_list("batch_id", flat=True))
    for batch_id in sorted(batch_ids):
        created += launch_key_actions(actor=actor, campaign_id=campaign.pk, batch_id=batch_id)
    return created


# --- batches (批次) ----------------------------------------------------------------------------
def _campaign_batch(campaign: Campaign, batch_id: int | None) -> Batch:
    batch = Batch.objects.filter(campaign=campaign, pk=batch_id).first() if batch_id else None
    if batch is None:
        raise Invalid("请选择本次主题教育的批次")
    return batch


def _checked_batch_fields(campaign: Campaign, name: str, starts_on, ends_on) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("请填写批次名称")
    if len(name) > 60:
        raise Invalid("批次名称不能超过 60 个字")
    if starts_on is None or ends_on is None:
        raise Invalid("请填写批次的开始日期和结束日期")
    if ends_on < starts_on:
        raise Invalid("批次结束日期不能早于开始日期")
    if starts_on < campaign.starts_on or ends_on > campaign.ends_on:
        raise Invalid(
            f"批次日期须在主题教育起止日期（{campaign.starts_on:%Y-%m-%d} 至 "
            f"{campaign.ends_on:%Y-%m-%d}）之内"
        )
    return name


@transaction.atomic
def save_batch(
    *, actor, campaign_id: int, name: str, starts_on, ends_on, batch_id: int | None = None
) -> tuple[Batch, str | None, int]:
    """Create a batch of the campaign, or change one's name and dates (campaign office only).
    A changed start recomputes its organisations' pending deadlines. Returns the batch, the
    warning when its concentrated period is shorter than the campaign's minimum (saved all the
    same), and the items whose deadline changed."""
    campaign = _office_campaign(actor, campaign_id, lock=True)
    name = _checked_batch_fields(campaign, name, starts_on, ends_on)
    batch = _campaign_batch(campaign, batch_id) if batch_id else Batch(campaign=campaign)
    if Batch.objects.filter(campaign=campaign, name=name).exclude(pk=batch.pk).exists():
        raise Invalid(f"批次“{name}”已存在")
    moved_start = batch.pk is not None and batch.starts_on != starts_on
    before = {"name": batch.name, "starts_on": str(batch.starts_on or "")} if batch.pk else {}
    batch.name, batch.starts_on, batch.ends_on = name, starts_on, ends_on
    batch.save()
    versions.changed_everywhere()  # batches' names and dates show with every node's figures
    recomputed = 0
    if moved_start:
        org_ids = list(batch.members.values_list("org_id", flat=True))
        recomputed = batches.recompute_due(campaign, org_ids)
    record_event(
        "batch_saved",
        user=actor,
        org_path=campaign.org_path,
        target=f"{campaign.slug}/{batch.name}",
        before=before,
        starts_on=str(starts_on),
        ends_on=str(ends_on),
        recomputed=recomputed,
    )
    return batch, batches.batch_warning(batch, campaign), recomputed


@transaction.atomic
def apply_batch_rule(
    *, actor, campaign_id: int, batch_id: int, rule: dict, move: bool = False
) -> batches.Placement:
    """Fill a batch by a rule (campaign office only). Organisations the rule selects that are
    in another batch stay there and are reported as conflicts, unless `move`. The rule is kept
    on the batch, so that the batches page keeps reporting what it claims elsewhere."""
    campaign = _office_campaign(actor, campaign_id, lock=True)
    batch = _campaign_batch(campaign, batch_id)
    parsed = batches.Rule.from_data(rule)
    orgs = batches.rule_orgs(campaign, parsed, batch).values_list("id", "path")
    result = batches.place(campaign, batch, orgs, by_rule=True, move=move)
    batch.rule = parsed.as_data()
    batch.save(update_fields=["rule"])
    versions.changed_everywhere()
    record_event(
        "batch_rule_applied",
        user=actor,
        org_path=campaign.org_path,
        target=f"{campaign.slug}/{batch.name}",
        rule=parsed.as_data(),
        move=move,
        added=result.added,
        moved=result.moved,
        conflicts=len(result.conflicts),
        recomputed=result.recomputed,
    )
    return result


def _campaign_org(actor, campaign: Campaign, org_id: int | None) -> Organization:
    if not org_id:
        raise Invalid("请选择组织")
    org = get_visible_or_404(Organization.objects, actor, pk=org_id)
    if not org.path.startswith(campaign.org_path):
        raise Invalid(f"“{org.name}”不在本次主题教育的范围内")
    return org


def _subtree_rows(org: Organization, subtree: bool):
    if not subtree:
        return [(org.pk, org.path)]
    return list(Organization.objects.filter(subtree_q("path", org.path)).values_list("id", "path"))


@transaction.atomic
def move_to_batch(
    *, actor, campaign_id: int, batch_id: int, org_id: int, subtree: bool = True
) -> batches.Placement:
    """Put an organisation (with its whole subtree, by default) in a batch by hand, taking it
    out of any other batch of the campaign (campaign office only). Pending items of those that
    changed batch get the deadlines of their new batch."""
    campaign = _office_campaign(actor, campaign_id, lock=True)
    batch = _campaign_batch(campaign, batch_id)
    org = _campaign_org(actor, campaign, org_id)
    result = batches.place(campaign, batch, _subtree_rows(org, subtree), by_rule=False, move=True)
    record_event(
        "batch_orgs_moved",
        user=actor,
        org_path=org.path,
        target=f"{campaign.slug}/{batch.name}",
        org=org.code,
        subtree=subtree,
        added=result.added,
        moved=result.moved,
        recomputed=result.recomputed,
    )
    return result


@transaction.atomic
def remove_from_batches(
    *, actor, campaign_id: int, org_id: int, subtree: bool = True
) -> batches.Placement:
    """Take an organisation (with its subtree, by default) out of its batch (campaign office
    only): it is then in none, and its pending deadlines count from the campaign's start."""
    campaign = _office_campaign(actor, campaign_id, lock=True)
    org = _campaign_org(actor, campaign, org_id)
    result = batches.take_out(campaign, [pk for pk, _ in _subtree_rows(org, subtree)])
    record_event(
        "batch_orgs_removed",
        user=actor,
        org_path=org.path,
        target=campaign.slug,
        org=org.code,
        subtree=subtree,
        removed=result.removed,
        recomputed=result.recomputed,
    )
    return result
