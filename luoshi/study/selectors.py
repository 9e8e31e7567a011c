"""Reads of study: activity lists, subtree figures as seed 003 reports them (totals, averages per
leadership team), progress against targets, a member's own record."""

from dataclasses import dataclass, field

from django.db.models import Count, Min, Q

from luoshi.campaigns.models import Proof
from luoshi.core import tallies
from luoshi.core.paths import subtree_q
from luoshi.orgs.models import LeadershipTeam
from luoshi.search.selectors import text_q
from luoshi.study.models import Attendance, AttendanceStatus, StudyActivity, StudyKind
from luoshi.study.tallies import TOPIC

# Which key actions a study record proves.
PROOF_KINDS = {
    Proof.LESSON: StudyKind.LESSON,
    Proof.SELF_STUDY: StudyKind.SELF_STUDY,
    Proof.DISCUSSION: StudyKind.DISCUSSION,
    Proof.PARTY_DAY: StudyKind.PARTY_DAY,
}


def finder(proof: str):
    """Records of the campaign's subtree that prove `proof`: (org_id, first date, note)."""
    kind = PROOF_KINDS[proof]

    def find(campaign):
        rows = (
            StudyActivity.objects.filter(
                subtree_q("org_path", campaign.org_path),
                kind=kind,
                starts_on__gte=campaign.starts_on,
            )
            .values("org_id")
            .annotate(first=Min("starts_on"))
            .order_by()
        )
        label = StudyKind(kind).label
        return [(r["org_id"], r["first"], f"已记录{label}（{r['first']:%Y-%m-%d}）") for r in rows]

    return find


def activities(user, path: str, *, kind: str = "", campaign=None, team_only=False, q: str = ""):
    items = (
        StudyActivity.objects.visible_to(user)
        .filter(_subtrees(path))
        .select_related("org", "team")
        .annotate(
            present=Count("attendance", filter=Q(attendance__status=AttendanceStatus.PRESENT)),
            absent=Count("attendance", filter=Q(attendance__status=AttendanceStatus.ABSENT)),
            made_up=Count("attendance", filter=Q(attendance__status=AttendanceStatus.MADE_UP)),
        )
        .order_by("-starts_on", "-id")
    )
    if kind:
        items = items.filter(kind=kind)
    if campaign is not None:
        items = items.filter(campaign=campaign)
    if team_only:
        items = items.exclude(team=None)
    if q:
        items = items.filter(text_q(user, "study", q, "topic", "speaker"))
    return items


def _avg(n: int, d: int) -> float:
    return round(n / d, 1) if d else 0.0


def study_figures(path: str) -> dict:
    """Study figures of the subtree at `path`: sessions by kind, audience of public events,
    averages per leadership team, attendance and make-ups still owed. Read from the study
    tally; the teams are counted directly (one indexed range)."""
    t = tallies.sums(TOPIC, path)

    def kinds(prefix: str) -> dict:
        return {k: t.get(f"{prefix}{k}", 0) for k in StudyKind.values}

    by_kind, team_kind, own_team = kinds("kind:"), kinds("team:"), kinds(f"{tallies.OWN}team:")
    teams = LeadershipTeam.objects.filter(subtree_q("org_path", path)).count()
    return {
        "study_activities": sum(by_kind.values()),
        "study_self_study": by_kind[StudyKind.SELF_STUDY],
        "study_discussions": by_kind[StudyKind.DISCUSSION],
        "study_reading_classes": by_kind[StudyKind.READING_CLASS],
        "study_lessons": by_kind[StudyKind.LESSON],
        "study_party_days": by_kind[StudyKind.PARTY_DAY],
        "study_onsite": by_kind[StudyKind.ONSITE],
        "study_public_events": by_kind[StudyKind.PUBLIC_EVENT],
        "study_audience": t.get("audience", 0),
        "leadership_teams": teams,
        "team_self_study": team_kind[StudyKind.SELF_STUDY],
        "team_discussions": team_kind[StudyKind.DISCUSSION],
        "team_avg_self_study": _avg(team_kind[StudyKind.SELF_STUDY], teams),
        "team_avg_discussions": _avg(team_kind[StudyKind.DISCUSSION], teams),
        "own_team_self_study": own_team[StudyKind.SELF_STUDY],
        "own_team_discussions": own_team[StudyKind.DISCUSSION],
        "attendance_present": t.get(f"attendance:{AttendanceStatus.PRESENT.value}", 0),
        "attendance_absent": t.get(f"attendance:{AttendanceStatus.ABSENT.value}", 0),
        "attendance_made_up": t.get(f"attendance:{AttendanceStatus.MADE_UP.value}", 0),
    }


@dataclass
class TargetProgress:
    target: object
    teams: int
    met: int
    average: float
    behind: list = field(default_factory=list)  # (team, count), fewest first

    @property
    def rate(self) -> float:
        return round(100 * self.met / self.teams, 1) if self.teams else 0.0


def target_progress(campaign, path: str, *, behind_limit: int = 20) -> list[TargetProgress]:
    """For each study target of the campaign: leadership teams in the subtree, how many have met
    it, their average, and the teams furthest behind. One grouped query per target."""
    teams = LeadershipTeam.objects.filter(subtree_q("org_path", path))
    result = []
    for target in campaign.study_targets.all():
        counted = teams.annotate(
            n=Count(
                "study_activities",
                filter=Q(
                    study_activities__kind=target.kind,
                    study_activities__starts_on__gte=campaign.starts_on,
                ),
            )
        )
        rows = list(counted.values_list("id", "name", "n"))
        total = sum(n for _, _, n in rows)
        met = sum(1 for _, _, n in rows if n >= target.per_team)
        behind = sorted(
            ((name, n) for _, name, n in rows if n < target.per_team), key=lambda r: (r[1], r[0])
        )
        result.append(
            TargetProgress(target, len(rows), met, _avg(total, len(rows)), behind[:behind_limit])
        )
    return result


def member_record(user, member):
    """What the member attended, missed and made up, newest first."""
    return (
        Attendance.objects.visible_to(user)
        .filter(member=member)
        .select_related("activity", "activity__org")
        .order_by("-activity__starts_on", "-id")
    )


def owed_make_ups(user, path: str):
    """Absences in the subtree not made up yet, oldest first."""
    return (
        Attendance.objects.visible_to(user)
        .filter(subtree_q("org_path", path), status=AttendanceStatus.ABSENT)
        .select_related("activity", "member", "org")
        .order_by("activity__starts_on", "id")
    )


def my_make_ups(user):
    """'My work': make-ups owed in the organisations the user keeps records for."""
    from luoshi.accounts.models import Role
    from luoshi.accounts.permissions import role_paths

    own = [p for p, r in role_paths(user) if r == Role.LIAISON]
    if not own:
        return None
    items = list(
        Attendance.objects.visible_to(user)
        .filter(org_path__in=own, status=AttendanceStatus.ABSENT)
        .select_related("activity", "member")
        .order_by("activity__starts_on", "id")[:50]
    )
    if not items:
        return None
    return {"title": "待补学", "template": "study/_my_make_ups.html", "items": items}


def _subtrees(paths) -> Q:
    """One subtree, or any of several (a user assigned in more than one place)."""
    q = Q(pk__in=[])
    for path in [paths] if isinstance(paths, str) else paths:
        q |= subtree_q("org_path", path)
    return q
