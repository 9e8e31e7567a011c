from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts import permissions
from luoshi.campaigns.models import Campaign
from luoshi.core.errors import BadParameter, DomainError, Invalid
from luoshi.core.errors import status_for as _status_for
from luoshi.core.files import evidence_download, thumbnail_response
from luoshi.core.paging import page_of
from luoshi.core.params import id_param, ids_param, int_param, next_url, page_param
from luoshi.core.registry import MY_WORK, PROBLEM_ORIGINS, bulk_actions
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import Organization
from luoshi.rectification import rules, selectors, services
from luoshi.rectification.filters import ledger_filter
from luoshi.rectification.forms import (
    LEVEL_CHOICES,
    STATUS_CHOICES,
    ExtensionForm,
    ImmediateFixForm,
    MeasureForm,
    ProblemForm,
    ProgressForm,
    RegulationForm,
    TransitionForm,
)
from luoshi.rectification.models import (
    DeadlineExtension,
    DeadlineKind,
    Evidence,
    Measure,
    MeasureState,
    Problem,
)

PER_PAGE = 30


def _light(measure, campaign) -> str:
    return measure.light_on(campaign.warning_days)


@require_GET
def ledger(request):
    user = request.user
    f, chosen = ledger_filter(request)
    campaign = chosen["campaign"]
    sources, categories = selectors.campaign_choices(campaign) if campaign else ([], [])
    # Every row is of the chosen campaign: its sources and settings are set on the rows below
    # instead of being read again with each problem.
    problems = selectors.ledger_page(user, f, campaign_known=campaign is not None)
    number = page_param(request.GET)
    cursor = selectors.read_cursor(request.GET.get("after", "")) if f.sort == "org" else None
    if cursor:
        # Deep pages by keyset: the next page starts after the last row seen, so it costs the
        # same as the first page however far the reader goes.
        problems = selectors.after_cursor(problems, cursor)
        page = page_of(problems, 1, PER_PAGE)
        page.number = number
    else:
        page = page_of(problems, number, PER_PAGE)
    # How many problems match, said above the first page (a deeper page keeps its one query).
    total = problems.count() if number == 1 and not cursor else None
    selectors.finish_ledger_rows(page.rows)
    source_of = {s.pk: s for s in sources}
    # One reverse() for the page instead of one per row: ".../problems/0/" less its "0/".
    problems_url = reverse("rectification:problem", args=[0]).removesuffix("0/")
    for problem in page.rows:
        problem.url = f"{problems_url}{problem.pk}/"
        if campaign:
            problem.campaign = campaign
            if problem.source_id in source_of:
                problem.source = source_of[problem.source_id]
        for m in problem.measure_rows:
            m.light = _light(m, problem.campaign)
    query = {k: v for k, v in request.GET.items() if k not in ("page", "after") and v}
    # filtered to a work-page section: its bulk actions (批量提醒) for the measures listed
    paths = {m.org_path for p in page.rows for m in p.measure_rows} if f.work else ()
    work_actions = bulk_actions(user, f.work, paths) if f.work else []
    next_cursor = None
    if page.has_next and f.sort == "org":
        last = page.rows[-1]
        next_cursor = f"{last.org_path}|{last.pk}"
    return render(
        request,
        "rectification/ledger.html",
        {
            **chosen,
            "filter": f,
            "total": total,
            "work_title": selectors.WORK_LISTS.get(f.work, ""),
            "work_actions": work_actions,
            # the entry buttons only for those who keep a ledger (no form with nothing to pick)
            "can_keep": any(r in permissions.OWNER_ROLES for _, r in permissions.role_paths(user)),
            "next_cursor": next_cursor,
            "page": page,
            "sources": sources,
            "categories": categories,
            "statuses": STATUS_CHOICES,
            "levels": LEVEL_CHOICES,
            "query": urlencode(query),
        },
    )


