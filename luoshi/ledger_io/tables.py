"""Importing the organisation tree and members from the sheets offices export.

Both are all or nothing: every defect is reported with its sheet, row, column and reason, and
nothing is written unless there is none. Both are idempotent: the same file again changes
nothing."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404

from luoshi.accounts.permissions import MANAGE_TREE, require_role_over
from luoshi.core import tallies
from luoshi.core.audit import record_event
from luoshi.core.bulk import insert_rows
from luoshi.core.errors import DomainError
from luoshi.ledger_io.layout import Issue, col_letter, text_of
from luoshi.ledger_io.workbook import WorkbookError, read_workbook
from luoshi.orgs.models import (
    MEMBER_COLUMNS,
    Member,
    Organization,
    OrgKind,
    OrgLevel,
    UnitType,
)
from luoshi.orgs.rollups import refresh_org_tallies
from luoshi.orgs.services import (
    TreeError,
    create_organization,
    move_subtree,
    update_organization,
)


@dataclass
class TableResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    written: bool = False
    # What each row does (the preview before confirming): sheet, row, code, name, what
    changes: list[dict] = field(default_factory=list)
    plan: list[dict] = field(default_factory=list)  # each row's outcome, for a preview

    def as_json(self) -> dict:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
            "written": self.written,
            "changes": self.changes,
            "plan": self.plan,
        }


def _norm(value) -> str:
    return re.sub(r"\s+", "", text_of(value))


def read_table(
    data: bytes, name: str, columns: dict[str, list[str]], required: set[str], result: TableResult
) -> list[dict]:
    """Rows of the first sheet that has a header with the required columns, as dicts with their
    Excel row number and the column letters."""
    try:
        sheets = read_workbook(data, name)
    except WorkbookError as exc:
        result.errors.append(Issue(name, 0, "", str(exc)))
        return []
    lookup = {s: key for key, names in columns.items() for s in names}
    for sheet in sheets:
        for r in range(min(10, len(sheet.rows))):
            found = {}
            for c, value in enumerate(sheet.rows[r]):
                key = lookup.get(_norm(value))
                if key and key not in found:
                    found[key] = c
            if required <= set(found):
                rows = []
                for i in range(r + 1, len(sheet.rows)):
                    values = {
                        k: text_of(sheet.value(i, c))
                        if not isinstance(sheet.value(i, c), date | datetime)
                        else sheet.value(i, c)
                        for k, c in found.items()
                    }
                    if not any(str(v).strip() for v in values.values()):
                        continue
                    rows.append(
                        {
                            "_sheet": sheet.name,
                            "_row": i + 1,
                            "_col": {k: col_letter(c) for k, c in found.items()},
                            **values,
                        }
                    )
                return rows
    missing = "、".join(columns[k][0] for k in sorted(required))
    result.errors.append(Issue(name, 0, "", f"没有找到包含 {missing} 列的表头"))
    return []


def _issue(row, key, message) -> Issue:
    return Issue(row["_sheet"], row["_row"], row["_col"].get(key, ""), message)


ORG_HEADERS = {
    "code": ["组织代码", "党组织代码", "代码"],
    "name": ["组织名称", "党组织名称", "名称"],
    "parent": ["上级组织代码", "上级党组织代码", "上级代码"],
    "kind": ["组织类别", "党组织类别", "类别"],
    "short": ["简称"],
    "level": ["层级"],
    "unit_type": ["单位类型"],
}
KINDS = {label: value for value, label in OrgKind.choices}
LEVELS = {label: value for value, label in OrgLevel.choices}
UNIT_TYPES = {label: value for value, label in UnitType.choices}


def import_orgs(*, actor, data: bytes, name: str, dry_run: bool = False) -> TableResult:
    """Create or update organisations from a sheet (组织代码, 组织名称, 上级组织代码, 组织类别);
    parents may come after their children. A changed parent moves the subtree."""
    result = TableResult()
    rows = read_table(data, name, ORG_HEADERS, {"code", "name", "parent", "kind"}, result)
    result.rows = len(rows)
    by_code = _org_rows_by_code(rows, result)
    existing = _existing_orgs(by_code, rows, result)
    order = _parents_first(by_code, existing, result)
    if result.errors:
        return result
    with transaction.atomic():
        created: list[int] = []
        with tallies.batched():  # each anchor recounted once, at the end
            for code in order:
                row = by_code[code]
                try:
                    _import_org(actor, row, code, existing, created, result)
                except (TreeError, ValidationError, DomainError, Http404) as exc:
                    result.errors.append(_refusal(row, exc))
            if not result.errors:
                refresh_org_tallies(created)  # the new organisations, counted once
        if result.errors or dry_run:
            transaction.set_rollback(True)
        else:
            result.written = True
            record_event(
                "import",
                user=actor,
                target=name[:200],
                table="orgs",
                created=result.created,
                updated=result.updated,
            )
    return result


def _existing_orgs(by_code: dict[str, dict], rows: list[dict], result: TableResult) -> dict:
    """The organisations the sheet names (as itself or as a parent), by code; a code of a merged
    or dissolved organisation is an error (its code stays with its history)."""
    wanted = Q(code__in=by_code) | Q(code__in={r["parent"].strip() for r in rows if r["parent"]})
    existing = {}
    for org in Organization.all_objects.filter(wanted):
        if org.is_live:
            existing[org.code] = org
            continue
        for row in rows:
            for key in ("code", "parent"):
                if row[key].strip() == org.code:
                    message = f"组织代码 {org.code}（{org.name}）已撤销或合并，不能再使用"
                    result.errors.append(_issue(row, key, message))
    return existing


def _org_rows_by_code(rows: list[dict], result: TableResult) -> dict[str, dict]:
    """The rows by organisation code, each checked on its own (code, name, kind, level)."""
    by_code: dict[str, dict] = {}
    for row in rows:
        code, title = row["code"].strip(), row["name"].strip()
        if not code:
            result.errors.append(_issue(row, "code", "缺少组织代码"))
            continue
        if code in by_code:
            result.errors.append(
                _issue(row, "code", f"组织代码 {code} 与第 {by_code[code]['_row']} 行重复")
            )
            continue
        if not title:
            result.errors.append(_issue(row, "name", "缺少组织名称"))
        if row["kind"] not in KINDS:
            result.errors.append(
                _issue(row, "kind", f"组织类别“{row['kind']}”应为{'、'.join(KINDS)}之一")
            )
        if row.get("level") and row["level"] not in LEVELS:
            result.errors.append(
                _issue(row, "level", f"层级“{row['level']}”应为{'、'.join(LEVELS)}之一")
            )
        if row.get("unit_type") and row["unit_type"] not in UNIT_TYPES:
            result.errors.append(
                _issue(
                    row,
                    "unit_type",
                    f"单位类型“{row['unit_type']}”应为{'、'.join(UNIT_TYPES)}之一",
                )
            )
        by_code[code] = row
    return by_code


def _parents_first(by_code: dict[str, dict], existing: dict, result: TableResult) -> list[str]:
    """The codes with parents before children; a parent that is neither in the file nor in the
    database, or a cycle, is an error."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(code: str, trail: list[str]) -> bool:
        if state.get(code) == 2:
            return True
        if state.get(code) == 1:
            result.errors.append(
                _issue(by_code[code], "parent", f"上级组织形成循环：{' → '.join(trail + [code])}")
            )
            return False
        state[code] = 1
        parent = by_code[code]["parent"].strip()
        ok = True
        if parent:
            if parent in by_code:
                ok = visit(parent, trail + [code])
            elif parent not in existing:
                result.errors.append(
                    _issue(by_code[code], "parent", f"上级组织代码 {parent} 不存在")
                )
                ok = False
        state[code] = 2
        order.append(code)
        return ok

    for code in by_code:
        visit(code, [])
    return order


