from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.permissions import has_role_over
from luoshi.core.audit import record_event
from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.core.files import CONTENT_TYPES
from luoshi.core.nodes import node_from_request
from luoshi.core.paging import page_of
from luoshi.core.params import chosen, date_param, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.core.xlsx import write_table
from luoshi.rectification.selectors import visible_campaigns
from luoshi.research import selectors, services
from luoshi.research.models import Finding, PlaceKind, ResearchTopic, TopicState

PER_PAGE = 50


def _posted_campaign(campaigns, data):
    """The campaign chosen in the form (None for none). A choice that is not among the user's
    campaigns is refused, never dropped silently."""
    campaign = chosen(campaigns, data, first=False)
    if campaign is None and data.get("campaign", "").strip():
        raise Invalid("所选主题教育不存在或不在您的范围内")
    return campaign


@require_GET
def topic_list(request):
    node = node_from_request(request)
    state = request.GET.get("state", "")
    state = state if state in TopicState.values else ""
    text = request.GET.get("q", "").strip()
    rows = selectors.topics(request.user, node.path, state=state, q=text)
    return render(
        request,
        "research/list.html",
        {
            "node": node,
            "figures": selectors.research_figures(node.path),
            "page": page_of(rows, page_param(request.GET), PER_PAGE),
            "states": TopicState.choices,
            "state": state,
            "text": text,
            "query": urlencode({"org": node.pk, "state": state, "q": text}),
            "can_record": has_role_over(request.user, node.path, *services.RECORD_ROLES),
        },
    )


@require_http_methods(["GET", "POST"])
def topic_new(request):
    node = node_from_request(request)
    campaigns = [c for c in visible_campaigns(request.user) if node.path.startswith(c.org_path)]
    error, status = "", 200
    if request.method == "POST":
        try:
            campaign = _posted_campaign(campaigns, request.POST)
            topic = services.create_topic(
                actor=request.user,
                org=node,
                title=request.POST.get("title", ""),
                leader_name=request.POST.get("leader_name", ""),
                leader_title=request.POST.get("leader_title", ""),
                description=request.POST.get("description", ""),
                campaign=campaign,
            )
        except (Invalid, NotAllowed) as refused:
            error, status = str(refused), 400
        else:
            messages.success(request, "调研课题已登记")
            return redirect("research:topic", pk=topic.pk)
    return render(
        request,
        "research/form.html",
        {"node": node, "campaigns": campaigns, "error": error, "posted": request.POST},
        status=status,
    )


@require_GET
def topic_detail(request, pk):
    topic = get_visible_or_404(
        ResearchTopic.objects.select_related("org", "campaign"),
        request.user,
        request=request,
        pk=pk,
    )
    visits = list(topic.visits.prefetch_related("findings__problem").order_by("visited_on", "id"))
    return render(
        request,
        "research/topic.html",
        {
            "topic": topic,
            "visits": visits,
            "can_record": has_role_over(request.user, topic.org_path, *services.RECORD_ROLES),
            "place_kinds": PlaceKind.choices,
            "campaigns": [
                c for c in visible_campaigns(request.user) if topic.org_path.startswith(c.org_path)
            ],
            "today": timezone.localdate(),
        },
    )


@require_POST
def visit_add(request, pk):
    topic = get_visible_or_404(ResearchTopic.objects, request.user, request=request, pk=pk)
    visited_on = date_param(request.POST, "visited_on")
    try:
        if visited_on is None:
            raise Invalid("请填写走访日期")
        services.record_visit(
            actor=request.user,
            topic_id=topic.pk,
            visited_on=visited_on,
            place=request.POST.get("place", ""),
            place_kind=request.POST.get("place_kind", PlaceKind.OTHER),
            met_whom=request.POST.get("met_whom", ""),
            notes=request.POST.get("notes", ""),
            findings=request.POST.get("findings", "").splitlines(),
        )
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "走访已记录")
    return redirect("research:topic", pk=topic.pk)


@require_POST
def conclude(request, pk):
    topic = get_visible_or_404(ResearchTopic.objects, request.user, request=request, pk=pk)
    try:
        services.conclude_topic(
            actor=request.user,
            topic_id=topic.pk,
            report=request.POST.get("report", ""),
            outcome=request.POST.get("outcome", ""),
        )
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "课题已结题")
    return redirect("research:topic", pk=topic.pk)


@require_POST
def finding_problem(request, pk):
    finding = get_visible_or_404(
        Finding.objects.select_related("visit"), request.user, request=request, pk=pk
    )
    try:
        campaign = _posted_campaign(visible_campaigns(request.user), request.POST)
        problem = services.finding_to_problem(
            actor=request.user,
            finding_id=finding.pk,
            campaign=campaign,
            title=request.POST.get("title", ""),
        )
    except (Invalid, Conflict, NotAllowed) as error:
        messages.error(request, str(error))
        return redirect("research:topic", pk=finding.visit.topic_id)
    messages.success(request, "已转入问题清单，请制定整改措施")
    return redirect("rectification:problem", pk=problem.pk)


@require_GET
def export(request):
    """调研课题台账: the topics of the subtree with their visits, findings and outcomes."""
    node = node_from_request(request)
    rows = selectors.topics(request.user, node.path)
    response = HttpResponse(content_type=CONTENT_TYPES["xlsx"])
    write_table(
        response,
        title=f"{node.name}调查研究课题台账",
        unit=node.name,
        columns=[
            ("序号", 6),
            ("党组织", 28),
            ("调研课题", 36),
            ("牵头领导", 10),
            ("职务", 12),
            ("走访次数", 8),
            ("发现问题", 8),
            ("转入问题清单", 10),
            ("状态", 10),
            ("成果转化", 30),
        ],
        rows=(
            (
                n,
                t.org.name,
                t.title,
                t.leader_name,
                t.leader_title,
                t.n_visits,
                t.n_findings,
                t.n_problems,
                t.get_state_display(),
                t.outcome,
            )
            for n, t in enumerate(rows.iterator(chunk_size=2000), start=1)
        ),
        sheet="调查研究",
    )
    record_event(
        "export", user=request.user, request=request, org_path=node.path, target="调查研究"
    )
    filename = f"调研课题台账-{node.display_name}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
