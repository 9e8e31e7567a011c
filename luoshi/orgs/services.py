"""Writes to the organisation tree. Each function checks permission, runs in a transaction and
records what it did."""

from datetime import date

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, IntegerField, Value
from django.db.models.functions import Concat, Substr

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import MANAGE_TREE, has_role_over, require_role_over
from luoshi.core import tallies, versions
from luoshi.core.audit import record_event
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.models import AuditEvent, OrgOwned, Tally
from luoshi.core.paths import child_path, subtree_q
from luoshi.orgs.models import Member, Organization
from luoshi.orgs.rollups import refresh_org_tallies
from luoshi.orgs.rules import placement_refusal_under

# Audit event kinds of the register (AuditEvent.kind is free text; these name what happened).
ORG_CREATED = "org_created"
ORG_UPDATED = "org_updated"
ORG_MERGED = "org_merged"
ORG_DISSOLVED = "org_dissolved"


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
    if taken := Organization.all_objects.filter(code=code).first():
        gone = "" if taken.is_live else "（已撤销或合并的组织）"
        raise TreeError(f"组织代码 {code} 已被使用{gone}")
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
        if not parent.is_live:
            raise Invalid(f"上级组织“{parent.name}”已撤销，不能在其下新增组织")
        refusal = placement_refusal_under(
            parent, kind=fields.get("kind"), level=fields.get("level")
        )
        if refusal:
            raise Invalid(refusal)
    with transaction.atomic():
        org = add_organization(parent=parent, **fields)
        record_event(ORG_CREATED, user=actor, org_path=org.path, target=org.code, name=org.name)
    return org


EDITABLE = ("name", "short_name", "kind")


def update_organization(*, actor, org: Organization, **fields) -> list[str]:
    """Rename an organisation or change its kind (only the fields in EDITABLE). The actor needs an
    admin or office role over it; the new values are checked as a new organisation's are. Names
    show on every page, so every cached version is marked; a changed kind recounts its roll-up.
    Returns the names of the fields that changed (none: nothing written)."""
    if unknown := set(fields) - set(EDITABLE):
        raise ValueError(f"not editable: {sorted(unknown)}")
    require_role_over(actor, org.path, *MANAGE_TREE)
    if not org.is_live:
        raise Invalid(f"“{org.name}”已撤销或合并，不能再修改")
    fields = {k: v.strip() if k != "kind" else v for k, v in fields.items()}
    changed = [k for k, v in fields.items() if getattr(org, k) != v]
    if not changed:
        return []
    if "kind" in changed:
        _check_kind_fits(org, fields["kind"])
    before = {k: getattr(org, k) for k in changed}
    for k in changed:
        setattr(org, k, fields[k])
    try:
        org.full_clean(exclude=["path", "parent"], validate_unique=False)
    except ValidationError:
        for k, v in before.items():  # the caller's object as it was
            setattr(org, k, v)
        raise
    with transaction.atomic():
        org.save(update_fields=changed)
        versions.changed_everywhere()
        if "kind" in changed:
            refresh_org_tallies([org.pk])
        record_event(
            ORG_UPDATED,
            user=actor,
            org_path=org.path,
            target=org.code,
            before=before,
            after={k: fields[k] for k in changed},
        )
    return changed


def check_new_parent(org: Organization, new_parent: Organization) -> None:
    """Refuse (TreeError, Invalid) a new parent that would break the tree: the organisation
    itself or one below it, a dissolved one, or one whose kind and level cannot lead it."""
    if not org.is_live:
        raise Invalid(f"“{org.name}”已撤销或合并，不能再移动")
    if new_parent.path.startswith(org.path):
        raise TreeError("不能把组织移到它自己或它的下级组织之下")
    if not new_parent.is_live:
        raise Invalid(f"“{new_parent.name}”已撤销，不能作为上级组织")
    if refusal := placement_refusal_under(new_parent, kind=org.kind, level=org.level):
        raise Invalid(refusal)


