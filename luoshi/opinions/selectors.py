"""Reads of opinions: the triage lists (scoped to the user), subtree figures, and the two public
views (a sender's tracking page and an organisation's board), which carry no personal data."""

from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q

from luoshi.core.paths import subtree_q
from luoshi.opinions.models import OPEN_STATES, Opinion, OpinionState, Rating, Symposium
from luoshi.rectification.models import Measure, MeasureState, Problem, ProblemStatus

DAY = 86400


def _days(seconds) -> float:
    return round(seconds / DAY, 1) if seconds is not None else 0.0


def _median_seconds(handled, n: int) -> int | None:
    """The median of `handle_seconds` over `n` handled rows, by offset in the indexed order."""
    if not n:
        return None
    ordered = handled.order_by("handle_seconds").values_list("handle_seconds", flat=True)
    if n % 2:
        return ordered[n // 2]
    low, high = ordered[n // 2 - 1 : n // 2 + 1]
    return (low + high) // 2


def opinion_figures(path: str) -> dict:
    """Opinion figures of the subtree at `path`: collected, how they were handled, how long it
    took (days from receipt to the first decision), and what the senders said of it."""
    opinions = Opinion.objects.filter(subtree_q("org_path", path))
    c = opinions.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        accepted=Count("id", filter=Q(state=OpinionState.ACCEPTED)),
        answered=Count("id", filter=Q(state=OpinionState.ANSWERED)),
        declined=Count("id", filter=Q(state=OpinionState.DECLINED)),
        transferred=Count("id", filter=~Q(transferred_from=None)),
        problems=Count("problem", distinct=True),
        online=Count("id", filter=Q(channel="online")),
        avg_seconds=Avg("handle_seconds"),
        rated=Count("id", filter=~Q(rating="")),
        satisfied=Count("id", filter=Q(rating=Rating.SATISFIED)),
        basic=Count("id", filter=Q(rating=Rating.BASIC)),
        unsatisfied=Count("id", filter=Q(rating=Rating.UNSATISFIED)),
    )
    handled = c["total"] - c["open"]
    # The first decision (accept, answer, decline) sets handle_seconds; passing on does not.
    decided = c["accepted"] + c["answered"] + c["declined"]
    rated = c["rated"]
    return {
        "opinions": c["total"],
        "opinions_online": c["online"],
        "opinions_open": c["open"],
        "opinions_handled": handled,
        "opinions_accepted": c["accepted"],
        "opinions_answered": c["answered"],
        "opinions_declined": c["declined"],
        "opinions_transferred": c["transferred"],
        "opinion_problems": c["problems"],
        "opinion_days_avg": _days(c["avg_seconds"]),
        "opinion_days_median": _days(
            _median_seconds(opinions.exclude(handle_seconds=None), decided)
        ),
        "opinions_rated": rated,
        "rating_satisfied": c["satisfied"],
        "rating_basic": c["basic"],
        "rating_unsatisfied": c["unsatisfied"],
        "satisfaction_rate": round(100 * (c["satisfied"] + c["basic"]) / rated, 1)
        if rated
        else 0.0,
        "symposia": Symposium.objects.filter(subtree_q("org_path", path)).count(),
    }


@dataclass
class OpinionFilter:
    org_path: str | None = None
    state: str = ""  # "" all, "open" to do, or a state
    channel: str = ""
    topic: str = ""
    text: str = ""


def opinions(user, f: OpinionFilter):
    rows = Opinion.objects.visible_to(user, within=f.org_path or None)
    if f.state == "open":
        rows = rows.filter(state__in=OPEN_STATES)
    elif f.state in OpinionState.values:
        rows = rows.filter(state=f.state)
    if f.channel:
        rows = rows.filter(channel=f.channel)
    if f.topic:
        rows = rows.filter(topic=f.topic)
    if f.text.strip():
        rows = rows.filter(text__contains=f.text.strip())
    return rows.select_related("org", "problem").order_by("-submitted_at", "-id")


def symposia(user, org_path: str | None = None):
    return (
        Symposium.objects.visible_to(user, within=org_path)
        .select_related("org")
        .annotate(n_opinions=Count("opinions"))
        .order_by("-held_on", "-id")
    )


def opinion_timeline(opinion: Opinion):
    return opinion.events.order_by("at", "id")


# --- public ----------------------------------------------------------------------------------
@dataclass
class Tracking:
    """What a tracking code reveals: this opinion's state and answer, and what was done."""

    org_name: str
    topic: str
    submitted_at: object
    state: str
    state_label: str
    answer: str
    reason: str
    transferred: bool
    problem_closed: bool
    done: list = field(default_factory=list)
    rating: str = ""
    can_rate: bool = False


def tracking(opinion: Opinion) -> Tracking:
    from luoshi.opinions.services import can_rate

    problem = opinion.problem if opinion.state == OpinionState.ACCEPTED else None
    closed = problem is not None and problem.status == ProblemStatus.CLOSED
    done = []
    if closed:
        done = [
            {"content": m.content, "closed_at": m.closed_at}
            for m in Measure.objects.filter(problem=problem).order_by("number", "id")
        ]
    return Tracking(
        org_name=opinion.org.name,
        topic=opinion.get_topic_display(),
        submitted_at=opinion.submitted_at,
        state=opinion.state,
        state_label="已转交相关单位办理"
        if opinion.state == OpinionState.TRANSFERRED
        else opinion.get_state_display(),
        answer=opinion.answer,
        reason=opinion.reason if opinion.state == OpinionState.DECLINED else "",
        transferred=opinion.transferred_from_id is not None,
        problem_closed=closed,
        done=done,
        rating=opinion.get_rating_display() if opinion.rating else "",
        can_rate=can_rate(opinion),
    )


def public_board(org, limit: int = 100) -> list[dict]:
    """The immediate fixes (立查立改) of the subtree and what was done, newest first: titles,
    organisations, measures and dates only (no people's names, no descriptions)."""
    problems = list(
        Problem.objects.filter(subtree_q("org_path", org.path), immediate=True)
        .select_related("org")
        .order_by("-updated_at", "-id")[:limit]
    )
    measures: dict[int, list] = {}
    for m in Measure.objects.filter(problem__in=problems).order_by("number", "id"):
        measures.setdefault(m.problem_id, []).append(
            {
                "content": m.content,
                "closed": m.state == MeasureState.CLOSED,
                "closed_at": m.closed_at,
                "state_label": m.get_state_display(),
            }
        )
    return [
        {
            "title": p.title.removeprefix("（立查立改）"),
            "org_name": p.org.name,
            "closed": p.status == ProblemStatus.CLOSED,
            "status_label": p.get_status_display(),
            "measures": measures.get(p.pk, []),
        }
        for p in problems
    ]
