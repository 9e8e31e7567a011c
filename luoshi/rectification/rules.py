"""The rules of the ledger as data: the state machine of a measure, when a deadline may change,
and what a 立行立改 deadline is. Who may act is decided in accounts/permissions.py: keepers
(the measure's organisation or a level above it) list problems and measures; the measure's own
organisation reports the work (progress, start, 申请销号), a level above only as 代为填报;
verifiers (an office strictly above, or a guidance group over it, of another organisation than
the one that asked for 销号, never the person who asked) close, return and reopen."""

from dataclasses import dataclass
from datetime import date, timedelta

from luoshi.accounts.permissions import may_report, may_verify
from luoshi.core.errors import Invalid
from luoshi.rectification.models import DeadlineKind, today
from luoshi.rectification.models import MeasureState as S


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    by: str  # "owner" (the organisation doing the work) or "verifier"
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


def allowed_actions(user, measure) -> list[Transition]:
    """The transitions the user may take on the measure now (for buttons and the API). An
    owner's step counts when the user may report for the measure's organisation, on its behalf
    included (the page then labels it 代为)."""
    result = []
    for t in TRANSITIONS.values():
        if measure.state not in t.sources:
            continue
        if t.by == "owner" and may_report(user, measure.org_path, on_behalf=True):
            result.append(t)
        elif (
            t.by == "verifier"
            and may_verify(user, measure)
            and (measure.submitted_by_id != user.pk or t.action == "reopen")
        ):
            result.append(t)
    return result


# --- deadlines -------------------------------------------------------------------------------
def due_date(campaign, kind: str, due_on: date | None) -> date | None:
    """The deadline stored for a measure of `campaign`: none for 长期坚持; for 立行立改 the date
    given, or the campaign's `immediate_days` from today; for 限期完成 the date given (required).
    The services and the importer both compute it here."""
    if kind == DeadlineKind.ONGOING:
        return None
    if kind == DeadlineKind.IMMEDIATE:
        return due_on or today() + timedelta(days=campaign.immediate_days)
    if due_on is None:
        raise Invalid("限期完成的措施必须填写完成时限")
    return due_on


def keeps_long_term(kind: str, long_term: bool) -> bool:
    """Whether a measure of deadline `kind` is stored as also 并长期坚持: only a dated or 立行立改
    one can be (a 长期坚持 measure is kept up already; the ledger writes it once)."""
    return bool(long_term) and kind != DeadlineKind.ONGOING


def deadline_change_refusal(
    *, state: str, kind: str, due_on: date | None, new_kind: str, new_due_on: date | None
) -> str | None:
    """Why the deadline (kind, due date) of a measure in `state` may not become
    (new_kind, new_due_on), or None when it may (or does not change). Once work has started a
    deadline moves only by an approved extension, which is counted; a closed measure keeps its
    own. Pages, the API and imports all ask this."""
    if (kind, due_on) == (new_kind, new_due_on):
        return None
    if state == S.CLOSED:
        return "已销号的措施不能修改完成时限"
    if state != S.NOT_STARTED:
        return "措施已开始整改，不能直接修改完成时限，调整时限请提交延期申请"
    return None