def move_subtree(*, actor, org: Organization, new_parent: Organization) -> int:
    """Put `org` and everything under it beneath `new_parent`.

    Rewrites the path of every organisation in the subtree and the `org_path` copy on every row of
    every OrgOwned model, in one transaction, so that scoping and figures follow the move at once.
    The actor needs an admin or office role over both the old and the new parent. Returns the
    number of rows rewritten."""
    if org.parent_id is None:
        raise TreeError("不能移动根组织")
    old_parent = Organization.all_objects.get(pk=org.parent_id)
    require_role_over(actor, old_parent.path, *MANAGE_TREE)
    require_role_over(actor, new_parent.path, *MANAGE_TREE)
    check_new_parent(org, new_parent)

    with transaction.atomic():
        # Re-read under lock: the paths may have changed since the caller loaded them.
        org = Organization.all_objects.select_for_update().get(pk=org.pk)
        new_parent = Organization.all_objects.select_for_update().get(pk=new_parent.pk)
        old_path = org.path
        new_path = child_path(new_parent.path, org.pk)
        if old_path == new_path:
            return 0
        rest = Substr("path", len(old_path) + 1)
        rewritten = Organization.all_objects.filter(subtree_q("path", old_path)).update(
            path=Concat(Value(new_path), rest)
        )
        Organization.all_objects.filter(pk=org.pk).update(parent=new_parent)
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


def _check_kind_fits(org: Organization, kind: str) -> None:
    """A new kind must still fit under the parent and above every child (orgs.rules)."""
    parent = Organization.all_objects.filter(pk=org.parent_id).first()
    refusal = placement_refusal_under(parent, kind=kind, level=org.level)
    for child in Organization.objects.filter(parent=org).only("kind", "level", "name")[:1000]:
        if refusal:
            break
        probe = Organization(kind=kind, level=org.level)
        if why := placement_refusal_under(probe, kind=child.kind, level=child.level):
            refusal = f"下级组织“{child.name}”：{why}"
    if refusal:
        raise Invalid(refusal)


# --- merging and dissolving: everything that hangs on an organisation goes to a receiver -------
# Rows of these models that would repeat one the receiver has already are summed into it (an
# own-row count) or dropped (the receiver's own stands): a checklist entry per key action, an
# import's remembered mapping. The organisations' own roll-up is recounted; any other unique
# row that would repeat stops the change (say which, change nothing).
SUMMED_ON_MERGE = {"rectification.LedgerTally"}
# A campaign's batch membership: the receiver keeps its own batch.
DROPPED_ON_MERGE = {
    "orgs.OrgTally",
    "campaigns.ActionItem",
    "campaigns.BatchMember",
    "ledger_io.ImportMapping",
}
# Many-to-many links to organisations that stay with the merged one rather than follow it
# (none today); any other link (a problem's responsible units) follows.
LEFT_ON_MERGE: set[str] = set()
# Append-only history (a trigger refuses any other change on PostgreSQL): each row keeps naming
# the organisation where it happened and follows into the receiver's subtree by its org_path.
HISTORY = {"rectification.LedgerEvent", "opinions.OpinionEvent"}


def _owned_models():
    return [m for m in apps.get_models() if issubclass(m, OrgOwned) and m is not Tally]


def transfer_counts(org: Organization) -> dict:
    """What moving or merging `org` takes along: its live organisations (itself included) and the
    rows of every model that belongs to an organisation in its subtree (for the confirmations)."""
    rows = sum(
        m.objects.filter(subtree_q("org_path", org.path)).count()
        for m in _owned_models()
        if m._meta.label not in SUMMED_ON_MERGE | {"orgs.OrgTally"}
        # the restricted registers' rows move too, but are not counted where others see it
        and not getattr(m, "RESTRICTED", False)
    )
    organizations = Organization.objects.filter(subtree_q("path", org.path)).count()
    return {"organizations": organizations, "rows": rows}


def _unique_org_keys(model) -> list[list[str]]:
    """The other columns (attnames) of each unique constraint of `model` that includes its
    organisation."""
    return [
        [model._meta.get_field(f).attname for f in c.fields if f != "org"]
        for c in model._meta.constraints
        if getattr(c, "fields", None) and "org" in c.fields
    ]


