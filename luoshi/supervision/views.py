from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over
from luoshi.campaigns.models import Campaign
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.paging import page_of
from luoshi.core.params import date_param, id_param, ids_param, int_param, next_url, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization, OrgLevel
from luoshi.rectification.selectors import visible_campaigns
from luoshi.supervision import ladder, periods, selectors, services
from luoshi.supervision.models import (
    Escalation,
    EscalationState,
    Period,
    ReportDemand,
    ReportKind,
    Senders,
    Step,
    Submission,
)

REFUSED = (Invalid, NotAllowed)


def _as_of(request):
    """查看历史: the day a page shows its facts as of (None: now); never after today."""
    return date_param(request.GET, "as_of", latest=timezone.localdate(), label="查看日期")


@require_GET
def escalation_list(request):
    step, state = request.GET.get("step", ""), request.GET.get("state", "")
    as_of = _as_of(request)
    rows = selectors.escalations(request.user, step=step, state=state, as_of=as_of)
    page = page_of(rows, page_param(request.GET), 50)
    for e in page.rows:
        e.state_label = EscalationState(e.state_then).label
    return render(
        request,
        "supervision/escalations.html",
        {
            "page": page,
            "step": step,
            "state": state,
            "as_of": as_of,
            "steps": Step.choices,
            "states": EscalationState.choices,
            "campaigns": visible_campaigns(request.user),
        },
    )


@require_POST
def remind_many(request):
    """批量提醒 the owners of the measures ticked on the work page or the filtered ledger; says
    how many were reminded and each one refused (which measure, why)."""
    ids = ids_param(request.POST, "measure")
    back = next_url(request, reverse("rectification:my_work"))
    if not ids:
        messages.error(request, "请先勾选要提醒的整改措施")
        return redirect(back)
    result = services.remind_measures(actor=request.user, measure_ids=ids)
    if result.reminded:
        messages.success(
            request,
            f"已提醒 {len(result.reminded)} 条整改措施，{result.people} 位责任人收到站内消息",
        )
    for reason in result.refused:
        messages.error(request, f"未提醒：{reason}")
    return redirect(back)


@require_GET
def escalation_detail(request, pk):
    escalation = get_visible_or_404(
        Escalation.objects.select_related("measure__problem", "org", "to_org", "campaign"),
        request.user,
        request=request,
        pk=pk,
    )
    return render(
        request,
        "supervision/escalation.html",
        {"e": escalation, "may_reply": selectors.may_reply(request.user, escalation)},
    )


@require_POST
def escalation_reply(request, pk):
    get_visible_or_404(Escalation.objects, request.user, request=request, pk=pk)
    try:
        services.reply_escalation(
            actor=request.user, escalation_id=pk, text=request.POST.get("text", "")
        )
    except REFUSED as refused:
        messages.error(request, f"{refused}，未回复")
    else:
        messages.success(request, "已回复督办单")
    return redirect("supervision:escalation", pk=pk)


@require_http_methods(["GET", "POST"])
def rules(request, pk):
    campaign = get_visible_or_404(Campaign.objects, request.user, request=request, pk=pk)
    if request.method == "POST":
        try:
            services.save_rule(
                actor=request.user,
                campaign_id=campaign.pk,
                step=request.POST.get("step", ""),
                days=int_param(request.POST, "days", default=0, max=10_000, label="天数"),
                reply_days=int_param(
                    request.POST, "reply_days", default=0, max=10_000, label="回复期限"
                ),
                active=request.POST.get("active") == "1",
            )
        except REFUSED as refused:
            messages.error(request, f"{refused}，未保存")
        else:
            messages.success(request, "督办规则已保存")
        return redirect("supervision:rules", pk=campaign.pk)
    may_edit = has_role_over(request.user, campaign.org_path, Role.OFFICE, Role.ADMIN)
    return render(
        request,
        "supervision/rules.html",
        {"campaign": campaign, "rules": ladder.rules_of(campaign), "may_edit": may_edit},
    )


# --- inbox --------------------------------------------------------------------------------
@require_GET
def inbox(request):
    page = page_of(selectors.inbox(request.user), page_param(request.GET), 50)
    return render(request, "supervision/inbox.html", {"page": page})


@require_POST
def mark_read(request, pk):
    services.mark_read(actor=request.user, notification_id=pk)
    return redirect("supervision:inbox")


@require_POST
def mark_all_read(request):
    n = services.mark_read(actor=request.user)
    messages.success(request, f"已将 {n} 条消息标为已读")
    return redirect("supervision:inbox")


# --- reporting upward ---------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def demand_list(request):
    campaigns = visible_campaigns(request.user)
    if request.method == "POST":
        return _create_demand(request, campaigns)
    offices = [
        o
        for o in Organization.objects.visible_to(request.user).order_by("path")[:200]
        if has_role_over(request.user, o.path, Role.OFFICE, Role.ADMIN)
    ][:50]
    return render(
        request,
        "supervision/demands.html",
        {
            "demands": selectors.demands(request.user).order_by("org_path", "id")[:200],
            "campaigns": campaigns,
            "offices": offices,
            "kinds": ReportKind.choices,
            "periods": Period.choices,
            "senders": Senders.choices,
            "levels": OrgLevel.choices[1:],
        },
    )


