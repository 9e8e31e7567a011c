"""Reads of the organisation tree, each taking the user and returning only what they may see."""

from django.db.models import F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Length, Substr

from luoshi.core import tallies
from luoshi.core.paging import Page, page_of  # noqa: F401 - the pages' paging, kept importable here
from luoshi.core.paths import SEP, ancestor_ids
from luoshi.core.scoping import scope_paths
from luoshi.orgs.models import LeadershipTeam, Member, Organization, OrgTally


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


def members_of(user, org: Organization, *, subtree: bool, text: str = ""):
    """Members of the organisation itself, or of its whole subtree, that the user may see."""
    members = Member.objects.visible_to(user).select_related("org")
    if subtree:
        members = members.in_subtree(org.path)
    else:
        members = members.filter(org=org)
    if text := text.strip():
        members = members.filter(name__contains=text)
    return members.order_by("org_path", "id")


def leadership_of(org: Organization):
    team = LeadershipTeam.objects.filter(org=org).first()
    positions = list(team.positions.all()) if team else []
    return team, positions


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
