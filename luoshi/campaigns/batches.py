"""Batches (批次): which organisations of a campaign's subtree do their concentrated work in
which period, and the deadlines that follow from it.

Each organisation is in at most one batch of a campaign (BatchMember's unique (campaign, org));
rules as offices word them fill a batch ("市级机关和单位": the launching organisation itself and
its own organs and units of chosen kinds and levels, with everything under them; "县处级以下":
everything not yet in a batch), and hand adjustments move or take out an organisation's subtree.
A rule never takes an organisation out of another batch unless the office says so: those are
reported as conflicts. A key action's deadline may be counted from the start of each
organisation's batch (`item_due_on`); whoever changes a membership or a batch's start recomputes
the pending items (`recompute_due`). No permission checks here: campaigns.services checks them."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import batched

from django.db.models import Count, Exists, OuterRef, Q

from luoshi.campaigns import tallies as key_action_tallies
from luoshi.campaigns.models import ActionItem, Batch, BatchMember, Campaign, KeyAction
from luoshi.core import tallies, versions
from luoshi.core.errors import Invalid
from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization, OrgKind, OrgLevel, UnitType

CHUNK = 5000
OWN_UNITS, REST = "own_units", "rest"
# The words offices use for the two rules, by the level of the launching organisation.
RULE_WORDS = {
    OrgLevel.PROVINCE: ("省级机关和单位", "市县及以下"),
    OrgLevel.CITY: ("市级机关和单位", "县处级以下"),
    OrgLevel.COUNTY: ("县级机关和单位", "乡镇及以下"),
}
OTHER_WORDS = ("本级机关和单位", "其余组织")
# The organs and units of a level (not the regions under it, nor villages and communities).
OWN_UNIT_TYPES = (
    UnitType.AGENCY,
    UnitType.INSTITUTION,
    UnitType.ENTERPRISE,
    UnitType.SCHOOL,
    UnitType.HOSPITAL,
)


@dataclass(frozen=True)
class Rule:
    """A rule that fills a batch. OWN_UNITS: the campaign's organisation (with `with_root`) and
    those of its direct children whose unit type, level and kind are among the chosen ones (none
    chosen: any; unit types not given: the organs and units), each with its whole subtree.
    REST: every organisation in no other batch."""

    kind: str
    unit_types: tuple[str, ...] = OWN_UNIT_TYPES
    levels: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    with_root: bool = True

    @classmethod
    def from_data(cls, data: dict) -> "Rule":
        """A rule from a form or JSON body; Invalid names what is wrong."""
        kind = data.get("kind")
        if kind not in (OWN_UNITS, REST):
            raise Invalid("请选择划分规则")
        given = data.get("unit_types")
        unit_types = tuple(sorted({str(v) for v in (OWN_UNIT_TYPES if given is None else given)}))
        if unknown := set(unit_types) - set(UnitType.values):
            raise Invalid(f"未知的单位类型：{'、'.join(sorted(unknown))}")
        try:
            levels = tuple(sorted({int(v) for v in data.get("levels") or ()}))
        except (TypeError, ValueError):
            raise Invalid("层级应为数字") from None
        if unknown := set(levels) - set(OrgLevel.values):
            raise Invalid(f"未知的层级：{'、'.join(map(str, sorted(unknown)))}")
        kinds = tuple(sorted({str(v) for v in data.get("kinds") or ()}))
        if unknown := set(kinds) - set(OrgKind.values):
            raise Invalid(f"未知的组织类别：{'、'.join(sorted(unknown))}")
        if kind == REST:
            return cls(REST, (), (), (), False)
        return cls(kind, unit_types, levels, kinds, bool(data.get("with_root", True)))

    def as_data(self) -> dict:
        return {
            "kind": self.kind,
            "unit_types": list(self.unit_types),
            "levels": list(self.levels),
            "kinds": list(self.kinds),
            "with_root": self.with_root,
        }


def rule_label(rule: Rule | dict, root_level: int) -> str:
    kind = rule.kind if isinstance(rule, Rule) else rule.get("kind")
    own, rest = RULE_WORDS.get(root_level, OTHER_WORDS)
    return {OWN_UNITS: own, REST: rest}.get(kind, "")


def _subtrees_q(paths) -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= subtree_q("path", path)
    return q


def rule_orgs(campaign: Campaign, rule: Rule, batch: Batch):
    """The organisations the rule puts in `batch` (a queryset of Organization)."""
    in_campaign = Organization.objects.filter(subtree_q("path", campaign.org_path))
    if rule.kind == REST:
        elsewhere = BatchMember.objects.filter(campaign=campaign, org_id=OuterRef("pk")).exclude(
            batch=batch
        )
        return in_campaign.filter(~Exists(elsewhere))
    children = Organization.objects.filter(parent_id=campaign.org_id)
    if rule.unit_types:
        children = children.filter(unit_type__in=rule.unit_types)
    if rule.levels:
        children = children.filter(level__in=rule.levels)
    if rule.kinds:
        children = children.filter(kind__in=rule.kinds)
    q = _subtrees_q(children.values_list("path", flat=True))
    if rule.with_root:
        q |= Q(pk=campaign.org_id)
    return in_campaign.filter(q)


@dataclass
class Placement:
    """What a membership change did: organisations added to the batch, moved into it from
    another one, left where they were (conflicts: org id -> the batch it stays in), taken out,
    and pending checklist items whose deadline was recomputed."""

    added: int = 0
    moved: int = 0
    removed: int = 0
    conflicts: dict[int, int] = field(default_factory=dict)
    recomputed: int = 0
    batch_name: str = ""


def _members(campaign: Campaign, org_ids: list[int]) -> dict[int, tuple[int, bool]]:
    found = {}
    for chunk in batched(org_ids, CHUNK):
        rows = BatchMember.objects.filter(campaign=campaign, org_id__in=chunk)
        for org_id, batch_id, by_rule in rows.values_list("org_id", "batch_id", "by_rule"):
            found[org_id] = (batch_id, by_rule)
    return found


def place(campaign: Campaign, batch: Batch, orgs, *, by_rule: bool, move: bool) -> Placement:
    """Put these organisations (rows of (id, path)) in `batch`. Those in another batch are moved
    only with `move`; otherwise they stay and are reported as conflicts. The deadlines of the
    pending items of every organisation that changed batch are recomputed."""
    orgs = list(orgs)
    current = _members(campaign, [pk for pk, _ in orgs])
    result = Placement(batch_name=batch.name)
    new, moving, acknowledged = [], [], []
    for pk, path in orgs:
        where = current.get(pk)
        if where is None:
            new.append(BatchMember(campaign=campaign, batch=batch, org_id=pk, org_path=path))
        elif where[0] != batch.pk:
            if move:
                moving.append(pk)
            else:
                result.conflicts[pk] = where[0]
        elif where[1] and not by_rule:
            acknowledged.append(pk)  # placed by hand where a rule had put it: not a conflict
    BatchMember.objects.bulk_create(new, batch_size=CHUNK)
    for chunk in batched(moving + acknowledged, CHUNK):
        BatchMember.objects.filter(campaign=campaign, org_id__in=chunk).update(
            batch=batch, by_rule=by_rule
        )
    result.added, result.moved = len(new), len(moving)
    changed = [m.org_id for m in new] + moving
    result.recomputed = recompute_due(campaign, changed)
    versions.changed_everywhere()
    return result


def take_out(campaign: Campaign, org_ids: list[int]) -> Placement:
    """Take these organisations out of their batch (they are then in none)."""
    removed = 0
    for chunk in batched(org_ids, CHUNK):
        removed += BatchMember.objects.filter(campaign=campaign, org_id__in=chunk).delete()[0]
    result = Placement(removed=removed, recomputed=recompute_due(campaign, org_ids))
    versions.changed_everywhere()
    return result


# --- deadlines -------------------------------------------------------------------------------
def item_due_on(action: KeyAction, batch_starts_on: date | None, campaign_starts_on: date) -> date:
    """The deadline of one organisation's item of `action`: its batch's start plus the action's
    days (the campaign's start when the organisation is in no batch), or the action's own date
    when it counts no days. Launching and every recomputation call this, and nothing else
    decides an item's deadline."""
    if action.due_days is None:
        return action.due_on
    return (batch_starts_on or campaign_starts_on) + timedelta(days=action.due_days)


def batch_starts(campaign: Campaign, org_ids=None) -> dict[int, date]:
    """Organisation id -> the start of its batch in the campaign (those in a batch only)."""
    rows = BatchMember.objects.filter(campaign=campaign)
    if org_ids is None:
        return dict(rows.values_list("org_id", "batch__starts_on"))
    found = {}
    for chunk in batched(org_ids, CHUNK):
        found.update(rows.filter(org_id__in=chunk).values_list("org_id", "batch__starts_on"))
    return found


def recompute_due(campaign: Campaign, org_ids) -> int:
    """Give the pending items of these organisations, of the campaign's key actions counted
    from the batch's start, the deadline their batch now gives (done items keep theirs).
    Returns the items whose deadline changed."""
    org_ids = list(org_ids)
    actions = list(campaign.key_actions.filter(due_days__isnull=False))
    if not actions or not org_ids:
        return 0
    starts = batch_starts(campaign, org_ids)
    by_start: dict[date | None, list[int]] = {}
    for pk in org_ids:
        by_start.setdefault(starts.get(pk), []).append(pk)
    changed = 0
    with tallies.batched():
        for start, ids in by_start.items():
            for action in actions:
                due = item_due_on(action, start, campaign.starts_on)
                for chunk in batched(ids, CHUNK):
                    changed += (
                        ActionItem.objects.filter(
                            action=action, org_id__in=chunk, state=ActionItem.State.PENDING
                        )
                        .exclude(due_on=due)
                        .update(due_on=due)
                    )
        if changed:
            for chunk in batched(org_ids, CHUNK):
                paths = Organization.objects.filter(pk__in=chunk).values_list("path", flat=True)
                key_action_tallies.refresh(list(paths))
    return changed


# --- who is where ----------------------------------------------------------------------------
@dataclass
class BatchFigures:
    batch: Batch
    total: int
    by_level: dict[int, int]
    warning: str | None


@dataclass
class Coverage:
    """Each batch's organisations by level; the organisations of the subtree in no batch (a
    count by level and the first of them); and the conflicts: organisations a batch's rule
    claims that another batch's rule holds (org, the batch it is in, the batch claiming it)."""

    batches: list[BatchFigures]
    in_none: int
    in_none_by_level: dict[int, int]
    in_none_first: list[Organization]
    conflicts: list[tuple[Organization, Batch, Batch]]
    total: int


def batch_warning(batch: Batch, campaign: Campaign) -> str | None:
    """A warning (not a refusal) when the batch's concentrated period is shorter than the
    campaign's minimum."""
    days = batch.concentrated_days
    if days < campaign.min_batch_days:
        return (
            f"{batch.name}集中学习教育时间为 {days} 天，"
            f"少于本次主题教育规定的最短 {campaign.min_batch_days} 天"
        )
    return None


def _orgs(user):
    return Organization.objects.all() if user is None else Organization.objects.visible_to(user)


def _memberships(user):
    return BatchMember.objects.all() if user is None else BatchMember.objects.visible_to(user)


def not_in_any(campaign: Campaign, user=None):
    """The organisations of the campaign's subtree in no batch of it (those the user sees)."""
    member = BatchMember.objects.filter(campaign=campaign, org_id=OuterRef("pk"))
    return _orgs(user).filter(subtree_q("path", campaign.org_path)).filter(~Exists(member))


def conflicts(campaign: Campaign, batches: list[Batch], user=None) -> list:
    """(organisation, the batch it is in, the batch whose rule also claims it), for the
    organisations the user sees."""
    by_id = {b.pk: b for b in batches}
    found = []
    for batch in batches:
        if batch.rule.get("kind") != OWN_UNITS:
            continue  # "the rest" claims only what no other batch holds
        claimed = rule_orgs(campaign, Rule.from_data(batch.rule), batch)
        held = (
            _memberships(user)
            .filter(campaign=campaign, by_rule=True, org__in=claimed)
            .exclude(batch=batch)
            .select_related("org")
            .order_by("org_path")
        )
        found += [(m.org, by_id[m.batch_id], batch) for m in held]
    return found


def coverage(campaign: Campaign, user=None, *, limit: int = 100) -> Coverage:
    """The campaign's batches and who is in none, over the organisations the user sees (all of
    them without a user)."""
    batches = list(campaign.batches.all())
    counts: dict[int, Counter] = {b.pk: Counter() for b in batches}
    rows = _memberships(user).filter(campaign=campaign).values("batch_id", "org__level")
    for r in rows.annotate(n=Count("id")).order_by():
        counts[r["batch_id"]][r["org__level"]] += r["n"]
    figures = [
        BatchFigures(b, sum(counts[b.pk].values()), dict(sorted(counts[b.pk].items())), None)
        for b in batches
    ]
    for f in figures:
        f.warning = batch_warning(f.batch, campaign)
    none = not_in_any(campaign, user)
    by_level = {
        r["level"]: r["n"] for r in none.values("level").annotate(n=Count("id")).order_by("level")
    }
    return Coverage(
        batches=figures,
        in_none=sum(by_level.values()),
        in_none_by_level=by_level,
        in_none_first=list(none.order_by("path")[:limit]),
        conflicts=conflicts(campaign, batches, user),
        total=_orgs(user).filter(subtree_q("path", campaign.org_path)).count(),
    )


def subtree_batches(path: str) -> list[dict]:
    """For `luoshi stats`: each campaign run at or above the organisation at `path`, or inside
    its subtree, with its batches' dates and the subtree's organisations in each batch and in
    none."""
    from luoshi.core.paths import ancestor_paths

    campaigns = Campaign.objects.filter(
        subtree_q("org_path", path) | Q(org_path__in=ancestor_paths(path))
    ).order_by("starts_on", "id")
    result = []
    for campaign in campaigns:
        inner = path if path.startswith(campaign.org_path) else campaign.org_path
        counts = dict(
            BatchMember.objects.filter(subtree_q("org_path", inner), campaign=campaign)
            .values_list("batch_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        in_scope = Organization.objects.filter(subtree_q("path", inner)).count()
        result.append(
            {
                "campaign": campaign.slug,
                "name": campaign.name,
                "batches": [
                    {
                        "name": b.name,
                        "starts_on": b.starts_on.isoformat(),
                        "ends_on": b.ends_on.isoformat(),
                        "organizations": counts.get(b.pk, 0),
                    }
                    for b in campaign.batches.all()
                ],
                "organizations_in_no_batch": in_scope - sum(counts.values()),
            }
        )
    return result


def level_label(level: int) -> str:
    return OrgLevel(level).label if level in OrgLevel.values else str(level)
