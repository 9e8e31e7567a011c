from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over
from luoshi.campaigns import services
from luoshi.campaigns.models import Campaign
from luoshi.core.scoping import get_visible_or_404


@require_GET
def campaign_list(request):
    campaigns = Campaign.objects.visible_to(request.user).select_related("org")
    return render(request, "campaigns/list.html", {"campaigns": campaigns})


@require_GET
def campaign_detail(request, pk):
    campaign = get_visible_or_404(
        Campaign.objects.select_related("org"), request.user, request=request, pk=pk
    )
    categories = campaign.categories.filter(parent=None).prefetch_related("children")
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "categories": categories,
            "sources": campaign.sources.all(),
            "batches": campaign.batches.all(),
            "can_edit": has_role_over(request.user, campaign.org_path, Role.OFFICE, Role.ADMIN),
        },
    )


@require_POST
def vocabulary(request, pk):
    campaign = get_visible_or_404(Campaign.objects, request.user, request=request, pk=pk)
    what = request.POST.get("what")
    try:
        if what == "category":
            parent = request.POST.get("parent") or None
            services.add_category(
                actor=request.user,
                campaign_id=campaign.pk,
                name=request.POST.get("name", ""),
                parent_id=int(parent) if parent else None,
            )
        elif what == "rename":
            services.rename_category(
                actor=request.user,
                category_id=int(request.POST.get("category", 0)),
                name=request.POST.get("name", ""),
            )
        elif what == "source":
            services.add_source(
                actor=request.user, campaign_id=campaign.pk, name=request.POST.get("name", "")
            )
        else:
            raise services.CampaignError("未知操作")
    except (services.CampaignError, ValueError) as error:
        messages.error(request, str(error))
    except PermissionError:
        messages.error(request, "只有本级主题教育办公室可以修改问题类别和来源")
    else:
        messages.success(request, "已保存")
    return redirect("campaigns:detail", pk=campaign.pk)
