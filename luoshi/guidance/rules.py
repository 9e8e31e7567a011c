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
