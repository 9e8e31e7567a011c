"""The rules of the ladder (三色督办), in one place: a campaign's default rungs, which rungs are
due for a measure on a day, when the ladder stops, to whom each rung is addressed, and the
number of a 督办单. Open, late and overdue are the ledger's own rules (rectification.clock):
nothing here says again what overdue means."""

from dataclasses import dataclass
from datetime import date

from luoshi.accounts.models import Assignment, Role
from luoshi.core.paths import ancestor_paths
from luoshi.rectification import clock
from luoshi.supervision.models import LADDER, EscalationRule, Step

# (rung, days, reply days): remind 7 days before the deadline; yellow once overdue; orange after
# 7 days overdue (to the responsible leader); red after 15 (to the level above and its guidance).
DEFAULT_RULES = [
    (Step.REMIND, 7, 0),
    (Step.YELLOW, 1, 5),
    (Step.ORANGE, 7, 5),
    (Step.RED, 15, 5),
]
OWNER_ROLES = (Role.LIAISON, Role.OFFICE, Role.ADMIN)
ABOVE_ROLES = (Role.OFFICE, Role.ADMIN)
REPLY_ROLES = (Role.LIAISON, Role.OFFICE, Role.ADMIN, Role.LEADER)


def ensure_default_rules(campaign) -> list[EscalationRule]:
    """The campaign's rungs in ladder order, the defaults created if it has none yet."""
    for step, days, reply_days in DEFAULT_RULES:
        EscalationRule.objects.get_or_create(
            campaign=campaign, step=step, defaults={"days": days, "reply_days": reply_days}
        )
    rules = {r.step: r for r in EscalationRule.objects.filter(campaign=campaign)}
    return [rules[s] for s in LADDER if s in rules]


def rules_of(campaign) -> list[EscalationRule]:
    """The campaign's rungs in ladder order; the defaults (not saved) where it has none yet."""
    saved = {r.step: r for r in EscalationRule.objects.filter(campaign=campaign)}
    return [
        saved.get(step) or EscalationRule(campaign=campaign, step=step, days=d, reply_days=r)
        for step, d, r in DEFAULT_RULES
    ]


def rule_refusal(step: str, days: int, reply_days: int) -> str | None:
    """Why a rung may not have these days, or None."""
    if step not in LADDER:
        return "未知的督办等级"
    if not 0 <= days <= 365 or not 0 <= reply_days <= 90:
        return "天数须在 0 到 365 之间，回复期限须在 0 到 90 天之间"
    if step != Step.REMIND and days < 1:
        return "逾期督办须在逾期 1 天及以上时下发"
    return None


def overdue_days(measure, on: date) -> int:
    """Days the measure has been overdue on `on` (0 when it is not overdue by clock's rule)."""
    return (on - measure.due_on).days if clock.is_overdue(measure, on) else 0


def due_steps(measure, rules: list[EscalationRule], on: date) -> list[EscalationRule]:
    """The rungs due for the measure on `on`, in ladder order: none for a closed or undated
    measure; the reminder while it is not yet late and within its days of the deadline; each
    colour once it has been overdue its days. The rungs must rise: a rung whose days are below
    the one before it waits for it (the ladder never skips up)."""
    if not clock.is_open(measure) or not clock.is_dated(measure):
        return []
    late = overdue_days(measure, on)
    due, floor = [], 0
    for rule in rules:
        if not rule.active:
            continue
        if rule.step == Step.REMIND:
            if not clock.is_late(measure, on) and (measure.due_on - on).days <= rule.days:
                due.append(rule)
            continue
        floor = max(floor, rule.days)
        if late >= floor:
            due.append(rule)
    return due


def stop_reason(escalation, measure) -> str | None:
    """Why an issued 督办单 no longer stands: its measure is closed (销号), or an extension was
    approved since it was issued (its round is behind the measure's extensions)."""
    if clock.is_closed(measure):
        return "措施已销号"
    if escalation.round < measure.extensions:
        return "延期申请已批准"
    return None


@dataclass(frozen=True)
class Address:
    org: object  # the organisation the rung is addressed to
    user_ids: list[int]


def _holders(paths: list[str], roles, memo: dict | None = None) -> list[int]:
    key = (tuple(paths), tuple(roles))
    if memo is not None and key in memo:
        return memo[key]
    found = list(
        Assignment.objects.filter(org__path__in=paths, role__in=roles, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    if memo is not None:
        memo[key] = found
    return found


def _nearest(org, roles, memo: dict | None = None) -> list[int]:
    """Holders of `roles` at `org`, else at the nearest level above that has any."""
    node = org
    while node is not None:
        found = _holders([node.path], roles, memo)
        if found:
            return found
        node = node.parent
    return []


def address(step: str, measure, memo: dict | None = None) -> Address:
    """To whom a rung about the measure goes: the reminder and yellow to the owning
    organisation's liaison and office; orange to its responsible leaders (the leader role held
    there, else at the nearest level above); red to the level above's office and to every
    guidance group over the measure's organisation."""
    org = measure.org
    if step in (Step.REMIND, Step.YELLOW):
        return Address(org, _nearest(org, OWNER_ROLES, memo))
    if step == Step.ORANGE:
        leaders = _nearest(org, (Role.LEADER,), memo)
        return Address(org, sorted(set(leaders + _nearest(org, OWNER_ROLES, memo))))
    above = org.parent or org
    guidance = _holders(ancestor_paths(org.path), (Role.GUIDANCE,), memo)
    return Address(above, sorted(set(_nearest(above, ABOVE_ROLES, memo) + guidance)))


def number_of(year: int, seq: int) -> str:
    """A 督办单's number in the official form: 督办〔2026〕12号."""
    return f"督办〔{year}〕{seq}号"
