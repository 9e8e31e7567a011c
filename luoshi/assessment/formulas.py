"""The formulas a computed indicator may use, as data: each a function (path, as_of, campaign)
-> Measured(value 0..1 or None, the figures it came from). Every formula counts only facts
dated on or before `as_of` (its end, local time), so a past day's value never changes when
later data arrives. A value of None is 暂无数据 (nothing to measure yet, or a part of luoshi not
built yet): the scheme leaves that indicator out, never scores it 0.

Each reads the rule of its own part of luoshi and does not re-derive it: closed on time is the
ledger's (rectification.clock, via dashboards.selectors.measure_figures_as_of)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, Q
from django.utils import timezone

from luoshi.core.paths import subtree_q

NO_DATA = "暂无数据"


@dataclass(frozen=True)
class Measured:
    value: float | None  # 0..1, None: 暂无数据
    figures: list[tuple[str, float]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Formula:
    key: str
    label: str
    measure: Callable[[str, date, object], Measured]


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def ratio(part: int, whole: int, figures, note: str = "") -> Measured:
    return Measured(part / whole if whole else None, figures, note if whole else NO_DATA)


def on_time_closure(path: str, as_of: date, campaign) -> Measured:
    """按期销号率: measures closed on time / measures closed, by the end of `as_of`."""
    from luoshi.dashboards.selectors import measure_figures_as_of

    f = measure_figures_as_of(path, campaign, as_of)
    figures = [
        ("整改措施", f["measures"]),
        ("已销号", f["closed"]),
        ("按期销号", f["closed_on_time"]),
    ]
    return ratio(f["closed_on_time"], f["closed"], figures)


def key_actions_done(path: str, as_of: date, campaign) -> Measured:
    """关键动作完成率: checklist items launched and due by `as_of`, done by then."""
    from luoshi.campaigns.models import ActionItem

    items = ActionItem.objects.filter(
        subtree_q("org_path", path),
        action__campaign=campaign,
        action__launched_at__lte=end_of(as_of),
        due_on__lte=as_of,
    )
    f = items.aggregate(
        due=Count("id"),
        done=Count("id", filter=Q(state=ActionItem.State.DONE, done_on__lte=as_of)),
    )
    return ratio(f["done"], f["due"], [("到期关键动作", f["due"]), ("已完成", f["done"])])


def study_against_target(path: str, as_of: date, campaign) -> Measured:
    """学习达标率: (leadership team, study target) pairs in which the team held at least the
    target's sessions of its kind from the campaign's start to `as_of`."""
    from luoshi.orgs.models import LeadershipTeam

    teams = LeadershipTeam.objects.filter(subtree_q("org_path", path))
    pairs = met = 0
    for target in campaign.study_targets.all():
        held = teams.annotate(
            n=Count(
                "study_activities",
                filter=Q(
                    study_activities__kind=target.kind,
                    study_activities__starts_on__gte=campaign.starts_on,
                    study_activities__starts_on__lte=as_of,
                ),
            )
        ).values_list("n", flat=True)
        for n in held:
            pairs += 1
            met += n >= target.per_team
    return ratio(met, pairs, [("班子×学习目标", pairs), ("已达标", met)])


def opinions_answered(path: str, as_of: date, campaign) -> Measured:
    """意见办结率: opinions received by `as_of` that had their first decision (采纳, 答复,
    不予采纳) by then."""
    from luoshi.opinions.models import Opinion

    end = end_of(as_of)
    f = Opinion.objects.filter(subtree_q("org_path", path), submitted_at__lte=end).aggregate(
        received=Count("id"), handled=Count("id", filter=Q(handled_at__lte=end))
    )
    return ratio(
        f["handled"], f["received"], [("收到意见", f["received"]), ("已办理", f["handled"])]
    )


def satisfaction_counts(path: str, as_of: date) -> dict:
    """Ratings given by the end of `as_of`: the senders' ratings of how their opinions were
    handled and every question of every survey answer."""
    from luoshi.assessment.models import SurveyAnswer
    from luoshi.opinions.models import Opinion, Rating

    end = end_of(as_of)
    counts = dict.fromkeys(Rating.values, 0)
    rated = Opinion.objects.filter(subtree_q("org_path", path), rated_at__lte=end).exclude(
        rating=""
    )
    for rating, n in rated.values_list("rating").annotate(n=Count("id")).order_by():
        counts[rating] = counts.get(rating, 0) + n
    answers = SurveyAnswer.objects.filter(subtree_q("org_path", path), answered_at__lte=end)
    for ratings in answers.values_list("ratings", flat=True):
        for rating in ratings:
            if rating in counts:
                counts[rating] += 1
    return counts


def public_satisfaction(path: str, as_of: date, campaign) -> Measured:
    """群众满意度: (满意 + 基本满意) / ratings, from opinions' ratings and survey answers."""
    c = satisfaction_counts(path, as_of)
    rated = sum(c.values())
    good = c["satisfied"] + c["basic"]
    figures = [("评价总数", rated), ("满意", c["satisfied"]), ("基本满意", c["basic"])]
    return ratio(good, rated, figures)


