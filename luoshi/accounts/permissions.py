"""The one place that decides what a user may do: roles held over an organisation's subtree."""

from django.conf import settings
from django.http import Http404

from luoshi.accounts.models import Assignment, Role
from luoshi.core.errors import NotAllowed
from luoshi.core.paths import ancestor_paths
from luoshi.core.scoping import assigned, can_see_path

WHOLE_INSTALLATION = ("/", Role.ADMIN)


def assignments_of(user) -> list[tuple[str, str]]:
    """(organisation path, role) of each of the user's assignments, read from the database: the
    tree hook core.registry.assignments (so the scope, core.scoping, and the roles, here, read
    the same list). A superuser (the first administrator, made by `luoshi createsuperuser`) is
    the 系统管理员 of the whole installation: admin over "/" besides any assignment, even
    before any organisation exists."""
    own = Assignment.objects.filter(user=user).values_list("org__path", "role").order_by()
    held = list(own.union(guidance_group_assignments(user), all=True))  # one query
    if getattr(user, "is_superuser", False):
        held.insert(0, WHOLE_INSTALLATION)
    return held


def guidance_group_assignments(user, on=None):
    """(subtree path, guidance) for each subtree of each guidance group (guidance.GuidanceGroup)
    the user is a member of, on the days of its period (default today), as a query that
    `assignments_of` reads together with the user's Assignment rows (one query).

    Why here and not Assignment rows made by the group's services: the group is the one record
    of who guides what and when. Read here, a member gains the role on the first day and loses
    it after the last without a job that starts and ends rows (and could miss a day), a member
    removed or a subtree withdrawn loses it at once, and a guidance role also granted by hand
    (an Assignment) is never deleted by a group ending. What the role allows is decided below
    like any other guidance assignment: seeing the subtree (scope), verifying and returning
    closures (verifier_role); never keeping a ledger or reporting (OWNER_ROLES, ABOVE_ROLES).
    The group's services mark each member's account version (core.versions.account_changed),
    so the cached signed-in user (accounts.backends) follows a change at once; a period that
    begins or ends at midnight shows within ACCOUNT_CACHE_SECONDS."""
    from django.db.models import CharField, Value

    from luoshi.guidance.models import GuidanceGroup  # the app above reads the role through here

    return (
        GuidanceGroup.objects.in_force(on)
        .filter(members=user, subtrees__isnull=False)
        .values_list("subtrees__path", Value(Role.GUIDANCE.value, output_field=CharField()))
        .order_by()
    )


def guidance_groups_over(paths):
    """(subtree path, guidance) for each of `paths` that a guidance group in force today guides
    (a group with members or a leader): whom a submitted measure waits for, as the members'
    role is read by `guidance_group_assignments`."""
    from django.db.models import CharField, Value

    from luoshi.guidance.models import GuidanceGroup

    return (
        GuidanceGroup.objects.in_force()
        .filter(subtrees__path__in=paths, members__isnull=False)
        .values_list("subtrees__path", Value(Role.GUIDANCE.value, output_field=CharField()))
        .distinct()
        .order_by()
    )


def whole_installation(user) -> bool:
    """Is the user administrator over the whole installation (a superuser, the command line)?"""
    return WHOLE_INSTALLATION in role_paths(user)


def role_paths(user) -> list[tuple[str, str]]:
    """(organisation path, role) for each of the user's assignments (cached on the user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if getattr(user, "is_system", False):
        return [WHOLE_INSTALLATION]
    return assigned(user)


def roles_over(user, path: str) -> set[str]:
    """Roles the user holds at `path` or at any of its ancestors."""
    return {role for assigned, role in role_paths(user) if path.startswith(assigned)}


def has_role_over(user, path: str, *roles: str) -> bool:
    return bool(roles_over(user, path) & set(roles))


def require_role_over(user, path: str, *roles: str) -> None:
    """404 outside the user's scope; NotAllowed inside it without one of the roles."""
    if not can_see_path(user, path):
        raise Http404
    if not has_role_over(user, path, *roles):
        raise NotAllowed("当前岗位无权执行此操作")


MANAGE_TREE = (Role.ADMIN, Role.OFFICE)


