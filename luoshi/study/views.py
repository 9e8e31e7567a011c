from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over
from luoshi.campaigns.models import Campaign
from luoshi.core.audit import record_event
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.files import CONTENT_TYPES, evidence_download
from luoshi.core.nodes import node_from_request
from luoshi.core.paging import page_of
from luoshi.core.params import chosen, int_param, next_url, page_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.core.xlsx import write_table
from luoshi.orgs.models import LeadershipTeam, Member
from luoshi.rectification.selectors import visible_campaigns
from luoshi.study import selectors, services
from luoshi.study.forms import ActivityForm, MakeUpForm
from luoshi.study.models import Attendance, StudyActivity, StudyFile, StudyKind

PER_PAGE = 50
MAX_ROLL = 300


def _campaign_for(request, node):
    campaigns = [c for c in visible_campaigns(request.user) if node.path.startswith(c.org_path)]
    return chosen(campaigns, request.GET), campaigns


@require_GET
def activity_list(request):
    node = node_from_request(request)
    campaign, campaigns = _campaign_for(request, node)
    kind = request.GET.get("kind", "")
    kind = kind if kind in StudyKind.values else ""
    team_only = request.GET.get("team") == "1"
    text = request.GET.get("q", "").strip()
    rows = selectors.activities(request.user, node.path, kind=kind, team_only=team_only, q=text)
    return render(
        request,
        "study/list.html",
        {
            "node": node,
            "campaign": campaign,
            "campaigns": campaigns,
            "figures": selectors.study_figures(node.path),
            "targets": selectors.target_progress(campaign, node.path) if campaign else [],
            "page": page_of(rows, page_param(request.GET), PER_PAGE),
            "kinds": StudyKind.choices,
            "kind": kind,
            "team_only": team_only,
            "text": text,
            "query": urlencode(
                {"org": node.pk, "kind": kind, "team": "1" if team_only else "", "q": text}
            ),
            "can_record": has_role_over(request.user, node.path, *services.RECORD_ROLES),
            "can_set_target": campaign is not None
            and has_role_over(request.user, campaign.org_path, Role.OFFICE, Role.ADMIN),
            "owed": selectors.owed_make_ups(request.user, node.path)[:20],
        },
    )


@require_http_methods(["GET", "POST"])
def activity_new(request):
    node = node_from_request(request)
    members = list(
        Member.objects.visible_to(request.user).filter(org=node).order_by("id")[:MAX_ROLL]
    )
    campaigns = [c for c in visible_campaigns(request.user) if node.path.startswith(c.org_path)]
    form = ActivityForm(request.POST or None)
    form.fields["campaign"].choices = [("", "（不属于主题教育）")] + [
        (c.pk, c.name) for c in campaigns
    ]
    if not request.POST and campaigns:
        form.initial["campaign"] = campaigns[0].pk
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            present = [m.pk for m in members if request.POST.get(f"att-{m.pk}") == "present"]
            absent = {
                m.pk: request.POST.get(f"reason-{m.pk}", "")
                for m in members
                if request.POST.get(f"att-{m.pk}") == "absent"
            }
            campaign = next((c for c in campaigns if c.pk == data["campaign"]), None)
            try:
                activity = services.record_activity(
                    actor=request.user,
                    org=node,
                    kind=data["kind"],
                    topic=data["topic"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    campaign=campaign,
                    by_team=data["by_team"],
                    speaker=data["speaker"],
                    place=data["place"],
                    audience=data["audience"],
                    materials=data["materials"],
                    minutes=data["minutes"],
                    present=present,
                    absent=absent,
                    files=request.FILES.getlist("files"),
                )
            except (Invalid, NotAllowed) as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "学习活动已记录")
                return redirect("study:detail", pk=activity.pk)
        status = 400
    return render(
        request,
        "study/form.html",
        {
            "node": node,
            "form": form,
            "members": members,
            "has_team": LeadershipTeam.objects.filter(org=node).exists(),
            "posted": request.POST,
        },
        status=status,
    )


