"""Writes to the people of the organisation register: leadership teams and their seats, and party
members (added, edited, transferred, marked 流动党员 or left).

Every function checks that the actor is an administrator or the campaign office over the
organisation concerned (accounts.permissions.MANAGE_TREE; 404 outside their scope), validates
its input with a Chinese message (Invalid), runs in one transaction, records an audit event
(target `member:<id>`, `team:<id>`, `seat:<id>`), recounts the organisations' roll-up rows
(`refresh_org_tallies`) where a figure changes, and marks the cached figures' versions.

A transfer (组织关系转接) needs those rights over both the member's organisation and the
receiving one: it is done by an office whose subtree holds both ends (the common higher office for
a transfer between two counties), not left pending for the receiving side."""

import re
from datetime import date

from django.db import transaction
from django.utils import timezone

from luoshi.accounts.permissions import MANAGE_TREE, require_role_over
from luoshi.core import versions
from luoshi.core.audit import record_event
from luoshi.core.errors import Conflict, Invalid
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs.models import LeadershipTeam, Member, MemberTransfer, Organization, TeamPosition
from luoshi.orgs.rollups import refresh_org_tallies
from luoshi.orgs.titles import seat_titles

PHONE = re.compile(r"^[0-9+\- ]{0,20}$")
MEMBER_FIELDS = ("name", "gender", "birth_year", "joined_on", "status", "post", "phone")


def _manage(actor, org_path: str) -> None:
    require_role_over(actor, org_path, *MANAGE_TREE)


def _text(value, label: str, limit: int, *, required: bool = True) -> str:
    value = str(value or "").strip()
    if required and not value:
        raise Invalid(f"请填写{label}")
    if len(value) > limit:
        raise Invalid(f"{label}不能超过 {limit} 个字")
    return value


# --- leadership teams and seats -----------------------------------------------------------------


def _team_name(org: Organization, name, *, exclude: int | None = None) -> str:
    name = _text(name, "班子名称", 120)
    same = LeadershipTeam.objects.filter(org=org, name=name).exclude(pk=exclude)
    if same.exists():
        raise Invalid(f"{org.name}已有名为“{name}”的领导班子")
    return name


def add_team(*, actor, org: Organization, name: str) -> LeadershipTeam:
    """Add a leadership team to `org` (it may have several, each named once); counted in the
    organisation's roll-up."""
    _manage(actor, org.path)
    name = _team_name(org, name)
    with transaction.atomic():
        rank = LeadershipTeam.objects.filter(org=org).count()
        team = LeadershipTeam.objects.create(org=org, org_path=org.path, name=name, rank=rank)
        refresh_org_tallies([org.pk])
        record_event(
            "team_added", user=actor, org_path=org.path, target=f"team:{team.pk}", name=name
        )
    return team


def _team(actor, team_id: int) -> LeadershipTeam:
    team = get_visible_or_404(LeadershipTeam.objects.select_related("org"), actor, pk=team_id)
    _manage(actor, team.org_path)
    return team


def rename_team(*, actor, team_id: int, name: str) -> LeadershipTeam:
    team = _team(actor, team_id)
    name = _team_name(team.org, name, exclude=team.pk)
    with transaction.atomic():
        before = team.name
        team.name = name
        team.save(update_fields=["name"])
        versions.changed([team.org_path])
        record_event(
            "team_renamed",
            user=actor,
            org_path=team.org_path,
            target=f"team:{team.pk}",
            before=before,
            after=name,
        )
    return team


def remove_team(*, actor, team_id: int, reason: str) -> None:
    """Remove a team and its seats, saying why (the organisation's roll-up counts one team
    fewer; the audit event keeps the seats)."""
    team = _team(actor, team_id)
    reason = _text(reason, "删除原因", 200)
    with transaction.atomic():
        seats = list(team.positions.values_list("title", "person_name"))
        team.delete()
        refresh_org_tallies([team.org_id])
        record_event(
            "team_removed",
            user=actor,
            org_path=team.org_path,
            target=f"team:{team_id}",
            name=team.name,
            seats=seats,
            reason=reason,
        )


def _seat_fields(team: LeadershipTeam, actor, title, person_name, member_id) -> dict:
    """The seat's title (one of its organisation's list) and holder, checked."""
    allowed = seat_titles(team.org)
    title = str(title or "").strip()
    if title not in allowed:
        raise Invalid(
            f"“{title or '（空）'}”不是{team.org.get_kind_display()}领导班子的职务，"
            f"应为{'、'.join(allowed)}之一"
        )
    member = None
    if member_id:
        member = (
            Member.objects.visible_to(actor, within=team.org_path)
            .filter(pk=member_id, left_on__isnull=True)
            .first()
        )
        if member is None:
            raise Invalid(f"所选党员不在{team.org.name}及其下级组织的在册党员中")
    name = str(person_name or "").strip() or (member.name if member else "")
    return {"title": title, "person_name": _text(name, "姓名", 40), "member": member}


