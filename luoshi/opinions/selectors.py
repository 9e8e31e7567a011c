"""Reads of opinions: the triage lists (scoped to the user), subtree figures, and the two public
views (a sender's tracking page and an organisation's board), which carry no personal data."""

from dataclasses import dataclass, field

from django.db.models import Count

from luoshi.core import tallies
from luoshi.core.paths import subtree_q
from luoshi.opinions.models import OPEN_STATES, Opinion, OpinionState, Rating, Symposium
from luoshi.opinions.tallies import TOPIC
from luoshi.rectification.models import Measure, MeasureState, Problem, ProblemStatus
from luoshi.search.selectors import text_q

DAY = 86400


def _days(seconds) -> float:
    return round(seconds / DAY, 1) if seconds is not None else 0.0


def opinion_figures(path: str) -> dict:
    """Opinion figures of the subtree at `path`: collected, how they were handled, how long it
    took (days from receipt to the first decision: the average, and the median in whole days,
    rounded), and what the senders said of it. Read from the opinions' tally."""
    t = tallies.sums(TOPIC, path)
    state = {s: t.get(f"state:{s}", 0) for s in OpinionState.values}
    total = sum(state.values())
    still_open = sum(state[s] for s in OPEN_STATES)
    # The first decision (accept, answer, decline) sets handle_seconds; passing on does not.
    days = sorted((int(k.removeprefix("days:")), n) for k, n in t.items() if k.startswith("days:"))
    decided = sum(n for _, n in days)
    ratings = {r: t.get(f"rating:{r}", 0) for r in Rating.values}
    rated = sum(ratings.values())
    return {
        "opinions": total,
        "opinions_online": t.get("channel:online", 0),
        "opinions_open": still_open,
        "opinions_handled": total - still_open,
        "opinions_accepted": state[OpinionState.ACCEPTED],
        "opinions_answered": state[OpinionState.ANSWERED],
        "opinions_declined": state[OpinionState.DECLINED],
        "opinions_transferred": t.get("transferred", 0),
        "opinion_problems": t.get("problems", 0),
        "opinion_days_avg": _days(t.get("handle_seconds", 0) / decided) if decided else 0.0,
        "opinion_days_median": _median(days, decided),
        "opinions_rated": rated,
        "rating_satisfied": ratings[Rating.SATISFIED],
        "rating_basic": ratings[Rating.BASIC],
        "rating_unsatisfied": ratings[Rating.UNSATISFIED],
        "satisfaction_rate": _rate(ratings[Rating.SATISFIED] + ratings[Rating.BASIC], rated),
        "symposia": t.get("symposia", 0),
    }


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _median(counts: list[tuple[int, int]], n: int) -> float:
    """The median of `n` values given as sorted (value, how many) pairs."""
    if not n:
        return 0.0
    wanted = [(n - 1) // 2, n // 2]  # the middle value, or the two middle ones
    found, seen = [], 0
    for value, count in counts:
        while wanted and wanted[0] < seen + count:
            found.append(value)
            wanted.pop(0)
        seen += count
    return round(sum(found) / len(found), 1)


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
    if f.text.strip():  # every word, in any order (the search index), or the text as written
        rows = rows.filter(text_q(user, "opinion", f.text, "text"))
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
    organisations, measures and dates only (no people's names, no descriptions). Only those
    verified by the level above (closed): one waiting for 销号 is not yet done."""
    problems = list(
        Problem.objects.filter(
            subtree_q("org_path", org.path), immediate=True, status=ProblemStatus.CLOSED
        )
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
