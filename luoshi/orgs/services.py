"""Writes to the organisation tree. Each function checks permission, runs in a transaction and
records what it did."""

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import MANAGE_TREE, has_role_over, require_role_over
from luoshi.core import tallies, versions
from luoshi.core.audit import record_event
from luoshi.core.errors import NotAllowed
from luoshi.core.models import AuditEvent, OrgOwned, Tally
from luoshi.core.paths import child_path, subtree_q
from luoshi.orgs.models import Member, Organization
from luoshi.orgs.rollups import refresh_org_tallies


class TreeError(ValueError):
    """A change that would break the tree (a cycle, a duplicate code)."""


def add_organization(
    *,
    parent: Organization | None,
    code: str,
    name: str,
    kind: str,
    level: int,
    unit_type: str = "other",
    short_name: str = "",
    sort_order: int = 0,
    recount: bool = True,
) -> Organization:
    """Insert an organisation and give it its path, after checking its code is free and its
    fields are valid. No permission check: callers check. `recount=False` is for bulk imports,
    which recount their new organisations with `refresh_org_tallies` once at the end."""
    code = code.strip()
    if Organization.objects.filter(code=code).exists():
        raise TreeError(f"组织代码 {code} 已被使用")
    org = Organization(
        parent=parent,
        code=code,
        name=name.strip(),
        short_name=short_name.strip(),
        kind=kind,
        level=level,
        unit_type=unit_type,
        sort_order=sort_order,
        path=f"/new-{code}/",
    )
    org.full_clean(exclude=["path", "parent"], validate_unique=False)  # code checked above
    # no savepoint of its own: nothing below fails for a reason a caller could go on after
    with transaction.atomic(savepoint=False):
        org.save()
        org.path = child_path(parent.path if parent else None, org.pk)
        org.save(update_fields=["path"])
        versions.changed_everywhere()  # a new name in its parent's tables
        if recount:
            refresh_org_tallies([org.pk])
    return org


def add_member(*, org: Organization, **fields) -> Member:
    """Add a member to `org` (and count it in the roll-up). No permission check: callers
    check; bulk imports insert rows and recount with `refresh_org_tallies` themselves."""
    with transaction.atomic():
        member = Member.objects.create(org=org, org_path=org.path, **fields)
        refresh_org_tallies([org.pk])
    return member


def create_organization(*, actor, parent: Organization | None, **fields) -> Organization:
    """Add an organisation under `parent` (checked and counted as `add_organization` does). The
    actor needs an admin or office role over `parent`; a new top organisation (no parent), the
    admin role over the whole tree."""
    if parent is None:
        if not has_role_over(actor, "/", Role.ADMIN):
            raise NotAllowed("只有系统管理员可以新建顶级党组织")
    else:
        require_role_over(actor, parent.path, *MANAGE_TREE)
    return add_organization(parent=parent, **fields)


EDITABLE = ("name", "short_name", "kind")


def update_organization(*, actor, org: Organization, **fields) -> list[str]:
    """Rename an organisation or change its kind (only the fields in EDITABLE). The actor needs an
    admin or office role over it; the new values are checked as a new organisation's are. Names
    show on every page, so every cached version is marked; a changed kind recounts its roll-up.
    Returns the names of the fields that changed (none: nothing written)."""
    if unknown := set(fields) - set(EDITABLE):
        raise ValueError(f"not editable: {sorted(unknown)}")
    require_role_over(actor, org.path, *MANAGE_TREE)
    fields = {k: v.strip() if k != "kind" else v for k, v in fields.items()}
    changed = [k for k, v in fields.items() if getattr(org, k) != v]
    if not changed:
        return []
    before = {k: getattr(org, k) for k in changed}
    for k in changed:
        setattr(org, k, fields[k])
    try:
        org.full_clean(exclude=["path", "parent"], validate_unique=False)
    except ValidationError:
        for k, v in before.items():  # the caller's object as it was
            setattr(org, k, v)
        raise
    with transaction.atomic(savepoint=False):
        org.save(update_fields=changed)
        versions.changed_everywhere()
        if "kind" in changed:
            refresh_org_tallies([org.pk])
    return changed


def move_subtree(*, actor, org: Organization, new_parent: Organization) -> int:
    """Put `org` and everything under it beneath `new_parent`.

    Rewrites the path of every organisation in the subtree and the `org_path` copy on every row of
    every OrgOwned model, in one transaction, so that scoping and figures follow the move at once.
    The actor needs an admin or office role over both the old and the new parent. Returns the
    number of rows rewritten."""
    if org.parent_id is None:
        raise TreeError("不能移动根组织")
    old_parent = Organization.objects.get(pk=org.parent_id)
    require_role_over(actor, old_parent.path, *MANAGE_TREE)
    require_role_over(actor, new_parent.path, *MANAGE_TREE)
    if new_parent.path.startswith(org.path):
        raise TreeError("不能把组织移到它自己或它的下级组织之下")

    with transaction.atomic():
        # Re-read under lock: the paths may have changed since the caller loaded them.
        org = Organization.objects.select_for_update().get(pk=org.pk)
        new_parent = Organization.objects.select_for_update().get(pk=new_parent.pk)
        old_path = org.path
        new_path = child_path(new_parent.path, org.pk)
        if old_path == new_path:
            return 0
        rest = Substr("path", len(old_path) + 1)
        rewritten = Organization.objects.filter(subtree_q("path", old_path)).update(
            path=Concat(Value(new_path), rest)
        )
        Organization.objects.filter(pk=org.pk).update(parent=new_parent)
        for model in apps.get_models():
            if issubclass(model, OrgOwned) and model is not Tally:
                rewritten += model.objects.filter(subtree_q("org_path", old_path)).update(
                    org_path=Concat(Value(new_path), Substr("org_path", len(old_path) + 1))
                )
        tallies.after_move(old_parent.path, new_parent.path, old_path, new_path)
        record_event(
            AuditEvent.Kind.ORG_MOVED,
            user=actor,
            org_path=new_path,
            target=org.code,
            old_path=old_path,
            new_path=new_path,
            rows=rewritten,
        )
    return rewritten