def _problem_context(request, problem, **extra):
    """The problem page's context; `extra` brings the forms of a post shown again with its
    errors (the page writes its empty forms out in the template, without form objects)."""
    user = request.user
    measures = selectors.problem_measures(problem)
    for m in measures:
        m.light = _light(m, problem.campaign)
        m.actions = rules.allowed_actions(user, m)
        m.can_edit = permissions.may_keep_ledger(user, m.org_path)
        m.on_behalf = permissions.reports_only_on_behalf(user, m.org_path)
        m.can_decide = permissions.verifier_role(user, m.org_path) is not None
    selectors.with_waiting_line([m for m in measures if not m.actions])
    context = {
        "problem": problem,
        "measures": measures,
        "timeline": selectors.problem_timeline(problem, measures),
        # Not read when the problem is known to have none (`selectors.with_links`).
        "similar": problem.similar.visible_to(user)
        .select_related("org")
        .only("id", "title", "org_path", "org__name", "org__short_name")
        if getattr(problem, "has_similar", True)
        else [],
        "opinions": problem.opinions.visible_to(user)
        .order_by("submitted_at", "id")
        .only("id", "text")
        if getattr(problem, "has_opinions", True)
        else [],
        "can_edit": permissions.may_keep_ledger(user, problem.org_path),
        "similar_choices": selectors.pick_problems(user, exclude=problem.pk)
        if permissions.may_keep_ledger(user, problem.org_path)
        else [],
        "deadline_kinds": DeadlineKind.choices,
        "origins": [o for func in PROBLEM_ORIGINS for o in func(problem)],
    }
    context.update(extra)
    return context


def _problem(request, pk, *, page=False):
    """The problem, if the user may see it; with `page`, with what the problem page needs to
    know beforehand (`selectors.with_links`)."""
    problems = Problem.objects.select_related("org", "campaign", "source", "category__parent")
    if page:
        problems = selectors.with_links(problems)
    return get_visible_or_404(problems, request.user, request=request, pk=pk)


@require_GET
def problem_detail(request, pk):
    problem = _problem(request, pk, page=True)
    return render(request, "rectification/problem.html", _problem_context(request, problem))


def _fill_problem_choices(form, user, campaign=None):
    form.fields["org"].choices = [(o.pk, o.name) for o in selectors.owner_organizations(user)]
    campaigns = list(selectors.visible_campaigns(user))
    form.fields["campaign"].choices = [(c.pk, c.name) for c in campaigns]
    campaign = campaign or (campaigns[0] if campaigns else None)
    form.fields["source"].choices = [("", "（未填）")] + [
        (s.pk, s.name) for s in (campaign.sources.all() if campaign else [])
    ]
    form.fields["category"].choices = selectors.category_choices(campaign)
    return campaign


@require_http_methods(["GET", "POST"])
def problem_create(request):
    user = request.user
    form = ProblemForm(request.POST or None, initial={"org": id_param(request.GET, "org")})
    measure_form = MeasureForm(request.POST or None, prefix="m")
    campaign = _fill_problem_choices(form, user)
    if request.method == "POST" and form.is_valid() and measure_form.is_valid():
        data = form.cleaned_data
        org = get_visible_or_404(Organization.objects, user, request=request, pk=data["org"])
        chosen = get_visible_or_404(Campaign.objects, user, request=request, pk=data["campaign"])
        try:
            problem = services.create_problem_with_measures(
                actor=user,
                org=org,
                campaign=chosen,
                title=data["title"],
                description=data["description"],
                source=data["source"],
                category=data["category"],
                level=data["level"],
                person_name=data["person_name"],
                responsible_leaders=data["responsible_leaders"],
                responsible_units=data["responsible_units"],
                number=data["number"],
                measures=[measure_form.cleaned_data],
            )
        except DomainError as error:
            form.add_error(None, str(error))
            return render(
                request,
                "rectification/problem_form.html",
                {"form": form, "measure_form": measure_form, "campaign": campaign},
                status=_status_for(error),
            )
        messages.success(request, "问题及整改措施已录入")
        return redirect("rectification:problem", pk=problem.pk)
    return render(
        request,
        "rectification/problem_form.html",
        {"form": form, "measure_form": measure_form, "campaign": campaign},
    )