# --- the ledger: who keeps it, who reports the work, who verifies it ---------------------------
# Keeping a unit's ledger (listing its problems and measures, importing it, handling opinions)
# is open to its own liaison or office and to those of the levels above. Reporting the work
# (progress, starting, asking for 销号) is the unit's own: an upper office reports for it only
# when it says so (代为填报), and that is recorded. Verifying is for an office strictly above, or
# a guidance group over it, from another organisation than the one that asked for 销号.
OWNER_ROLES = frozenset({Role.LIAISON, Role.OFFICE, Role.ADMIN})
ABOVE_ROLES = frozenset({Role.OFFICE, Role.ADMIN})


def may_keep_ledger(user, org_path: str) -> bool:
    """May the user list problems and measures of the organisation at `org_path` (its own
    liaison, office or admin, or those of a level above it)?"""
    return any(org_path.startswith(p) and r in OWNER_ROLES for p, r in role_paths(user))


def reporting_path(user, org_path: str, *, on_behalf: bool = False) -> str | None:
    """The organisation in whose name the user reports the work of the organisation at
    `org_path`: that organisation itself when the user is its liaison, office or admin; with
    `on_behalf`, otherwise the nearest level above where the user holds such a role. None when
    the user may not report it."""
    held = [p for p, r in role_paths(user) if r in OWNER_ROLES and org_path.startswith(p)]
    if org_path in held:
        return org_path
    if on_behalf and held:
        return max(held, key=len)
    return None


def may_report(user, org_path: str, *, on_behalf: bool = False) -> bool:
    """May the user report progress on, start or ask 销号 for work of the organisation at
    `org_path` (see `reporting_path`)?"""
    return reporting_path(user, org_path, on_behalf=on_behalf) is not None


def reports_only_on_behalf(user, org_path: str) -> bool:
    """Does the user keep this ledger from a level above only (so reports as 代为填报)?"""
    return reporting_path(user, org_path) is None and may_report(user, org_path, on_behalf=True)


def _verifies(path: str, role: str, org_path: str, not_from: str) -> bool:
    """Does the role held at `path` verify work of the organisation at `org_path` asked by
    `not_from`? (The one rule of `verifier_role` and `waiting_verifiers`.)"""
    if not org_path.startswith(path):
        return False
    if role == Role.GUIDANCE:
        return True
    return role in ABOVE_ROLES and path != org_path and path != not_from


def verifier_role(user, org_path: str, *, not_from: str = "") -> str | None:
    """The role in which the user may verify work of the organisation at `org_path`, if any: an
    office or admin strictly above it, or a guidance group over it (a group of its own, never
    the unit itself). `not_from` is the organisation that asked for 销号: an assignment there
    does not count, so that a colleague of the one who asked cannot close it."""
    for path, role in role_paths(user):
        if _verifies(path, role, org_path, not_from):
            return role
    return None


def may_feed_back(user, org_path: str) -> bool:
    """May the user feed a problem back into the list of the organisation at `org_path`
    (督导反馈): those who may verify its work (`verifier_role`), a guidance group over it or an
    office strictly above it. It writes nothing else of that ledger."""
    return verifier_role(user, org_path) is not None


def may_remind(user, org_path: str) -> bool:
    """May the user remind the organisation at `org_path` of its work (批量提醒)? Those who
    verify it (`verifier_role`): an office strictly above it, or a guidance group over it."""
    return verifier_role(user, org_path) is not None


VERIFIER_ROLES = (Role.GUIDANCE, *ABOVE_ROLES)


