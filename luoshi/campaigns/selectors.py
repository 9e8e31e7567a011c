"""Reads of a campaign's key actions: progress over a subtree, who has not done what, what is
late, and each organisation's own checklist."""

from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils import timezone

from luoshi.campaigns.models import ActionItem, KeyAction
from luoshi.campaigns.tallies import TOPIC
from luoshi.core import tallies
from luoshi.core.paths import subtree_q

PENDING = ActionItem.State.PENDING
DONE = ActionItem.State.DONE


def _counts():
    late = Q(state=PENDING, due_on__lt=timezone.localdate())
    return {
        "total": Count("id"),
        "done": Count("id", filter=Q(state=DONE)),
        "done_late": Count("id", filter=Q(state=DONE, done_on__gt=F("due_on"))),
        "overdue": Count("id", filter=late),
    }


@dataclass
class ActionProgress:
    action: KeyAction
    total: int
    done: int
    overdue: int
    done_late: int

    @property
    def rate(self) -> float:
        return round(100 * self.done / self.total, 1) if self.total else 0.0


def action_progress(campaign, path: str) -> list[ActionProgress]:
    """For each key action of the campaign: items in the subtree at `path`, done, overdue.
    One grouped query."""
    rows = {
        r["action_id"]: r
        for r in ActionItem.objects.filter(subtree_q("org_path", path), action__campaign=campaign)
        .values("action_id")
        .annotate(**_counts())
        .order_by()
    }
    result = []
    for action in campaign.key_actions.all():
        r = rows.get(action.pk, {})
        result.append(
            ActionProgress(
                action,
                r.get("total", 0),
                r.get("done", 0),
                r.get("overdue", 0),
                r.get("done_late", 0),
            )
        )
    return result


def pending_items(user, campaign, path: str, *, action_id=None, overdue_only=False):
    """Items not done in the subtree at `path` the user may see, most overdue first."""
    items = (
        ActionItem.objects.visible_to(user)
        .filter(subtree_q("org_path", path), action__campaign=campaign, state=PENDING)
        .select_related("org", "action")
        .order_by("due_on", "org_path", "action__rank")
    )
    if action_id:
        items = items.filter(action_id=action_id)
    if overdue_only:
        items = items.filter(due_on__lt=timezone.localdate())
    return items


def checklist(user, org):
    """The organisation's own checklist across the campaigns it is in."""
    return (
        ActionItem.objects.visible_to(user)
        .filter(org=org)
        .select_related("action__campaign")
        .order_by("action__campaign_id", "action__rank", "id")
    )


def my_actions(user, limit: int = 50):
    """Pending items of the organisations the user is assigned to as liaison or office."""
    from luoshi.accounts.models import Role
    from luoshi.accounts.permissions import role_paths

    own = {p for p, r in role_paths(user) if r in (Role.LIAISON, Role.OFFICE, Role.ADMIN)}
    if not own:
        return []
    return list(
        ActionItem.objects.visible_to(user)
        .filter(org_path__in=own, state=PENDING)
        .select_related("org", "action__campaign")
        .order_by("due_on", "id")[:limit]
    )


def my_actions_section(user):
    items = my_actions(user)
    if not items:
        return None
    return {"title": "关键动作待完成", "template": "campaigns/_my_actions.html", "items": items}


def key_action_figures(path: str) -> dict:
    """Checklist figures of the subtree at `path` (every campaign), from the key actions' tally:
    items, done, and overdue (pending, due before today)."""
    t = tallies.sums(TOPIC, path)
    total, done = t.get("items", 0), t.get("done", 0)
    today = timezone.localdate().isoformat()
    overdue = sum(n for k, n in t.items() if k.startswith("due:") and k[4:] < today)
    return {
        "key_action_items": total,
        "key_action_items_done": done,
        "key_action_items_overdue": overdue,
        "key_action_rate": round(100 * done / total, 1) if total else 0.0,
    }


def status_table(user, campaign, path: str):
    """[(organisation name, {action id: item values})] for the organisations of the subtree that
    have a checklist, in tree order; streamed for large subtrees."""
    rows = (
        ActionItem.objects.visible_to(user)
        .filter(subtree_q("org_path", path), action__campaign=campaign)
        .order_by("org_path", "action_id")
        .values_list("org_id", "org__name", "action_id", "state", "done_on", "due_on")
        .iterator(chunk_size=5000)
    )
    current, name, items = None, "", {}
    for org_id, org_name, action_id, state, done_on, due_on in rows:
        if org_id != current:
            if current is not None:
                yield name, items
            current, name, items = org_id, org_name, {}
        items[action_id] = {"state": state, "done_on": done_on, "due_on": due_on}
    if current is not None:
        yield name, items


def launching_orgs(user):
    """The organisations the user may launch a campaign for: those where they are the office or
    an administrator (their own organisation; a campaign of a unit below is launched by its own
    office; the system administrator's: the top-level organisations)."""
    from luoshi.accounts.permissions import account_admin_paths
    from luoshi.orgs.selectors import at_paths

    return at_paths(account_admin_paths(user))
