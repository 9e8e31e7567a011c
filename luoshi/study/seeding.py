"""Seed study records in the proportions seed 003 reports for Yinchuan: the city's own leadership
team 14 collective self-study sessions and 9 discussions and a 7-day reading class; all leadership
teams below about 1,800 sessions and 820 discussions; party lessons and themed party days in most
branches with attendance (a few absent, half of them made up); 12 performances of a history play
and a photo exhibition. Smaller and larger trees get the same proportions."""

from datetime import timedelta

from django.utils import timezone

from luoshi.campaigns.models import Campaign
from luoshi.core.bulk import insert_rows, next_id, reset_sequences
from luoshi.orgs.models import LeadershipTeam, Member, Organization, OrgKind
from luoshi.rectification.models import today
from luoshi.study.models import (
    Attendance,
    AttendanceStatus,
    StudyActivity,
    StudyKind,
    StudyTarget,
)

SELF_STUDY_TOPICS = [
    "学习《习近平著作选读》第一卷",
    "学习《习近平新时代中国特色社会主义思想专题摘编》",
    "学习党的二十大报告",
    "学习习近平总书记考察宁夏重要讲话精神",
    "学习《中国共产党章程》",
    "学习《中国共产党纪律处分条例》",
]
DISCUSSION_TOPICS = [
    "围绕“以学铸魂”交流研讨",
    "围绕“以学增智”交流研讨",
    "围绕“以学正风”交流研讨",
    "围绕“以学促干”交流研讨",
]
LESSON_TOPICS = [
    "守初心、担使命，找差距、抓落实",
    "牢记初心使命，推动高质量发展",
    "践行宗旨，做人民满意的党员",
]
ABSENCE_REASONS = ["出差", "病假", "外出培训", "值班", "事假"]
ATTENDANCE_SCALES = {"tiny", "city"}


ACTIVITY_COLUMNS = [
    "id",
    "org_id",
    "org_path",
    "campaign_id",
    "kind",
    "topic",
    "starts_on",
    "ends_on",
    "team_id",
    "speaker",
    "place",
    "audience",
    "materials",
    "minutes",
    "created_at",
]
ATTENDANCE_COLUMNS = [
    "org_id",
    "org_path",
    "activity_id",
    "member_id",
    "status",
    "absence_reason",
    "made_up_on",
    "made_up_note",
]


class _Activities:
    """The activity rows being seeded, numbered from the next free id, on random days of the
    campaign so far."""

    def __init__(self, context, campaign):
        self.rng = context.rng
        self.campaign = campaign
        self.start, self.end = campaign.starts_on, min(today(), campaign.ends_on)
        self.span = max((self.end - self.start).days, 1)
        self.now = timezone.now()
        self.next_id = next_id(StudyActivity)
        self.rows: list[tuple] = []

    def day(self):
        return self.start + timedelta(days=self.rng.randrange(self.span))

    def add(self, org_id, path, kind, topic, on, team=None, ends=None, speaker="", audience=None):
        row = (self.next_id, org_id, path, self.campaign.pk, kind, topic, on, ends, team)
        self.rows.append((*row, speaker, "", audience, "", "", self.now))
        self.next_id += 1
        return self.next_id - 1


def seed_study(context) -> None:
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    acts = _Activities(context, campaign)
    _seed_team_study(context, acts)
    _seed_public_events(context, acts)
    attendance = _seed_branch_sessions(context, acts)
    insert_rows(StudyActivity, ACTIVITY_COLUMNS, acts.rows)
    insert_rows(Attendance, ATTENDANCE_COLUMNS, attendance)
    reset_sequences(StudyActivity, Attendance)
    # The campaign's requirement for every leadership team (seed 003's city teams did 14 and 9).
    StudyTarget.objects.create(campaign=campaign, kind=StudyKind.SELF_STUDY, per_team=12)
    StudyTarget.objects.create(campaign=campaign, kind=StudyKind.DISCUSSION, per_team=6)