def add_seat(
    *, actor, team_id: int, title: str, person_name: str = "", member_id: int | None = None
) -> TeamPosition:
    """Add a seat to a team; its title must be one of the team organisation's titles
    (orgs.titles), its holder a name or a member of the organisation's subtree."""
    team = _team(actor, team_id)
    fields = _seat_fields(team, actor, title, person_name, member_id)
    with transaction.atomic():
        rank = team.positions.count()
        seat = TeamPosition.objects.create(
            org_id=team.org_id, org_path=team.org_path, team=team, rank=rank, **fields
        )
        versions.changed([team.org_path])
        record_event(
            "seat_added",
            user=actor,
            org_path=team.org_path,
            target=f"seat:{seat.pk}",
            team=team.name,
            title=seat.title,
            person=seat.person_name,
        )
    return seat


def _seat(actor, seat_id: int) -> TeamPosition:
    seat = get_visible_or_404(
        TeamPosition.objects.select_related("team", "team__org"), actor, pk=seat_id
    )
    _manage(actor, seat.org_path)
    return seat


def update_seat(
    *, actor, seat_id: int, title: str, person_name: str = "", member_id: int | None = None
) -> TeamPosition:
    seat = _seat(actor, seat_id)
    fields = _seat_fields(seat.team, actor, title, person_name, member_id)
    with transaction.atomic():
        before = (seat.title, seat.person_name)
        for key, value in fields.items():
            setattr(seat, key, value)
        seat.save(update_fields=["title", "person_name", "member"])
        versions.changed([seat.org_path])
        record_event(
            "seat_edited",
            user=actor,
            org_path=seat.org_path,
            target=f"seat:{seat.pk}",
            before=list(before),
            after=[seat.title, seat.person_name],
        )
    return seat


def remove_seat(*, actor, seat_id: int, reason: str) -> None:
    """Take a seat out of its team, saying why (免职、调离…), kept in the audit log."""
    seat = _seat(actor, seat_id)
    reason = _text(reason, "删除原因", 200)
    with transaction.atomic():
        seat.delete()
        versions.changed([seat.org_path])
        record_event(
            "seat_removed",
            user=actor,
            org_path=seat.org_path,
            target=f"seat:{seat_id}",
            team=seat.team.name,
            title=seat.title,
            person=seat.person_name,
            reason=reason,
        )


# --- members ------------------------------------------------------------------------------------


