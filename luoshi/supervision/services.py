"""Every write of supervision: the sweep that climbs the ladder and sends the daily digests,
replies to 督办单, the campaign's rungs, the inbox, and reporting upward (报送) with receipt.

The sweep is idempotent: each rung is written once (unique measure + rung + round) in its own
transaction with its inbox messages, so a sweep run twice issues nothing twice and one that
crashed midway completes on the next run; each digest is claimed (unique person + day +
channel) before it is sent, so nothing is sent twice."""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over, may_keep_ledger, may_remind
from luoshi.campaigns.models import Campaign
from luoshi.core import versions
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.scoping import get_visible_or_404
from luoshi.dashboards.services import submit_figures
from luoshi.rectification import clock
from luoshi.rectification.models import Measure, MeasureState
from luoshi.supervision import channels, ladder, periods
from luoshi.supervision.models import (
    Delivery,
    Escalation,
    EscalationRule,
    EscalationState,
    Notification,
    Period,
    Reminder,
    ReportDemand,
    ReportKind,
    Senders,
    Step,
    Submission,
    SubmissionState,
)

log = logging.getLogger(__name__)
REPLY_MAX = 2000
REASON_MAX = 500


@dataclass
class SweepResult:
    issued: Counter = field(default_factory=Counter)
    stopped: int = 0
    sent: Counter = field(default_factory=Counter)
    failed: int = 0

    def summary(self) -> str:
        steps = "，".join(f"{Step(s).label} {n}" for s, n in sorted(self.issued.items())) or "无"
        sent = "，".join(f"{k} {n}" for k, n in sorted(self.sent.items())) or "无"
        return f"新下发：{steps}；终止督办 {self.stopped} 件；推送：{sent}；推送失败 {self.failed}"


def _person(actor):
    """The actor as a user row to record (None for the command line's system actor)."""
    return actor if getattr(actor, "pk", None) else None


# --- the sweep ----------------------------------------------------------------------------
def sweep(today: date | None = None, *, send: bool = True) -> SweepResult:
    """Climb every campaign's ladder for the day: stop the 督办单 of measures closed or extended
    since, issue each rung now due (in ladder order, once), then send each person's digest of
    the day through every enabled channel. Safe to run again at any point."""
    today = today or timezone.localdate()
    result, memo = SweepResult(), {}
    for campaign in Campaign.objects.order_by("pk"):
        rules = ladder.ensure_default_rules(campaign)
        result.stopped += stop_standing(campaign, today)
        for measure in _candidates(campaign, rules, today):
            done = measure.done_steps
            for rule in ladder.due_steps(measure, rules, today):
                if rule.step not in done and _issue(measure, rule, today, memo):
                    result.issued[rule.step] += 1
    if send:
        send_digests(today, result)
    return result


def _candidates(campaign, rules, today: date) -> list[Measure]:
    """Open dated measures of the campaign near or past their deadline, each with the rungs of
    its current round already issued (`done_steps`)."""
    remind = max((r.days for r in rules if r.step == Step.REMIND and r.active), default=0)
    measures = list(
        Measure.objects.filter(campaign=campaign)
        .filter(clock.open_q() & clock.dated_q(), due_on__lte=today + timedelta(days=remind))
        .select_related("org__parent", "problem")
        .order_by("due_on", "pk")
    )
    issued: dict[tuple[int, int], set[str]] = {}
    for measure_id, rnd, step in Escalation.objects.filter(
        campaign=campaign, measure_id__in=[m.pk for m in measures]
    ).values_list("measure_id", "round", "step"):
        issued.setdefault((measure_id, rnd), set()).add(step)
    for m in measures:
        m.done_steps = issued.get((m.pk, m.extensions), set())
    return measures


def _issue(measure: Measure, rule: EscalationRule, today: date, memo: dict | None = None) -> bool:
    """Write one rung and its inbox messages in one transaction; False when it exists already
    (another sweep wrote it)."""
    try:
        with transaction.atomic():
            address = ladder.address(rule.step, measure, memo)
            escalation = _write_escalation(measure, rule, today, address)
            _notify(escalation, address.user_ids, measure)
            versions.changed([measure.org_path])
    except IntegrityError:
        return False
    return True


