"""Reads of supervision, always scoped to the user: 督办单, the inbox, reporting upward, and the
figures of a subtree (keys beginning `escalations` and `submissions`)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone

from luoshi.accounts.permissions import has_role_over, role_paths
from luoshi.core.paths import subtree_q
from luoshi.orgs.models import Organization
from luoshi.supervision import ladder, periods
from luoshi.supervision.models import (
    COLOURS,
    Escalation,
    EscalationState,
    Notification,
    ReportDemand,
    Step,
    Submission,
    SubmissionState,
)


def escalations(user, *, step: str = "", state: str = ""):
    """督办单 and reminders of the measures the user may see, newest first."""
    rows = Escalation.objects.visible_to(user).select_related("to_org", "org", "measure")
    if step in Step.values:
        rows = rows.filter(step=step)
    if state in EscalationState.values:
        rows = rows.filter(state=state)
    return rows.order_by("-issued_on", "-id")


def may_reply(user, escalation) -> bool:
    return (
        escalation.step != Step.REMIND
        and escalation.state == EscalationState.ISSUED
        and has_role_over(user, escalation.to_org.path, *ladder.REPLY_ROLES)
    )


def inbox(user):
    return Notification.objects.filter(user_id=user.pk).order_by("-day", "-id")


def unread_count(user) -> int:
    if not getattr(user, "pk", None):
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def my_escalations_section(user):
    """ "我的工作": the 督办单 waiting for a reply from an organisation the user answers for."""
    paths = [p for p, r in role_paths(user) if r in ladder.REPLY_ROLES]
    if not paths:
        return None
    q = Q()
    for path in paths:
        q |= subtree_q("to_org__path", path)
    items = list(
        Escalation.objects.filter(q, state=EscalationState.ISSUED)
        .exclude(step=Step.REMIND)
        .select_related("org")
        .order_by("reply_due_on", "id")[:50]
    )
    if not items:
        return None
    return {"title": "督办单待回复", "template": "supervision/_my_escalations.html", "items": items}


# --- reporting upward ---------------------------------------------------------------------
def demands(user):
    """Report demands the user takes part in: set by an organisation in their scope, or by the
    level directly above one (the unit that must report)."""
    return ReportDemand.objects.visible_to(user).select_related("campaign", "org")


@dataclass
class SenderRow:
    org: Organization
    submission: Submission | None
    late: bool  # missing or sent after the deadline
    difference: dict | None


def demand_status(user, demand, period: date, today: date | None = None) -> list[SenderRow]:
    """For one period: each organisation that must report (those the user may see) with its
    standing submission, whether it is late (not in by the day after the deadline, or sent
    after it), and the change of its figures since its previous submission."""
    today = today or timezone.localdate()
    orgs = list(periods.senders(demand).visible_to(user))
    subs = (
        Submission.objects.filter(demand=demand, org__in=orgs)
        .exclude(state=SubmissionState.RETURNED)
        .select_related("snapshot")
        .order_by("org_id", "-period_due_on", "-id")
    )
    by_org: dict[int, list[Submission]] = {}
    for s in subs:
        by_org.setdefault(s.org_id, []).append(s)
    rows = []
    for org in orgs:
        mine = [s for s in by_org.get(org.pk, []) if s.period_due_on <= period]
        current = mine[0] if mine and mine[0].period_due_on == period else None
        late = current.late if current else periods.is_late(period, today)
        diff = None
        if current and len(mine) > 1:
            diff = periods.difference(current.snapshot.figures, mine[1].snapshot.figures)
        rows.append(SenderRow(org, current, late, diff))
    return rows


def history(user, demand, org=None):
    """Every submission of the demand the user may see, returned ones included, newest first."""
    rows = Submission.objects.visible_to(user).filter(demand=demand)
    if org is not None:
        rows = rows.filter(org=org)
    return rows.select_related("org", "submitted_by", "decided_by").order_by("-submitted_at", "-id")


def default_period(demand, today: date) -> date:
    """The period a page shows first: the last deadline passed, else the first."""
    passed = periods.passed(demand, today)
    return passed[-1] if passed else periods.deadlines(demand, today)[0]


def sender_orgs(user, demand) -> list[Organization]:
    """The reporting organisations whose ledger the user keeps (may submit for)."""
    from luoshi.accounts.permissions import may_keep_ledger

    return [o for o in periods.senders(demand).visible_to(user) if may_keep_ledger(user, o.path)]


# --- figures ------------------------------------------------------------------------------
def escalation_figures(path: str) -> dict:
    """督办单 of the subtree by colour and state, and the reply rate (replied of those replied
    or waiting; the stopped ones need none)."""
    rows = (
        Escalation.objects.filter(subtree_q("org_path", path))
        .values_list("step", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_step, by_state, reminders = dict.fromkeys(COLOURS, 0), dict.fromkeys(EscalationState, 0), 0
    for step, state, n in rows:
        if step == Step.REMIND:
            reminders += n
            continue
        by_step[step] += n
        by_state[state] += n
    replied, waiting = by_state[EscalationState.REPLIED], by_state[EscalationState.ISSUED]
    return {
        "escalations": sum(by_step.values()),
        "escalations_yellow": by_step[Step.YELLOW],
        "escalations_orange": by_step[Step.ORANGE],
        "escalations_red": by_step[Step.RED],
        "escalations_waiting": waiting,
        "escalations_replied": replied,
        "escalations_stopped": by_state[EscalationState.STOPPED],
        "escalations_reply_rate": round(100 * replied / (replied + waiting), 1)
        if replied + waiting
        else 0.0,
        "escalations_reminders": reminders,
    }


def submission_figures(path: str, today: date | None = None) -> dict:
    """Reports the subtree's organisations owe upward: expected (each reporting organisation in
    the subtree times the periods whose deadline has passed), received, waiting, returned, sent
    late, and missing (expected with no standing submission)."""
    today = today or timezone.localdate()
    parent_path = path.rstrip("/").rsplit("/", 1)[0] + "/"
    rows = ReportDemand.objects.filter(Q(org_path=parent_path) | subtree_q("org_path", path))
    demand_list = list(rows.only("id", "org_id", "org_path", "period", "first_due_on", "batch"))
    inside = [d.org_id for d in demand_list if d.org_path.startswith(path)]
    children = dict(
        Organization.objects.filter(parent_id__in=inside)
        .values_list("parent_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    expected = sum(
        (children.get(d.org_id, 0) if d.org_path.startswith(path) else 1)
        * len(periods.passed(d, today))
        for d in demand_list
    )
    subs = Submission.objects.filter(subtree_q("org_path", path), demand__in=demand_list)
    counts = subs.aggregate(
        received=Count("id", filter=Q(state=SubmissionState.RECEIVED)),
        waiting=Count("id", filter=Q(state=SubmissionState.SUBMITTED)),
        returned=Count("id", filter=Q(state=SubmissionState.RETURNED)),
        late=Count("id", filter=Q(late=True) & ~Q(state=SubmissionState.RETURNED)),
        answered=Count(
            "id", filter=Q(period_due_on__lt=today) & ~Q(state=SubmissionState.RETURNED)
        ),
    )
    return {
        "submissions_expected": expected,
        "submissions_received": counts["received"],
        "submissions_waiting": counts["waiting"],
        "submissions_returned": counts["returned"],
        "submissions_late": counts["late"],
        "submissions_missing": max(expected - counts["answered"], 0),
    }


def report_paragraphs(org, figures: dict) -> list[str]:
    """The progress report's and the summary's paragraph on 督办 and 报送 (none without any)."""
    lines = []
    if figures.get("escalations"):
        lines.append(
            f"对逾期未完成的整改措施实行三色督办，共下发督办单{figures['escalations']}件"
            f"（黄色{figures['escalations_yellow']}件、橙色{figures['escalations_orange']}件、"
            f"红色{figures['escalations_red']}件），已回复{figures['escalations_replied']}件，"
            f"回复率{figures['escalations_reply_rate']}%。"
        )
    if figures.get("submissions_expected"):
        lines.append(
            f"按要求应报送{figures['submissions_expected']}份，"
            f"已接收{figures['submissions_received']}份，退回重报{figures['submissions_returned']}份，"
            f"尚未报送{figures['submissions_missing']}份。"
        )
    return lines
