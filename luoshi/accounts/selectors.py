"""Scoped reads of accounts: an office sees the accounts that hold at least one assignment in
a subtree where it is office or admin (accounts.permissions.account_admin_paths)."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, Q

from luoshi.accounts.models import Assignment, Role
from luoshi.accounts.permissions import account_admin_paths, manage_refusal
from luoshi.core.models import AuditEvent
from luoshi.core.paths import outermost, subtree_q
from luoshi.orgs.models import Organization


def _within(user, field: str) -> Q | None:
    paths = outermost(account_admin_paths(user))
    if not paths:
        return None
    q = Q()
    for path in paths:
        q |= subtree_q(field, path)
    return q


class AccountKind:
    """The account list's filter. Visit-only accounts — no password anyone can sign in with
    (Django's unusable "!…" one) and nothing but 只读 posts, as the monthly cycle's seed makes
    three per village for its visiting cadres — are thousands at city scale: the list shows the
    accounts people sign in with by default and folds those behind a count."""

    SIGN_IN, VISIT_ONLY, ALL = "", "visit_only", "all"
    LABELS = {SIGN_IN: "可登录账号", VISIT_ONLY: "仅走访账号（未设密码、只读）", ALL: "全部账号"}


def visit_only_q() -> Q:
    other_posts = Assignment.objects.filter(user=OuterRef("pk")).exclude(role=Role.VIEWER)
    return Q(password__startswith="!") & ~Exists(other_posts)


def accounts_of(user, text: str = "", kind: str = AccountKind.ALL):
    """Accounts with an assignment in the user's subtrees, searchable by name or username,
    of `kind` (AccountKind), newest first."""
    User = get_user_model()
    q = _within(user, "org__path")
    if q is None:
        return User.objects.none()
    ids = Assignment.objects.filter(q).values("user_id")
    accounts = User.objects.filter(pk__in=ids)
    if text := " ".join(text.split()):
        accounts = accounts.filter(Q(first_name__contains=text) | Q(username__icontains=text))
    if kind == AccountKind.SIGN_IN:
        accounts = accounts.exclude(visit_only_q())
    elif kind == AccountKind.VISIT_ONLY:
        accounts = accounts.filter(visit_only_q())
    return accounts.order_by("-date_joined", "-id").prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("org").order_by("org__path", "role"),
        )
    )


def annotate(user, accounts) -> list:
    """Each account with `shown` (its assignments in the user's subtrees), `hidden` (how many
    others it holds) and `refusal` (why the user may not change it, or None)."""
    q_paths = outermost(account_admin_paths(user))
    for account in accounts:
        held = list(account.assignments.all())
        account.shown = [a for a in held if any(a.org.path.startswith(p) for p in q_paths)]
        account.hidden = len(held) - len(account.shown)
        account.refusal = manage_refusal(user, account, [(a.org.path, a.role) for a in held])
    return accounts


def organisations_for(user, text: str, limit: int = 20):
    """Organisations in the user's subtrees whose code starts with, or name contains, `text`."""
    q = _within(user, "path")
    text = " ".join(text.split())
    if q is None or not text:
        return Organization.objects.none()
    found = Organization.objects.filter(q).filter(
        Q(code__istartswith=text) | Q(name__contains=text) | Q(short_name__contains=text)
    )
    return found.order_by("path")[:limit]


def organisation_named(user, text: str):
    """The organisation in the user's subtrees with this code, or else this full name (if only
    one has it); None otherwise."""
    q = _within(user, "path")
    text = text.strip()
    if q is None or not text:
        return None
    orgs = Organization.objects.filter(q)
    found = orgs.filter(code=text).first()
    if found is None:
        named = list(orgs.filter(name=text)[:2])
        found = named[0] if len(named) == 1 else None
    return found


def accounts_by_role(path: str) -> dict[str, int]:
    """Active accounts with an assignment of each role in the subtree at `path` (an account
    holding two roles there counts under both; `luoshi stats`)."""
    from django.db.models import Count

    rows = (
        Assignment.objects.filter(subtree_q("org__path", path), user__is_active=True)
        .values("role")
        .annotate(n=Count("user", distinct=True))
    )
    counts = {role.value: 0 for role in Role}
    counts.update({row["role"]: row["n"] for row in rows})
    return counts


ACCOUNT_KINDS = (
    AuditEvent.Kind.ACCOUNT_CREATED,
    AuditEvent.Kind.ACCOUNT_EDITED,
    AuditEvent.Kind.ASSIGNMENT_ADDED,
    AuditEvent.Kind.ASSIGNMENT_REMOVED,
    AuditEvent.Kind.PASSWORD_RESET,
    AuditEvent.Kind.PASSWORD_CHANGED,
    AuditEvent.Kind.ACCOUNT_LOCKED,
    AuditEvent.Kind.ACCOUNT_UNLOCKED,
)


def _what(event) -> str:
    d = event.detail or {}
    if event.kind in (AuditEvent.Kind.ASSIGNMENT_ADDED, AuditEvent.Kind.ASSIGNMENT_REMOVED):
        return f"{d.get('org', '')} · {d.get('role_label', '')}"
    if event.kind == AuditEvent.Kind.ACCOUNT_CREATED:
        held = "、".join(f"{a['org']} · {a['role_label']}" for a in d.get("assignments", []))
        return f"{d.get('name', '')}：{held}"
    if event.kind == AuditEvent.Kind.ACCOUNT_EDITED:
        return f"姓名：{d.get('before', '')} → {d.get('name', '')}"
    return ""


def account_history(user, account, limit: int = 50) -> list:
    """The audit log of the account's changes (who did what, when), newest first: those the
    user may see, i.e. about no organisation or about one in the user's subtrees (an
    assignment elsewhere is not named to them). Each event gets `actor_name` and `what`."""
    q = _within(user, "org_path")
    if q is None:
        return []
    events = (
        AuditEvent.objects.filter(target=account.get_username(), kind__in=ACCOUNT_KINDS)
        .filter(q | Q(org_path=""))
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )
    rows = list(events)
    for event in rows:
        actor = event.actor
        if actor is not None:
            event.actor_name = f"{actor.first_name or actor.username}（{actor.username}）"
        else:  # the command line, or an account deleted since
            event.actor_name = event.username if event.username not in ("", "system") else "命令行"
        event.what = _what(event)
    return rows