def _write_escalation(measure: Measure, rule: EscalationRule, today: date, address) -> Escalation:
    year, seq, number = today.year, None, ""
    if rule.step != Step.REMIND:
        last = Escalation.objects.filter(year=year).aggregate(n=Max("seq"))["n"] or 0
        seq = last + 1
        number = ladder.number_of(year, seq)
    return Escalation.objects.create(
        org_id=measure.org_id,
        org_path=measure.org_path,
        measure=measure,
        campaign_id=measure.campaign_id,
        step=rule.step,
        round=measure.extensions,
        to_org=address.org,
        year=year,
        seq=seq,
        number=number,
        due_on=measure.due_on,
        issued_on=today,
        reply_due_on=today + timedelta(days=rule.reply_days) if seq else None,
    )


def _notify(escalation: Escalation, user_ids: list[int], measure: Measure) -> None:
    org = measure.org.short_name or measure.org.name
    if escalation.step == Step.REMIND:
        title = f"到期提醒：{org}的整改措施将于{measure.due_on:%m月%d日}到期"
    else:
        title = f"{escalation.get_step_display()}（{escalation.number}）：{org}的整改措施已逾期"
    body = f"问题：{measure.problem.title}\n措施：{measure.content[:200]}"
    url = reverse("supervision:escalation", args=[escalation.pk])
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                escalation=escalation,
                title=title[:200],
                body=body,
                url=url,
                day=escalation.issued_on,
            )
            for uid in user_ids
        ]
    )


def stop_standing(campaign, today: date | None = None) -> int:
    """Stop the campaign's 督办单 still waiting whose measure was closed (销号) or given an
    approved extension since, dated `today` (figures as of an earlier day still count them
    waiting); returns how many."""
    today = today or timezone.localdate()
    waiting = Escalation.objects.filter(campaign=campaign, state=EscalationState.ISSUED)
    stopped = 0
    for reason, q in (
        ("措施已销号", clock.closed_q("measure__")),
        ("延期申请已批准", Q(round__lt=F("measure__extensions"))),
    ):
        rows = waiting.filter(q)
        paths = set(rows.values_list("org_path", flat=True))
        with transaction.atomic():
            n = Escalation.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).update(
                state=EscalationState.STOPPED, stop_reason=reason, stopped_on=today
            )
            if n:
                versions.changed(paths)
        stopped += n
    return stopped


# --- digests ------------------------------------------------------------------------------
def digest_of(user, day: date) -> channels.Digest | None:
    """Everything a person was sent on `day`, as one message (None when nothing)."""
    notes = list(Notification.objects.filter(user=user, day=day).order_by("pk"))
    if not notes:
        return None
    lines = [f"{i}. {n.title}" for i, n in enumerate(notes, 1)]
    return channels.Digest(
        day=day.isoformat(),
        subject=f"【落实】{day:%Y年%m月%d日}督办提醒（{len(notes)}条）",
        text="\n".join(lines) + "\n\n请登录系统“我的消息”查看并办理。",
        items=[{"title": n.title, "url": n.url} for n in notes],
    )


def send_digests(day: date, result: SweepResult | None = None) -> SweepResult:
    """Send each person who was sent anything on `day` one digest per enabled channel. Each is
    claimed first (a Delivery row, unique per person, day and channel): a claimed one is never
    sent again; one that failed is tried again by the next sweep."""
    result = result or SweepResult()
    users = get_user_model().objects.filter(
        pk__in=Notification.objects.filter(day=day).values("user_id"), is_active=True
    )
    for channel in channels.enabled():
        for user in users.order_by("pk"):
            if not channel.reaches(user):
                continue
            digest = digest_of(user, day)
            if digest is None or not _claim(user, day, channel.name, len(digest.items)):
                continue
            try:
                channel.send(user, digest)
            except Exception as exc:  # a channel down must not stop the others
                log.warning("digest to %s via %s failed: %s", user.pk, channel.name, exc)
                _finish(user, day, channel.name, Delivery.State.FAILED, str(exc)[:300])
                result.failed += 1
                continue
            _finish(user, day, channel.name, Delivery.State.SENT)
            result.sent[channel.name] += 1
    return result


