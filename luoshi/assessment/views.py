import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over
from luoshi.assessment import formulas, scoring, selectors, services
from luoshi.assessment.models import AdjustmentKind, Indicator, IndicatorKind, Survey
from luoshi.core.audit import record_event
from luoshi.core.clients import client_address
from luoshi.core.errors import DomainError
from luoshi.core.nodes import node_from_request
from luoshi.core.params import date_param, id_param, int_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.core.xlsx import write_table
from luoshi.opinions import limits
from luoshi.opinions.models import Rating
from luoshi.orgs.models import Organization, OrgLevel
from luoshi.rectification.selectors import visible_campaigns


def _as_of(request):
    today = timezone.localdate()
    return date_param(request.GET, "as_of", default=today, latest=today, label="统计日期")


def _org(request, param="org"):
    pk = id_param(request.GET, param) or id_param(request.POST, param)
    if pk is None:
        raise Http404
    return get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)


def _scheme_node(request, scheme):
    """The organisation whose children are ranked: `org`, or the top of the user's scope."""
    within = scheme.org_path
    node = node_from_request(request, within=within)
    return node if node.path.startswith(within) else scheme.org


@require_GET
def index(request):
    node = node_from_request(request)
    schemes = selectors.visible_schemes(request.user)
    campaigns = [c for c in visible_campaigns(request.user) if node.path.startswith(c.org_path)]
    return render(
        request,
        "assessment/index.html",
        {
            "node": node,
            "schemes": schemes,
            "campaigns": campaigns,
            "levels": [(v, label) for v, label in OrgLevel.choices if v > node.level],
            "can_create": has_role_over(request.user, node.path, *services.OFFICE_ROLES),
            "surveys": selectors.surveys(request.user, node.path)[:50],
            "can_survey": has_role_over(request.user, node.path, *services.KEEPER_ROLES),
        },
    )


def _refused(request, error: DomainError):
    messages.error(request, str(error))


@require_POST
def scheme_new(request):
    node = node_from_request(request)
    campaigns = [c for c in visible_campaigns(request.user) if node.path.startswith(c.org_path)]
    campaign = next((c for c in campaigns if c.pk == id_param(request.POST, "campaign")), None)
    try:
        if campaign is None:
            raise services.Invalid("请选择主题教育")
        scheme = services.create_scheme(
            actor=request.user,
            org=node,
            campaign=campaign,
            name=request.POST.get("name", ""),
            level=int_param(request.POST, "level", default=0, min=0, max=9, label="考核对象层级"),
        )
    except DomainError as error:
        _refused(request, error)
        return redirect(f"{reverse('assessment:index')}?org={node.pk}")
    messages.success(request, "考核方案已创建，请添加指标")
    return redirect("assessment:scheme", pk=scheme.pk)