@require_http_methods(["GET", "POST"])
def problem_edit(request, pk):
    problem = _problem(request, pk)
    user = request.user
    initial = {f: getattr(problem, f) for f in services.PROBLEM_FIELDS}
    initial |= {
        "source": problem.source_id,
        "category": problem.category_id,
        "org": problem.org_id,
        "campaign": problem.campaign_id,
        "version": problem.version,
    }
    form = ProblemForm(request.POST or None, initial=initial)
    _fill_problem_choices(form, user, problem.campaign)
    form.fields["org"].choices = [(problem.org_id, problem.org.name)]
    form.fields["campaign"].choices = [(problem.campaign_id, problem.campaign.name)]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {f: data[f] for f in services.PROBLEM_FIELDS}
        try:
            services.update_problem(
                actor=user, problem_id=problem.pk, version=data["version"] or 0, **changes
            )
        except DomainError as error:
            form.add_error(None, str(error))
            status = _status_for(error)
        else:
            messages.success(request, "问题已保存")
            return redirect("rectification:problem", pk=problem.pk)
    return render(
        request,
        "rectification/problem_form.html",
        {"form": form, "problem": problem, "editing": True},
        status=status,
    )


def _measure(request, pk):
    return get_visible_or_404(
        Measure.objects.select_related("problem__campaign", "problem__org", "org"),
        request.user,
        request=request,
        pk=pk,
    )


def _back_to_problem(request, measure, error=None, **forms):
    if error is None:
        return redirect(
            reverse("rectification:problem", args=[measure.problem_id]) + f"#measure-{measure.pk}"
        )
    problem = _problem(request, measure.problem_id, page=True)
    context = _problem_context(
        request, problem, error=str(error), error_measure=measure.pk, **forms
    )
    return render(request, "rectification/problem.html", context, status=_status_for(error))


@require_POST
def measure_add(request, pk):
    problem = _problem(request, pk)
    form = MeasureForm(request.POST)
    if not form.is_valid():
        context = _problem_context(request, problem, measure_form=form)
        return render(request, "rectification/problem.html", context, status=400)
    try:
        services.add_measure(actor=request.user, problem=problem, **form.cleaned_data)
    except DomainError as error:
        context = _problem_context(request, problem, measure_form=form, error=str(error))
        return render(request, "rectification/problem.html", context, status=_status_for(error))
    messages.success(request, "整改措施已添加")
    return redirect("rectification:problem", pk=problem.pk)