def clean_member_fields(fields: dict) -> dict:
    """A member's fields checked and normalised (Invalid says which one is wrong and why)."""
    if unknown := set(fields) - set(MEMBER_FIELDS):
        raise Invalid(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    out = dict(fields)
    if "name" in out:
        out["name"] = _text(out["name"], "姓名", 40)
    if "gender" in out and out["gender"] not in Member.Gender.values:
        raise Invalid("性别应为男或女")
    if "status" in out and out["status"] not in Member.Status.values:
        raise Invalid("党员状态应为正式党员或预备党员")
    this_year = timezone.localdate().year
    birth = out.get("birth_year")
    if birth not in (None, "") and not (1900 <= int(birth) <= this_year):
        raise Invalid(f"出生年份应在 1900 至 {this_year} 之间")
    if "birth_year" in out:
        out["birth_year"] = int(birth) if birth not in (None, "") else None
    joined = out.get("joined_on")
    if joined is not None and joined > timezone.localdate():
        raise Invalid("入党时间不能晚于今天")
    if joined is not None and out.get("birth_year") and joined.year < out["birth_year"] + 14:
        raise Invalid("入党时间与出生年份不符")
    if "post" in out:
        out["post"] = _text(out["post"], "职务", 60, required=False)
    if "phone" in out:
        out["phone"] = str(out["phone"] or "").strip()
        if not PHONE.match(out["phone"]):
            raise Invalid("联系电话只能包含数字，最多 20 位")
    return out


def create_member(*, actor, org: Organization, **fields) -> Member:
    """Add a member to `org`, counted in its roll-up."""
    _manage(actor, org.path)
    missing = [f for f in ("name", "gender", "status") if not fields.get(f)]
    if missing:
        label = Member._meta.get_field(missing[0]).verbose_name
        raise Invalid(f"请填写{label}")
    fields = clean_member_fields(fields)
    with transaction.atomic():
        member = Member.objects.create(org=org, org_path=org.path, **fields)
        refresh_org_tallies([org.pk])
        record_event(
            "member_added",
            user=actor,
            org_path=org.path,
            target=f"member:{member.pk}",
            name=member.name,
        )
    return member


def _member_for_update(actor, member_id: int, version: int | None) -> Member:
    """The member (404 outside the actor's scope), locked, at the version the actor read."""
    found = get_visible_or_404(Member.objects, actor, pk=member_id)
    _manage(actor, found.org_path)
    member = Member.objects.select_for_update().select_related("org").get(pk=found.pk)
    if version is not None and member.version != version:
        raise Conflict()
    return member


def _save(member: Member, changed: list[str]) -> None:
    member.version += 1
    member.save(update_fields=[*changed, "version"])


def update_member(*, actor, member_id: int, version: int | None = None, **fields) -> list[str]:
    """Edit a member's own fields (not its organisation: see transfer_member). Returns the
    fields that changed; a changed 党员状态 recounts the roll-up."""
    with transaction.atomic():
        member = _member_for_update(actor, member_id, version)  # the right before the values
        fields = clean_member_fields(fields)
        changed = [k for k, v in fields.items() if getattr(member, k) != v]
        if not changed:
            return []
        before = {k: str(getattr(member, k)) for k in changed}
        for key in changed:
            setattr(member, key, fields[key])
        _save(member, changed)
        if "status" in changed:
            refresh_org_tallies([member.org_id])
        versions.changed([member.org_path])
        record_event(
            "member_edited",
            user=actor,
            org_path=member.org_path,
            target=f"member:{member.pk}",
            before=before,
            after={k: str(getattr(member, k)) for k in changed},
        )
    return changed


def _date(on: date | None, label: str) -> date:
    on = on or timezone.localdate()
    if on > timezone.localdate():
        raise Invalid(f"{label}不能晚于今天")
    return on


def transfer_member(
    *,
    actor,
    member_id: int,
    to_org: Organization,
    reason: str,
    on_date: date | None = None,
    version: int | None = None,
) -> MemberTransfer:
    """Move a member's organisation relationship to `to_org` (组织关系转接): the actor needs an
    admin or office role over both ends. The member's organisation and path are rewritten, the
    transfer is kept as history, and both organisations' roll-ups are recounted."""
    with transaction.atomic():
        member = _member_for_update(actor, member_id, version)
        _manage(actor, to_org.path)
        reason = _text(reason, "转接原因", 200)
        on_date = _date(on_date, "转接日期")
        if member.left_on is not None:
            raise Invalid(f"{member.name}已离开，不能转接组织关系")
        if member.org_id == to_org.pk:
            raise Invalid(f"{member.name}已在{to_org.name}，无需转接")
        source = member.org
        member.org, member.org_path = to_org, to_org.path
        _save(member, ["org", "org_path"])
        transfer = MemberTransfer.objects.create(
            member=member,
            from_org=source,
            to_org=to_org,
            on_date=on_date,
            reason=reason,
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=_actor_name(actor),
        )
        refresh_org_tallies([source.pk, to_org.pk])
        for path in (source.path, to_org.path):
            record_event(
                "member_transferred",
                user=actor,
                org_path=path,
                target=f"member:{member.pk}",
                from_org=source.name,
                to_org=to_org.name,
                reason=reason,
                on=on_date.isoformat(),
            )
    return transfer


def _actor_name(actor) -> str:
    return (actor.get_full_name() or actor.get_username())[:150]


def mark_mobile(
    *, actor, member_id: int, mobile: bool, place: str = "", version: int | None = None
) -> Member:
    """Mark a member 流动党员 (working elsewhere, at `place`) or back home; still counted."""
    with transaction.atomic():
        member = _member_for_update(actor, member_id, version)
        place = _text(place, "外出务工（工作）地", 120) if mobile else ""
        if member.left_on is not None:
            raise Invalid(f"{member.name}已离开，不能标记流动党员")
        if member.mobile == mobile and member.mobile_place == place:
            return member
        member.mobile, member.mobile_place = mobile, place
        _save(member, ["mobile", "mobile_place"])
        versions.changed([member.org_path])
        record_event(
            "member_mobile" if mobile else "member_returned",
            user=actor,
            org_path=member.org_path,
            target=f"member:{member.pk}",
            place=place,
        )
    return member


def mark_left(
    *,
    actor,
    member_id: int,
    reason: str,
    on_date: date | None = None,
    version: int | None = None,
) -> Member:
    """Mark a member as having left the rolls (出党、停止党籍、去世…): the row and its history stay,
    the organisation's roll-up stops counting it."""
    with transaction.atomic():
        member = _member_for_update(actor, member_id, version)
        reason = _text(reason, "离开原因", 200)
        on_date = _date(on_date, "离开日期")
        if member.left_on is not None:
            raise Invalid(f"{member.name}已于 {member.left_on} 标记离开")
        member.left_on, member.left_reason, member.mobile = on_date, reason, False
        _save(member, ["left_on", "left_reason", "mobile"])
        refresh_org_tallies([member.org_id])
        record_event(
            "member_left",
            user=actor,
            org_path=member.org_path,
            target=f"member:{member.pk}",
            reason=reason,
            on=on_date.isoformat(),
        )
    return member