@require_GET
def scheme_detail(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    node = _scheme_node(request, scheme)
    as_of = _as_of(request)
    worst = request.GET.get("order") == "worst"
    return render(
        request,
        "assessment/scheme.html",
        {
            "scheme": scheme,
            "node": node,
            "as_of": as_of,
            "worst": worst,
            "tree": selectors.indicator_tree(scheme),
            "ranking": selectors.ranking_for(request.user, scheme, node, as_of, worst_first=worst),
            "publications": selectors.publications(request.user, scheme)[:20],
            "formulas": formulas.choices(),
            "kinds": IndicatorKind.choices,
            "is_office": has_role_over(request.user, scheme.org_path, *services.OFFICE_ROLES),
            "can_publish": has_role_over(request.user, node.path, *services.OFFICE_ROLES),
        },
    )


@require_POST
def indicator_add(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    parent_id = id_param(request.POST, "parent")
    parent = scheme.indicators.filter(pk=parent_id).first() if parent_id else None
    try:
        services.add_indicator(
            actor=request.user,
            scheme=scheme,
            name=request.POST.get("name", ""),
            weight=request.POST.get("weight", ""),
            kind=request.POST.get("kind", ""),
            formula=request.POST.get("formula", ""),
            parent=parent,
        )
        messages.success(request, "指标已添加")
    except DomainError as error:
        _refused(request, error)
    return redirect("assessment:scheme", pk=scheme.pk)


@require_POST
def publish(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    node = _org(request)
    try:
        publication = services.publish_rankings(
            actor=request.user, scheme=scheme, org=node, as_of=_as_of(request)
        )
    except DomainError as error:
        _refused(request, error)
        return redirect(f"{reverse('assessment:scheme', args=[scheme.pk])}?org={node.pk}")
    messages.success(request, "考核结果已通报")
    return redirect("assessment:publication", pk=publication.pk)


@require_GET
def card(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    org = _org(request)
    as_of = _as_of(request)
    manual = [ind for _, ind in selectors.indicator_tree(scheme) if ind.kind == "manual"]
    own = [p for p, _ in _roles(request.user) if p == org.path]
    return render(
        request,
        "assessment/card.html",
        {
            "scheme": scheme,
            "org": org,
            "as_of": as_of,
            "card": scoring.score_card(scheme, org, as_of),
            "manual": [i for i in manual if not i.children.exists()],
            "can_score": has_role_over(request.user, org.path, Role.GUIDANCE),
            "can_adjust": has_role_over(request.user, org.path, Role.GUIDANCE)
            or has_role_over(request.user, scheme.org_path, *services.OFFICE_ROLES),
            "can_self": bool(own),
            "adjust_kinds": AdjustmentKind.choices,
            "today": timezone.localdate(),
        },
    )


def _roles(user):
    from luoshi.accounts.permissions import role_paths

    return [(p, r) for p, r in role_paths(user) if r in services.KEEPER_ROLES]


def _card_url(scheme, org) -> str:
    return f"{reverse('assessment:card', args=[scheme.pk])}?org={org.pk}"


@require_POST
def manual_score(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    org = _org(request)
    indicator = Indicator.objects.filter(scheme=scheme, pk=id_param(request.POST, "indicator"))
    try:
        if not indicator:
            raise services.Invalid("请选择指标")
        services.give_manual_score(
            actor=request.user,
            indicator=indicator[0],
            org=org,
            points=request.POST.get("points", ""),
            reason=request.POST.get("reason", ""),
            scored_on=date_param(request.POST, "scored_on", default=timezone.localdate()),
        )
        messages.success(request, "评分已记录")
    except DomainError as error:
        _refused(request, error)
    return redirect(_card_url(scheme, org))


@require_POST
def adjust(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    org = _org(request)
    try:
        services.adjust_score(
            actor=request.user,
            scheme=scheme,
            org=org,
            kind=request.POST.get("kind", ""),
            points=request.POST.get("points", ""),
            reason=request.POST.get("reason", ""),
            on=date_param(request.POST, "on", default=timezone.localdate()),
        )
        messages.success(request, "加减分已记录")
    except DomainError as error:
        _refused(request, error)
    return redirect(_card_url(scheme, org))


@require_POST
def self_assess(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    org = _org(request)
    try:
        services.self_assess(
            actor=request.user,
            scheme=scheme,
            org=org,
            points=request.POST.get("points", ""),
            summary=request.POST.get("summary", ""),
            on=date_param(request.POST, "on", default=timezone.localdate()),
        )
        messages.success(request, "自评已提交")
    except DomainError as error:
        _refused(request, error)
    return redirect(_card_url(scheme, org))


@require_GET
def export(request, pk):
    scheme = selectors.scheme_or_404(request.user, pk, request)
    node = _scheme_node(request, scheme)
    as_of = _as_of(request)
    ranked = selectors.ranking_for(request.user, scheme, node, as_of)
    names = [i.name for i in ranked[0][1].flat()] if ranked else []
    columns = [("名次", 8), ("单位", 30), ("得分", 10), ("等次", 8), ("自评", 10)]
    columns += [(name, 14) for name in names] + [("加分", 8), ("扣分", 8)]
    rows = [
        [n or "", c.org_name, c.total, c.grade_label, c.self_points]
        + [formulas.NO_DATA if i.points is None else i.points for i in c.flat()]
        + [c.bonus, c.deduction]
        for n, c in ranked
    ]
    out = io.BytesIO()
    write_table(
        out,
        title=f"{scheme.name}考核得分排名",
        unit=node.name,
        columns=columns,
        rows=rows,
        sheet="考核排名",
        on=as_of,
    )
    record_event("export", user=request.user, request=request, org_path=node.path, what="scores")
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, f"考核排名{as_of}.xlsx")
    return response


@require_GET
def publication(request, pk):
    pub, own = selectors.publication_or_404(request.user, pk, request)
    return render(request, "assessment/publication.html", {"pub": pub, "own": own})


# --- surveys --------------------------------------------------------------------------------
@require_POST
def survey_new(request):
    node = node_from_request(request)
    try:
        survey = services.create_survey(
            actor=request.user,
            org=node,
            title=request.POST.get("title", ""),
            opens_on=date_param(request.POST, "opens_on", default=timezone.localdate()),
            closes_on=date_param(request.POST, "closes_on", default=timezone.localdate()),
        )
    except DomainError as error:
        _refused(request, error)
        return redirect(f"{reverse('assessment:index')}?org={node.pk}")
    return redirect("assessment:survey", pk=survey.pk)


@require_GET
def survey_detail(request, pk):
    survey = get_visible_or_404(Survey.objects, request.user, request=request, pk=pk)
    return render(
        request,
        "assessment/survey.html",
        {
            "survey": survey,
            "results": selectors.survey_results(survey),
            "codes_issued": survey.codes.count(),
            "codes_used": survey.codes.exclude(used_at=None).count(),
            "link": request.build_absolute_uri(
                reverse("assessment:public_survey", args=[survey.key])
            ),
            "can_issue": has_role_over(request.user, survey.org_path, *services.KEEPER_ROLES),
        },
    )


@require_POST
def survey_codes(request, pk):
    survey = get_visible_or_404(Survey.objects, request.user, request=request, pk=pk)
    try:
        codes = services.issue_codes(
            actor=request.user,
            survey=survey,
            count=int_param(request.POST, "count", default=0, min=0, max=10**6, label="数量"),
        )
    except DomainError as error:
        _refused(request, error)
        return redirect("assessment:survey", pk=survey.pk)
    return render(request, "assessment/codes.html", {"survey": survey, "codes": codes})


def _survey_by_key(key: str) -> Survey:
    survey = Survey.objects.filter(key=key).select_related("org").first()
    if survey is None:
        raise Http404
    return survey


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def survey_public(request, key):
    """The public survey: no account; one answer per code handed out."""
    survey = _survey_by_key(key)
    context = {"survey": survey, "ratings": Rating.choices, "questions": survey.questions}
    if request.method == "GET":
        return render(request, "assessment/public_survey.html", context)
    if not limits.hit("rate_ip", client_address(request) or "unknown"):
        return render(request, "assessment/public_survey.html", {**context, "limited": True}, 429)
    ratings = [request.POST.get(f"q{i}", "") for i in range(len(survey.questions))]
    try:
        services.answer_survey(
            survey=survey,
            code=request.POST.get("code", ""),
            ratings=ratings,
            comment=request.POST.get("comment", ""),
        )
    except DomainError as error:
        return render(
            request, "assessment/public_survey.html", {**context, "error": str(error)}, status=400
        )
    return render(request, "assessment/public_survey.html", {**context, "done": True})


@login_not_required
@cache_control(public=True, max_age=86400)
@require_GET
def survey_qr(request, key):
    survey = _survey_by_key(key)
    out = io.BytesIO()
    url = request.build_absolute_uri(reverse("assessment:public_survey", args=[survey.key]))
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")
