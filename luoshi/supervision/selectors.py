"""Reads of supervision, always scoped to the user: 督办单, the inbox, reporting upward, and the
figures of a subtree (keys beginning `escalations` and `submissions`)."""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.utils import timezone

from luoshi.accounts.permissions import has_role_over, role_paths
from luoshi.core.paths import ancestor_paths, subtree_q
from luoshi.orgs.models import Organization
from luoshi.supervision import ladder, periods
from luoshi.supervision.models import (
    COLOURS,
    Escalation,
    EscalationState,
    Notification,
    ReportDemand,
    Senders,
    Step,
    Submission,
    SubmissionState,
)


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


# --- as of a day: the one place that says how a 督办单 or a submission stood then ----------
def escalation_state_then(day: date | None):
    """A 督办单's state at the end of `day`, from its dates: replied once replied_on has come,
    stopped once stopped_on has (one stopped before the day was kept, stopped_on empty, counts
    as stopped), else waiting. None: its state now."""
    if day is None:
        return F("state")
    return Case(
        When(replied_on__lte=day, then=Value(EscalationState.REPLIED)),
        When(
            Q(state=EscalationState.STOPPED)
            & (Q(stopped_on__isnull=True) | Q(stopped_on__lte=day)),
            then=Value(EscalationState.STOPPED),
        ),
        default=Value(EscalationState.ISSUED),
        output_field=CharField(),
    )


def submission_state_then(day: date | None):
    """A submission's state at the end of `day`: received or returned once decided by then,
    else waiting. None: its state now."""
    if day is None:
        return F("state")
    return Case(
        When(decided_at__lte=end_of(day), then="state"),
        default=Value(SubmissionState.SUBMITTED),
        output_field=CharField(),
    )


def escalations(user, *, step: str = "", state: str = "", as_of: date | None = None):
    """督办单 and reminders of the measures the user may see, newest first; with `as_of`, those
    issued by the end of that day, each in the state it had then (`state_then`)."""
    rows = Escalation.objects.visible_to(user).select_related("to_org", "org", "measure")
    rows = rows.annotate(state_then=escalation_state_then(as_of))
    if as_of is not None:
        rows = rows.filter(issued_on__lte=as_of)
    if step in Step.values:
        rows = rows.filter(step=step)
    if state in EscalationState.values:
        rows = rows.filter(state_then=state)
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


def standing_submissions(demand, orgs, as_of: date | None = None):
    """The demand's submissions of `orgs` that answer their period (not returned), each with
    its `state_then`; with `as_of`, those sent by the end of that day and not returned by then,
    so that a past day's overview never changes when later facts arrive."""
    subs = Submission.objects.filter(demand=demand, org__in=orgs).annotate(
        state_then=submission_state_then(as_of)
    )
    if as_of is not None:
        subs = subs.filter(submitted_at__lte=end_of(as_of))
    return subs.exclude(state_then=SubmissionState.RETURNED)


def demand_status(
    user, demand, period: date, today: date | None = None, *, as_of: date | None = None
) -> list[SenderRow]:
    """For one period: each organisation that must report (those the user may see) with its
    standing submission, whether it is late (not in by the day after the deadline, or sent
    after it), and the change of its figures since its previous submission. With `as_of`, as it
    stood at the end of that day (`today` is then that day)."""
    today = as_of or today or timezone.localdate()
    orgs = list(periods.senders(demand).visible_to(user))
    subs = (
        standing_submissions(demand, orgs, as_of)
        .select_related("snapshot")
        .order_by("org_id", "-period_due_on", "-id")
    )
    subs = labelled(subs)
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


def history(user, demand, org=None, *, as_of: date | None = None):
    """Every submission of the demand the user may see, returned ones included, newest first;
    with `as_of`, those sent by the end of that day, each in its state then."""
    rows = Submission.objects.visible_to(user).filter(demand=demand)
    rows = rows.annotate(state_then=submission_state_then(as_of))
    if as_of is not None:
        rows = rows.filter(submitted_at__lte=end_of(as_of))
    if org is not None:
        rows = rows.filter(org=org)
    return rows.select_related("org", "submitted_by", "decided_by").order_by("-submitted_at", "-id")