def _seed_team_study(context, acts: _Activities) -> None:
    """The root's team: 14 self-study sessions, 9 discussions and a 7-day reading class; the
    teams below share about 1,800 sessions and 820 discussions per 140 teams."""
    rng, root = context.rng, context.root
    teams = list(
        LeadershipTeam.objects.filter(org_path__startswith=root.path).values_list(
            "id", "org_id", "org_path"
        )
    )
    below = [t for t in teams if t[1] != root.pk]
    factor = len(below) / 140 if below else 0
    self_total, disc_total = round(1800 * factor), round(820 * factor)
    for team_id, org_id, path in teams:
        if org_id == root.pk:
            n_self, n_disc = 14, 9
            acts.add(
                org_id,
                path,
                StudyKind.READING_CLASS,
                "主题教育专题读书班",
                acts.start + timedelta(days=3),
                team_id,
                acts.start + timedelta(days=9),
            )
        else:
            n_self = max(round(self_total / len(below) + rng.uniform(-3, 3)), 1)
            n_disc = max(round(disc_total / len(below) + rng.uniform(-2, 2)), 1)
        for _ in range(n_self):
            topic = rng.choice(SELF_STUDY_TOPICS)
            acts.add(org_id, path, StudyKind.SELF_STUDY, topic, acts.day(), team_id)
        for _ in range(n_disc):
            topic = rng.choice(DISCUSSION_TOPICS)
            acts.add(org_id, path, StudyKind.DISCUSSION, topic, acts.day(), team_id)


def _seed_public_events(context, acts: _Activities) -> None:
    """12 performances of a history play and a photo exhibition, held by the root."""
    rng, root = context.rng, context.root
    for _ in range(12):
        acts.add(
            root.pk,
            root.path,
            StudyKind.PUBLIC_EVENT,
            "银川党史情景剧巡演",
            acts.day(),
            audience=rng.randint(300, 900),
        )
    acts.add(
        root.pk,
        root.path,
        StudyKind.PUBLIC_EVENT,
        "“铸牢中华民族共同体意识”图片展",
        acts.day(),
        audience=rng.randint(3000, 8000),
    )


def _seed_branch_sessions(context, acts: _Activities) -> list[tuple]:
    """A party lesson in most branches and a themed party day in half, with each member's
    attendance at the scales that seed members' attendance; returns the attendance rows."""
    rng, root = context.rng, context.root
    branches = list(
        Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH).values_list(
            "id", "path"
        )
    )
    members: dict[int, list[tuple[int, str]]] = {}
    if context.scale in ATTENDANCE_SCALES:
        for mid, org_id, path in Member.objects.filter(org_path__startswith=root.path).values_list(
            "id", "org_id", "org_path"
        ):
            members.setdefault(org_id, []).append((mid, path))
    attendance = []
    for org_id, path in branches:
        held = []
        if rng.random() < 0.7:
            topic = rng.choice(LESSON_TOPICS)
            held.append(
                acts.add(org_id, path, StudyKind.LESSON, topic, acts.day(), speaker="支部书记")
            )
        if rng.random() < 0.5:
            topic = "“不忘初心、牢记使命”主题党日"
            held.append(acts.add(org_id, path, StudyKind.PARTY_DAY, topic, acts.day()))
        for activity in held:
            for mid, mpath in members.get(org_id, []):
                attendance.append(_one_attendance(rng, org_id, mpath, activity, mid, acts.end))
    return attendance


def _one_attendance(rng, org_id, mpath, activity, mid, end) -> tuple:
    """Present (92 %), absent and made up on the last day (4 %), or absent (4 %)."""
    r = rng.random()
    if r < 0.92:
        return (org_id, mpath, activity, mid, AttendanceStatus.PRESENT, "", None, "")
    if r < 0.96:
        reason = rng.choice(ABSENCE_REASONS)
        made_up = "观看录像并提交学习心得"
        return (org_id, mpath, activity, mid, AttendanceStatus.MADE_UP, reason, end, made_up)
    reason = rng.choice(ABSENCE_REASONS)
    return (org_id, mpath, activity, mid, AttendanceStatus.ABSENT, reason, None, "")
