"""Who may do what in the ledger: the state machine of a measure and the roles for each step.

Owners (the measure's organisation or a level above it, as liaison, office or admin) create
problems, report progress and ask for closure. Verifiers close, return and reopen: an office or
admin at a level strictly above the owning organisation, or a guidance group over it; never the
person who asked for closure."""

from dataclasses import dataclass

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import role_paths
from luoshi.rectification.models import MeasureState as S

OWNER_ROLES = {Role.LIAISON, Role.OFFICE, Role.ADMIN}
ABOVE_ROLES = {Role.OFFICE, Role.ADMIN}


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    by: str  # "owner" or "verifier"
    needs_reason: bool = False


TRANSITIONS = {
    t.action: t
    for t in [
        Transition("start", "开始整改", (S.NOT_STARTED,), S.IN_PROGRESS, "owner"),
        Transition("submit", "申请销号", (S.IN_PROGRESS,), S.SUBMITTED, "owner"),
        Transition("verify", "同意销号", (S.SUBMITTED,), S.CLOSED, "verifier"),
        Transition("return", "退回整改", (S.SUBMITTED,), S.RETURNED, "verifier", True),
        Transition("resume", "重新整改", (S.RETURNED,), S.IN_PROGRESS, "owner"),
        Transition("reopen", "反弹回潮，重新整改", (S.CLOSED,), S.IN_PROGRESS, "verifier", True),
    ]
}


def is_owner(user, org_path: str) -> bool:
    return any(org_path.startswith(p) and r in OWNER_ROLES for p, r in role_paths(user))


def verifier_role(user, org_path: str) -> str | None:
    """The role in which the user may verify work of the organisation at `org_path`, if any."""
    for path, role in role_paths(user):
        if role == Role.GUIDANCE and org_path.startswith(path):
            return role
        if role in ABOVE_ROLES and org_path.startswith(path) and path != org_path:
            return role
    return None


def allowed_actions(user, measure) -> list[Transition]:
    """The transitions the user may take on the measure now (for buttons and the API)."""
    result = []
    for t in TRANSITIONS.values():
        if measure.state not in t.sources:
            continue
        if t.by == "owner" and is_owner(user, measure.org_path):
            result.append(t)
        elif (
            t.by == "verifier"
            and verifier_role(user, measure.org_path)
            and (measure.submitted_by_id != user.pk or t.action == "reopen")
        ):
            result.append(t)
    return result