def monthly_coverage(path: str, as_of: date, campaign) -> Measured:
    """一月一走访覆盖率: of the targets assigned in the month of `as_of` by that day, those visited
    in that month by its end (the monthly cycle's own rule, monthly.selectors.reached)."""
    from luoshi.monthly.months import month_of
    from luoshi.monthly.selectors import coverage_counts

    assigned, reached = coverage_counts(path, month_of(as_of), by=as_of)
    return ratio(reached, assigned, [("包联对象", assigned), ("本月已走访", reached)])


def supervision_replied(path: str, as_of: date, campaign) -> Measured:
    """督办单按期回复率: the 督办单 (yellow, orange, red) whose reply was due by `as_of`, less
    those whose measure was closed (销号) before the reply was due, replied by their deadline."""
    from django.db.models import F

    from luoshi.supervision.models import COLOURS, Escalation

    due = Escalation.objects.filter(
        subtree_q("org_path", path), step__in=COLOURS, reply_due_on__lte=as_of
    ).exclude(measure__closed_at__date__lte=F("reply_due_on"))
    if campaign is not None:
        due = due.filter(campaign=campaign)
    f = due.aggregate(
        due=Count("id"), on_time=Count("id", filter=Q(replied_on__lte=F("reply_due_on")))
    )
    return ratio(f["on_time"], f["due"], [("应回复督办单", f["due"]), ("按期回复", f["on_time"])])


def not_available(what: str) -> Callable[[str, date, object], Measured]:
    """A formula whose part of luoshi is not built yet: 暂无数据 until it registers its own."""

    def measure(path: str, as_of: date, campaign) -> Measured:
        return Measured(None, [], f"{NO_DATA}（{what}尚未启用）")

    return measure


FORMULAS: dict[str, Formula] = {
    f.key: f
    for f in [
        Formula("on_time_closure", "整改按期销号率", on_time_closure),
        Formula("key_actions_done", "关键动作完成率", key_actions_done),
        Formula("study_target", "学习教育达标率", study_against_target),
        Formula("opinions_answered", "群众意见办结率", opinions_answered),
        Formula("public_satisfaction", "群众满意度", public_satisfaction),
        Formula("monthly_coverage", "一月一走访覆盖率", monthly_coverage),
        Formula("supervision_replied", "督办单按期回复率", supervision_replied),
    ]
}


def register_formula(key: str, label: str, measure: Callable[[str, date, object], Measured]):
    """A part of luoshi gives its formula (replacing the placeholder of the same key)."""
    FORMULAS[key] = Formula(key, label, measure)


def choices() -> list[tuple[str, str]]:
    return [(f.key, f.label) for f in FORMULAS.values()]