def waiting_verifiers(items: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Who will verify each (organisation path, path that asked for 销号) of `items`: the
    (organisation path, role) of the nearest assignment that `verifier_role` would accept
    (the nearest level first; at one level an office before a guidance group). Read with one
    query for all the items; an item nobody can verify yet is left out."""
    wanted = {p for org_path, _ in items for p in ancestor_paths(org_path)}
    held = set(
        Assignment.objects.filter(org__path__in=wanted, role__in=VERIFIER_ROLES).values_list(
            "org__path", "role"
        )
    )
    held |= set(guidance_groups_over(wanted))  # a group in force verifies like the role
    order = {Role.OFFICE: 0, Role.ADMIN: 1, Role.GUIDANCE: 2}
    found = {}
    for org_path, not_from in set(items):
        able = [(p, r) for p, r in held if _verifies(p, r, org_path, not_from)]
        if able:
            found[(org_path, not_from)] = min(able, key=lambda a: (-len(a[0]), order[a[1]]))
    return found


def may_verify(user, measure) -> bool:
    """May the user close, return or reopen the measure (see `verifier_role`)?"""
    return verifier_role(user, measure.org_path, not_from=measure.submitted_from) is not None


def may_see_sender(user, org_path: str) -> bool:
    """Whether the user sees the name and contact of an opinion's sender at the organisation of
    `org_path`. The public form promises they are only used to call back (只用于回访，不会公开):
    by default only the campaign office (and an administrator) over that organisation, the
    roles of OPINION_SENDER_ROLES; everyone else in scope sees the opinion without them."""
    return has_role_over(user, org_path, *settings.OPINION_SENDER_ROLES)


# --- accounts: who may grant which role, and manage whose account ------------------------------
# Roles in the order of what they allow, the highest first. Only an office or an administrator
# manages accounts; the others are listed so that "never more than it holds" has a meaning for
# every pair. A viewer (只读) may see its subtree and do nothing: it is in none of the role sets
# above (OWNER_ROLES, ABOVE_ROLES, guidance), so may_keep_ledger, may_report and verifier_role
# never pass for it.
# The registers' roles rank just below an office: only an office or an administrator over the
# organisation grants them, and (not being office or admin) they grant nothing themselves.
ROLE_ORDER = (
    Role.ADMIN,
    Role.OFFICE,
    Role.DISCIPLINE,
    Role.ORGANIZATION_DEPT,
    Role.GUIDANCE,
    Role.LEADER,
    Role.LIAISON,
    Role.VIEWER,
)
ROLE_RANK = {role.value: len(ROLE_ORDER) - i for i, role in enumerate(ROLE_ORDER)}


def account_admin_paths(user) -> list[str]:
    """The subtrees in which the user manages accounts: where they are office or admin."""
    return [p for p, r in role_paths(user) if r in MANAGE_TREE]


def grant_refusal(actor, org_path: str, role: str) -> str | None:
    """Why the actor may not give anyone `role` over the organisation at `org_path`, or None
    if they may. The one rule for granting, checked in this order:

    1. the role must be one of Role;
    2. the organisation must lie in a subtree where the actor is office or admin (their own
       organisation or below it): nothing is granted outside it, not even a guidance group over
       a wider subtree;
    3. in one of those subtrees the actor must hold a role at least as high as the one granted
       (ROLE_ORDER: admin > office > guidance > leader > liaison > viewer). So an office grants
       office, guidance, leader, liaison or viewer at or below its own level, never admin; an
       admin grants any role within its subtree (the command line's system actor everywhere)."""
    if role not in ROLE_RANK:
        return "未知的岗位角色"
    held = [r for p, r in role_paths(actor) if r in MANAGE_TREE and org_path.startswith(p)]
    if not held:
        return "只能在本级及下级组织范围内分配岗位"
    if max(ROLE_RANK[r] for r in held) < ROLE_RANK[role]:
        return f"不能分配高于本人岗位的角色（{Role(role).label}）"
    return None


def manage_refusal(actor, target, assignments: list[tuple[str, str]]) -> str | None:
    """Why the actor may not change the account `target` (its name, assignments, password,
    lock), given the target's assignments as (organisation path, role); None if they may. Every
    assignment of the target must be one the actor could grant (`grant_refusal`): an account
    that also holds a role outside the actor's subtrees, or a role above the actor's, is managed
    by a level that holds all of them. Nobody manages their own account here (修改密码 is theirs);
    an account with no assignment, or a superuser, only the system actor."""
    if getattr(target, "pk", None) is not None and target.pk == getattr(actor, "pk", None):
        return "不能在这里修改自己的账号"
    system = getattr(actor, "is_system", False)
    if getattr(target, "is_superuser", False) and not system:
        return "系统超级管理员账号只能在命令行管理"
    if not assignments:
        return None if system else "该账号没有岗位，只能由系统管理员处理"
    for path, role in assignments:
        if grant_refusal(actor, path, role) is not None:
            return "该账号在本级范围以外另有岗位或岗位高于本人，无权修改"
    return None
