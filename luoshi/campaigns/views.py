from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts import selectors as account_selectors
from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over, may_keep_ledger, verifier_role
from luoshi.campaigns import batches as batch_rules
from luoshi.campaigns import lifecycle, presets, selectors, services
from luoshi.campaigns.models import ActionItem, BatchMember, Campaign, Proof
from luoshi.core.audit import record_event
from luoshi.core.errors import BadParameter, Conflict, Invalid, NotAllowed, status_for
from luoshi.core.files import CONTENT_TYPES, evidence_download
from luoshi.core.nodes import node_from_request
from luoshi.core.paging import page_of
from luoshi.core.params import date_param, id_param, int_param, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.core.xlsx import write_table
from luoshi.orgs.models import Organization, OrgKind, OrgLevel, UnitType


@require_GET
def campaign_list(request):
    campaigns = Campaign.objects.visible_to(request.user).select_related("org")
    return render(
        request,
        "campaigns/list.html",
        {
            "campaigns": campaigns,
            "can_create": selectors.launching_orgs(request.user).exists(),
        },
    )


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
            "key_action_count": campaign.key_actions.count(),
            "batches": _batches_seen(request.user, campaign),
            "can_edit": has_role_over(request.user, campaign.org_path, Role.OFFICE, Role.ADMIN),
            "state_note": lifecycle.STATE_NOTES[campaign.status],
            "statuses": Campaign.Status.choices,
            "next_step": lifecycle.next_step(campaign),
            "ended": campaign.status == Campaign.Status.ENDED,
        },
    )


# --- creating, editing and advancing a campaign ----------------------------------------------
def _campaign_fields(data) -> dict:
    """The form's fields as the services take them (BadParameter for a malformed date)."""
    return {
        "name": data.get("name", ""),
        "general_requirement": data.get("general_requirement", ""),
        "goals": data.get("goals", ""),
        "starts_on": date_param(data, "starts_on", label="开始日期"),
        "ends_on": date_param(data, "ends_on", label="结束日期"),
    }


def _preset_form(preset, org_id) -> dict:
    """The form's values prefilled from the preset (a period from today)."""
    today = timezone.localdate()
    return {
        "org": org_id,
        "preset": preset.key,
        "name": preset.name,
        "general_requirement": preset.general_requirement,
        "goals": "\n".join(preset.goals),
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=preset.period_days)).isoformat(),
    }


@require_http_methods(["GET", "POST"])
def campaign_new(request):
    """新建主题教育: choose the organisation (one the user runs the office of) and a preset, then
    the fields prefilled from the preset, editable."""
    orgs = list(selectors.launching_orgs(request.user))
    data = request.POST if request.method == "POST" else request.GET
    preset = presets.preset(data.get("preset", ""))
    org_id = id_param(data, "org", label="发起组织") or (orgs[0].pk if len(orgs) == 1 else None)
    context = {"orgs": orgs, "presets": presets.PRESETS.values(), "preset": preset}
    context["form"] = _preset_form(preset, org_id) if preset else {"org": org_id}
    status = 200 if orgs else 403
    if request.method == "POST":
        context["form"] = {**data.dict(), "org": org_id}
        try:
            campaign = services.create_campaign(
                actor=request.user,
                org=org_id,
                preset=data.get("preset", ""),
                **_campaign_fields(data),
            )
        except (Invalid, NotAllowed, BadParameter) as error:
            context["error"] = str(error)
            status = 400 if isinstance(error, BadParameter) else status_for(error)
        else:
            messages.success(
                request, f"已新建{campaign.name}（筹备阶段）。请检查问题类别和关键动作，然后启动"
            )
            return redirect("campaigns:detail", pk=campaign.pk)
    return render(request, "campaigns/new.html", context, status=status)


@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk):
    """Edit the campaign's name, 总要求, goals and period (its office only)."""
    campaign = _campaign(request, pk)
    form = {
        "name": campaign.name,
        "general_requirement": campaign.general_requirement,
        "goals": "\n".join(campaign.goals),
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(),
    }
    context = {
        "campaign": campaign,
        "form": form,
        "starts_locked": campaign.status != Campaign.Status.DRAFT,
    }
    status = 200
    if request.method == "POST":
        context["form"] = request.POST.dict()
        try:
            services.update_campaign(
                actor=request.user, campaign_id=campaign.pk, **_campaign_fields(request.POST)
            )
        except (Invalid, NotAllowed, BadParameter) as error:
            context["error"] = str(error)
            status = 400 if isinstance(error, BadParameter) else status_for(error)
        else:
            messages.success(request, "已保存")
            return redirect("campaigns:detail", pk=campaign.pk)
    elif not has_role_over(request.user, campaign.org_path, Role.OFFICE, Role.ADMIN):
        context["error"] = "只有本级主题教育办公室可以修改主题教育"
        status = 403
    elif campaign.status == Campaign.Status.ENDED:
        context["error"] = "主题教育已结束，不能再修改"
    return render(request, "campaigns/edit.html", context, status=status)