FIELD_KEYS = {"code": "code", "name": "name", "short_name": "short", "kind": "kind"}
CHANGE_WORDS = {
    "name": "更名：{} → {}",
    "short_name": "简称：{} → {}",
    "kind": "类别：{} → {}",
}


def _refusal(row, exc) -> Issue:
    """A row the organisation services refused, with their reason."""
    if isinstance(exc, ValidationError):
        key, messages = next(iter(exc.message_dict.items()))
        if key not in FIELD_KEYS:
            return _issue(row, "code", messages[0])
        label = Organization._meta.get_field(key).verbose_name
        return _issue(row, FIELD_KEYS[key], f"{label}：{messages[0]}")
    if isinstance(exc, Http404):
        return _issue(row, "parent", "该组织或其上级组织不在您管理的范围内")
    return _issue(row, "code", str(exc))


def _import_org(
    actor, row: dict, code: str, existing: dict, created: list[int], result: TableResult
) -> None:
    """Create, rename or move one organisation through the organisation services (their checks,
    roll-up counts and cache marks apply)."""
    parent_code = row["parent"].strip()
    parent = existing.get(parent_code) if parent_code else None
    fields = {
        "name": row["name"].strip(),
        "kind": KINDS[row["kind"]],
        "short_name": (row.get("short") or "").strip(),
    }
    org = existing.get(code)
    change = {"sheet": row["_sheet"], "row": row["_row"], "code": code, "name": fields["name"]}
    if org is None:
        level = LEVELS.get(row.get("level") or "") or (
            min(OrgLevel.GRASSROOTS, parent.level + 1) if parent else OrgLevel.CITY
        )
        unit_type = UNIT_TYPES.get(row.get("unit_type") or "", UnitType.OTHER)
        existing[code] = create_organization(
            actor=actor,
            parent=parent,
            code=code,
            level=level,
            unit_type=unit_type,
            recount=False,
            **fields,
        )
        created.append(existing[code].pk)
        result.created += 1
        where = f"，上级 {parent.name}" if parent else "（顶级组织）"
        result.changes.append({**change, "what": f"新增{where}"})
        return
    before = {k: getattr(org, k) for k in fields}
    changed = update_organization(actor=actor, org=org, **fields)
    shown = {"kind": lambda v: OrgKind(v).label}
    what = [
        CHANGE_WORDS[k].format(*(shown.get(k, str)(v) or "无" for v in (before[k], fields[k])))
        for k in changed
    ]
    moved = parent is not None and org.parent_id != parent.pk
    if moved:
        what.append(f"移到 {parent.name} 之下")
    if what:
        result.changes.append({**change, "what": "；".join(what)})
    if moved:
        old_path = org.path
        move_subtree(actor=actor, org=org, new_parent=parent)
        for other in existing.values():  # the subtree's paths changed under the loaded rows
            if other.path.startswith(old_path):
                other.refresh_from_db(fields=["path", "parent"])
    if changed or moved:
        result.updated += 1


