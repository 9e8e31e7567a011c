"""Pages of 软弱涣散党组织整顿: thin, each a selector or a service call. A refused change is
shown on the page it was made from, with what was typed, and answered 400/403."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.permissions import has_role_over
from luoshi.core.audit import record_event
from luoshi.core.errors import BadParameter, DomainError, Invalid, status_for
from luoshi.core.files import CONTENT_TYPES, evidence_download
from luoshi.core.nodes import node_from_request
from luoshi.core.paging import page_of
from luoshi.core.params import date_param, int_param, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.rectification.selectors import visible_campaigns
from luoshi.weakorgs import exports, reasons, rules, selectors, services
from luoshi.weakorgs.models import (
    SUPPORTS,
    Acceptance,
    AcceptanceResult,
    CaseState,
    Milestone,
    WeakOrgCase,
    WeakReason,
)

PER_PAGE = 30


@require_GET
def case_list(request):
    node = node_from_request(request)
    year = int_param(request.GET, "year", default=0, min=0, max=2100, label="整顿年度")
    state = request.GET.get("state", "")
    support = request.GET.get("support", "")
    text = request.GET.get("q", "").strip()[:60]
    rows = selectors.cases(request.user, node.path, year=year, state=state, support=support, q=text)
    query = {"org": node.pk, "year": year or "", "state": state, "support": support, "q": text}
    return render(
        request,
        "weakorgs/list.html",
        {
            "node": node,
            "figures": selectors.weak_org_figures(node.path),
            "current_year": selectors.current_year(),
            "page": page_of(rows, page_param(request.GET), PER_PAGE),
            "years": selectors.years(request.user, node.path),
            "year": year,
            "state": state,
            "states": CaseState.choices,
            "support": support,
            "supports": selectors.COMPLETENESS.items(),
            "text": text,
            "query": urlencode({k: v for k, v in query.items() if v}),
            "can_list": has_role_over(request.user, node.path, *rules.ABOVE),
            "may_edit_reasons": rules.may_edit_vocabulary(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def reason_list(request):
    """The categories of 软弱涣散: add one, stop or resume offering one."""
    reasons.ensure_standard()
    error, status = None, 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "add":
                services.add_reason(actor=request.user, name=request.POST.get("name", "")[:100])
            else:
                services.set_reason_active(
                    actor=request.user,
                    reason_id=int_param(request.POST, "reason", default=0, max=2**31),
                    active=request.POST.get("action") == "enable",
                )
        except DomainError as refused:
            error, status = str(refused), status_for(refused)
        else:
            messages.success(request, "软弱涣散类型已保存")
            return redirect("weakorgs:reasons")
    return render(
        request,
        "weakorgs/reasons.html",
        {
            "reasons": WeakReason.objects.all(),
            "may_edit": rules.may_edit_vocabulary(request.user),
            "error": error,
            "posted": request.POST,
        },
        status=status,
    )


@require_GET
def org_options(request):
    """<option>s of the grass-roots organisations in scope matching ?q= (the picker)."""
    orgs = selectors.listable_organizations(
        request.user, (request.GET.get("q") or request.GET.get("org", ""))[:60]
    )
    return render(request, "weakorgs/_org_options.html", {"orgs": orgs})


def _campaigns(user):
    return list(visible_campaigns(user))


@require_http_methods(["GET", "POST"])
def case_new(request):
    vocabulary = reasons.ensure_standard()
    campaigns = _campaigns(request.user)
    today = timezone.localdate()
    posted = request.POST
    error, status = None, 200
    if request.method == "POST":
        try:
            case = _list_from_post(request, campaigns, today)
        except (DomainError, BadParameter) as refused:
            error = str(refused)
            status = status_for(refused) if isinstance(refused, DomainError) else 400
        else:
            messages.success(request, f"已将{case.org.name}列入{case.year}年软弱涣散党组织整顿名单")
            return redirect("weakorgs:case", pk=case.pk)
    return render(
        request,
        "weakorgs/new.html",
        {
            "reasons": vocabulary,
            "campaigns": campaigns,
            "today": today,
            "posted": posted,
            "chosen_reasons": [int(r) for r in posted.getlist("reasons") if r.isdigit()],
            "error": error,
        },
        status=status,
    )


def _list_from_post(request, campaigns, today):
    post = request.POST
    org = selectors.organization_named(request.user, post.get("org", ""))
    if org is None:
        raise Invalid("找不到该组织，请输入本级及下级范围内基层党组织的名称或代码，并从列表中选择")
    campaign_id = int_param(post, "campaign", default=0, min=0, max=2**63 - 1)
    campaign = next((c for c in campaigns if c.pk == campaign_id), None)
    if campaign_id and campaign is None:
        raise Invalid("所选主题教育不在您的范围内")
    return services.list_organization(
        actor=request.user,
        org=org,
        year=int_param(post, "year", default=today.year, min=0, max=9999, label="整顿年度"),
        reasons=[int(r) for r in post.getlist("reasons") if r.isdigit()],
        listed_on=date_param(post, "listed_on", default=today, label="列入日期"),
        campaign=campaign,
        situation=post.get("situation", "")[:2000],
    )


def _case(request, pk) -> WeakOrgCase:
    cases = WeakOrgCase.objects.select_related("org", "campaign", "listed_by_org")
    return get_visible_or_404(cases, request.user, request=request, pk=pk)


def _case_page(request, case, *, error=None, form="", status=200):
    user = request.user
    refusal = rules.acceptance_refusal(user, case)
    may_accept = bool(rules.offices_above(user, case.org_path)) and case.state == CaseState.LISTED
    return render(
        request,
        "weakorgs/case.html",
        {
            "case": case,
            "reasons": case.reasons.all(),
            "supports": case.supports,
            "missing": case.missing_supports,
            "measures": selectors.plan_measures(user, case),
            "milestones": case.milestones.all(),
            "progress": case.progress.all(),
            "acceptances": case.acceptances.select_related("accepted_by_org"),
            "events": case.events.all(),
            "earlier": selectors.earlier_rounds(user, case),
            "can_support": rules.may_set_support(user, case),
            "can_work": rules.may_record_work(user, case) and case.state == CaseState.LISTED,
            "may_accept": may_accept,
            "accept_refusal": str(refusal) if may_accept and refusal else "",
            "results": AcceptanceResult.choices,
            "today": timezone.localdate(),
            "error": error,
            "form": form,
            "posted": request.POST if error else {},
        },
        status=status,
    )


@require_GET
def case_detail(request, pk):
    return _case_page(request, _case(request, pk))


def _refused(request, case, refused, form: str):
    status = status_for(refused) if isinstance(refused, DomainError) else 400
    return _case_page(request, case, error=str(refused), form=form, status=status)


@require_http_methods(["GET", "POST"])
def support(request, pk):
    case = _case(request, pk)
    error, status = None, 200
    if request.method == "POST":
        fields = {}
        for f, _ in SUPPORTS:
            fields[f] = request.POST.get(f, "")[:200]
            fields[f"{f}_phone"] = request.POST.get(f"{f}_phone", "")[:40]
        try:
            services.set_support(
                actor=request.user,
                case_id=case.pk,
                version=int_param(request.POST, "version", default=0, max=2**31),
                **fields,
            )
        except DomainError as refused:
            error, status = str(refused), status_for(refused)
        else:
            messages.success(request, "“四个一”帮扶力量已保存")
            return redirect("weakorgs:case", pk=case.pk)
    values = request.POST if request.method == "POST" else None
    rows = [
        {
            **s,
            "name": values.get(s["field"], "") if values else s["name"],
            "phone": values.get(f"{s['field']}_phone", "") if values else s["phone"],
        }
        for s in case.supports
    ]
    return render(
        request,
        "weakorgs/support.html",
        {
            "case": case,
            "rows": rows,
            "error": error,
            "may": rules.may_set_support(request.user, case),
        },
        status=status,
    )


@require_POST
def milestone_add(request, pk):
    case = _case(request, pk)
    try:
        services.add_milestone(
            actor=request.user,
            case_id=case.pk,
            title=request.POST.get("title", "")[:200],
            due_on=date_param(request.POST, "due_on", label="完成时限") or _missing("完成时限"),
        )
    except (DomainError, BadParameter) as refused:
        return _refused(request, case, refused, "milestone")
    messages.success(request, "时间节点已添加")
    return redirect("weakorgs:case", pk=case.pk)


def _missing(label: str):
    raise Invalid(f"请填写{label}")


@require_POST
def milestone_done(request, pk):
    milestone = get_visible_or_404(
        Milestone.objects.select_related("case"), request.user, request=request, pk=pk
    )
    try:
        services.complete_milestone(
            actor=request.user,
            milestone_id=milestone.pk,
            done_on=date_param(request.POST, "done_on", default=timezone.localdate()),
        )
    except (DomainError, BadParameter) as refused:
        return _refused(request, _case(request, milestone.case_id), refused, "milestone")
    messages.success(request, "已标记完成")
    return redirect("weakorgs:case", pk=milestone.case_id)


@require_POST
def progress_add(request, pk):
    case = _case(request, pk)
    try:
        month = request.POST.get("month", "")
        services.add_progress(
            actor=request.user,
            case_id=case.pk,
            month=date_param({"month": f"{month}-01" if month else ""}, "month", label="月份")
            or _missing("月份"),
            text=request.POST.get("text", "")[:5000],
        )
    except (DomainError, BadParameter) as refused:
        return _refused(request, case, refused, "progress")
    messages.success(request, "月度进展已填报")
    return redirect("weakorgs:case", pk=case.pk)


@require_POST
def plan_add(request, pk):
    case = _case(request, pk)
    try:
        services.add_plan_problem(
            actor=request.user,
            case_id=case.pk,
            title=request.POST.get("title", "")[:300],
            measure=request.POST.get("measure", "")[:5000],
            due_on=date_param(request.POST, "due_on", label="完成时限"),
            owner_name=request.POST.get("owner_name", "")[:60],
        )
    except (DomainError, BadParameter) as refused:
        return _refused(request, case, refused, "plan")
    messages.success(request, "整顿问题和措施已列入问题清单")
    return redirect("weakorgs:case", pk=case.pk)


@require_POST
def accept(request, pk):
    case = _case(request, pk)
    try:
        acceptance = services.accept_case(
            actor=request.user,
            case_id=case.pk,
            result=request.POST.get("result", ""),
            accepted_on=date_param(request.POST, "accepted_on", label="验收日期")
            or _missing("验收日期"),
            note=request.POST.get("note", "")[:5000],
            accepted_by_name=request.POST.get("accepted_by_name", "")[:60],
            upload=request.FILES.get("evidence"),
        )
    except (DomainError, BadParameter) as refused:
        return _refused(request, case, refused, "accept")
    messages.success(request, f"验收结果已记录：{acceptance.get_result_display()}")
    return redirect("weakorgs:case", pk=case.pk)


@require_GET
def acceptance_file(request, pk):
    item = get_visible_or_404(Acceptance.objects, request.user, request=request, pk=pk)
    return evidence_download(item.stored_name, item.original_name, item.kind)


@require_GET
def export(request):
    """软弱涣散党组织整顿台账 of the subtree, in the layout offices submit."""
    node = node_from_request(request)
    year = int_param(request.GET, "year", default=0, min=0, max=2100, label="整顿年度")
    rows = selectors.cases(request.user, node.path, year=year or selectors.current_year())
    response = HttpResponse(content_type=CONTENT_TYPES["xlsx"])
    exports.write_ledger(response, node=node, year=year or selectors.current_year(), cases=rows)
    record_event(
        "export", user=request.user, request=request, org_path=node.path, target="软弱涣散整顿台账"
    )
    filename = f"软弱涣散党组织整顿台账-{node.display_name}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
