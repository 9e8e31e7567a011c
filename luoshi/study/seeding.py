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


def seed_study(context) -> None:
    rng = context.rng
    root = context.root
    campaign = Campaign.objects.get(slug=context.campaign_slug)
    start, end = campaign.starts_on, min(today(), campaign.ends_on)
    span = max((end - start).days, 1)
    now = timezone.now()

    def day():
        return start + timedelta(days=rng.randrange(span))

    teams = list(
        LeadershipTeam.objects.filter(org_path__startswith=root.path).values_list(
            "id", "org_id", "org_path"
        )
    )
    aid = next_id(StudyActivity)
    rows = []

    def add(org_id, path, kind, topic, on, team=None, ends=None, speaker="", audience=None):
        nonlocal aid
        rows.append(
            (
                aid,
                org_id,
                path,
                campaign.pk,
                kind,
                topic,
                on,
                ends,
                team,
                speaker,
                "",
                audience,
                "",
                "",
                now,
            )
        )
        aid += 1
        return aid - 1

    below = [t for t in teams if t[1] != root.pk]
    factor = len(below) / 140 if below else 0
    self_total, disc_total = round(1800 * factor), round(820 * factor)
    for team_id, org_id, path in teams:
        if org_id == root.pk:
            n_self, n_disc = 14, 9
            add(
                org_id,
                path,
                StudyKind.READING_CLASS,
                "主题教育专题读书班",
                start + timedelta(days=3),
                team_id,
                start + timedelta(days=9),
            )
        else:
            n_self = max(round(self_total / len(below) + rng.uniform(-3, 3)), 1)
            n_disc = max(round(disc_total / len(below) + rng.uniform(-2, 2)), 1)
        for _ in range(n_self):
            add(org_id, path, StudyKind.SELF_STUDY, rng.choice(SELF_STUDY_TOPICS), day(), team_id)
        for _ in range(n_disc):
            add(org_id, path, StudyKind.DISCUSSION, rng.choice(DISCUSSION_TOPICS), day(), team_id)
    for _ in range(12):
        add(
            root.pk,
            root.path,
            StudyKind.PUBLIC_EVENT,
            "银川党史情景剧巡演",
            day(),
            audience=rng.randint(300, 900),
        )
    add(
        root.pk,
        root.path,
        StudyKind.PUBLIC_EVENT,
        "“铸牢中华民族共同体意识”图片展",
        day(),
        audience=rng.randint(3000, 8000),
    )

    branches = list(
        Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH).values_list(
            "id", "path"
        )
    )
    with_attendance = context.scale in ATTENDANCE_SCALES
    members: dict[int, list[tuple[int, str]]] = {}
    if with_attendance:
        for mid, org_id, path in Member.objects.filter(org_path__startswith=root.path).values_list(
            "id", "org_id", "org_path"
        ):
            members.setdefault(org_id, []).append((mid, path))
    attendance = []
    for org_id, path in branches:
        held = []
        if rng.random() < 0.7:
            held.append(
                add(
                    org_id,
                    path,
                    StudyKind.LESSON,
                    rng.choice(LESSON_TOPICS),
                    day(),
                    speaker="支部书记",
                )
            )
        if rng.random() < 0.5:
            held.append(
                add(org_id, path, StudyKind.PARTY_DAY, "“不忘初心、牢记使命”主题党日", day())
            )
        for activity in held:
            for mid, mpath in members.get(org_id, []):
                r = rng.random()
                if r < 0.92:
                    attendance.append(
                        (org_id, mpath, activity, mid, AttendanceStatus.PRESENT, "", None, "")
                    )
                elif r < 0.96:
                    attendance.append(
                        (
                            org_id,
                            mpath,
                            activity,
                            mid,
                            AttendanceStatus.MADE_UP,
                            rng.choice(ABSENCE_REASONS),
                            end,
                            "观看录像并提交学习心得",
                        )
                    )
                else:
                    attendance.append(
                        (
                            org_id,
                            mpath,
                            activity,
                            mid,
                            AttendanceStatus.ABSENT,
                            rng.choice(ABSENCE_REASONS),
                            None,
                            "",
                        )
                    )
    insert_rows(
        StudyActivity,
        [
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
        ],
        rows,
    )
    insert_rows(
        Attendance,
        [
            "org_id",
            "org_path",
            "activity_id",
            "member_id",
            "status",
            "absence_reason",
            "made_up_on",
            "made_up_note",
        ],
        attendance,
    )
    reset_sequences(StudyActivity, Attendance)
    # The campaign's requirement for every leadership team (seed 003's city teams did 14 and 9).
    StudyTarget.objects.create(campaign=campaign, kind=StudyKind.SELF_STUDY, per_team=12)
    StudyTarget.objects.create(campaign=campaign, kind=StudyKind.DISCUSSION, per_team=6)