MEMBER_HEADERS = {
    "name": ["姓名"],
    "gender": ["性别"],
    "birth": ["出生年月", "出生日期", "出生年份"],
    "joined": ["入党时间", "入党日期"],
    "org": ["所在党组织", "所在党支部", "党组织名称", "组织代码"],
    "status": ["人员类别", "党员类别", "党员状态"],
    "post": ["职务"],
    "phone": ["联系电话", "手机号码"],
}
GENDERS = {"男": "M", "女": "F"}
STATUSES = {"正式党员": "full", "预备党员": "probationary", "正式": "full", "预备": "probationary"}
_YM = re.compile(r"^(\d{4})\s*(?:[年.\-/]\s*(\d{1,2}))?(?:\s*[月.\-/]\s*(\d{1,2}))?")


def _year_month(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _YM.match(str(value or "").strip())
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
    except ValueError:
        return None


def _member_row(row: dict, orgs: dict, result: TableResult) -> tuple | None:
    """The row checked: (row, organisation, birth, joined), or None with its defects added to
    the result's errors."""
    before = len(result.errors)
    if not row["name"]:
        result.errors.append(_issue(row, "name", "缺少姓名"))
    if row["gender"] not in GENDERS:
        result.errors.append(_issue(row, "gender", f"性别“{row['gender']}”应为男或女"))
    birth, joined = _year_month(row["birth"]), _year_month(row["joined"])
    if birth is None:
        result.errors.append(_issue(row, "birth", f"出生年月“{text_of(row['birth'])}”无法识别"))
    if joined is None:
        result.errors.append(_issue(row, "joined", f"入党时间“{text_of(row['joined'])}”无法识别"))
    if row["status"] not in STATUSES:
        result.errors.append(
            _issue(row, "status", f"人员类别“{row['status']}”应为正式党员或预备党员")
        )
    found = orgs.get(row["org"], [])
    if len(found) != 1:
        why = "不存在或不在本组织之下" if not found else "有重名，请改用组织代码"
        result.errors.append(_issue(row, "org", f"所在党组织“{row['org']}”{why}"))
    if len(result.errors) > before:
        return None
    return row, found[0], birth, joined


def import_members(
    *, actor, data: bytes, name: str, under: Organization, dry_run: bool = False
) -> TableResult:
    """Add or update members from the usual export (姓名, 性别, 出生年月, 入党时间, 所在党组织,
    人员类别; 职务 and 联系电话 optional) in organisations under `under`, found by code or exact
    name. A member already there (same organisation, name, birth year and joining date, not
    left) is updated where its 人员类别, 职务 or 联系电话 differ, else left alone. The actor needs
    an admin or office role over `under`. The one reading and checking of a member sheet: the
    command (`luoshi import-members`), the page and the API all call it; `result.plan` lists each
    row's outcome for a preview. All or nothing."""
    require_role_over(actor, under.path, *MANAGE_TREE)
    result = TableResult()
    rows = read_table(
        data, name, MEMBER_HEADERS, {"name", "gender", "birth", "joined", "org", "status"}, result
    )
    result.rows = len(rows)
    keys = {r["org"] for r in rows}
    orgs: dict[str, list[Organization]] = {}
    for org in Organization.objects.in_subtree(under.path).filter(
        Q(code__in=keys) | Q(name__in=keys)
    ):
        orgs.setdefault(org.code, []).append(org)
        orgs.setdefault(org.name, []).append(org)
    planned = [p for row in rows if (p := _member_row(row, orgs, result))]
    if result.errors:
        return result
    new, changes = _member_changes(planned, result)
    result.created, result.updated = len(new), len(changes)
    if dry_run:
        return result
    with transaction.atomic():
        insert_rows(Member, MEMBER_COLUMNS, new)
        for pk, fields in changes.items():  # a few per file: offices re-import their rolls
            Member.objects.filter(pk=pk).update(version=F("version") + 1, **fields)
        refresh_org_tallies({row[0] for row in new} | {o.pk for _, o, _, _ in planned})
        result.written = True
        record_event(
            "import",
            user=actor,
            org_path=under.path,
            target=name[:200],
            table="members",
            created=result.created,
            updated=result.updated,
        )
    return result


def _member_changes(planned: list[tuple], result: TableResult) -> tuple[list[tuple], dict]:
    """The rows to insert (MEMBER_COLUMNS) and the updates by member id; each row's outcome is
    added to `result.plan`."""
    have = {
        (org_id, person, year, joined): (pk, (status, post, phone))
        for pk, org_id, person, year, joined, status, post, phone in Member.objects.filter(
            org__in={o for _, o, _, _ in planned}, left_on__isnull=True
        ).values_list("pk", "org_id", "name", "birth_year", "joined_on", "status", "post", "phone")
    }
    new, changes, seen = [], {}, set()
    for row, org, birth, joined in planned:
        key = (org.pk, row["name"], birth.year, joined)
        values = (
            STATUSES[row["status"]],
            (row.get("post") or "")[:60],
            (row.get("phone") or "")[:20],
        )
        action = "新增"
        if key in seen:
            action = "重复行，忽略"
        elif key in have:
            pk, old = have[key]
            fields = {
                f: v
                for f, v, o in zip(("status", "post", "phone"), values, old, strict=True)
                if v != o
            }
            if fields:
                changes[pk], action = fields, "更新"
            else:
                action = "无变化"
        else:
            new.append(
                (org.pk, org.path, row["name"], GENDERS[row["gender"]], birth.year, joined, *values)
            )
        seen.add(key)
        result.plan.append(
            {
                "sheet": row["_sheet"],
                "row": row["_row"],
                "name": row["name"],
                "org": org.name,
                "action": action,
            }
        )
    return new, changes
