from datetime import date

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from luoshi.campaigns import selectors, services
from luoshi.campaigns.models import ActionItem, Campaign
from luoshi.core.api_schemas import ErrorOut, Id
from luoshi.core.paging import bounded
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization

router = Router(tags=["关键动作"])


class ActionProgressOut(Schema):
    action_id: int
    name: str
    due_on: date
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
