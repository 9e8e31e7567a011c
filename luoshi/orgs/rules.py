"""The rules of the organisation tree's shape, in one place: the services that add, move, merge
and dissolve organisations and the sheet import all ask these."""

from luoshi.orgs.models import OrgKind, OrgLevel


def placement_refusal(*, parent_kind: str, parent_level: int, kind: str, level: int) -> str | None:
    """Why an organisation of `kind` at `level` may not sit directly under a parent of
    `parent_kind` at `parent_level`; None when it may. A 党支部 is the lowest organisation and
    has none below it; a 党总支 leads 党支部 only; a child is at its parent's level or below
    (OrgLevel counts downwards: 1 省级 … 5 基层)."""
    if parent_kind == OrgKind.BRANCH:
        return "党支部下不能设立下级党组织"
    if parent_kind == OrgKind.GENERAL_BRANCH and kind != OrgKind.BRANCH:
        return f"党总支下只能设立党支部，不能设立{OrgKind(kind).label}"
    if level < parent_level:
        return (
            f"下级组织的层级（{OrgLevel(level).label}）不能高于上级组织"
            f"（{OrgLevel(parent_level).label}）"
        )
    return None


def placement_refusal_under(parent, *, kind: str, level: int) -> str | None:
    """`placement_refusal` for a child under the organisation `parent` (None: a top one)."""
    if parent is None:
        return None
    return placement_refusal(
        parent_kind=parent.kind, parent_level=parent.level, kind=kind, level=level
    )