@require_POST
def campaign_advance(request, pk):
    campaign = _campaign(request, pk)
    action = request.POST.get("action", "")
    try:
        services.advance_campaign(actor=request.user, campaign_id=campaign.pk, action=action)
    except (Invalid, NotAllowed, Conflict) as error:
        messages.error(request, str(error))
    else:
        step = lifecycle.STEPS[action]
        messages.success(
            request, f"已{step.label}：{Campaign.Status(step.target).label}阶段。{step.explains}"
        )
    return redirect("campaigns:detail", pk=campaign.pk)


def _batches_seen(user, campaign) -> list:
    """The campaign's batches, each with the number of its organisations the user sees."""
    found = []
    for figures in batch_rules.coverage(campaign, user, limit=0).batches:
        figures.batch.member_count = figures.total
        found.append(figures.batch)
    return found


@require_POST
def vocabulary(request, pk):
    campaign = get_visible_or_404(Campaign.objects, request.user, request=request, pk=pk)
    what = request.POST.get("what")
    try:
        if what == "category":
            services.add_category(
                actor=request.user,
                campaign_id=campaign.pk,
                name=request.POST.get("name", ""),
                parent_id=id_param(request.POST, "parent", label="上级类别"),
            )
        elif what == "rename":
            services.rename_category(
                actor=request.user,
                category_id=id_param(request.POST, "category") or 0,
                name=request.POST.get("name", ""),
            )
        elif what == "source":
            services.add_source(
                actor=request.user, campaign_id=campaign.pk, name=request.POST.get("name", "")
            )
        else:
            raise Invalid("未知操作")
    except NotAllowed:
        messages.error(request, "只有本级主题教育办公室可以修改问题类别和来源")
    except (Invalid, BadParameter) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "已保存")
    return redirect("campaigns:detail", pk=campaign.pk)


# --- key actions -----------------------------------------------------------------------------
ITEMS_PER_PAGE = 50


def _campaign(request, pk):
    return get_visible_or_404(
        Campaign.objects.select_related("org"), request.user, request=request, pk=pk
    )


@require_GET
def key_actions(request, pk):
    """The level above's view: progress of each key action over the subtree, and who has not
    done what (overdue first)."""
    campaign = _campaign(request, pk)
    node = node_from_request(request, within=campaign.org_path)
    action_id = id_param(request.GET, "action")
    overdue_only = request.GET.get("overdue") == "1"
    items = selectors.pending_items(
        request.user, campaign, node.path, action_id=action_id, overdue_only=overdue_only
    )
    page = page_of(items, page_param(request.GET), ITEMS_PER_PAGE)
    return render(
        request,
        "campaigns/key_actions.html",
        {
            "campaign": campaign,
            "node": node,
            "progress": selectors.action_progress(campaign, node.path),
            "page": page,
            "action_id": "" if action_id is None else str(action_id),
            "overdue_only": overdue_only,
            "kinds": OrgKind.choices,
            "proofs": Proof.choices,
            "batches": campaign.batches.all(),
            "can_edit": has_role_over(request.user, campaign.org_path, Role.OFFICE, Role.ADMIN),
            "query": urlencode(
                {"org": node.pk, "action": action_id or "", "overdue": "1" if overdue_only else ""}
            ),
            "today": timezone.localdate(),
        },
    )


@require_POST
def define_action(request, pk):
    campaign = _campaign(request, pk)
    due = date_param(request.POST, "due_on")
    days = int_param(request.POST, "due_days", max=services.MAX_DUE_DAYS, label="批次开始后天数")
    if due is None and days is None:
        messages.error(request, "请填写完成时限，或批次开始后天数")
        return redirect("campaigns:key_actions", pk=campaign.pk)
    try:
        action = services.define_key_action(
            actor=request.user,
            campaign_id=campaign.pk,
            name=request.POST.get("name", ""),
            due_on=due,
            due_days=days,
            proof=request.POST.get("proof", Proof.MANUAL),
            kinds=request.POST.getlist("kinds"),
            evidence_required=request.POST.get("evidence_required", ""),
            batch_id=id_param(request.POST, "batch"),
        )
    except Invalid as error:
        messages.error(request, str(error))
    except NotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已添加关键动作“{action.name}”，部署后各组织即可见")
    return redirect("campaigns:key_actions", pk=campaign.pk)


