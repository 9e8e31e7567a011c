"""Every write of the monthly cycle, in one transaction each.

Who may do what (the rules, in one place):
- targets (created, edited, retired) and who they are assigned to, the monthly meeting and its
  decisions: the liaison, office or administrator over the target's organisation
  (MANAGE_ROLES);
- a visit: the cadre the target is assigned to now, or one of MANAGE_ROLES over it;
- out of the actor's scope everything is a 404.
A visit carries a key its phone generated: sending it again returns the visit stored the first
time (unique constraint, and the lookup below). The figures are counted directly from these
rows: every write marks its organisation's version (core.versions)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import has_role_over, require_role_over
from luoshi.campaigns.models import Campaign, ProblemSource
from luoshi.core import versions
from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.core.scoping import can_see_path, get_visible_or_404
from luoshi.monthly.models import (
    Finding,
    FindingKind,
    FindingState,
    MonthlyMeeting,
    MonthlyVisit,
    TargetAssignment,
    TargetKind,
    VisitPhoto,
    VisitTarget,
)
from luoshi.monthly.months import add_months, current_month, month_of
from luoshi.opinions.photos import CleanPhoto, clean_photo
from luoshi.orgs.models import Organization
from luoshi.rectification.services import create_problem

MANAGE_ROLES = (Role.LIAISON, Role.OFFICE, Role.ADMIN)
SOURCE_NAME = "走访发现"
MAX_FINDINGS = 20
MAX_PHOTOS = 3
FUTURE_SLACK = timedelta(minutes=10)  # a phone's clock a little ahead is not refused


def may_manage(user, org_path: str) -> bool:
    return has_role_over(user, org_path, *MANAGE_ROLES)


def _require_cadre(cadre, org_path: str) -> None:
    if cadre is None or not cadre.is_active:
        raise Invalid("请选择包联干部")
    if not can_see_path(cadre, org_path):
        raise Invalid(f"干部“{cadre.first_name or cadre.username}”不在该组织的范围内，不能包联")


def _clean_target_fields(name: str, kind: str, contact: str, address: str) -> dict:
    name, contact, address = name.strip(), contact.strip(), address.strip()
    if not name:
        raise Invalid("请填写走访对象名称")
    if len(name) > 100:
        raise Invalid("走访对象名称不超过 100 字")
    if kind not in TargetKind.values:
        raise Invalid("对象类别应为：" + "、".join(TargetKind.labels))
    if len(contact) > 40 or len(address) > 120:
        raise Invalid("联系方式不超过 40 字，住址不超过 120 字")
    return {"name": name, "kind": kind, "contact": contact, "address": address}


@transaction.atomic
def create_target(
    *,
    actor,
    org: Organization,
    name: str,
    kind: str,
    contact: str = "",
    address: str = "",
    cadre=None,
) -> VisitTarget:
    """A target of `org` (its village or community organisation), assigned to `cadre` if given.
    The same name twice in one organisation is refused."""
    require_role_over(actor, org.path, *MANAGE_ROLES)
    fields = _clean_target_fields(name, kind, contact, address)
    if VisitTarget.objects.filter(org=org, name=fields["name"]).exists():
        raise Invalid(f"{org.name}已有走访对象“{fields['name']}”")
    if cadre is not None:
        _require_cadre(cadre, org.path)
    target = VisitTarget.objects.create(org=org, org_path=org.path, cadre=cadre, **fields)
    if cadre is not None:
        TargetAssignment.objects.create(
            org=org,
            org_path=org.path,
            target=target,
            cadre=cadre,
            starts_on=timezone.localdate(),
            assigned_by=_user(actor),
        )
    versions.changed([org.path])
    return target


def _user(actor):
    return None if getattr(actor, "is_system", False) else actor


@transaction.atomic
def assign_target(*, actor, target_id: int, cadre) -> VisitTarget:
    """Assign the target to `cadre` from today; the previous assignment ends today and stays in
    the history."""
    target = get_visible_or_404(VisitTarget.objects.select_for_update(), actor, pk=target_id)
    require_role_over(actor, target.org_path, *MANAGE_ROLES)
    _require_active(target)
    _require_cadre(cadre, target.org_path)
    if target.cadre_id == cadre.pk:
        raise Invalid("该走访对象已由这名干部包联")
    today = timezone.localdate()
    TargetAssignment.objects.filter(target=target, ends_on__isnull=True).update(ends_on=today)
    TargetAssignment.objects.create(
        org_id=target.org_id,
        org_path=target.org_path,
        target=target,
        cadre=cadre,
        starts_on=today,
        assigned_by=_user(actor),
    )
    target.cadre = cadre
    target.save(update_fields=["cadre"])
    versions.changed([target.org_path])
    return target


def _require_active(target: VisitTarget) -> None:
    if not target.active:
        when = f"已于 {target.retired_on:%Y-%m-%d} " if target.retired_on else "已"
        raise Invalid(f"走访对象“{target.name}”{when}退出走访名单")


@transaction.atomic
def edit_target(
    *,
    actor,
    target_id: int,
    name: str,
    kind: str,
    contact: str | None = None,
    address: str | None = None,
) -> VisitTarget:
    """Correct a target's name, kind, contact or address (None: left as it is — a page shows
    the contact masked, so an empty field keeps it). Its visits and assignments stay."""
    target = get_visible_or_404(VisitTarget.objects.select_for_update(), actor, pk=target_id)
    require_role_over(actor, target.org_path, *MANAGE_ROLES)
    _require_active(target)
    fields = _clean_target_fields(
        name,
        kind,
        target.contact if contact is None else contact,
        target.address if address is None else address,
    )
    taken = VisitTarget.objects.filter(org_id=target.org_id, name=fields["name"])
    if taken.exclude(pk=target.pk).exists():
        raise Invalid(f"本组织已有走访对象“{fields['name']}”")
    for field, value in fields.items():
        setattr(target, field, value)
    target.save(update_fields=list(fields))
    versions.changed([target.org_path])
    return target


@transaction.atomic
def retire_target(*, actor, target_id: int, retired_on: date, reason: str) -> VisitTarget:
    """Take a target off the visit list (moved away, enterprise closed…) from `retired_on`:
    its current assignment ends that day, so it is assigned and counted in coverage up to that
    month and no longer from the next; it is no longer offered in the visit form nor accepts
    visits. Its visits, findings and assignments stay (history). The day is not in the future,
    not before last month (like a visit) and not before its current assignment began."""
    target = get_visible_or_404(VisitTarget.objects.select_for_update(), actor, pk=target_id)
    require_role_over(actor, target.org_path, *MANAGE_ROLES)
    _require_active(target)
    reason = reason.strip()
    if not reason:
        raise Invalid("请填写退出原因")
    if len(reason) > 200:
        raise Invalid("退出原因不超过 200 字")
    today = timezone.localdate()
    earliest = month_of(month_of(today) - timedelta(days=1))
    if retired_on > today:
        raise Invalid("退出日期不能晚于今天")
    if retired_on < earliest:
        raise Invalid(f"退出日期不能早于 {earliest:%Y-%m-%d}（上月初）")
    current = TargetAssignment.objects.filter(target=target, ends_on__isnull=True).first()
    if current is not None and retired_on < current.starts_on:
        raise Invalid(f"退出日期不能早于现任包联的起始日期 {current.starts_on:%Y-%m-%d}")
    TargetAssignment.objects.filter(target=target, ends_on__isnull=True).update(ends_on=retired_on)
    target.active = False
    target.retired_on, target.retired_reason, target.retired_by = retired_on, reason, _user(actor)
    target.save(update_fields=["active", "retired_on", "retired_reason", "retired_by"])
    versions.changed([target.org_path])
    return target


# --- visits ------------------------------------------------------------------------------------
@dataclass
class FindingIn:
    kind: str
    text: str


def _clean_findings(findings) -> list[FindingIn]:
    cleaned = []
    for f in findings:
        kind, text = (f.kind, f.text) if isinstance(f, FindingIn) else f
        text = (text or "").strip()
        if not text:
            continue
        if kind not in FindingKind.values:
            raise Invalid(f"未知的问题类别“{kind}”")
        if len(text) > 300:
            raise Invalid(f"每条发现的问题不超过 300 字（“{text[:10]}…”）")
        cleaned.append(FindingIn(kind, text))
    if len(cleaned) > MAX_FINDINGS:
        raise Invalid(f"一次走访最多记录 {MAX_FINDINGS} 条发现")
    return cleaned


def check_visit_time(visited_at: datetime) -> datetime:
    """The time the visit was really made (the phone's clock): not in the future, and within
    this month or the last (a visit kept offline longer than that is refused, said why)."""
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    now = timezone.now()
    if visited_at > now + FUTURE_SLACK:
        raise Invalid("走访时间晚于当前时间，请检查手机时间")
    earliest = month_of(timezone.localdate()).replace(day=1)
    earliest = (earliest - timedelta(days=1)).replace(day=1)
    if timezone.localtime(visited_at).date() < earliest:
        raise Invalid(f"只能登记 {earliest:%Y年%m月} 以来的走访")
    return visited_at


def _photos(uploads) -> list[CleanPhoto]:
    uploads = list(uploads)
    if len(uploads) > MAX_PHOTOS:
        raise Invalid(f"每次走访最多 {MAX_PHOTOS} 张照片")
    from luoshi.core.files import UploadRefused

    try:
        return [clean_photo(u) for u in uploads]
    except UploadRefused as refused:
        raise Invalid(str(refused)) from refused


def photo_key(stored_name: str) -> str:
    return f"monthly/{stored_name[:2]}/{stored_name}"


def _store_photo(photo: CleanPhoto) -> str:
    name = f"{uuid.uuid4().hex}.jpg"
    saved = default_storage.save(photo_key(name), ContentFile(photo.data))
    if saved != photo_key(name):
        default_storage.delete(saved)
        raise Invalid("照片保存失败，请重试")
    return name


def _existing(key, actor):
    found = MonthlyVisit.objects.filter(key=key).first()
    if found is None:
        return None
    if found.cadre_id != getattr(actor, "pk", None) and not can_see_path(actor, found.org_path):
        raise Conflict("该提交标识已被使用，请重新填写")
    return found


def record_visit(
    *,
    actor,
    key,
    target_id: int,
    visited_at: datetime,
    asked: str = "",
    findings=(),
    photos=(),
) -> tuple[MonthlyVisit, bool]:
    """A visit to the target and what it found; (visit, True) when stored now, (the visit
    stored before, False) when this key was sent already. Only the target's cadre (or a
    manager over it) records it; the month is that of `visited_at`."""
    try:
        key = uuid.UUID(str(key))
    except ValueError:
        raise Invalid("提交标识无效，请刷新页面后重试") from None
    if (found := _existing(key, actor)) is not None:
        return found, False
    target = get_visible_or_404(VisitTarget.objects, actor, pk=target_id)
    if target.cadre_id != getattr(actor, "pk", None) and not may_manage(actor, target.org_path):
        raise NotAllowed("该走访对象不是您包联的，不能登记走访")
    _require_active(target)
    visited_at = check_visit_time(visited_at)
    if len(asked) > 2000:
        raise Invalid("走访了解情况不超过 2000 字")
    cleaned, clean_photos = _clean_findings(findings), _photos(photos)
    try:
        with transaction.atomic():
            visit = _write_visit(actor, key, target, visited_at, asked.strip(), cleaned)
            _attach(visit, clean_photos)
    except IntegrityError:  # the same key sent at the same moment: the other one won
        found = _existing(key, actor)
        if found is None:
            raise
        return found, False
    return visit, True


def _attach(visit: MonthlyVisit, photos: list[CleanPhoto]) -> None:
    for photo in photos:
        VisitPhoto.objects.create(
            org_id=visit.org_id,
            org_path=visit.org_path,
            visit=visit,
            stored_name=_store_photo(photo),
            width=photo.width,
            height=photo.height,
        )


@transaction.atomic
def add_visit_photos(*, actor, visit_id: int, key, photos) -> tuple[MonthlyVisit, bool]:
    """The photos of a visit recorded without them (the API's JSON visit), sent once, all
    together, with the visit's own key: (visit, True) when stored now; (visit, False) when the
    visit has photos already — the same upload sent again after a lost answer stores nothing
    (the visit's row is locked, so two copies at once store one set). Checked like the page's
    (opinions.photos.clean_photo, at most MAX_PHOTOS), stored through default_storage."""
    visit = get_visible_or_404(MonthlyVisit.objects.select_for_update(), actor, pk=visit_id)
    if visit.cadre_id != getattr(actor, "pk", None) and not may_manage(actor, visit.org_path):
        raise NotAllowed("这次走访不是您登记的，不能补传照片")
    if str(key).strip().lower() != str(visit.key):
        raise Conflict("提交标识与这次走访不符，请从原走访记录补传照片")
    if visit.photos.exists():
        return visit, False
    clean_photos = _photos(photos)
    if not clean_photos:
        raise Invalid("请选择要上传的照片")
    _attach(visit, clean_photos)  # photos are in no figure: no version to mark
    return visit, True


def _write_visit(actor, key, target, visited_at, asked, cleaned) -> MonthlyVisit:
    month = month_of(timezone.localtime(visited_at).date())
    visit = MonthlyVisit.objects.create(
        org_id=target.org_id,
        org_path=target.org_path,
        key=key,
        target=target,
        cadre=actor if getattr(actor, "pk", None) else target.cadre,
        month=month,
        visited_at=visited_at,
        asked=asked,
    )
    Finding.objects.bulk_create(
        Finding(
            org_id=target.org_id,
            org_path=target.org_path,
            visit=visit,
            kind=f.kind,
            text=f.text,
            month=month,
        )
        for f in cleaned
    )
    versions.changed([target.org_path])
    return visit


# --- the monthly meeting -----------------------------------------------------------------------
def earliest_open_month() -> date:
    """The cycle takes late records for this month and last month only — visits, a missed
    meeting (补录), judgements made at it — as a meeting for a month is often held early in
    the next. Older months are closed: their figures, reported already, are not rewritten;
    their findings still undecided are carried over and judged at this month's meeting."""
    return add_months(current_month(), -1)


@transaction.atomic
def record_meeting(
    *, actor, org: Organization, month: date, held_on: date, attendees: str, minutes: str = ""
) -> MonthlyMeeting:
    """The organisation's meeting for `month` (one a month: recorded again, it is updated)."""
    require_role_over(actor, org.path, *MANAGE_ROLES)
    month = month_of(month)
    if month > current_month():
        raise Invalid("不能登记未来月份的研判会")
    if month < earliest_open_month():
        raise Invalid(
            f"只能补录本月或上月的研判会；{month:%Y年%m月}未研判的发现请在本月研判会上研判"
        )
    if held_on > timezone.localdate():
        raise Invalid("召开日期不能晚于今天")
    if held_on < month:
        raise Invalid("召开日期不能早于所研判的月份")
    attendees = attendees.strip()
    if not attendees:
        raise Invalid("请填写参会人员")
    if len(attendees) > 300:
        raise Invalid("参会人员不超过 300 字")
    meeting, _ = MonthlyMeeting.objects.update_or_create(
        org=org,
        month=month,
        defaults={
            "org_path": org.path,
            "held_on": held_on,
            "attendees": attendees,
            "minutes": minutes.strip(),
            "recorded_by": _user(actor),
        },
    )
    versions.changed([org.path])
    return meeting


class Decision:
    RESOLVE, PASS_UP, MERGE, NO_ACTION = "resolve", "pass_up", "merge", "no_action"
    LABELS = {
        "resolve": "本级解决",
        "pass_up": "转入问题清单",
        "merge": "合并到其他发现",
        "no_action": "无需处理",
    }


@transaction.atomic
def decide_finding(
    *,
    actor,
    finding_id: int,
    decision: str,
    note: str = "",
    into_id: int | None = None,
    campaign: Campaign | None = None,
    month: date | None = None,
) -> Finding:
    """The monthly meeting's judgement of an open finding, in `month` (this month by default):
    resolved here, passed up into the ledger as a problem (source 走访发现, linked both ways),
    merged into another open finding of the same organisation, or no action (with a reason).
    A finding is judged once."""
    finding = get_visible_or_404(
        Finding.objects.select_for_update().select_related("visit__target"), actor, pk=finding_id
    )
    require_role_over(actor, finding.org_path, *MANAGE_ROLES)
    if finding.state != FindingState.OPEN:
        raise Conflict("该发现已经研判，不能重复研判")
    month = month_of(month or current_month())
    if month > current_month() or month < finding.month:
        raise Invalid("研判月份应在发现月份和本月之间")
    if month < earliest_open_month():
        raise Invalid("只能在本月或上月的研判会上研判，更早的月份已结账")
    note = note.strip()
    if len(note) > 300:
        raise Invalid("研判说明不超过 300 字")
    if decision == Decision.RESOLVE:
        finding.state = FindingState.RESOLVED
    elif decision == Decision.NO_ACTION:
        if not note:
            raise Invalid("无需处理的，请写明理由")
        finding.state = FindingState.NO_ACTION
    elif decision == Decision.MERGE:
        finding.merged_into = _merge_target(actor, finding, into_id)
        finding.state = FindingState.MERGED
    elif decision == Decision.PASS_UP:
        finding.problem = _pass_up(actor, finding, campaign, note)
        finding.state = FindingState.PASSED_UP
    else:
        raise Invalid("请选择研判结果：" + "、".join(Decision.LABELS.values()))
    finding.closed_month = month
    finding.decision_note = note
    finding.decided_by = _user(actor)
    finding.decided_at = timezone.now()
    finding.meeting = MonthlyMeeting.objects.filter(org_id=finding.org_id, month=month).first()
    finding.save()
    versions.changed([finding.org_path])
    return finding


def _merge_target(actor, finding: Finding, into_id: int | None) -> Finding:
    if not into_id:
        raise Invalid("请选择合并到哪一条发现")
    into = get_visible_or_404(Finding.objects, actor, pk=into_id)
    if into.pk == finding.pk:
        raise Invalid("不能合并到自身")
    if into.org_id != finding.org_id:
        raise Invalid("只能合并到同一组织的发现")
    if into.state not in (FindingState.OPEN, FindingState.PASSED_UP, FindingState.RESOLVED):
        raise Invalid("只能合并到待研判、已解决或已转入问题清单的发现")
    return into


def campaigns_for(actor, org_path: str) -> list[Campaign]:
    from luoshi.rectification.selectors import visible_campaigns

    return [c for c in visible_campaigns(actor) if org_path.startswith(c.org_path)]


def _pass_up(actor, finding: Finding, campaign: Campaign | None, note: str):
    if campaign is None:
        choices = campaigns_for(actor, finding.org_path)
        if not choices:
            raise Invalid("本组织没有进行中的主题教育，不能转入问题清单")
        campaign = choices[0]
    elif not finding.org_path.startswith(campaign.org_path):
        raise Invalid("该组织不在所选主题教育的范围内")
    source = ProblemSource.objects.filter(campaign=campaign, name=SOURCE_NAME).first()
    if source is None:  # the campaign's vocabulary gains the source the first time it is used
        rank = campaign.sources.count() + 1
        source = ProblemSource.objects.create(campaign=campaign, name=SOURCE_NAME, rank=rank)
        versions.changed_everywhere()
    visit = finding.visit
    return create_problem(
        actor=actor,
        org=Organization.objects.get(pk=finding.org_id),
        campaign=campaign,
        title=finding.text,
        description=(
            f"{visit.visited_at:%Y年%m月%d日}走访{visit.target.name}时发现"
            f"（{finding.get_kind_display()}）。{note}"
        ),
        source=source,
    )


def cadre_by_username(username: str):
    return get_user_model().objects.filter(username=username, is_active=True).first()