def _create_demand(request, campaigns):
    org_id, campaign_id = id_param(request.POST, "org"), id_param(request.POST, "campaign")
    org = Organization.objects.visible_to(request.user).filter(pk=org_id).first()
    campaign = next((c for c in campaigns if c.pk == campaign_id), None)
    try:
        if org is None or campaign is None:
            raise Invalid("请选择本级组织和主题教育")
        first_due_on = date_param(request.POST, "first_due_on", label="首次截止日期")
        if first_due_on is None:
            raise Invalid("请填写首次报送截止日期")
        keys = [k.strip() for k in request.POST.get("figure_keys", "").split(",") if k.strip()]
        senders = request.POST.get("senders") or Senders.CHILDREN
        demand = services.create_demand(
            actor=request.user,
            org=org,
            campaign=campaign,
            title=request.POST.get("title", ""),
            kind=request.POST.get("kind", ""),
            period=request.POST.get("period", ""),
            first_due_on=first_due_on,
            batch=campaign.batches.filter(pk=id_param(request.POST, "batch")).first(),
            figure_keys=keys[:30],
            senders=senders,
            sender_level=int_param(
                request.POST, "sender_level", default=0, max=9, label="报送层级"
            ),
            sender_list=_orgs_by_code(request, request.POST.get("sender_codes", ""))
            if senders == Senders.LIST
            else [],
        )
    except REFUSED as refused:
        messages.error(request, f"{refused}，未保存")
        return redirect("supervision:demands")
    messages.success(request, "报送要求已设置")
    return redirect("supervision:demand", pk=demand.pk)


def _orgs_by_code(request, text: str) -> list[Organization]:
    """The organisations named by code (one a line or separated by commas) that the user sees;
    a code not found is said."""
    codes = [c.strip() for c in text.replace(",", "\n").replace("，", "\n").split() if c.strip()]
    found = list(Organization.objects.visible_to(request.user).filter(code__in=codes[:500]))
    missing = sorted(set(codes) - {o.code for o in found})
    if missing:
        raise Invalid(f"没有这些组织代码：{'、'.join(missing[:5])}")
    return found


@require_GET
def demand_detail(request, pk):
    demand = get_visible_or_404(
        ReportDemand.objects.select_related("campaign", "org", "batch"),
        request.user,
        request=request,
        pk=pk,
    )
    as_of = _as_of(request)
    today = as_of or timezone.localdate()
    choices = periods.deadlines(demand, today)
    period = date_param(request.GET, "period") or selectors.default_period(demand, today)
    if period not in choices:
        period = selectors.default_period(demand, today)
    rows = selectors.demand_status(request.user, demand, period, today, as_of=as_of)
    return render(
        request,
        "supervision/demand.html",
        {
            "demand": demand,
            "period": period,
            "choices": choices,
            "rows": rows,
            "missing": [r for r in rows if r.submission is None],
            "late": [r for r in rows if r.submission is None and r.late],
            "history": selectors.labelled(
                selectors.history(request.user, demand, as_of=as_of)[:100]
            ),
            "as_of": as_of,
            "my_orgs": [] if as_of else selectors.sender_orgs(request.user, demand),
            "may_decide": has_role_over(request.user, demand.org_path, Role.OFFICE, Role.ADMIN),
        },
    )


@require_POST
def demand_submit(request, pk):
    demand = get_visible_or_404(ReportDemand.objects, request.user, request=request, pk=pk)
    org = get_visible_or_404(
        Organization.objects, request.user, request=request, pk=id_param(request.POST, "org") or 0
    )
    try:
        services.submit_report(
            actor=request.user, demand_id=demand.pk, org=org, text=request.POST.get("text", "")
        )
    except REFUSED as refused:
        messages.error(request, f"{refused}，未报送")
    else:
        messages.success(request, "已报送，报送的数字已存档，之后的变化不会改变它")
    return redirect("supervision:demand", pk=demand.pk)


@require_GET
def submission_detail(request, pk):
    submission = get_visible_or_404(
        Submission.objects.select_related("demand", "org", "snapshot", "submitted_by"),
        request.user,
        request=request,
        pk=pk,
    )
    return render(
        request,
        "supervision/submission.html",
        {
            "s": submission,
            "node": submission.snapshot.figures.get("node", {}),
            "may_decide": has_role_over(
                request.user, submission.demand.org_path, Role.OFFICE, Role.ADMIN
            ),
        },
    )


@require_POST
def submission_decide(request, pk):
    get_visible_or_404(Submission.objects, request.user, request=request, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action not in ("receive", "return"):
            raise Invalid("请选择接收或退回")
        services.decide_submission(
            actor=request.user,
            submission_id=pk,
            receive=action == "receive",
            reason=request.POST.get("reason", ""),
        )
    except REFUSED as refused:
        messages.error(request, f"{refused}，未处理")
    else:
        messages.success(request, "已接收" if action == "receive" else "已退回，报送单位可重新报送")
    return redirect("supervision:submission", pk=pk)