def _settle_repeats(org: Organization, receiver: Organization) -> dict:
    """Make room for `org`'s own rows at `receiver` (see SUMMED/DROPPED_ON_MERGE); refuse when
    a row would repeat one the receiver has and nothing says how to join them. Returns the rows
    joined into the receiver's, by model."""
    settled: dict[str, int] = {}
    for model in _owned_models():
        label = model._meta.label
        for others in _unique_org_keys(model):
            theirs = set(model.objects.filter(org=receiver).values_list(*others, "org_id"))
            repeats = [
                r
                for r in model.objects.filter(org=org)
                if (*(getattr(r, f) for f in others), receiver.pk) in theirs
            ]
            if not repeats:
                continue
            if label in SUMMED_ON_MERGE:
                _sum_into(model, repeats, receiver, others)
            elif label not in DROPPED_ON_MERGE:
                raise Invalid(
                    f"两个组织都有{model._meta.verbose_name}，合并后会重复，请先处理其中一个"
                )
            model.objects.filter(pk__in=[r.pk for r in repeats]).delete()
            settled[label] = settled.get(label, 0) + len(repeats)
    return settled


def _sum_into(model, repeats, receiver: Organization, others: list[str]) -> None:
    """Add each repeated roll-up row's counts to the receiver's row of the same key."""
    counts = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, IntegerField) and not f.is_relation and not f.primary_key
    ]
    for row in repeats:
        model.objects.filter(org=receiver, **{f: getattr(row, f) for f in others}).update(
            **{c: F(c) + getattr(row, c) for c in counts}
        )


def check_receiver(org: Organization, receiver: Organization) -> None:
    """The receiver of a merge or dissolution: live, not the organisation or one below it, and
    able to lead every child it takes over (orgs.rules)."""
    if not org.is_live:
        raise Invalid(f"“{org.name}”已撤销或合并，不能再操作")
    if receiver.pk == org.pk:
        raise Invalid("接收的组织不能是它自己")
    if not receiver.is_live:
        raise Invalid(f"“{receiver.name}”已撤销或合并，不能接收组织和数据")
    if receiver.path.startswith(org.path):
        raise Invalid(f"“{receiver.name}”是“{org.name}”的下级组织，不能接收它的组织和数据")
    for child in Organization.objects.filter(parent=org).only("name", "kind", "level")[:1000]:
        if refusal := placement_refusal_under(receiver, kind=child.kind, level=child.level):
            raise Invalid(f"下级组织“{child.name}”不能转到“{receiver.name}”之下：{refusal}")


def _require_over_parent(actor, org: Organization) -> None:
    """Taking an organisation out of the tree needs the role over its parent (a top one: the
    system admin), as moving it does."""
    if org.parent_id is None:
        if not has_role_over(actor, "/", Role.ADMIN):
            raise NotAllowed("只有系统管理员可以撤销或合并顶级党组织")
        return
    require_role_over(actor, Organization.all_objects.get(pk=org.parent_id).path, *MANAGE_TREE)


def _relink(org: Organization, receiver: Organization) -> dict:
    """Point the links that name `org` as a current responsibility at `receiver`: assignments
    (an account's role there is now over the receiver) and many-to-many links (a problem's
    responsible units), except those in LEFT_ON_MERGE. Links that are history
    (an opinion's 转交单位) keep naming it."""
    from luoshi.accounts.models import Assignment

    moved = 0
    for a in Assignment.objects.filter(org=org):
        if Assignment.objects.filter(user_id=a.user_id, org=receiver, role=a.role).exists():
            a.delete()
        else:
            Assignment.objects.filter(pk=a.pk).update(org=receiver)
            moved += 1
    for model in apps.get_models():
        for field in model._meta.many_to_many:
            if field.related_model is not Organization:
                continue
            through = field.remote_field.through
            column = field.m2m_reverse_field_name()
            owner = field.m2m_field_name()
            rows = through.objects.filter(**{column: org})
            if f"{model._meta.label}.{field.name}" in LEFT_ON_MERGE:
                rows.delete()
                continue
            have = set(through.objects.filter(**{column: receiver}).values_list(owner, flat=True))
            rows.filter(**{f"{owner}__in": have}).delete()
            rows.update(**{column: receiver})
    return {"assignments": moved}