def labelled(submissions) -> list[Submission]:
    """The submissions with `state_label`: the words of the state they had then."""
    rows = list(submissions)
    for s in rows:
        s.state_label = SubmissionState(s.state_then).label
    return rows


def default_period(demand, today: date) -> date:
    """The period a page shows first: the last deadline passed, else the first."""
    passed = periods.passed(demand, today)
    return passed[-1] if passed else periods.deadlines(demand, today)[0]


def sender_orgs(user, demand) -> list[Organization]:
    """The reporting organisations whose ledger the user keeps (may submit for)."""
    from luoshi.accounts.permissions import may_keep_ledger

    return [o for o in periods.senders(demand).visible_to(user) if may_keep_ledger(user, o.path)]


# --- figures ------------------------------------------------------------------------------
def escalation_figures(path: str, as_of: date | None = None) -> dict:
    """督办单 of the subtree by colour and state, and the reply rate (replied of those replied
    or waiting; the stopped ones need none). With `as_of`: those issued by the end of that day,
    each in the state it had then."""
    rows = Escalation.objects.filter(subtree_q("org_path", path))
    if as_of is not None:
        rows = rows.filter(issued_on__lte=as_of)
    rows = (
        rows.annotate(state_then=escalation_state_then(as_of))
        .values_list("step", "state_then")
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


def submission_figures(path: str, as_of: date | None = None) -> dict:
    """Reports the subtree's organisations owe upward, as they stood at the end of `as_of`
    (default today): expected (for each demand set by then, its senders inside the subtree
    times its deadlines passed), received, waiting, returned, sent late, and missing (expected
    with no standing submission). Counted from the dates the rows carry (set, sent, decided),
    so a past day's figures never change when later facts arrive."""
    day = as_of or timezone.localdate()
    end = end_of(day)
    ancestors = [p for p in ancestor_paths(path) if p != path]
    rows = ReportDemand.objects.filter(
        Q(org_path__in=ancestors) | subtree_q("org_path", path), created_at__lte=end
    )
    demand_list = list(
        rows.only(
            "id", "org_id", "org_path", "period", "first_due_on", "batch", "senders", "sender_level"
        )
    )
    expected = sum(
        _senders_inside(d, path) * len(periods.passed(d, day))
        for d in demand_list
        if periods.passed(d, day)
    )
    subs = Submission.objects.filter(
        subtree_q("org_path", path), demand__in=demand_list, submitted_at__lte=end
    ).annotate(state_then=submission_state_then(as_of and day))
    standing = ~Q(state_then=SubmissionState.RETURNED)
    counts = subs.aggregate(
        received=Count("id", filter=Q(state_then=SubmissionState.RECEIVED)),
        waiting=Count("id", filter=Q(state_then=SubmissionState.SUBMITTED)),
        returned=Count("id", filter=Q(state_then=SubmissionState.RETURNED)),
        late=Count("id", filter=Q(late=True) & standing),
        answered=Count("id", filter=Q(period_due_on__lt=day) & standing),
    )
    return {
        "submissions_expected": expected,
        "submissions_received": counts["received"],
        "submissions_waiting": counts["waiting"],
        "submissions_returned": counts["returned"],
        "submissions_late": counts["late"],
        "submissions_missing": max(expected - counts["answered"], 0),
    }


def _senders_inside(demand, path: str) -> int:
    """How many of the demand's senders are in the subtree at `path`."""
    if demand.senders == Senders.CHILDREN and not demand.org_path.startswith(path):
        # set above the subtree: only the subtree's top can be a direct child
        return int(parent_path(path) == demand.org_path)
    return periods.senders(demand).filter(subtree_q("path", path)).count()


def parent_path(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[0] + "/"


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
