"""Every write to study records. Each runs in one transaction, checks that the actor keeps the
records of the organisation (its liaison or office, or one above), and credits the key actions
the record proves."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over, require_role_over
from luoshi.campaigns.models import Campaign
from luoshi.campaigns.services import complete_from_records
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.files import UploadRefused, check_upload, store_upload
from luoshi.core.paths import subtree_q
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import LeadershipTeam, Member, Organization
from luoshi.search import services as search
from luoshi.study import tallies as study_tallies
from luoshi.study.models import (
    Attendance,
    AttendanceStatus,
    StudyActivity,
    StudyFile,
    StudyKind,
    StudyTarget,
)
from luoshi.study.selectors import PROOF_KINDS

RECORD_ROLES = (Role.LIAISON, Role.OFFICE, Role.ADMIN)
PHOTO_KINDS = {"jpg", "png", "pdf", "docx"}


def _require_keeper(actor, org: Organization) -> None:
    require_role_over(actor, org.path, *RECORD_ROLES)


@transaction.atomic
def record_activity(
    *,
    actor,
    org: Organization,
    kind: str,
    topic: str,
    starts_on: date,
    ends_on: date | None = None,
    campaign: Campaign | None = None,
    by_team: bool = False,
    speaker: str = "",
    place: str = "",
    audience: int | None = None,
    materials: str = "",
    minutes: str = "",
    present: list[int] | tuple = (),
    absent: dict[int, str] | None = None,
    files: list | tuple = (),
) -> StudyActivity:
    """Record a study activity of `org` (or of its leadership team) with the attendance of its
    members: `present` member ids, `absent` {member id: reason}. Members must belong to the
    organisation's subtree. Credits the key actions this kind of record proves."""
    _require_keeper(actor, org)
    absent = absent or {}
    topic = topic.strip()
    _check_activity_fields(kind, topic, starts_on, ends_on, speaker, audience, campaign, org)
    team = _leadership_team(org) if by_team else None
    members = _attending_members(org, present, absent)
    checked = _checked_uploads(files)
    activity = StudyActivity.objects.create(
        org=org,
        org_path=org.path,
        campaign=campaign,
        kind=kind,
        topic=topic,
        starts_on=starts_on,
        ends_on=ends_on,
        team=team,
        speaker=speaker.strip(),
        place=place.strip(),
        audience=audience,
        materials=materials.strip(),
        minutes=minutes.strip(),
        created_by=actor,
    )
    rows = _record_attendance(activity, members, present, absent)
    study_tallies.refresh([org.path, *(row.org_path for row in rows)])
    _store_files(activity, org, checked)
    _credit_key_actions(org, kind, topic, starts_on)
    search.index("study", activity)
    return activity


def _check_activity_fields(kind, topic, starts_on, ends_on, speaker, audience, campaign, org):
    """Refuse an activity whose kind, dates, speaker, audience or campaign cannot be right."""
    if kind not in StudyKind.values:
        raise Invalid(f"未知的学习形式“{kind}”")
    if not topic:
        raise Invalid("请填写学习主题")
    if starts_on > timezone.localdate():
        raise Invalid("学习日期不能晚于今天")
    if ends_on and ends_on < starts_on:
        raise Invalid("结束日期不能早于开始日期")
    if ends_on and kind != StudyKind.READING_CLASS and ends_on != starts_on:
        raise Invalid("只有读书班可以跨多天")
    if kind == StudyKind.LESSON and not speaker.strip():
        raise Invalid("专题党课须填写主讲人")
    if audience is not None and audience < 0:
        raise Invalid("受众人次不能为负数")
    if campaign is not None and not org.path.startswith(campaign.org_path):
        raise Invalid("该组织不在本次主题教育的范围内")


def _leadership_team(org: Organization) -> LeadershipTeam:
    """The organisation's leadership team, for an activity recorded as the team's study."""
    team = LeadershipTeam.objects.filter(org=org).first()
    if team is None:
        raise Invalid(f"{org.name}没有领导班子，不能记为班子学习")
    return team