def _claim(user, day: date, channel: str, items: int) -> bool:
    try:
        with transaction.atomic():
            Delivery.objects.create(user=user, day=day, channel=channel, items=items)
        return True
    except IntegrityError:
        retry = Delivery.objects.filter(
            user=user, day=day, channel=channel, state=Delivery.State.FAILED
        )
        return bool(retry.update(state=Delivery.State.SENDING, items=items, error=""))


def _finish(user, day: date, channel: str, state: str, error: str = "") -> None:
    Delivery.objects.filter(user=user, day=day, channel=channel).update(state=state, error=error)


# --- replies and rungs --------------------------------------------------------------------
@transaction.atomic
def reply_escalation(*, actor, escalation_id: int, text: str) -> Escalation:
    """The organisation a 督办单 is addressed to replies (its liaison, office or leader, or a
    level above it): once, while it waits; a reminder needs no reply."""
    escalation = get_visible_or_404(
        Escalation.objects.select_related("to_org"), actor, pk=escalation_id
    )
    if not has_role_over(actor, escalation.to_org.path, *ladder.REPLY_ROLES):
        raise NotAllowed("只有督办对象单位可以回复督办单")
    if escalation.step == Step.REMIND:
        raise Invalid("到期提醒无需回复")
    text = text.strip()
    if not text:
        raise Invalid("请填写回复内容")
    if len(text) > REPLY_MAX:
        raise Invalid(f"回复内容最多 {REPLY_MAX} 个字")
    updated = Escalation.objects.filter(pk=escalation.pk, state=EscalationState.ISSUED).update(
        state=EscalationState.REPLIED,
        reply_text=text,
        replied_on=timezone.localdate(),
        replied_by=_person(actor),
    )
    if not updated:
        raise Invalid("该督办单已回复或已终止，不能再回复")
    versions.changed([escalation.org_path])
    escalation.refresh_from_db()
    return escalation


@transaction.atomic
def save_rule(
    *, actor, campaign_id: int, step: str, days: int, reply_days: int, active: bool = True
) -> EscalationRule:
    """The campaign's office sets a rung's days (the ladder's rules: ladder.rule_refusal)."""
    campaign = get_visible_or_404(Campaign.objects, actor, pk=campaign_id)
    if not has_role_over(actor, campaign.org_path, Role.OFFICE, Role.ADMIN):
        raise NotAllowed("只有本级主题教育办公室可以设置督办规则")
    if refusal := ladder.rule_refusal(step, days, reply_days):
        raise Invalid(refusal)
    ladder.ensure_default_rules(campaign)
    rule = EscalationRule.objects.get(campaign=campaign, step=step)
    rule.days, rule.reply_days, rule.active = days, reply_days, active
    rule.save(update_fields=["days", "reply_days", "active"])
    return rule


