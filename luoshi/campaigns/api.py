from datetime import date
from typing import Annotated, Literal

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from luoshi.campaigns import batches, lifecycle, presets, selectors, services
from luoshi.campaigns.models import ActionItem, Batch, Campaign
from luoshi.core.api_schemas import ERRORS, ErrorOut, Id, items, text_of
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification import selectors as ledger_selectors

router = Router(tags=["主题教育"])


# --- campaigns -------------------------------------------------------------------------------
Goal = Annotated[str, Field(max_length=100)]


class CampaignOut(Schema):
    id: int
    slug: str
    name: str
    general_requirement: str
    goals: list[str]
    starts_on: date
    ends_on: date
    org_id: int
    org_name: str
    preset: str
    status: str
    status_label: str
    next_action: str | None  # the lifecycle step it can take (POST …/advance), if any
    next_action_label: str | None


def _campaign_out(campaign: Campaign, org_name: str) -> dict:
    step = lifecycle.next_step(campaign)
    return {
        "id": campaign.pk,
        "slug": campaign.slug,
        "name": campaign.name,
        "general_requirement": campaign.general_requirement,
        "goals": list(campaign.goals or []),
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "org_id": campaign.org_id,
        "org_name": org_name,
        "preset": campaign.preset,
        "status": campaign.status,
        "status_label": Campaign.Status(campaign.status).label,
        "next_action": step.action if step else None,
        "next_action_label": step.label if step else None,
    }


def _campaign_response(campaign_id: int) -> dict:
    campaign = Campaign.objects.select_related("org").get(pk=campaign_id)
    return _campaign_out(campaign, campaign.org.name)


class CampaignIn(Schema):
    org_id: Id
    preset: Literal[tuple(presets.PRESETS)]  # type: ignore[valid-type]
    name: text_of(Campaign, "name")
    general_requirement: text_of(Campaign, "general_requirement") = ""
    goals: items(Goal, services.MAX_GOALS) = []
    starts_on: date
    ends_on: date


class CampaignPatch(Schema):
    name: text_of(Campaign, "name") | None = None
    general_requirement: text_of(Campaign, "general_requirement") | None = None
    goals: items(Goal, services.MAX_GOALS) | None = None
    starts_on: date | None = None
    ends_on: date | None = None


class AdvanceIn(Schema):
    action: Literal[tuple(lifecycle.STEPS)]  # type: ignore[valid-type]


@router.get("/campaigns", response=list[CampaignOut])
def list_campaigns(request):
    """The campaigns the user's scope sees (those of its organisations and the levels above),
    newest first, with where each stands."""
    campaigns = ledger_selectors.visible_campaigns(request.user)
    names = dict(
        Organization.objects.filter(pk__in={c.org_id for c in campaigns}).values_list("pk", "name")
    )
    return [_campaign_out(c, names.get(c.org_id, "")) for c in campaigns]


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, 404: ErrorOut})
def get_campaign(request, campaign_id: Id):
    campaign = get_visible_or_404(
        Campaign.objects.select_related("org"), request.user, pk=campaign_id
    )
    return _campaign_out(campaign, campaign.org.name)


@router.post("/campaigns", response={201: CampaignOut, **ERRORS})
def create_campaign(request, payload: CampaignIn):
    """Start a campaign (筹备) for an organisation's subtree from a preset (2019, 2023, blank):
    its problem sources, categories and key actions are copied. The office of that
    organisation only."""
    campaign = services.create_campaign(
        actor=request.user,
        org=payload.org_id,
        preset=payload.preset,
        name=payload.name,
        general_requirement=payload.general_requirement,
        goals=payload.goals,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
    )
    return Status(201, _campaign_response(campaign.pk))


@router.patch("/campaigns/{campaign_id}", response={200: CampaignOut, **ERRORS})
def update_campaign(request, campaign_id: Id, payload: CampaignPatch):
    """Edit the fields given; the others stay."""
    campaign = services.update_campaign(
        actor=request.user, campaign_id=campaign_id, **payload.model_dump(exclude_none=True)
    )
    return Status(200, _campaign_response(campaign.pk))


@router.post("/campaigns/{campaign_id}/advance", response={200: CampaignOut, **ERRORS})
def advance_campaign(request, campaign_id: Id, payload: AdvanceIn):
    """One step of the lifecycle: launch (筹备→启动, the checklists go out), sum_up
    (启动→总结), end (总结→结束, no new problems; measures go on)."""
    campaign = services.advance_campaign(
        actor=request.user, campaign_id=campaign_id, action=payload.action
    )
    return Status(200, _campaign_response(campaign.pk))


# --- key actions -----------------------------------------------------------------------------


class ActionProgressOut(Schema):
    action_id: int
    name: str
    due_on: date
    due_days: int | None
    proof: str
    launched: bool
    total: int
    done: int
    overdue: int
    rate: float


class ActionItemOut(Schema):
    id: int
    action_id: int
    action: str
    campaign_id: int
    org_id: int
    org_name: str
    due_on: date
    state: str
    overdue: bool
    done_on: date | None
    auto: bool
    proof_note: str
    has_evidence: bool


