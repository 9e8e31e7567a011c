"""Seed 督办单 and reports upward: the ladder climbed for a sample of the overdue measures (some
replied), and a weekly report the root's office expects from the organisations below it, sent
by most of them (one late, one returned and sent again), so that every page has something."""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model

from luoshi.campaigns.models import Campaign
from luoshi.core.scoping import SYSTEM
from luoshi.rectification import clock
from luoshi.rectification.models import Measure, today
from luoshi.supervision import ladder, services
from luoshi.supervision.models import Escalation, EscalationState, Period, ReportKind, Step

SAMPLE = {"tiny": 12, "city": 150, "province": 300}
REPLIES = [
    "已召开专题会议研究整改，正在加快推进，预计两周内完成。",
    "已落实专人负责，整改进度已达80%。",
]
RETURN_REASON = "数字与台账不符，请核实后重报"


def seed_supervision(context) -> None:
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    _seed_escalations(context, campaign)
    _seed_reports(context, campaign)


def _seed_escalations(context, campaign) -> None:
    rules = ladder.ensure_default_rules(campaign)
    day = today()
    measures = list(
        Measure.objects.filter(campaign=campaign)
        .filter(clock.overdue_q(on=day))
        .select_related("org__parent", "problem")
        .order_by("due_on", "pk")[: SAMPLE.get(context.scale, 12)]
    )
    for m in measures:
        for rule in ladder.due_steps(m, rules, day):
            services._issue(m, rule, day)
    waiting = Escalation.objects.filter(campaign=campaign, state=EscalationState.ISSUED).exclude(
        step=Step.REMIND
    )
    for i, e in enumerate(waiting.order_by("pk")[: max(len(measures) // 3, 1)]):
        services.reply_escalation(actor=SYSTEM, escalation_id=e.pk, text=REPLIES[i % len(REPLIES)])


def _seed_reports(context, campaign) -> None:
    root = context.root
    office = get_user_model().objects.get(username="city_office")  # accounts.seeding
    demand = services.create_demand(
        actor=office,
        org=root,
        campaign=campaign,
        title="整改落实进展周报",
        kind=ReportKind.STATISTICS,
        period=Period.WEEKLY,
        first_due_on=today() - timedelta(days=8),
    )
    children = list(root.children.order_by("path")[:6])
    for i, org in enumerate(children[:-1]):  # the last one has not reported
        sent = services.submit_report(actor=office, demand_id=demand.pk, org=org)
        if i == 0:
            services.decide_submission(
                actor=office, submission_id=sent.pk, receive=False, reason=RETURN_REASON
            )
            services.submit_report(actor=office, demand_id=demand.pk, org=org)
        elif i % 2:
            services.decide_submission(actor=office, submission_id=sent.pk, receive=True)
    _date_back(demand)


def _date_back(demand) -> None:
    """Give the seeded reports the days they would have had (the demand set two weeks ago, most
    sent the day before the first deadline and decided the day after, the one returned sent
    again two days late), so that the overview as of a past day has a story to show."""
    from django.utils import timezone

    from luoshi.supervision.models import ReportDemand, Submission, SubmissionState

    def at(day, hour):
        return timezone.make_aware(datetime.combine(day, time(hour)))

    due = demand.first_due_on
    ReportDemand.objects.filter(pk=demand.pk).update(created_at=at(due - timedelta(days=6), 9))
    seen = set()
    for s in Submission.objects.filter(demand=demand).order_by("pk"):
        again = s.org_id in seen  # sent again after a return
        seen.add(s.org_id)
        sent = at(due + timedelta(days=2), 15) if again else at(due - timedelta(days=1), 10)
        decided = at(due + timedelta(days=1), 11) if s.state != SubmissionState.SUBMITTED else None
        Submission.objects.filter(pk=s.pk).update(submitted_at=sent, decided_at=decided, late=again)