# --- the inbox ----------------------------------------------------------------------------
def mark_read(*, actor, notification_id: int | None = None) -> int:
    """Mark one of the actor's messages read (404 for anyone else's), or all of them."""
    mine = Notification.objects.filter(user_id=actor.pk, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(user_id=actor.pk, pk=notification_id).exists():
            raise Http404
        mine = mine.filter(pk=notification_id)
    return mine.update(read_at=timezone.now())


# --- reminders by hand (批量提醒) ------------------------------------------------------------
@dataclass
class RemindResult:
    reminded: list = field(default_factory=list)  # the measures reminded
    refused: list = field(default_factory=list)  # why each other one was not, in Chinese
    people: int = 0  # how many people got a message


def _named(measure: Measure) -> str:
    return f"“{measure.problem.title[:30]}”措施 {measure.number}"


def _remind_refusal(actor, measure: Measure) -> str | None:
    """Why the actor may not remind the owners of the measure now, or None."""
    if not may_remind(actor, measure.org_path):
        return "只有上级组织或指导组可以提醒该单位"
    if clock.is_closed(measure):
        return "已销号，无需提醒"
    if measure.state == MeasureState.SUBMITTED:
        return "已申请销号，正等待核验，无需提醒"
    return None


def _remind_line(measure: Measure, today: date) -> str:
    org = measure.org.short_name or measure.org.name
    late = ladder.overdue_days(measure, today)
    when = f"已逾期 {late} 天" if late else f"时限 {measure.deadline_label}"
    return f"{org}：{_named(measure)}（{when}）"


@transaction.atomic
def remind_measures(*, actor, measure_ids: list[int]) -> RemindResult:
    """提醒 the owners of several measures at once: each person responsible for a measure's
    organisation (its liaison and office, else the nearest level above: ladder.address, as the
    ladder's own 到期提醒) gets one inbox message naming all of their measures. Only measures
    in the actor's subtree (others are refused as not found) of organisations the actor may
    remind (permissions.may_remind), still to be done, and not reminded yet today (by anyone:
    one 提醒 a day per measure). Every refused measure is said, by name, with why."""
    today = timezone.localdate()
    result, memo = RemindResult(), {}
    wanted = list(dict.fromkeys(measure_ids))
    found = Measure.objects.visible_to(actor).select_related("org__parent", "problem")
    found = found.in_bulk(wanted)
    already = set(
        Reminder.objects.filter(measure_id__in=wanted, day=today).values_list(
            "measure_id", flat=True
        )
    )
    lines: dict[int, list[str]] = {}
    for pk in wanted:
        measure = found.get(pk)
        if measure is None:
            result.refused.append("没有找到所选的一条措施，或您无权查看")
            continue
        why = _remind_refusal(actor, measure)
        if why is None and pk in already:
            why = "今天已提醒过，同一措施一天只提醒一次"
        people = [u for u in ladder.address(Step.REMIND, measure, memo).user_ids if u != actor.pk]
        if why is None and not people:
            why = "该单位及上级没有可接收提醒的联络员或办公室账号"
        if why is None:
            why = _claim_reminder(actor, measure, today)
        if why is not None:
            result.refused.append(f"{_named(measure)}：{why}")
            continue
        result.reminded.append(measure)
        for uid in people:
            lines.setdefault(uid, []).append(_remind_line(measure, today))
    _send_reminders(actor, lines, today)
    result.people = len(lines)
    return result


def _claim_reminder(actor, measure: Measure, today: date) -> str | None:
    """Record today's 提醒 of the measure; the refusal when another was recorded meanwhile."""
    try:
        with transaction.atomic():
            Reminder.objects.create(
                org_id=measure.org_id,
                org_path=measure.org_path,
                measure=measure,
                day=today,
                sent_by=_person(actor),
            )
    except IntegrityError:
        return "今天已提醒过，同一措施一天只提醒一次"
    return None


def _send_reminders(actor, lines: dict[int, list[str]], today: date) -> None:
    sender = _actor_org_name(actor)
    url = reverse("rectification:ledger") + "?work=to_update"
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                title=f"{sender}提醒：请抓紧办理 {len(rows)} 条整改措施"[:200],
                body="\n".join(rows),
                url=url,
                day=today,
            )
            for uid, rows in lines.items()
        ]
    )


def _actor_org_name(actor) -> str:
    """The organisation the reminder comes from, as its readers know it: the actor's highest
    assignment (a guidance group's subtree reads as 指导组)."""
    from luoshi.accounts.permissions import role_paths
    from luoshi.orgs.models import Organization

    held = sorted(role_paths(actor), key=lambda a: len(a[0]))
    if not held:
        return "上级"
    path, role = held[0]
    if role == Role.GUIDANCE:
        return "指导组"
    org = Organization.objects.filter(path=path).only("name", "short_name").first()
    return (org.short_name or org.name) if org else "上级"


