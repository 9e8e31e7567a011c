"""Every read of guidance, scoped: groups (those of the user's scope and the user's own),
inspections (an unannounced one is not shown to the organisation visited), findings (the
organisation's and its levels above, the group's), circulars (the issuer's scope, the writing
group, and once issued the recipients), the figures of a subtree and the sections of my work."""

from datetime import date, datetime, time

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from luoshi.accounts.permissions import role_paths
from luoshi.core.audit import record_refusal
from luoshi.core.paths import is_within, subtree_q
from luoshi.core.scoping import scope_q
from luoshi.guidance.models import (
    Circular,
    CircularRecipient,
    CircularState,
    Finding,
    FindingState,
    GuidanceGroup,
    Inspection,
)

# The figures a circular may quote (key of core.registry.subtree_figures -> its words).
CIRCULAR_FIGURES = {
    "organizations": "党组织数",
    "members": "党员数",
    "problems": "查摆问题数",
    "measures": "整改措施数",
    "measures_closed": "已销号措施数",
    "closure_rate": "销号率（%）",
    "measures_overdue": "逾期措施数",
    "inspections": "督导检查次数",
    "inspections_findings": "督导反馈问题数",
}


def _member_groups(user) -> list[int]:
    if getattr(user, "pk", None) is None:
        return []
    return list(GuidanceGroup.objects.filter(members=user).values_list("pk", flat=True))


def _not_found(user, request, model, pk):
    from django.http import Http404

    record_refusal(user=user, request=request, model=model, lookup={"pk": pk})
    raise Http404


def visible_groups(user):
    """Groups set up in the user's scope, and those the user is a member of."""
    q = scope_q(user, "org_path")
    mine = Q(pk__in=_member_groups(user))
    return GuidanceGroup.objects.filter(mine | q if q is not None else mine)


def group_or_404(user, pk: int, request=None) -> GuidanceGroup:
    group = visible_groups(user).select_related("campaign", "leader", "org").filter(pk=pk).first()
    return group or _not_found(user, request, GuidanceGroup, pk)


def _own_only_paths(user) -> list[str]:
    """The organisations where the user holds a role and none above them: an unannounced
    inspection of one of these is not shown to the user."""
    paths = [p for p, _ in role_paths(user)]
    return [p for p in paths if not any(q != p and is_within(p, q) for q in paths)]


def inspections_for(user):
    return Inspection.objects.visible_to(user).exclude(
        Q(unannounced=True, org_path__in=_own_only_paths(user))
        & ~Q(group_id__in=_member_groups(user))
    )


def current_sample(inspection):
    """The members of the inspection's latest draw (earlier draws stay as history)."""
    from luoshi.guidance.models import SampledMember

    latest = inspection.draws.order_by("-number").values("pk")[:1]
    return SampledMember.objects.filter(inspection=inspection, draw__in=latest)


def findings_for(user):
    return Finding.objects.visible_to(user)


def circulars_for(user):
    """The issuer's scope and the writing group see a circular; once issued, its recipients."""
    q = Q(group_id__in=_member_groups(user))
    own = scope_q(user, "org_path")
    if own is not None:
        q |= own
        received = CircularRecipient.objects.filter(circular=OuterRef("pk")).filter(own)
        q |= Q(state=CircularState.ISSUED) & Exists(received)
    return Circular.objects.filter(q)


def circular_or_404(user, pk: int, request=None) -> Circular:
    circular = circulars_for(user).select_related("issued_to", "group", "org").filter(pk=pk)
    return circular.first() or _not_found(user, request, Circular, pk)


def groups_over(user, path: str):
    """The groups in force today that the user is a member of and that guide `path`."""
    return [
        g
        for g in GuidanceGroup.objects.in_force()
        .filter(pk__in=_member_groups(user))
        .prefetch_related("subtrees")
        if any(is_within(path, o.path) for o in g.subtrees.all())
    ]


