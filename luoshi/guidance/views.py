"""The guidance pages: thin, each a selector or a service call. A refused change is said on the
form (or flashed) with the status of core.errors.status_for; a foreign id is a 404."""

from datetime import timedelta

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.permissions import account_admin_paths
from luoshi.core.errors import DomainError, Invalid, status_for
from luoshi.core.nodes import node_from_request
from luoshi.core.paging import page_of
from luoshi.core.params import id_param, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.guidance import rules, selectors, services, word
from luoshi.guidance.forms import (
    CheckForm,
    CircularForm,
    FeedBackForm,
    GroupChangeForm,
    GroupForm,
    InspectionForm,
    NotesForm,
    ReplyForm,
    words,
)
from luoshi.guidance.models import CircularState, Finding, FindingState
from luoshi.orgs.models import Organization
from luoshi.rectification.selectors import visible_campaigns

PER_PAGE = 30
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _orgs_by_code(user, text: str, label: str) -> list[Organization]:
    codes = words(text)
    found = {o.code: o for o in Organization.objects.visible_to(user).filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise Invalid(f"{label}中没有这些组织代码（或不在您的范围内）：{'、'.join(missing)}")
    return [found[c] for c in dict.fromkeys(codes)]


# --- groups ------------------------------------------------------------------------------------
@require_GET
def group_list(request):
    groups = selectors.visible_groups(request.user).select_related("campaign", "leader")
    return render(
        request,
        "guidance/groups.html",
        {
            "groups": groups.prefetch_related("subtrees", "members").order_by("-starts_on", "id"),
            "can_set_up": bool(account_admin_paths(request.user)),
            "today": timezone.localdate(),
        },
    )


@require_http_methods(["GET", "POST"])
def group_new(request):
    node = node_from_request(request)
    campaigns = [c for c in visible_campaigns(request.user) if node.path.startswith(c.org_path)]
    form = GroupForm(request.POST or None)
    form.fields["campaign"].choices = [(c.pk, c.name) for c in campaigns]
    if not request.POST and campaigns:
        form.initial.update(starts_on=campaigns[0].starts_on, ends_on=campaigns[0].ends_on)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                group = services.create_group(
                    actor=request.user,
                    campaign=next(c for c in campaigns if c.pk == data["campaign"]),
                    org=node,
                    name=data["name"],
                    leader=data["leader"],
                    members=words(data["members"]),
                    subtrees=_orgs_by_code(request.user, data["subtrees"], "指导范围"),
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = status_for(error)
            else:
                messages.success(request, "指导组已设立")
                return redirect("guidance:group", pk=group.pk)
    return render(request, "guidance/group_form.html", {"form": form, "node": node}, status=status)


@require_GET
def group_detail(request, pk):
    group = selectors.group_or_404(request.user, pk, request)
    inspections = selectors.inspections_for(request.user).filter(group=group)
    may_change = rules.setup_refusal(request.user, group.org_path, []) is None
    change = GroupChangeForm(
        initial={
            "members": "\n".join(group.members.values_list("username", flat=True)),
            "subtrees": "\n".join(group.subtrees.values_list("code", flat=True)),
            "starts_on": group.starts_on,
            "ends_on": group.ends_on,
        }
    )
    return render(
        request,
        "guidance/group.html",
        {
            "group": group,
            "members": group.members.order_by("username"),
            "subtrees": group.subtrees.order_by("path"),
            "inspections": inspections.select_related("org")[:50],
            "circulars": selectors.circulars_for(request.user).filter(group=group)[:20],
            "is_member": rules.is_member(request.user, group),
            "may_change": may_change,
            "acts": rules.acts_of(group) if may_change else {},
            "change_form": change,
        },
    )


@require_POST
def group_change(request, pk):
    group = selectors.group_or_404(request.user, pk, request)
    form = GroupChangeForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("请填写指导范围和结束日期")
        data = form.cleaned_data
        services.change_group(
            actor=request.user,
            group_id=group.pk,
            members=words(data["members"]),
            ends_on=data["ends_on"],
            starts_on=data["starts_on"],
            subtrees=_orgs_by_code(request.user, data["subtrees"], "指导范围"),
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "指导组已调整")
    return redirect("guidance:group", pk=group.pk)


@require_POST
def group_end(request, pk):
    group = selectors.group_or_404(request.user, pk, request)
    try:
        services.end_group(actor=request.user, group_id=group.pk)
    except DomainError as error:
        messages.error(request, f"{error}，未结束")
    else:
        messages.success(request, "指导组已结束指导，结束日期为今天")
    return redirect("guidance:group", pk=group.pk)


@require_POST
def group_delete(request, pk):
    group = selectors.group_or_404(request.user, pk, request)
    try:
        services.delete_group(actor=request.user, group_id=group.pk)
    except DomainError as error:
        messages.error(request, f"{error}，未删除")
        return redirect("guidance:group", pk=group.pk)
    messages.success(request, f"已删除{group.name}")
    return redirect("guidance:groups")


@require_GET
def my_subtrees(request):
    """The subtrees the user guides today, with their ledgers and dashboards."""
    groups = selectors.visible_groups(request.user).in_force().filter(members=request.user)
    return render(
        request,
        "guidance/mine.html",
        {"groups": groups.select_related("campaign").prefetch_related("subtrees")},
    )


# --- inspections -------------------------------------------------------------------------------
@require_GET
def inspection_list(request):
    rows = selectors.inspections_for(request.user).select_related("org", "group")
    group_id = id_param(request.GET, "group")
    if group_id:
        rows = rows.filter(group_id=group_id)
    return render(
        request,
        "guidance/inspections.html",
        {"page": page_of(rows, page_param(request.GET), PER_PAGE), "group_id": group_id},
    )


def _inspection_targets(group) -> list[Organization]:
    """The group's subtrees and the organisations directly below them."""
    roots = list(group.subtrees.order_by("path"))
    below = Organization.objects.filter(parent__in=roots).order_by("path")
    return sorted([*roots, *below], key=lambda o: o.path)


@require_http_methods(["GET", "POST"])
def inspection_new(request):
    group_id = id_param(request.GET, "group")
    if group_id is None:  # an inspection is a group's: chosen from the subtrees it guides
        messages.info(request, "请在“我负责指导的组织”中选择要督导的组织")
        return redirect("guidance:mine")
    group = selectors.group_or_404(request.user, group_id, request)
    targets = _inspection_targets(group)
    form = InspectionForm(request.POST or None, initial={"visited_on": timezone.localdate()})
    form.fields["org"].choices = [(o.pk, o.name) for o in targets]
    if not request.POST and id_param(request.GET, "org"):
        form.initial["org"] = id_param(request.GET, "org")
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                inspection = services.plan_inspection(
                    actor=request.user,
                    group_id=group.pk,
                    org=next(o for o in targets if o.pk == data["org"]),
                    kind=data["kind"],
                    visited_on=data["visited_on"],
                    sample_size=data["sample_size"] or 0,
                    unannounced=data["unannounced"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = status_for(error)
            else:
                messages.success(request, "督导检查已登记")
                return redirect("guidance:inspection", pk=inspection.pk)
    return render(
        request, "guidance/inspection_form.html", {"form": form, "group": group}, status=status
    )


@require_GET
def inspection_detail(request, pk):
    inspection = get_visible_or_404(
        selectors.inspections_for(request.user).select_related("org", "group"),
        request.user,
        request=request,
        pk=pk,
    )
    acting = rules.is_member(request.user, inspection.group) and inspection.group.in_force()
    return render(
        request,
        "guidance/inspection.html",
        {
            "inspection": inspection,
            "sample": selectors.current_sample(inspection).select_related("member", "org"),
            "draws": inspection.draws.select_related("drawn_by").prefetch_related(
                "members__member"
            ),
            "findings": inspection.findings.select_related("problem"),
            "acting": acting,
            "notes_form": NotesForm(
                initial={
                    "version": inspection.version,
                    "talked_to": inspection.talked_to,
                    "found": inspection.found,
                }
            ),
            "feed_form": FeedBackForm(
                initial={"reply_due_on": timezone.localdate() + timedelta(days=15)}
            ),
        },
    )


def _inspection_post(request, pk, do, done: str):
    inspection = get_visible_or_404(
        selectors.inspections_for(request.user), request.user, request=request, pk=pk
    )
    try:
        do(inspection)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("guidance:inspection", pk=inspection.pk)


@require_POST
def draw_sample(request, pk):
    return _inspection_post(
        request,
        pk,
        lambda i: services.draw_sample(
            actor=request.user, inspection_id=i.pk, reason=request.POST.get("reason", "")
        ),
        "已随机抽取访谈对象",
    )


@require_POST
def record_notes(request, pk):
    form = NotesForm(request.POST)

    def do(inspection):
        if not form.is_valid():
            raise Invalid("请填写访谈情况或发现情况")
        services.record_notes(
            actor=request.user,
            inspection_id=inspection.pk,
            version=form.cleaned_data["version"],
            talked_to=form.cleaned_data["talked_to"],
            found=form.cleaned_data["found"],
            talked=[int(v) for v in request.POST.getlist("talked") if v.isdigit()],
        )

    return _inspection_post(request, pk, do, "督导记录已保存")


@require_POST
def feed_back(request, pk):
    form = FeedBackForm(request.POST)

    def do(inspection):
        if not form.is_valid():
            raise Invalid("请填写反馈的问题和回复时限")
        services.feed_back(
            actor=request.user,
            inspection_id=inspection.pk,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            reply_due_on=form.cleaned_data["reply_due_on"],
        )

    return _inspection_post(request, pk, do, "问题已反馈，已列入该单位问题清单")


# --- findings: the organisation's reply and the group's check ----------------------------------
@require_http_methods(["GET", "POST"])
def finding_detail(request, pk):
    finding = get_visible_or_404(
        Finding.objects.select_related("problem", "org", "inspection__group"),
        request.user,
        request=request,
        pk=pk,
    )
    form = ReplyForm(request.POST or None, initial={"version": finding.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.reply_to_finding(
                    actor=request.user,
                    finding_id=finding.pk,
                    version=form.cleaned_data["version"],
                    reply=form.cleaned_data["reply"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = status_for(error)
            else:
                messages.success(request, "整改回复已提交，待指导组审核")
                return redirect("guidance:finding", pk=finding.pk)
    group = finding.inspection.group
    return render(
        request,
        "guidance/finding.html",
        {
            "finding": finding,
            "form": form,
            "may_reply": rules.may_reply(request.user, finding.org_path)
            and finding.state in (FindingState.AWAITING, FindingState.RETURNED),
            "may_check": rules.is_member(request.user, group)
            and finding.state == FindingState.REPLIED,
            "check_form": CheckForm(initial={"version": finding.version}),
            "overdue": finding.first_replied_on is None
            and finding.reply_due_on < timezone.localdate(),
        },
        status=status,
    )


@require_POST
def check_reply(request, pk):
    finding = get_visible_or_404(Finding.objects, request.user, request=request, pk=pk)
    form = CheckForm(request.POST)
    try:
        if not form.is_valid():
            raise Invalid("请选择认可或退回")
        services.check_reply(
            actor=request.user,
            finding_id=finding.pk,
            version=form.cleaned_data["version"],
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "审核意见已保存")
    return redirect("guidance:finding", pk=finding.pk)


# --- circulars ---------------------------------------------------------------------------------
@require_GET
def circular_list(request):
    rows = selectors.circulars_for(request.user).select_related("issued_to")
    return render(
        request,
        "guidance/circulars.html",
        {"page": page_of(rows.order_by("-created_at", "-id"), page_param(request.GET), PER_PAGE)},
    )


def _circular_form(request, node):
    groups = selectors.groups_over(request.user, node.path)
    form = CircularForm(request.POST or None)
    office = rules.office_path_over(request.user, node.path)
    form.fields["group"].choices = [(g.pk, g.name) for g in groups] + (
        [("", "以本级主题教育办公室名义")] if office else []
    )
    problems = (
        Finding.objects.visible_to(request.user)
        .in_subtree(node.path)
        .select_related("problem", "org")
        .order_by("-id")[:30]
    )
    form.fields["problems"].choices = [
        (f.problem_id, f"{f.org.display_name}：{f.problem.title}") for f in problems
    ]
    if not request.POST and id_param(request.GET, "group"):
        form.initial["group"] = id_param(request.GET, "group")
    return form, groups


@require_http_methods(["GET", "POST"])
def circular_new(request):
    node = node_from_request(request)
    form, groups = _circular_form(request, node)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                circular = services.draft_circular(
                    actor=request.user,
                    issued_to=node,
                    group=next((g for g in groups if g.pk == data["group"]), None),
                    title=data["title"],
                    body=data["body"],
                    good_practice=data["good_practice"],
                    problems_text=data["problems_text"],
                    praised=_orgs_by_code(request.user, data["praised"], "表扬的单位"),
                    criticised=_orgs_by_code(request.user, data["criticised"], "通报的单位"),
                    problem_ids=data["problems"],
                    figure_keys=data["figure_keys"],
                )
            except DomainError as error:
                form.add_error(None, str(error))
                status = status_for(error)
            else:
                messages.success(request, "通报已起草，核对后请印发")
                return redirect("guidance:circular", pk=circular.pk)
    return render(
        request, "guidance/circular_form.html", {"form": form, "node": node}, status=status
    )


@require_GET
def circular_detail(request, pk):
    circular = selectors.circular_or_404(request.user, pk, request)
    recipients = list(circular.recipients.select_related("org", "confirmed_by"))
    mine = [r for r in recipients if rules.may_reply(request.user, r.org_path)]
    return render(
        request,
        "guidance/circular.html",
        {
            "circular": circular,
            "confirmed": [r for r in recipients if r.confirmed_at],
            "pending": [r for r in recipients if not r.confirmed_at],
            "total": len(recipients),
            "may_confirm": any(r.confirmed_at is None for r in mine),
            "may_issue": circular.state == CircularState.DRAFT
            and (
                rules.is_member(request.user, circular.group)
                if circular.group_id
                else rules.office_path_over(request.user, circular.issued_to.path) is not None
            ),
        },
    )


def _circular_post(request, pk, do, done: str):
    circular = selectors.circular_or_404(request.user, pk, request)
    try:
        do(circular)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("guidance:circular", pk=circular.pk)


@require_POST
def circular_issue(request, pk):
    return _circular_post(
        request,
        pk,
        lambda c: services.issue_circular(actor=request.user, circular_id=c.pk),
        "通报已印发",
    )


@require_POST
def circular_confirm(request, pk):
    return _circular_post(
        request,
        pk,
        lambda c: services.confirm_circular(actor=request.user, circular_id=c.pk),
        "已确认已阅",
    )


@require_GET
def circular_download(request, pk):
    circular = selectors.circular_or_404(request.user, pk, request)
    response = HttpResponse(content_type=DOCX)
    word.render_circular(circular, response)
    filename = f"{circular.number or '通报（草稿）'}-{circular.title[:30]}.docx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
