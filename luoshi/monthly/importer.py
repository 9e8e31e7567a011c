"""Targets and their cadres from a sheet (走访对象包联表), all or nothing: every row is checked
first, and one refused row writes nothing; each refusal names the file, sheet, row, column and
why. Read with python-calamine through the ledger's checked reader (size, zip and XML limits)."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from luoshi.accounts.permissions import require_role_over
from luoshi.core import versions
from luoshi.core.errors import Invalid
from luoshi.core.scoping import can_see_path
from luoshi.ledger_io.workbook import WorkbookError, read_workbook
from luoshi.monthly.models import TargetAssignment, TargetKind, VisitTarget
from luoshi.monthly.services import MANAGE_ROLES, _clean_target_fields, _user
from luoshi.orgs.models import Organization

COLUMNS = ["走访对象", "对象类别", "所属组织代码", "联系方式", "住址", "包联干部账号"]
REQUIRED = {"走访对象", "所属组织代码", "包联干部账号"}
KINDS = {label: value for value, label in TargetKind.choices}
KINDS |= {"农户": "household", "居民户": "household", "住户": "household", "户": "household"}
MAX_ROWS = 20_000


@dataclass
class ImportResult:
    file: str
    created: int = 0
    errors: list[str] = field(default_factory=list)


def _letter(c: int) -> str:
    return chr(ord("A") + c) if c < 26 else f"第{c + 1}列"


class _Rows:
    def __init__(self, actor, org: Organization, name: str, sheet, at: dict[str, int]):
        self.actor, self.org, self.name, self.sheet = actor, org, name, sheet
        self.names = {c: n for n, c in at.items()}
        self.errors: list[str] = []
        self.orgs = {o.code: o for o in Organization.objects.filter(path__startswith=org.path)}
        self.users: dict = {}
        self.seen: set = set()

    def refuse(self, r: int, c: int | None, why: str) -> None:
        where = f"第{r + 1}行" + (f"第{_letter(c)}列（{self.names[c]}）" if c is not None else "")
        self.errors.append(f"{self.name} 工作表“{self.sheet.name}”{where}：{why}")

    def cadre(self, username: str):
        if username not in self.users:
            self.users[username] = (
                get_user_model().objects.filter(username=username, is_active=True).first()
            )
        return self.users[username]


def _header(sheet) -> dict[str, int]:
    head = [str(v or "").strip() for v in (sheet.rows[0] if sheet.rows else [])]
    return {name: head.index(name) for name in COLUMNS if name in head}


def _check_row(rows: _Rows, r: int, row, at: dict[str, int]):
    def cell(name):
        c = at.get(name)
        if c is None or c >= len(row):
            return ""
        value = row[c]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value if value is not None else "").strip()

    values = {name: cell(name) for name in COLUMNS}
    if not any(values.values()):
        return None
    for name in REQUIRED:
        if not values[name]:
            rows.refuse(r, at[name], f"{name}未填写")
            return None
    kind = KINDS.get(values["对象类别"] or "农户/居民户")
    if kind is None:
        rows.refuse(r, at.get("对象类别"), "对象类别应为：农户/居民户、企业、其他")
        return None
    org = rows.orgs.get(values["所属组织代码"])
    if org is None:
        rows.refuse(
            r, at["所属组织代码"], f"组织代码“{values['所属组织代码']}”不在{rows.org.name}范围内"
        )
        return None
    cadre = rows.cadre(values["包联干部账号"])
    if cadre is None or not can_see_path(cadre, org.path):
        rows.refuse(
            r, at["包联干部账号"], f"账号“{values['包联干部账号']}”不存在或不在{org.name}的范围内"
        )
        return None
    try:
        fields = _clean_target_fields(values["走访对象"], kind, values["联系方式"], values["住址"])
    except Invalid as why:
        rows.refuse(r, at["走访对象"], str(why))
        return None
    if (org.pk, fields["name"]) in rows.seen:
        rows.refuse(r, at["走访对象"], f"与上面的行重复（{org.name}·{fields['name']}）")
        return None
    rows.seen.add((org.pk, fields["name"]))
    return org, cadre, fields


def import_targets(*, actor, org: Organization, data: bytes, name: str) -> ImportResult:
    """Create the sheet's targets under `org`'s subtree, each assigned to its cadre; nothing
    when any row is refused. A target already registered (same organisation and name) is
    refused: reassigning is done one by one, with its history."""
    require_role_over(actor, org.path, *MANAGE_ROLES)
    result = ImportResult(name)
    try:
        sheets = read_workbook(data, name)
    except WorkbookError as exc:
        result.errors.append(str(exc))
        return result
    sheet = sheets[0]
    at = _header(sheet)
    missing = [n for n in COLUMNS if n in REQUIRED and n not in at]
    if missing:
        result.errors.append(f"{name} 工作表“{sheet.name}”第1行：缺少列“{'、'.join(missing)}”")
        return result
    if len(sheet.rows) > MAX_ROWS + 1:
        result.errors.append(f"{name} 工作表“{sheet.name}”超过 {MAX_ROWS} 行")
        return result
    rows = _Rows(actor, org, name, sheet, at)
    checked = [_check_row(rows, r, row, at) for r, row in enumerate(sheet.rows[1:], start=1)]
    checked = [c for c in checked if c]
    _refuse_existing(rows, checked)
    if rows.errors or not checked:
        result.errors = rows.errors or [f"{name} 工作表“{sheet.name}”没有可导入的行"]
        return result
    result.created = _write(actor, checked)
    return result


def _refuse_existing(rows: _Rows, checked) -> None:
    names = {f["name"] for _, _, f in checked}
    existing = set(
        VisitTarget.objects.filter(org_path__startswith=rows.org.path, name__in=names).values_list(
            "org_id", "name"
        )
    )
    for org, _, fields in checked:
        if (org.pk, fields["name"]) in existing:
            rows.errors.append(
                f"{rows.name} 工作表“{rows.sheet.name}”：{org.name}已有走访对象“{fields['name']}”"
            )


@transaction.atomic
def _write(actor, checked) -> int:
    targets = VisitTarget.objects.bulk_create(
        VisitTarget(org=org, org_path=org.path, cadre=cadre, **fields)
        for org, cadre, fields in checked
    )
    today, by = timezone.localdate(), _user(actor)
    TargetAssignment.objects.bulk_create(
        TargetAssignment(
            org_id=t.org_id,
            org_path=t.org_path,
            target=t,
            cadre_id=t.cadre_id,
            starts_on=today,
            assigned_by=by,
        )
        for t in targets
    )
    versions.changed({t.org_path for t in targets})
    return len(targets)