# --- reporting upward ---------------------------------------------------------------------
@transaction.atomic
def create_demand(
    *,
    actor,
    org,
    campaign,
    title: str,
    kind: str,
    period: str,
    first_due_on: date,
    batch=None,
    figure_keys: list[str] | None = None,
    senders: str = Senders.CHILDREN,
    sender_level: int | None = None,
    sender_list: list | None = None,
) -> ReportDemand:
    """The office of `org` sets a report it expects from its senders: the organisations
    directly below (default), all of its subtree at a level, or the ones chosen; never outside
    its subtree (periods.senders_refusal)."""
    if not has_role_over(actor, org.path, Role.OFFICE, Role.ADMIN):
        raise NotAllowed("只有本级主题教育办公室可以设置报送要求")
    title = title.strip()
    if not title or len(title) > 100:
        raise Invalid("请填写报送事项（100 字以内）")
    if kind not in ReportKind.values or period not in Period.values:
        raise Invalid("报送内容或报送周期不正确")
    if not org.path.startswith(campaign.org_path):
        raise Invalid("该组织不在本次主题教育的范围内")
    if period == Period.BATCH_END and (batch is None or batch.campaign_id != campaign.pk):
        raise Invalid("按批次结束报送须选择本次主题教育的批次")
    if kind == ReportKind.FIGURES and not figure_keys:
        raise Invalid("报送指定数字须列出数字名称")
    chosen = list(sender_list or [])
    if refusal := periods.senders_refusal(org, senders, sender_level, chosen):
        raise Invalid(refusal)
    demand = ReportDemand.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        title=title,
        kind=kind,
        period=period,
        first_due_on=first_due_on,
        batch=batch,
        figure_keys=list(figure_keys or []),
        senders=senders,
        sender_level=sender_level if senders == Senders.LEVEL else None,
        created_by=_person(actor),
    )
    if senders == Senders.LIST:
        demand.sender_list.set(chosen)
    versions.changed([org.path])
    return demand


@transaction.atomic
def submit_report(*, actor, demand_id: int, org, text: str = "") -> Submission:
    """`org` (directly below the demand's organisation) sends its report for the earliest period
    it has not answered; the figures are kept as submitted (a dashboards snapshot). Late when
    sent after that period's deadline."""
    demands = ReportDemand.objects.select_related("campaign")
    demand = get_visible_or_404(demands, actor, pk=demand_id)
    if not periods.is_sender(demand, org):
        raise Invalid("该组织不是本报送事项的报送单位")
    if not may_keep_ledger(actor, org.path):
        raise NotAllowed("当前岗位不能代表该组织报送")
    text = text.strip()
    if demand.kind == ReportKind.PROGRESS and not text:
        raise Invalid("进展情况报告须填写报告内容")
    if len(text) > 20000:
        raise Invalid("报告内容过长")
    today = timezone.localdate()
    live = set(
        Submission.objects.filter(demand=demand, org=org)
        .exclude(state=SubmissionState.RETURNED)
        .values_list("period_due_on", flat=True)
    )
    period = periods.open_period(demand, org, today, live)
    if period is None:
        raise Invalid("各期均已报送，无需重复报送")
    snapshot = submit_figures(actor=actor, org=org, campaign=demand.campaign, note=demand.title)
    submission = Submission.objects.create(
        org=org,
        org_path=org.path,
        demand=demand,
        period_due_on=period,
        snapshot=snapshot,
        text=text,
        late=periods.is_late(period, today),
        submitted_by=_person(actor),
    )
    versions.changed([org.path])
    return submission


@transaction.atomic
def decide_submission(*, actor, submission_id: int, receive: bool, reason: str = "") -> Submission:
    """The level above receives a submission or returns it with a reason; a returned one stays
    in the history and the unit submits again."""
    submission = get_visible_or_404(
        Submission.objects.select_related("demand"), actor, pk=submission_id
    )
    if not has_role_over(actor, submission.demand.org_path, Role.OFFICE, Role.ADMIN):
        raise NotAllowed("只有上级主题教育办公室可以接收或退回报送")
    reason = reason.strip()
    if not receive and not reason:
        raise Invalid("退回须说明理由")
    if len(reason) > REASON_MAX:
        raise Invalid(f"退回理由最多 {REASON_MAX} 个字")
    updated = Submission.objects.filter(pk=submission.pk, state=SubmissionState.SUBMITTED).update(
        state=SubmissionState.RECEIVED if receive else SubmissionState.RETURNED,
        decided_by=_person(actor),
        decided_at=timezone.now(),
        return_reason="" if receive else reason,
    )
    if not updated:
        raise Invalid("该报送已处理，不能重复处理")
    versions.changed([submission.org_path])
    submission.refresh_from_db()
    return submission
