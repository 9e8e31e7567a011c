"""Reads of the organisation tree, each taking the user and returning only what they may see."""

from django.db.models import F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Length, Substr

from luoshi.core import tallies
from luoshi.core.paging import Page, page_of  # noqa: F401 - the pages' paging, kept importable here
from luoshi.core.paths import SEP, ancestor_ids
from luoshi.core.scoping import scope_paths
from luoshi.orgs.models import LeadershipTeam, Member, Organization, OrgTally, TeamPosition


def org_figures(path: str) -> dict:
    """Counts of the subtree at `path`: organisations, branches, members, leadership teams (the
    anchored sums of the organisations' roll-up rows, core/tallies.py)."""
    from luoshi.orgs.rollups import ORG_FIELDS, SUMS

    sums = tallies.sums(SUMS, path)
    return {k: sums.get(k, 0) for k in ["organizations", *ORG_FIELDS]}


def at_paths(paths):
    """The organisations at these paths (of assignments, of a scope), in path order; "/" (the
    whole installation, a superuser's) stands for the top-level organisations."""
    paths = set(paths)
    q = Q(path__in=paths)
    if SEP in paths:
        q |= Q(parent__isnull=True)
    return Organization.objects.filter(q).order_by("path")


def scope_roots(user):
    """The organisations at the top of the user's scope."""
    return at_paths(scope_paths(user))


def _outer_upper():
    """SQL for the upper bound of the subtree of the outer row's path (see core.paths)."""
    outer = OuterRef("path")
    return Concat(Substr(outer, 1, Length(outer) - 1), Value("0"))


def _subtree_sum(expression):
    rows = OrgTally.objects.filter(org_path__gte=OuterRef("path"), org_path__lt=_outer_upper())
    return Coalesce(
        Subquery(rows.order_by().annotate(n=Func(expression, function="SUM")).values("n")[:1]),
        0,
    )


def with_subtree_counts(queryset):
    """Annotate organisations with their subtree's organisation and member counts (one query,
    summing the roll-up rows)."""
    return queryset.annotate(
        org_count=_subtree_sum(Value(1)),
        member_count=_subtree_sum(F("members")),
    )


def with_child_counts(queryset):
    children = Organization.objects.filter(parent=OuterRef("pk"))
    return queryset.annotate(
        child_count=Coalesce(
            Subquery(
                children.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1]
            ),
            0,
        )
    )


def visible_children(user, org: Organization):
    return with_child_counts(
        Organization.objects.visible_to(user).filter(parent=org).order_by("sort_order", "id")
    )


def breadcrumbs(user, org: Organization) -> list[Organization]:
    """The organisation's ancestors that the user may see, from the top of their scope down."""
    ids = ancestor_ids(org.path)[:-1]
    found = {o.pk: o for o in Organization.objects.visible_to(user).filter(pk__in=ids)}
    return [found[i] for i in ids if i in found]


def search_organizations(user, text: str, limit: int = 30):
    """Organisations in scope whose name contains the text or whose code starts with it."""
    text = text.strip()
    if not text:
        return Organization.objects.none()
    return (
        Organization.objects.visible_to(user)
        .filter(Q(name__contains=text) | Q(short_name__contains=text) | Q(code__startswith=text))
        .order_by("level", "path")[:limit]
    )


STANDINGS = {"current": "在册党员", "mobile": "流动党员", "left": "已离开", "all": "全部"}


def members_of(user, org: Organization, *, subtree: bool, text: str = "", standing="current"):
    """Members of the organisation itself, or of its whole subtree, that the user may see:
    those on the rolls (current, the default), only the 流动党员, those who left, or all."""
    members = Member.objects.visible_to(user).select_related("org")
    if standing in ("current", "mobile"):
        members = members.filter(left_on__isnull=True)
    if standing == "mobile":
        members = members.filter(mobile=True)
    elif standing == "left":
        members = members.filter(left_on__isnull=False)
    if subtree:
        members = members.in_subtree(org.path)
    else:
        members = members.filter(org=org)
    if text := text.strip():
        members = members.filter(name__contains=text)
    return members.order_by("org_path", "id")


def managed_organizations(user, outside: str | None = None):
    """Live organisations in the subtrees where the user is office or admin (the register's
    pickers), without the subtree at `outside` (the one being moved or merged), by level."""
    from luoshi.accounts.permissions import account_admin_paths
    from luoshi.core.paths import subtree_q

    paths = account_admin_paths(user)
    if not paths:
        return Organization.objects.none()
    q = Q()
    for path in paths:
        q |= subtree_q("path", path)
    rows = Organization.objects.filter(q)
    if outside:
        rows = rows.exclude(subtree_q("path", outside))
    return rows.order_by("level", "path")


def teams_of(org: Organization) -> list[LeadershipTeam]:
    """The organisation's leadership teams, each with its seats (`.seats`), in their order."""
    teams = list(LeadershipTeam.objects.filter(org=org).order_by("rank", "id"))
    seats: dict[int, list] = {t.pk: [] for t in teams}
    found = TeamPosition.objects.filter(team__in=teams).select_related("member__org")
    for seat in found.order_by("rank", "id"):
        seats[seat.team_id].append(seat)
    for team in teams:
        team.seats = seats[team.pk]
    return teams


def member_history(member: Member) -> list[dict]:
    """What happened to a member, newest first: its transfers (MemberTransfer) and the other
    audit events naming it (added, edited, 流动, left)."""
    from luoshi.core.models import AuditEvent

    rows = [
        {
            "at": t.created_at,
            "on": t.on_date,
            "by": t.actor_name,
            "what": "转接组织关系",
            "text": f"由{t.from_org.name}转至{t.to_org.name}：{t.reason}",
        }
        for t in member.transfers.select_related("from_org", "to_org")
    ]
    events = AuditEvent.objects.filter(target=f"member:{member.pk}").exclude(
        kind="member_transferred"
    )
    for event in events.order_by("-at", "-id")[:200]:
        detail = event.detail or {}
        rows.append(
            {
                "at": event.at,
                "on": None,
                "by": event.username,
                "what": MEMBER_EVENTS.get(event.kind, event.kind),
                "text": detail.get("reason") or detail.get("place") or _edits(detail),
            }
        )
    return sorted(rows, key=lambda r: r["at"], reverse=True)


def _edits(detail: dict) -> str:
    after = detail.get("after") or {}
    if not isinstance(after, dict):
        return ""
    labels = {f.name: f.verbose_name for f in Member._meta.fields}
    return "、".join(str(labels.get(k, k)) for k in after)


MEMBER_EVENTS = {
    "member_added": "新增党员",
    "member_edited": "修改信息",
    "member_transferred": "转接组织关系",
    "member_mobile": "标记流动党员",
    "member_returned": "取消流动党员",
    "member_left": "标记离开",
}