def _item_out(item: ActionItem) -> dict:
    return {
        "id": item.pk,
        "action_id": item.action_id,
        "action": item.action.name,
        "campaign_id": item.action.campaign_id,
        "org_id": item.org_id,
        "org_name": item.org.name,
        "due_on": item.due_on,
        "state": item.state,
        "overdue": item.is_overdue,
        "done_on": item.done_on,
        "auto": item.auto,
        "proof_note": item.proof_note,
        "has_evidence": bool(item.evidence_stored),
    }


def _node(request, campaign: Campaign, org: Id | None) -> Organization:
    if org is not None:
        return get_visible_or_404(Organization.objects, request.user, pk=org)
    return Organization.objects.get(pk=campaign.org_id)


@router.get(
    "/campaigns/{campaign_id}/key-actions",
    response={200: list[ActionProgressOut], 404: ErrorOut},
)
def key_action_progress(request, campaign_id: Id, org: Id | None = None):
    """Each key action of the campaign over the subtree of `org` (default: the campaign's own):
    items, done, overdue."""
    campaign = get_visible_or_404(Campaign.objects, request.user, pk=campaign_id)
    node = _node(request, campaign, org)
    return [
        {
            "action_id": p.action.pk,
            "name": p.action.name,
            "due_on": p.action.due_on,
            "due_days": p.action.due_days,
            "proof": p.action.proof,
            "launched": p.action.launched_at is not None,
            "total": p.total,
            "done": p.done,
            "overdue": p.overdue,
            "rate": p.rate,
        }
        for p in selectors.action_progress(campaign, node.path)
    ]


@router.get(
    "/campaigns/{campaign_id}/pending-actions",
    response={200: list[ActionItemOut], 404: ErrorOut},
)
def pending_actions(
    request,
    campaign_id: Id,
    org: Id | None = None,
    action: Id | None = None,
    overdue: bool = False,
    limit: int = 50,
    offset: int = 0,
):
    """Who has not done what in the subtree, most overdue first."""
    campaign = get_visible_or_404(Campaign.objects, request.user, pk=campaign_id)
    node = _node(request, campaign, org)
    limit, offset = bounded(limit, offset)
    rows = selectors.pending_items(
        request.user, campaign, node.path, action_id=action, overdue_only=overdue
    )[offset : offset + limit]
    return [_item_out(i) for i in rows]


@router.get("/organizations/{org_id}/checklist", response={200: list[ActionItemOut], 404: ErrorOut})
def org_checklist(request, org_id: Id):
    org = get_visible_or_404(Organization.objects, request.user, pk=org_id)
    return [_item_out(i) for i in selectors.checklist(request.user, org).select_related("org")]