def _attending_members(org: Organization, present, absent: dict) -> dict[int, tuple[int, str]]:
    """{member id: (org id, org path)} of the members named present or absent, each of whom
    must belong to the organisation's subtree; an absence needs its reason."""
    if set(present) & set(absent):
        raise Invalid("同一党员不能既参加又缺席")
    ids = set(present) | set(absent)
    members = {
        pk: (org_id, path)
        for pk, org_id, path in Member.objects.filter(subtree_q("org_path", org.path))
        .filter(pk__in=ids)
        .values_list("pk", "org_id", "org_path")
    }
    stray = ids - set(members)
    if stray:
        raise Invalid(f"有 {len(stray)} 名党员不属于{org.name}")
    for member_id, reason in absent.items():
        if not str(reason).strip():
            raise Invalid(f"请填写{Member.objects.get(pk=member_id).name}的缺席原因")
    return members


def _checked_uploads(files) -> list:
    """Each upload with its check, all checked before anything is written."""
    checked = []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload)))
        except UploadRefused as refused:
            raise Invalid(str(refused)) from None
    return checked


def _record_attendance(activity, members: dict, present, absent: dict) -> list[Attendance]:
    """One attendance row per member present or absent (with the reason)."""
    rows = [
        Attendance(
            activity=activity,
            member_id=pk,
            org_id=members[pk][0],
            org_path=members[pk][1],
            status=AttendanceStatus.PRESENT,
        )
        for pk in present
    ] + [
        Attendance(
            activity=activity,
            member_id=pk,
            org_id=members[pk][0],
            org_path=members[pk][1],
            status=AttendanceStatus.ABSENT,
            absence_reason=str(reason).strip()[:120],
        )
        for pk, reason in absent.items()
    ]
    Attendance.objects.bulk_create(rows)
    return rows


def _store_files(activity, org: Organization, checked: list) -> None:
    for upload, check in checked:
        StudyFile.objects.create(
            org=org,
            org_path=org.path,
            activity=activity,
            original_name=check.original_name,
            stored_name=store_upload(upload, check),
            kind=check.kind,
            size=check.size,
        )


def _credit_key_actions(org: Organization, kind: str, topic: str, starts_on: date) -> None:
    """Complete the organisation's key actions that this kind of activity proves."""
    for proof, proved_kind in PROOF_KINDS.items():
        if proved_kind == kind:
            complete_from_records(
                org_ids=[org.pk],
                proof=proof,
                on=starts_on,
                note=f"{StudyKind(kind).label}：{topic}（{starts_on:%Y-%m-%d}）",
            )


@transaction.atomic
def record_make_up(*, actor, attendance_id: int, made_up_on: date, note: str) -> Attendance:
    """An absent member made the session up (补学): when and how. Only absences can be made up,
    not before the session, not in the future."""
    attendance = get_visible_or_404(
        Attendance.objects.select_for_update().select_related("activity"),
        actor,
        pk=attendance_id,
    )
    require_role_over(actor, attendance.org_path, *RECORD_ROLES)
    if attendance.status != AttendanceStatus.ABSENT:
        raise Invalid("只有缺席的党员需要补学")
    if made_up_on < attendance.activity.starts_on:
        raise Invalid("补学日期不能早于学习日期")
    if made_up_on > timezone.localdate():
        raise Invalid("补学日期不能晚于今天")
    if not note.strip():
        raise Invalid("请填写补学方式，如“自学会议精神并交心得体会”")
    attendance.status = AttendanceStatus.MADE_UP
    attendance.made_up_on = made_up_on
    attendance.made_up_note = note.strip()[:200]
    attendance.save(update_fields=["status", "made_up_on", "made_up_note"])
    study_tallies.refresh([attendance.org_path])
    return attendance


@transaction.atomic
def set_target(*, actor, campaign: Campaign, kind: str, per_team: int) -> StudyTarget:
    """The campaign office sets how many sessions of a kind each leadership team must hold."""
    if not has_role_over(actor, campaign.org_path, Role.OFFICE, Role.ADMIN):
        raise NotAllowed("只有本级主题教育办公室可以设置学习目标")
    if kind not in StudyKind.values:
        raise Invalid(f"未知的学习形式“{kind}”")
    if not 1 <= per_team <= 365:
        raise Invalid("次数须在 1 到 365 之间")
    target, _ = StudyTarget.objects.update_or_create(
        campaign=campaign, kind=kind, defaults={"per_team": per_team}
    )
    return target
