"""The guidance rules in one place: who may set up a group, act for it, reply to it, write,
issue and confirm circulars, and how a sample of members is drawn. The roles themselves are
read through accounts.permissions (a group's members hold the guidance role over its subtrees
while it is in force)."""

import random

from django.utils import timezone

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import (
    MANAGE_TREE,
    grant_refusal,
    has_role_over,
    reporting_path,
    role_paths,
)
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.paths import is_within

MAX_SAMPLE = 50
MIN_REPLY_DAYS = 1


def setup_refusal(actor, org_path: str, subtree_paths: list[str]) -> str | None:
    """Why the actor may not set up (or change) a group of the organisation at `org_path` over
    these subtrees, or None: an office or admin of that organisation (or above it), and each
    subtree one over which the actor may grant the guidance role (permissions.grant_refusal)."""
    if not has_role_over(actor, org_path, *MANAGE_TREE):
        return "只有主题教育办公室可以设立指导组"
    for path in subtree_paths:
        if not is_within(path, org_path):
            return "指导范围须在本级组织范围内"
        refusal = grant_refusal(actor, path, Role.GUIDANCE)
        if refusal:
            return refusal
    return None


def is_member(user, group) -> bool:
    return getattr(user, "pk", None) is not None and group.members.filter(pk=user.pk).exists()


def require_acting_member(user, group) -> None:
    """Only a member of the group, while the group is in force, acts in its name."""
    if not is_member(user, group):
        raise NotAllowed(f"只有{group.name}的成员可以办理")
    if not group.in_force():
        period = f"{group.starts_on}至{group.ends_on}"
        raise NotAllowed(f"{group.name}的指导期限为{period}，当前不在期限内")


def group_covers(group, org_path: str) -> bool:
    return any(is_within(org_path, p) for p in group.subtrees.values_list("path", flat=True))


def may_reply(user, org_path: str) -> bool:
    """The organisation replies to what was fed back to it itself (its liaison, office or
    admin): not a level above on its behalf, not the group."""
    return reporting_path(user, org_path) == org_path


def office_path_over(user, org_path: str) -> str | None:
    """The nearest organisation above or at `org_path` where the user is office or admin: in
    whose name an office writes a circular to that subtree."""
    held = [p for p, r in role_paths(user) if r in MANAGE_TREE and is_within(org_path, p)]
    return max(held, key=len) if held else None


def check_reply_due(reply_due_on) -> None:
    if reply_due_on is None:
        raise Invalid("请填写回复时限")
    if (reply_due_on - timezone.localdate()).days < MIN_REPLY_DAYS:
        raise Invalid("回复时限须晚于今天")


def sample_members(member_ids: list[int], seed: int, size: int) -> list[int]:
    """`size` of the members, drawn at random from `seed`: the same members (in the same order)
    for the same seed and the same list, whatever order the list was read in."""
    ordered = sorted(set(member_ids))
    return random.Random(seed).sample(ordered, min(size, len(ordered)))


# --- a group's life ------------------------------------------------------------------------------
def _verifications(group):
    """Closures verified or returned by its members in the guidance role over its subtrees."""
    from django.db.models import Q

    from luoshi.core.paths import subtree_q
    from luoshi.rectification.models import Verification

    inside = Q(pk__in=[])
    for path in group.subtrees.values_list("path", flat=True):
        inside |= subtree_q("org_path", path)
    return Verification.objects.filter(
        inside, verifier_role=Role.GUIDANCE, verifier__in=group.members.all()
    )


def acts_of(group) -> dict[str, int]:
    """What the group has done, by kind (only kinds it has done): its inspections, its
    circulars (drafts too) and the closures its members verified or returned in its name."""
    done = {
        "督导检查": group.inspections.count(),
        "通报": group.circulars.count(),
        "销号核验": _verifications(group).count(),
    }
    return {kind: n for kind, n in done.items() if n}


def first_act_on(group):
    """The day of the group's first act (an inspection's visit, a circular drafted, a closure
    verified), or None: its period may not begin after it."""
    days = [
        group.inspections.order_by("visited_on").values_list("visited_on", flat=True).first(),
        *(
            timezone.localdate(at)
            for at in (
                group.circulars.order_by("created_at").values_list("created_at", flat=True).first(),
                _verifications(group)
                .order_by("created_at")
                .values_list("created_at", flat=True)
                .first(),
            )
            if at is not None
        ),
    ]
    days = [d for d in days if d is not None]
    return min(days) if days else None


def deletion_refusal(group) -> str | None:
    """A group that has done nothing may be deleted (set up by mistake); one that has acted is
    part of the record and can only be ended."""
    acts = acts_of(group)
    if not acts:
        return None
    done = "、".join(f"{kind}{n}次" for kind, n in acts.items())
    return f"{group.name}已开展工作（{done}），不能删除；可以结束指导，结束日期设为今天"


def ending_refusal(group, today) -> str | None:
    if group.starts_on > today:
        return f"{group.name}尚未开始指导，不需结束；可以删除或修改开始日期"
    if group.ends_on < today:
        return f"{group.name}已于{group.ends_on}结束指导"
    return None


def start_refusal(group, starts_on, ends_on) -> str | None:
    """The start may move while the group has not acted, or to a day not after its first act
    (its acts stay inside its period)."""
    if starts_on is None:
        return "请填写指导开始日期"
    if ends_on < starts_on:
        return "指导结束日期不能早于开始日期"
    if starts_on == group.starts_on:
        return None
    first = first_act_on(group)
    if first is not None and starts_on > first:
        return f"{group.name}已于{first}开展工作，开始日期不能晚于这一天"
    return None


# --- who may be a member -------------------------------------------------------------------------
def member_refusal(user, org_path: str, subtree_paths: list[str]) -> str | None:
    """A group is formed by the level above from its cadres (DOMAIN.md part 11): each member and
    the leader holds an assignment (other than a guidance role) at the setting-up organisation
    or a level above it, or elsewhere in its subtree but outside the subtrees guided and the
    line above them (cross-inspection: another county's cadres); never someone the group
    would guide, nor an account of another region, since membership grants read access to the
    subtrees guided."""
    from luoshi.accounts.permissions import assignments_of

    held = [p for p, r in assignments_of(user) if r != Role.GUIDANCE]
    for path in held:
        if is_within(org_path, path):  # the organisation itself or above it
            return None
        if is_within(path, org_path) and not any(
            is_within(path, s) or is_within(s, path) for s in subtree_paths
        ):
            return None
    name = user.get_full_name() or user.get_username()
    return (
        f"{name}（{user.get_username()}）不能担任指导组成员：成员须是本级或上级组织的干部，"
        "或本级范围内被指导单位以外的干部"
    )