# --- figures -----------------------------------------------------------------------------------
def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def guidance_figures(path: str, as_of: date | None = None) -> dict:
    """Inspections, findings fed back and replied (on time), circulars issued by the subtree's
    organisations and confirmed by its recipients: direct counts. With `as_of`, as they stood at
    the end of that day, from the dates the rows carry (recorded, first replied, checked,
    issued, confirmed), so a past day's figures never change when later facts arrive."""
    inside = subtree_q("org_path", path)
    inspections = Inspection.objects.filter(inside)
    findings = Finding.objects.filter(inside)
    recipients = CircularRecipient.objects.filter(inside, circular__state=CircularState.ISSUED)
    issued = Circular.objects.filter(inside, state=CircularState.ISSUED)
    replied_q, accepted_q = Q(first_replied_on__isnull=False), Q(state=FindingState.ACCEPTED)
    confirmed_q = Q(confirmed_at__isnull=False)
    if as_of is not None:
        end = end_of(as_of)
        inspections = inspections.filter(created_at__lte=end)
        findings = findings.filter(created_at__lte=end)
        recipients = recipients.filter(circular__issued_on__lte=as_of)
        issued = issued.filter(issued_on__lte=as_of)
        replied_q = Q(first_replied_on__lte=as_of)
        accepted_q &= Q(checked_at__lte=end)  # accepting is final: its check is the last
        confirmed_q = Q(confirmed_at__lte=end)
    visits = inspections.aggregate(
        n=Count("id"), unannounced=Count("id", filter=Q(unannounced=True))
    )
    f = findings.aggregate(
        n=Count("id"),
        replied=Count("id", filter=replied_q),
        on_time=Count("id", filter=replied_q & Q(first_replied_on__lte=F("reply_due_on"))),
        accepted=Count("id", filter=accepted_q),
    )
    c = recipients.aggregate(n=Count("id"), confirmed=Count("id", filter=confirmed_q))
    return {
        "inspections": visits["n"],
        "inspections_unannounced": visits["unannounced"],
        "inspections_findings": f["n"],
        "inspections_replied": f["replied"],
        "inspections_replied_on_time": f["on_time"],
        "inspections_accepted": f["accepted"],
        "inspections_on_time_rate": round(100 * f["on_time"] / f["n"], 1) if f["n"] else 0.0,
        "circulars_issued": issued.count(),
        "circulars_received": c["n"],
        "circulars_confirmed": c["confirmed"],
        "circulars_confirm_rate": round(100 * c["confirmed"] / c["n"], 1) if c["n"] else 0.0,
    }


def report_paragraphs(org, figures: dict) -> list[str]:
    """The guidance paragraph of the progress report and the summary, from the figures."""
    if not figures.get("inspections") and not figures.get("circulars_issued"):
        return []
    text = (
        f"在督导指导上，各指导组开展督导检查{figures['inspections']}次，其中暗访"
        f"{figures['inspections_unannounced']}次，反馈问题{figures['inspections_findings']}个，"
        f"按时回复{figures['inspections_replied_on_time']}个，已认可整改回复"
        f"{figures['inspections_accepted']}个"
    )
    if figures.get("circulars_issued") or figures.get("circulars_received"):
        text += (
            f"；印发通报{figures['circulars_issued']}期，接收单位已阅确认"
            f"{figures['circulars_confirmed']}个（共{figures['circulars_received']}个）"
        )
    return [text + "。"]


# --- my work -----------------------------------------------------------------------------------
def _reply_paths(user) -> list[str]:
    from luoshi.accounts.permissions import OWNER_ROLES

    return [p for p, r in role_paths(user) if r in OWNER_ROLES]


def my_replies_due(user):
    """Findings fed back to an organisation the user answers for, awaiting its reply."""
    paths = _reply_paths(user)
    if not paths:
        return None
    items = list(
        Finding.objects.filter(
            org_path__in=paths, state__in=[FindingState.AWAITING, FindingState.RETURNED]
        )
        .select_related("problem", "org")
        .order_by("reply_due_on", "id")[:50]
    )
    if not items:
        return None
    return {"title": "待回复的督导反馈", "template": "guidance/_my_replies.html", "items": items}


def my_replies_to_check(user):
    """Replies awaiting the check of a group the user is a member of."""
    groups = _member_groups(user)
    if not groups:
        return None
    items = list(
        Finding.objects.filter(inspection__group_id__in=groups, state=FindingState.REPLIED)
        .select_related("problem", "org")
        .order_by("replied_at", "id")[:50]
    )
    if not items:
        return None
    return {"title": "待审核的整改回复", "template": "guidance/_my_checks.html", "items": items}


def my_circulars_to_confirm(user):
    """Issued circulars an organisation the user answers for has not confirmed yet."""
    paths = _reply_paths(user)
    if not paths:
        return None
    items = list(
        CircularRecipient.objects.filter(org_path__in=paths, confirmed_at__isnull=True)
        .select_related("circular", "org")
        .order_by("circular__issued_on", "id")[:50]
    )
    if not items:
        return None
    return {"title": "待确认已阅的通报", "template": "guidance/_my_circulars.html", "items": items}
