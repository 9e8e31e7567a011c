"""The rules of special rectification (专项整治), in one place; the services, pages, API and seed
all ask these.

- A programme set at an organisation appears in every organisation of its subtree; one set by
  the centre or the region (above the tree) is stored at the root of the tree.
- A subtree adopts a programme by writing its implementation plan (实施方案): one plan per
  programme per adopting organisation, which must lie in the programme's subtree.
- A programme is in force (开展) in a subtree when it is set there or adopted there, or adopted
  by a level above that covers it.
- Items (整治事项) are problems of the ledger, created by the ledger's own service, of an
  organisation covered by a plan (its own or one above it inside the programme's subtree).
- An item's state is its problem's, which comes only from its measures: it is closed when every
  measure is 销号 (two-party, in the ledger). There is no other way to close an item."""

from django.db.models import Q

from luoshi.accounts.models import Role
from luoshi.core.paths import ancestor_paths, subtree_q
from luoshi.rectification.models import ProblemStatus

SET_ROLES = (Role.OFFICE, Role.ADMIN)  # who sets a programme at an organisation
RECORD_ROLES = (Role.LIAISON, Role.OFFICE, Role.ADMIN)  # who writes plans and lists items
ABOVE_THE_TREE = ("central", "region")  # SetBy values stored at the root


def set_by_refusal(set_by: str, org) -> str | None:
    """Why a programme said to be set by `set_by` may not be set at `org`, or None."""
    if set_by in ABOVE_THE_TREE and org.parent_id is not None:
        return "党中央和上级党委部署的专项整治只能由最高一级组织登记"
    return None


def period_refusal(campaign, starts_on, ends_on) -> str | None:
    if starts_on is None or ends_on is None:
        return "请填写整治的起止日期"
    if ends_on < starts_on:
        return "结束日期不能早于开始日期"
    if starts_on < campaign.starts_on or ends_on > campaign.ends_on:
        return (
            f"整治时间须在主题教育期间内（{campaign.starts_on:%Y年%m月%d日}至"
            f"{campaign.ends_on:%Y年%m月%d日}）"
        )
    return None


def covers(programme, org_path: str) -> bool:
    """Does the programme appear at the organisation of `org_path` (set there or above)?"""
    return org_path.startswith(programme.org_path)


def adoption_refusal(programme, org, adopted_paths) -> str | None:
    """Why `org` may not write a plan for the programme, given the paths that already did."""
    if not covers(programme, org.path):
        return "该组织不在这项专项整治的部署范围内"
    if org.path in adopted_paths:
        return f"{org.name}已制定这项专项整治的实施方案"
    return None


def covering_plan_path(org_path: str, adopted_paths) -> str | None:
    """The nearest organisation at or above `org_path` whose plan covers it, if any."""
    above = [p for p in ancestor_paths(org_path) if p in set(adopted_paths)]
    return above[-1] if above else None


def item_refusal(programme, org, adopted_paths) -> str | None:
    """Why a problem of `org` may not be listed as an item of the programme, or None."""
    if not covers(programme, org.path):
        return "该组织不在这项专项整治的部署范围内"
    if covering_plan_path(org.path, adopted_paths) is None:
        return "本单位及上级尚未制定这项专项整治的实施方案，请先制定实施方案"
    return None


def closed_q(prefix: str = "") -> Q:
    """Items that are closed: their problem's measures are all 销号 (the ledger's status)."""
    return Q(**{f"{prefix}problem__status": ProblemStatus.CLOSED})


def in_force_q(path: str, adopted_programme_ids) -> Q:
    """Programmes in force in the subtree at `path`: set in it, or adopted in it or above it
    (`adopted_programme_ids`: programmes with a plan at `path`, inside it or above it)."""
    return subtree_q("org_path", path) | Q(pk__in=list(adopted_programme_ids))


def plan_reach_q(path: str) -> Q:
    """Plans that put a programme in force at `path`: written in its subtree or above it."""
    return subtree_q("org_path", path) | Q(org_path__in=ancestor_paths(path))