def _transfer(org: Organization, receiver: Organization) -> dict:
    """Hand everything of `org` to `receiver` (in the caller's transaction): its children and
    their subtrees go under the receiver, every row of its own and of its subtree follows with
    its history (org_path rewritten, org of its own rows changed), links follow (`_relink`);
    roll-ups and tallies are recounted. Returns what moved."""
    old, new = org.path, receiver.path
    old_parent = Organization.all_objects.get(pk=org.parent_id) if org.parent_id else None
    counts = transfer_counts(org)
    settled = _settle_repeats(org, receiver)
    inside = Organization.all_objects.filter(subtree_q("path", old)).exclude(pk=org.pk)
    inside.update(path=Concat(Value(new), Substr("path", len(old) + 1)))
    Organization.all_objects.filter(parent=org).update(parent=receiver)
    for model in _owned_models():
        model.objects.filter(subtree_q("org_path", old)).update(
            org_path=Concat(Value(new), Substr("org_path", len(old) + 1))
        )
        if model._meta.label not in HISTORY:
            model.objects.filter(org=org).update(org=receiver)
    links = _relink(org, receiver)
    Organization.all_objects.filter(pk=org.pk).update(dissolved_on=date.today())
    org.dissolved_on = date.today()
    refresh_org_tallies([org.pk, receiver.pk])
    tallies.after_move(old_parent.path if old_parent else new, new, old, new)
    return {
        "organizations": counts["organizations"] - 1,
        "rows": counts["rows"],
        "joined": settled,
        **links,
    }


def merge_organization(*, actor, org: Organization, into: Organization) -> dict:
    """Merge `org` into `into` (合并): its children, members, teams, problems, measures,
    opinions, every row that belongs to it and its assignments go to `into`; history rows keep
    what happened, and the organisation stays as a row marked merged (left out of the tree and
    every count) so that links to it resolve. The actor needs an admin or office role over its
    parent and over `into`. Returns what moved; recorded with the old code, name and path."""
    _require_over_parent(actor, org)
    require_role_over(actor, into.path, *MANAGE_TREE)
    check_receiver(org, into)
    with transaction.atomic():
        org = Organization.all_objects.select_for_update().get(pk=org.pk)
        into = Organization.all_objects.select_for_update().get(pk=into.pk)
        check_receiver(org, into)  # as read under the lock
        moved = _transfer(org, into)
        Organization.all_objects.filter(pk=org.pk).update(merged_into=into)
        org.merged_into = into
        record_event(
            ORG_MERGED,
            user=actor,
            org_path=into.path,
            target=org.code,
            code=org.code,
            name=org.name,
            old_path=org.path,
            into=into.code,
            into_name=into.name,
            **moved,
        )
    return moved


def dissolve_organization(*, actor, org: Organization, receiver: Organization | None = None):
    """Dissolve `org` (撤销): what hangs on it (children, members, teams, facts, assignments)
    goes to `receiver`, by default its parent, as a merge would send it; a top organisation
    with anything on it and no receiver is refused, so nothing is orphaned. The row stays,
    marked dissolved. Permission as `merge_organization`. Returns what moved."""
    _require_over_parent(actor, org)
    if receiver is None and org.parent_id is not None:
        receiver = Organization.all_objects.get(pk=org.parent_id)
    if receiver is not None:
        require_role_over(actor, receiver.path, *MANAGE_TREE)
        check_receiver(org, receiver)
    with transaction.atomic():
        org = Organization.all_objects.select_for_update().get(pk=org.pk)
        if receiver is None:
            counts = transfer_counts(org)
            if counts["organizations"] > 1 or counts["rows"]:
                raise Invalid(
                    f"“{org.name}”下还有 {counts['organizations'] - 1} 个下级组织和"
                    f" {counts['rows']} 条数据，请选择接收单位后再撤销"
                )
            Organization.all_objects.filter(pk=org.pk).update(dissolved_on=date.today())
            refresh_org_tallies([org.pk])
            tallies.after_move(org.path, org.path, org.path, org.path)
            moved = {"organizations": 0, "rows": 0}
        else:
            moved = _transfer(org, receiver)
        record_event(
            ORG_DISSOLVED,
            user=actor,
            org_path=receiver.path if receiver else org.path,
            target=org.code,
            code=org.code,
            name=org.name,
            old_path=org.path,
            receiver=receiver.code if receiver else "",
            **moved,
        )
    return moved