@require_POST
def launch(request, pk):
    campaign = _campaign(request, pk)
    try:
        created = services.launch_key_actions(
            actor=request.user, campaign_id=campaign.pk, batch_id=id_param(request.POST, "batch")
        )
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已部署：新增 {created} 项关键动作任务")
    return redirect("campaigns:key_actions", pk=campaign.pk)


@require_GET
def checklist(request, org_pk):
    """An organisation's own checklist, with the forms to mark items done."""
    org = get_visible_or_404(Organization.objects, request.user, request=request, pk=org_pk)
    items = list(selectors.checklist(request.user, org))
    may_mark = may_keep_ledger(request.user, org.path)
    may_send_back = verifier_role(request.user, org.path) is not None
    for item in items:
        item.can_mark = may_mark and item.state == ActionItem.State.PENDING
        item.can_reopen = may_send_back and item.state == ActionItem.State.DONE
    memberships = BatchMember.objects.filter(
        org=org, campaign_id__in={item.action.campaign_id for item in items}
    ).select_related("batch", "campaign")
    return render(
        request,
        "campaigns/checklist.html",
        {"org": org, "items": items, "today": timezone.localdate(), "memberships": memberships},
    )


@require_POST
def action_done(request, pk):
    item = get_visible_or_404(ActionItem.objects, request.user, request=request, pk=pk)
    done_on = date_param(request.POST, "done_on", default=timezone.localdate())
    try:
        services.mark_action_done(
            actor=request.user,
            item_id=item.pk,
            done_on=done_on,
            note=request.POST.get("note", ""),
            upload=request.FILES.get("evidence"),
        )
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "已标记完成")
    return redirect("campaigns:checklist", org_pk=item.org_id)


@require_POST
def action_reopen(request, pk):
    item = get_visible_or_404(ActionItem.objects, request.user, request=request, pk=pk)
    try:
        services.reopen_action(
            actor=request.user, item_id=item.pk, reason=request.POST.get("reason", "")
        )
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "已退回，该组织须重新完成")
    return redirect("campaigns:checklist", org_pk=item.org_id)


@require_GET
def action_evidence(request, pk):
    item = get_visible_or_404(ActionItem.objects, request.user, request=request, pk=pk)
    return evidence_download(item.evidence_stored, item.evidence_name, item.evidence_kind)


@require_GET
def key_actions_export(request, pk):
    """关键动作推进情况表: a row per organisation in the subtree, a column per key action."""
    campaign = _campaign(request, pk)
    node = node_from_request(request, within=campaign.org_path)
    actions = list(campaign.key_actions.all())
    table = selectors.status_table(request.user, campaign, node.path)
    today = timezone.localdate()

    def mark(item):
        if item is None:
            return "—"
        if item["state"] == ActionItem.State.DONE:
            return f"已完成 {item['done_on']:%m-%d}"
        return "逾期未完成" if item["due_on"] < today else "未完成"

    rows = (
        (n, org_name, *(mark(items.get(a.pk)) for a in actions))
        for n, (org_name, items) in enumerate(table, start=1)
    )
    response = HttpResponse(content_type=CONTENT_TYPES["xlsx"])
    write_table(
        response,
        title=f"{campaign.name}关键动作推进情况表",
        unit=node.name,
        columns=[("序号", 6), ("党组织", 30), *((a.name, 12) for a in actions)],
        rows=rows,
        sheet="关键动作",
    )
    record_event(
        "export", user=request.user, request=request, org_path=node.path, target="关键动作"
    )
    filename = f"关键动作推进情况表-{node.display_name}-{today:%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