@require_GET
def activity_detail(request, pk):
    activity = get_visible_or_404(
        StudyActivity.objects.select_related("org", "team", "campaign"),
        request.user,
        request=request,
        pk=pk,
    )
    attendance = list(
        Attendance.objects.visible_to(request.user)
        .filter(activity=activity)
        .select_related("member")
        .order_by("status", "member__name")
    )
    return render(
        request,
        "study/detail.html",
        {
            "activity": activity,
            "attendance": attendance,
            "files": activity.files.all(),
            "can_record": has_role_over(request.user, activity.org_path, *services.RECORD_ROLES),
            "make_up_form": MakeUpForm(initial={"made_up_on": timezone.localdate()}),
        },
    )


@require_POST
def make_up(request, pk):
    attendance = get_visible_or_404(Attendance.objects, request.user, request=request, pk=pk)
    form = MakeUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写补学日期和补学方式")
    else:
        try:
            services.record_make_up(
                actor=request.user,
                attendance_id=attendance.pk,
                made_up_on=form.cleaned_data["made_up_on"],
                note=form.cleaned_data["note"],
            )
        except (Invalid, NotAllowed) as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "已记录补学")
    return redirect(next_url(request, reverse("study:detail", args=[attendance.activity_id])))


@require_GET
def study_file(request, pk):
    item = get_visible_or_404(StudyFile.objects, request.user, request=request, pk=pk)
    return evidence_download(item.stored_name, item.original_name, item.kind)


@require_GET
def member_record(request, pk):
    """A member's own record: what they attended, missed and must make up."""
    member = get_visible_or_404(
        Member.objects.select_related("org"), request.user, request=request, pk=pk
    )
    rows = list(selectors.member_record(request.user, member))
    return render(
        request,
        "study/member.html",
        {
            "member": member,
            "rows": rows,
            "owed": [r for r in rows if r.status == "absent"],
            "can_record": has_role_over(request.user, member.org_path, *services.RECORD_ROLES),
            "make_up_form": MakeUpForm(initial={"made_up_on": timezone.localdate()}),
        },
    )


@require_POST
def set_target(request, pk):
    campaign = get_visible_or_404(Campaign.objects, request.user, request=request, pk=pk)
    try:
        services.set_target(
            actor=request.user,
            campaign=campaign,
            kind=request.POST.get("kind", ""),
            per_team=int_param(request.POST, "per_team", default=0, max=10_000),
        )
    except (Invalid, NotAllowed) as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "学习目标已保存")
    return redirect(next_url(request, reverse("study:list")))


@require_GET
def export(request):
    """学习教育开展情况台账: the activities of the subtree with attendance counts."""
    node = node_from_request(request)
    kind = request.GET.get("kind", "")
    rows = selectors.activities(
        request.user, node.path, kind=kind if kind in StudyKind.values else ""
    ).order_by("org_path", "starts_on", "id")
    response = HttpResponse(content_type=CONTENT_TYPES["xlsx"])
    write_table(
        response,
        title=f"{node.name}学习教育开展情况台账",
        unit=node.name,
        columns=[
            ("序号", 6),
            ("党组织", 28),
            ("学习形式", 12),
            ("学习主题", 36),
            ("日期", 12),
            ("结束日期", 12),
            ("班子学习", 8),
            ("主讲人", 10),
            ("参加人数", 8),
            ("缺席人数", 8),
            ("已补学", 8),
            ("受众人次", 9),
        ],
        rows=(
            (
                n,
                a.org.name,
                a.get_kind_display(),
                a.topic,
                a.starts_on,
                a.ends_on,
                a.team_id is not None,
                a.speaker,
                a.present,
                a.absent,
                a.made_up,
                a.audience,
            )
            for n, a in enumerate(rows.iterator(chunk_size=2000), start=1)
        ),
        sheet="学习教育",
    )
    record_event(
        "export", user=request.user, request=request, org_path=node.path, target="学习教育"
    )
    filename = f"学习教育台账-{node.display_name}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
