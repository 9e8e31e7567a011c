"""Writes to a campaign's settings: its vocabularies. Only the campaign office (or an admin) of
the organisation that runs the campaign may change them."""

from django.db import transaction

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import require_role_over
from luoshi.campaigns.models import Campaign, Category, ProblemSource
from luoshi.core.scoping import get_visible_or_404


class CampaignError(ValueError):
    pass


def _require_office(actor, campaign: Campaign) -> None:
    require_role_over(actor, campaign.org_path, Role.OFFICE, Role.ADMIN)


@transaction.atomic
def add_category(*, actor, campaign_id: int, name: str, parent_id: int | None = None) -> Category:
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    name = name.strip()
    if not name:
        raise CampaignError("请填写类别名称")
    parent = None
    if parent_id:
        parent = Category.objects.filter(campaign=campaign, pk=parent_id, parent=None).first()
        if parent is None:
            raise CampaignError("上级类别须是本次主题教育的一级类别")
    if Category.objects.filter(campaign=campaign, parent=parent, name=name).exists():
        raise CampaignError(f"类别“{name}”已存在")
    rank = Category.objects.filter(campaign=campaign, parent=parent).count()
    return Category.objects.create(campaign=campaign, parent=parent, name=name, rank=rank)


@transaction.atomic
def rename_category(*, actor, category_id: int, name: str) -> Category:
    category = Category.objects.select_related("campaign").filter(pk=category_id).first()
    if category is None:
        raise CampaignError("类别不存在")
    get_visible_or_404(Campaign.objects, actor, pk=category.campaign_id)
    _require_office(actor, category.campaign)
    if not name.strip():
        raise CampaignError("请填写类别名称")
    category.name = name.strip()
    category.save(update_fields=["name"])
    return category


@transaction.atomic
def add_source(*, actor, campaign_id: int, name: str) -> ProblemSource:
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    _require_office(actor, campaign)
    name = name.strip()
    if not name:
        raise CampaignError("请填写问题来源")
    if ProblemSource.objects.filter(campaign=campaign, name=name).exists():
        raise CampaignError(f"问题来源“{name}”已存在")
    rank = ProblemSource.objects.filter(campaign=campaign).count()
    return ProblemSource.objects.create(campaign=campaign, name=name, rank=rank)