# --- batches (批次) ----------------------------------------------------------------------------
@require_GET
def batches_page(request, pk):
    """The batches of a campaign: each with its dates, its organisations by level and the
    warning when it is short; who is in no batch, who two batches' rules claim; the forms that
    fill them (the campaign office's)."""
    campaign = _campaign(request, pk)
    coverage = batch_rules.coverage(campaign, request.user)
    root_level = campaign.org.level
    for figures in coverage.batches:
        figures.rule_label = batch_rules.rule_label(figures.batch.rule, root_level)
        figures.levels = [(batch_rules.level_label(k), n) for k, n in figures.by_level.items()]
    return render(
        request,
        "campaigns/batches.html",
        {
            "campaign": campaign,
            "coverage": coverage,
            "in_none_levels": [
                (batch_rules.level_label(k), n) for k, n in coverage.in_none_by_level.items()
            ],
            "own_label": batch_rules.rule_label({"kind": batch_rules.OWN_UNITS}, root_level),
            "rest_label": batch_rules.rule_label({"kind": batch_rules.REST}, root_level),
            "unit_types": UnitType.choices,
            "default_unit_types": [str(u) for u in batch_rules.OWN_UNIT_TYPES],
            "levels": [(v, label) for v, label in OrgLevel.choices if v > root_level],
            "kinds": OrgKind.choices,
            "can_edit": has_role_over(request.user, campaign.org_path, Role.OFFICE, Role.ADMIN),
        },
    )


def _batch_done(request, campaign, run):
    """Run a batch service, flash its refusal or its message, back to the batches page."""
    try:
        message = run()
    except (Invalid, NotAllowed, BadParameter) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, message)
    return redirect("campaigns:batches", pk=campaign.pk)


@require_POST
def batch_save(request, pk):
    campaign = _campaign(request, pk)

    def run():
        batch, warning, recomputed = services.save_batch(
            actor=request.user,
            campaign_id=campaign.pk,
            batch_id=id_param(request.POST, "batch"),
            name=request.POST.get("name", ""),
            starts_on=date_param(request.POST, "starts_on", label="开始日期"),
            ends_on=date_param(request.POST, "ends_on", label="结束日期"),
        )
        if warning:
            messages.warning(request, f"{warning}，请确认")
        note = f"；{recomputed} 项未完成关键动作的完成时限已按新的开始日期重新计算"
        return f"已保存{batch.name}{note if recomputed else ''}"

    return _batch_done(request, campaign, run)


def _placement_note(result) -> str:
    if not result.recomputed:
        return ""
    return f"；{result.recomputed} 项未完成关键动作的完成时限已按所在批次的开始日期重新计算"


@require_POST
def batch_rule(request, pk):
    campaign = _campaign(request, pk)

    def run():
        rule = {
            "kind": request.POST.get("kind"),
            "unit_types": request.POST.getlist("unit_types"),
            "levels": request.POST.getlist("levels"),
            "kinds": request.POST.getlist("kinds"),
            "with_root": request.POST.get("with_root") == "1",
        }
        result = services.apply_batch_rule(
            actor=request.user,
            campaign_id=campaign.pk,
            batch_id=id_param(request.POST, "batch"),
            rule=rule,
            move=request.POST.get("move") == "1",
        )
        said = (
            f"已按规则划入{result.batch_name}：新增 {result.added} 个组织，"
            f"由其他批次移入 {result.moved} 个"
        )
        if result.conflicts:
            messages.warning(
                request,
                f"{len(result.conflicts)} 个组织已在其他批次，未移动（见“重复划入”）；"
                "如需移入本批次，请勾选“移入已在其他批次的组织”后再次执行",
            )
        return said + _placement_note(result)

    return _batch_done(request, campaign, run)


@require_POST
def batch_place(request, pk):
    """Hand adjustment: move an organisation (with its subtree) into a batch, or take it out."""
    campaign = _campaign(request, pk)

    def run():
        text = request.POST.get("org", "").strip()
        if not text:
            raise Invalid("请填写组织名称或代码")
        org = account_selectors.organisation_named(request.user, text)
        if org is None:  # a part of a name that only one organisation has
            found = list(account_selectors.organisations_for(request.user, text, limit=2))
            org = found[0] if len(found) == 1 else None
        if org is None:
            raise Invalid(f"找不到组织“{text}”，请从候选中选择本次主题教育范围内的组织")
        subtree = request.POST.get("subtree", "1") == "1"
        if request.POST.get("action") == "remove":
            result = services.remove_from_batches(
                actor=request.user, campaign_id=campaign.pk, org_id=org.pk, subtree=subtree
            )
            return f"已将“{org.name}”等 {result.removed} 个组织移出批次" + _placement_note(result)
        result = services.move_to_batch(
            actor=request.user,
            campaign_id=campaign.pk,
            batch_id=id_param(request.POST, "batch"),
            org_id=org.pk,
            subtree=subtree,
        )
        return (
            f"已将“{org.name}”划入{result.batch_name}：新增 {result.added} 个，"
            f"由其他批次移入 {result.moved} 个" + _placement_note(result)
        )

    return _batch_done(request, campaign, run)