@router.post(
    "/action-items/{item_id}/done",
    response={200: ActionItemOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def action_item_done(
    request,
    item_id: Id,
    done_on: Form[date],
    evidence: File[UploadedFile],
    note: str = Form("", max_length=ActionItem._meta.get_field("proof_note").max_length),
):
    """Mark the organisation's item done with its evidence file."""
    item = services.mark_action_done(
        actor=request.user, item_id=item_id, done_on=done_on, note=note, upload=evidence
    )
    item = ActionItem.objects.select_related("action", "org").get(pk=item.pk)
    return Status(200, _item_out(item))


# --- batches (批次) ----------------------------------------------------------------------------
BATCHES = ["批次"]
BatchName = text_of(Batch, "name")


class BatchOut(Schema):
    id: int
    name: str
    starts_on: date
    ends_on: date
    days: int
    organizations: int
    by_level: dict[int, int]
    rule: str
    warning: str | None


class BatchIn(Schema):
    name: BatchName
    starts_on: date
    ends_on: date


class BatchSaved(Schema):
    batch: BatchOut
    recomputed: int


class RuleIn(Schema):
    batch_id: Id
    kind: Annotated[str, Field(max_length=16)]
    unit_types: items(Annotated[str, Field(max_length=16)], 20) | None = None
    levels: items(Annotated[int, Field(ge=0, le=99)], 10) = []
    kinds: items(Annotated[str, Field(max_length=24)], 10) = []
    with_root: bool = True
    move: bool = False


class MembershipIn(Schema):
    org_id: Id
    batch_id: Id | None = None  # None: take it out of its batch
    subtree: bool = True


class PlacementOut(Schema):
    added: int
    moved: int
    removed: int
    conflicts: list[int]
    recomputed: int


class OrgRef(Schema):
    id: int
    code: str
    name: str
    level: int


class ConflictOut(Schema):
    org: OrgRef
    in_batch_id: int
    claimed_by_batch_id: int


class CoverageOut(Schema):
    organizations: int
    in_none: int
    in_none_by_level: dict[int, int]
    in_none_first: list[OrgRef]
    conflicts: list[ConflictOut]


def _batches_out(campaign: Campaign, user) -> list[dict]:
    coverage = batches.coverage(campaign, user, limit=0)
    return [_batch_out(f, campaign) for f in coverage.batches]


def _batch_out(f: batches.BatchFigures, campaign: Campaign) -> dict:
    return {
        "id": f.batch.pk,
        "name": f.batch.name,
        "starts_on": f.batch.starts_on,
        "ends_on": f.batch.ends_on,
        "days": f.batch.concentrated_days,
        "organizations": f.total,
        "by_level": f.by_level,
        "rule": batches.rule_label(f.batch.rule, campaign.org.level),
        "warning": f.warning,
    }


def _org_ref(org: Organization) -> dict:
    return {"id": org.pk, "code": org.code, "name": org.name, "level": org.level}


def _visible_campaign(request, campaign_id: int) -> Campaign:
    return get_visible_or_404(Campaign.objects.select_related("org"), request.user, pk=campaign_id)


@router.get(
    "/campaigns/{campaign_id}/batches", response={200: list[BatchOut], 404: ErrorOut}, tags=BATCHES
)
def list_batches(request, campaign_id: Id):
    """The campaign's batches: dates, organisations by level, the warning when one is short."""
    return _batches_out(_visible_campaign(request, campaign_id), request.user)


def _saved(request, campaign: Campaign, batch, recomputed: int) -> dict:
    found = next(b for b in _batches_out(campaign, request.user) if b["id"] == batch.pk)
    return {"batch": found, "recomputed": recomputed}


@router.post("/campaigns/{campaign_id}/batches", response={200: BatchSaved, **ERRORS}, tags=BATCHES)
def create_batch(request, campaign_id: Id, payload: BatchIn):
    """Add a batch (the campaign office). A short one is saved, with its warning."""
    campaign = _visible_campaign(request, campaign_id)
    batch, _, recomputed = services.save_batch(
        actor=request.user, campaign_id=campaign.pk, **payload.dict()
    )
    return _saved(request, campaign, batch, recomputed)


@router.post("/batches/{batch_id}", response={200: BatchSaved, **ERRORS}, tags=BATCHES)
def update_batch(request, batch_id: Id, payload: BatchIn):
    """Change a batch's name and dates; a new start recomputes its pending deadlines."""
    batch = Batch.objects.filter(pk=batch_id).first()
    campaign_id = batch.campaign_id if batch else 0
    campaign = get_visible_or_404(
        Campaign.objects.select_related("org"), request.user, request=request, pk=campaign_id
    )
    batch, _, recomputed = services.save_batch(
        actor=request.user, campaign_id=campaign.pk, batch_id=batch_id, **payload.dict()
    )
    return _saved(request, campaign, batch, recomputed)


def _placement_out(result: batches.Placement) -> dict:
    return {
        "added": result.added,
        "moved": result.moved,
        "removed": result.removed,
        "conflicts": sorted(result.conflicts),
        "recomputed": result.recomputed,
    }


@router.post(
    "/campaigns/{campaign_id}/batch-rule", response={200: PlacementOut, **ERRORS}, tags=BATCHES
)
def apply_batch_rule(request, campaign_id: Id, payload: RuleIn):
    """Fill a batch by a rule; organisations in another batch are conflicts unless `move`."""
    data = payload.dict()
    result = services.apply_batch_rule(
        actor=request.user,
        campaign_id=campaign_id,
        batch_id=data.pop("batch_id"),
        move=data.pop("move"),
        rule=data,
    )
    return _placement_out(result)


@router.post(
    "/campaigns/{campaign_id}/batch-members", response={200: PlacementOut, **ERRORS}, tags=BATCHES
)
def place_in_batch(request, campaign_id: Id, payload: MembershipIn):
    """Move an organisation (with its subtree) into a batch by hand, or out of its batch."""
    if payload.batch_id is None:
        result = services.remove_from_batches(
            actor=request.user,
            campaign_id=campaign_id,
            org_id=payload.org_id,
            subtree=payload.subtree,
        )
    else:
        result = services.move_to_batch(
            actor=request.user,
            campaign_id=campaign_id,
            batch_id=payload.batch_id,
            org_id=payload.org_id,
            subtree=payload.subtree,
        )
    return _placement_out(result)


@router.get(
    "/campaigns/{campaign_id}/batch-coverage",
    response={200: CoverageOut, 404: ErrorOut},
    tags=BATCHES,
)
def batch_coverage(request, campaign_id: Id, limit: int = 100):
    """Who of the campaign's subtree is in no batch (counted by level, the first `limit` listed)
    and whom two batches' rules claim."""
    campaign = _visible_campaign(request, campaign_id)
    coverage = batches.coverage(campaign, request.user, limit=max(0, min(limit, 1000)))
    return {
        "organizations": coverage.total,
        "in_none": coverage.in_none,
        "in_none_by_level": coverage.in_none_by_level,
        "in_none_first": [_org_ref(o) for o in coverage.in_none_first],
        "conflicts": [
            {"org": _org_ref(o), "in_batch_id": inside.pk, "claimed_by_batch_id": claiming.pk}
            for o, inside, claiming in coverage.conflicts
        ],
    }