@require_POST
def measure_transition(request, pk):
    measure = _measure(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return _back_to_problem(request, measure, Invalid("请求不完整，请刷新后重试"))
    data = form.cleaned_data
    try:
        services.transition_measure(
            actor=request.user,
            measure_id=measure.pk,
            action=data["action"],
            version=data["version"],
            reason=data["reason"],
            on_behalf=data["on_behalf"],
        )
    except DomainError as error:
        return _back_to_problem(request, measure, error, typed_reason=data["reason"])
    messages.success(request, f"已{rules.TRANSITIONS[data['action']].label}")
    return _back_to_problem(request, measure)


def _report(request, measure, data) -> str:
    """Report the progress posted, asking for 销号 too when ticked; the message to show."""
    fields = {
        "actor": request.user,
        "measure_id": measure.pk,
        "version": data["version"],
        "text": data["text"],
        "progress": data["progress"],
        "files": data["files"],
        "on_behalf": data["on_behalf"],
    }
    if not data["submit"]:
        services.report_progress(**fields)
        return "整改进展已填报"
    done = services.report_progress_and_submit(**fields)
    selectors.with_waiting_line([done])
    return f"整改进展已填报，已申请销号，{done.waiting_for}"


@require_POST
def measure_progress(request, pk):
    measure = _measure(request, pk)
    form = ProgressForm(request.POST, request.FILES)
    if not form.is_valid():
        return _back_to_problem(request, measure, Invalid("请检查填写的内容"), progress_form=form)
    try:
        said = _report(request, measure, form.cleaned_data)
    except DomainError as error:
        return _back_to_problem(request, measure, error, progress_form=form)
    messages.success(request, said)
    return _back_to_problem(request, measure)


@require_http_methods(["GET", "POST"])
def measure_report(request, pk):
    """The short 上报进展 form a work-page item opens: what was done, photos from the phone's
    camera, and 同时申请销号; back to the work page once sent."""
    measure = _measure(request, pk)
    form = ProgressForm(request.POST or None, request.FILES or None)
    error, status = "", 200
    if request.method == "POST":
        if not form.is_valid():
            error, status = "请检查填写的内容：进展情况须填写，完成进度在 0 到 100 之间", 400
        else:
            try:
                said = _report(request, measure, form.cleaned_data)
            except DomainError as refused:
                error, status = str(refused), _status_for(refused)
            else:
                messages.success(request, said)
                return redirect(next_url(request, reverse("rectification:my_work")))
    measure.light = _light(measure, measure.problem.campaign)
    context = {
        "m": measure,
        "form": form,
        "error": error,
        "may_report": permissions.may_report(request.user, measure.org_path, on_behalf=True),
        "on_behalf": permissions.reports_only_on_behalf(request.user, measure.org_path),
        "next": next_url(request, reverse("rectification:my_work")),
    }
    return render(request, "rectification/report_form.html", context, status=status)


@require_POST
def measure_extension(request, pk):
    measure = _measure(request, pk)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        return _back_to_problem(
            request, measure, Invalid("请填写延期日期和理由"), extension_form=form
        )
    try:
        services.request_extension(actor=request.user, measure_id=measure.pk, **form.cleaned_data)
    except DomainError as error:
        return _back_to_problem(request, measure, error, extension_form=form)
    messages.success(request, "延期申请已提交，等待上级审批")
    return _back_to_problem(request, measure)


@require_POST
def extension_decide(request, pk):
    extension = get_visible_or_404(
        DeadlineExtension.objects.select_related("measure"), request.user, request=request, pk=pk
    )
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_extension(
            actor=request.user,
            extension_id=extension.pk,
            approve=approve,
            note=request.POST.get("note", ""),
        )
    except DomainError as error:
        return _back_to_problem(request, extension.measure, error)
    messages.success(request, "已同意延期" if approve else "已驳回延期申请")
    return _back_to_problem(request, extension.measure)


@require_POST
def measure_regulation(request, pk):
    measure = _measure(request, pk)
    form = RegulationForm(request.POST)
    if not form.is_valid():
        return _back_to_problem(request, measure, Invalid("请填写制度名称"), regulation_form=form)
    try:
        services.record_regulation(actor=request.user, measure_id=measure.pk, **form.cleaned_data)
    except DomainError as error:
        return _back_to_problem(request, measure, error, regulation_form=form)
    messages.success(request, "制度已登记")
    return _back_to_problem(request, measure)


@require_GET
def evidence_file(request, pk):
    evidence = get_visible_or_404(Evidence.objects, request.user, request=request, pk=pk)
    return evidence_download(evidence.stored_name, evidence.original_name, evidence.kind)


@require_GET
def evidence_thumbnail(request, pk):
    """A photo's thumbnail, scoped as the file itself is (404 outside the user's subtree)."""
    evidence = get_visible_or_404(Evidence.objects, request.user, request=request, pk=pk)
    if not evidence.has_thumbnail:
        raise Http404
    return thumbnail_response(evidence.stored_name)


@require_http_methods(["GET", "POST"])
def immediate_fix(request):
    user = request.user
    form = ImmediateFixForm(request.POST or None, request.FILES or None)
    orgs = selectors.owner_organizations(user)
    form.fields["org"].choices = [(o.pk, o.name) for o in orgs]
    if not any(permissions.reports_only_on_behalf(user, o.path) for o in orgs):
        # Every organisation offered is the actor's own: 代为填报 would mean nothing.
        del form.fields["on_behalf"]
    form.fields["campaign"].choices = [(c.pk, c.name) for c in selectors.visible_campaigns(user)]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        org = get_visible_or_404(Organization.objects, user, request=request, pk=data["org"])
        campaign = get_visible_or_404(Campaign.objects, user, request=request, pk=data["campaign"])
        try:
            problem = services.record_immediate_fix(
                actor=user,
                org=org,
                campaign=campaign,
                title=data["title"],
                measure=data["measure"],
                files=data["files"],
                on_behalf=data.get("on_behalf", False),
            )
        except DomainError as error:
            form.add_error(None, str(error))
            status = _status_for(error)
        else:
            messages.success(request, "立查立改事项已登记并申请销号，待上级核验后公示")
            return redirect("rectification:problem", pk=problem.pk)
    return render(request, "rectification/immediate_form.html", {"form": form}, status=status)


@require_GET
def my_work(request):
    user = request.user
    work = selectors.my_work(user)
    work_sections = work.sections
    done = (MeasureState.SUBMITTED, MeasureState.CLOSED)  # nothing left to do on them
    for section in work_sections:
        to_do = [m for m in section.rows if m.state not in done]
        # a module's bulk actions (批量提醒) where the user may take them on a measure listed
        section.bulk = bulk_actions(user, section.key, {m.org_path for m in to_do})
        for m in to_do:
            # 上报进展 where the user reports this work
            m.can_report = permissions.may_report(user, m.org_path, on_behalf=True)
            m.can_tick = any(a.allows(user, m.org_path) for a in section.bulk)
    sections = [s for s in (func(user) for func in MY_WORK) if s]
    return render(
        request,
        "rectification/my_work.html",
        {"work": work, "work_sections": work_sections, "sections": sections},
    )


@require_POST
def verify_many(request):
    """同意销号 for the measures ticked on the work page, each through the one verify service;
    every refused one is said (which measure, why), the others are verified."""
    ids = ids_param(request.POST, "measure")
    back = next_url(request, reverse("rectification:my_work"))
    if not ids:
        messages.error(request, "请先勾选要核验的整改措施")
        return redirect(back)
    versions = {pk: int_param(request.POST, f"version-{pk}", default=0) for pk in ids}
    done, refused = services.verify_measures(actor=request.user, versions=versions)
    if done:
        messages.success(request, f"已同意销号 {len(done)} 条整改措施")
    for reason in refused:
        messages.error(request, f"未销号：{reason}")
    return redirect(back)


@require_POST
def bulk(request):
    ids = ids_param(request.POST, "measure")
    action = request.POST.get("action")
    back = next_url(request, reverse("rectification:ledger"))
    if not ids:
        messages.error(request, "请先勾选整改措施")
        return redirect(back)
    try:
        if action == "assign":
            owner = request.POST.get("owner_name", "").strip()
            if not owner:
                raise Invalid("请填写责任人")
            n = services.bulk_assign_owner(actor=request.user, measure_ids=ids, owner_name=owner)
        elif action == "extend":
            form = ExtensionForm(request.POST)
            if not form.is_valid():
                raise Invalid("请填写延期日期和理由")
            n = services.bulk_request_extension(
                actor=request.user, measure_ids=ids, **form.cleaned_data
            )
        else:
            raise Invalid("未知的批量操作")
    except DomainError as error:
        messages.error(request, f"批量操作未执行：{error}")
        return redirect(back)
    messages.success(request, f"已处理 {n} 条整改措施")
    return redirect(back)


@require_POST
def measure_edit(request, pk):
    measure = _measure(request, pk)
    form = MeasureForm(request.POST)
    version = int_param(request.POST, "version", default=0)
    if not form.is_valid():
        return _back_to_problem(request, measure, Invalid("请检查填写的内容"))
    # Everything posted goes to the service, the deadline included: a refused change (a new
    # date on a measure under way) refuses the whole edit and is said, never dropped.
    changes = {k: v for k, v in form.cleaned_data.items() if k in services.MEASURE_FIELDS}
    try:
        services.update_measure(
            actor=request.user, measure_id=measure.pk, version=version, **changes
        )
    except DomainError as error:
        messages.error(request, f"整改措施未修改：{error}")  # shown by the page below
        problem = _problem(request, measure.problem_id, page=True)
        context = _problem_context(request, problem, error_measure=measure.pk)
        return render(request, "rectification/problem.html", context, status=_status_for(error))
    messages.success(request, "整改措施已修改")
    return _back_to_problem(request, measure)


@require_GET
def problem_picker(request):
    """The options of a problem picker, for the words typed (htmx swaps them into its select):
    problems of the ledgers the user keeps, by title."""
    rows = selectors.pick_problems(
        request.user,
        request.GET.get("pq", "")[:100],
        open_only=request.GET.get("open") == "1",
        exclude=id_param(request.GET, "exclude"),
    )
    return render(request, "rectification/_problem_options.html", {"rows": rows})


@require_POST
def problem_similar(request, pk):
    problem = _problem(request, pk)
    try:
        other = id_param(request.POST, "other")
        if other is None:
            raise Invalid("请选择要关联的同类问题")
        services.link_similar(actor=request.user, problem_id=problem.pk, other_id=other)
    except Http404:
        messages.error(request, "没有找到该问题，或您无权查看")
    except (DomainError, BadParameter) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "已关联举一反三问题")
    return redirect("rectification:problem", pk=problem.pk)
