"""The organisation register's pages (组织管理): add, rename, move, merge, dissolve and import
organisations. Thin: each page calls the organisation services, which decide who may do what;
a refusal is shown in words with the status it means, and nothing is changed."""

import uuid
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from luoshi.accounts.models import Role
from luoshi.accounts.permissions import MANAGE_TREE, account_admin_paths, has_role_over
from luoshi.core.errors import DomainError, NotAllowed, status_for
from luoshi.core.middleware import limit_body
from luoshi.core.params import id_param, int_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.orgs import selectors, services
from luoshi.orgs.models import Organization, OrgKind, OrgLevel, UnitType

TEMPLATES = "orgs/register/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _org(request, pk) -> Organization:
    return get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)


def _why(exc) -> str:
    """The words of a refusal from the services (a field check lists its fields' messages)."""
    if isinstance(exc, ValidationError):
        names = {f.name: f.verbose_name for f in Organization._meta.fields}
        return "；".join(
            f"{names.get(k, '')}：{m}" if k in names else m
            for k, ms in exc.message_dict.items()
            for m in ms
        )
    return str(exc)


def _status(exc) -> int:
    return status_for(exc) if isinstance(exc, DomainError) else 400


def _refuse_unless_manager(user, org: Organization | None) -> None:
    """The pages say at once who may not act here (the services check again when writing)."""
    if org is None:
        if not has_role_over(user, "/", Role.ADMIN):
            raise NotAllowed("只有系统管理员可以新建顶级党组织")
    elif not has_role_over(user, org.path, *MANAGE_TREE):
        raise NotAllowed("只有本级或上级的主题教育办公室、系统管理员可以管理组织")


def _fields(post) -> dict:
    level = int_param(post, "level", default=0, min=0, max=9, label="层级")
    return {
        "code": post.get("code", "").strip(),
        "name": post.get("name", "").strip(),
        "short_name": post.get("short_name", "").strip(),
        "kind": post.get("kind", ""),
        "level": level,
        "unit_type": post.get("unit_type", UnitType.OTHER),
    }


def _form_context(parent: Organization | None, values: dict) -> dict:
    low = parent.level if parent else OrgLevel.PROVINCE
    return {
        "parent": parent,
        "values": values,
        "kinds": OrgKind.choices,
        "levels": [(v, label) for v, label in OrgLevel.choices if v >= low],
        "unit_types": UnitType.choices,
    }


@require_http_methods(["GET", "POST"])
def add(request, pk=None):
    """新增下级组织 under the organisation `pk`; without it, 新建顶级党组织 (system admin)."""
    parent = _org(request, pk) if pk is not None else None
    default_level = min(OrgLevel.GRASSROOTS, parent.level + 1) if parent else OrgLevel.CITY
    values = {
        "level": default_level,
        "kind": OrgKind.BRANCH if parent else OrgKind.COMMITTEE,
        "unit_type": UnitType.OTHER if parent else UnitType.REGION,
    }
    context = _form_context(parent, values)
    try:
        _refuse_unless_manager(request.user, parent)
    except NotAllowed as exc:
        context["error"] = str(exc)
        return render(request, TEMPLATES + "add.html", context, status=403)
    if request.method == "GET":
        return render(request, TEMPLATES + "add.html", context)
    values.update(_fields(request.POST))
    try:
        org = services.create_organization(actor=request.user, parent=parent, **values)
    except (DomainError, services.TreeError, ValidationError) as exc:
        context["error"] = _why(exc)
        return render(request, TEMPLATES + "add.html", context, status=_status(exc))
    messages.success(request, f"已新增组织“{org.name}”")
    return redirect("orgs:detail", org.pk)


@require_http_methods(["GET", "POST"])
def edit(request, pk):
    """修改名称/简称/类别."""
    org = _org(request, pk)
    context = {"org": org, "kinds": OrgKind.choices, "values": org}
    try:
        _refuse_unless_manager(request.user, org)
    except NotAllowed as exc:
        context["error"] = str(exc)
        return render(request, TEMPLATES + "edit.html", context, status=403)
    if request.method == "GET":
        return render(request, TEMPLATES + "edit.html", context)
    fields = {k: request.POST.get(k, "") for k in services.EDITABLE}
    context["values"] = fields
    try:
        changed = services.update_organization(actor=request.user, org=org, **fields)
    except (DomainError, ValidationError) as exc:
        context["error"] = _why(exc)
        return render(request, TEMPLATES + "edit.html", context, status=_status(exc))
    messages.success(request, "已保存" if changed else "没有修改")
    return redirect("orgs:detail", org.pk)


# What each of the three "send it somewhere" pages asks and does.
ACTIONS = {
    "move": {
        "title": "移动组织",
        "pick": "新的上级组织",
        "confirm": "确认移动",
        "done": "已把“{name}”移到“{target}”之下",
    },
    "merge": {
        "title": "合并到其他组织",
        "pick": "并入的组织",
        "confirm": "确认合并",
        "done": "已把“{name}”并入“{target}”",
    },
    "dissolve": {
        "title": "撤销组织",
        "pick": "接收下级组织和数据的组织",
        "confirm": "确认撤销",
        "done": "已撤销“{name}”，下级组织和数据已转到“{target}”",
    },
}


def _choices(user, org: Organization, action: str):
    """The picker's organisations: in the actor's subtree, outside the one that goes; a new
    parent is never a 党支部 (orgs.rules)."""
    rows = selectors.managed_organizations(user, outside=org.path)
    if action == "move":
        rows = rows.exclude(kind=OrgKind.BRANCH)
    return rows[:500]


def _target(request, org: Organization, action: str) -> Organization | None:
    """The organisation picked on the page (by its id in the list, or by 组织代码)."""
    code = request.POST.get("code", "").strip()
    if code:
        found = selectors.managed_organizations(request.user).filter(code=code).first()
        if found is None:
            raise services.TreeError(f"组织代码 {code} 不存在或不在您管理的范围内")
        return found
    target_id = id_param(request.POST, "target")
    if target_id is None:
        if action == "dissolve" and org.parent_id:
            return Organization.objects.filter(pk=org.parent_id).first()
        raise services.TreeError(f"请选择{ACTIONS[action]['pick']}")
    return _org(request, target_id)


def _apply(request, action: str, org: Organization, target: Organization) -> None:
    actor = request.user
    if action == "move":
        services.move_subtree(actor=actor, org=org, new_parent=target)
    elif action == "merge":
        services.merge_organization(actor=actor, org=org, into=target)
    else:
        services.dissolve_organization(actor=actor, org=org, receiver=target)


@require_http_methods(["GET", "POST"])
def relocate(request, pk, action):
    """移动 / 合并到… / 撤销组织: pick where it goes, see what would move, confirm."""
    if action not in ACTIONS:
        raise Http404
    org = _org(request, pk)
    context = {
        "org": org,
        "action": action,
        "words": ACTIONS[action],
        "counts": services.transfer_counts(org),
        "choices": _choices(request.user, org, action),
        "parent": Organization.objects.filter(pk=org.parent_id).first(),
    }
    try:
        _refuse_unless_manager(request.user, org)
        if request.method == "GET":
            return render(request, TEMPLATES + "relocate.html", context)
        target = _target(request, org, action)
        check = services.check_new_parent if action == "move" else services.check_receiver
        check(org, target)  # said before the confirmation, checked again when written
        context["target"] = target
        if request.POST.get("confirm") != "1":
            return render(request, TEMPLATES + "relocate.html", context)
        _apply(request, action, org, target)
    except (DomainError, services.TreeError, ValidationError) as exc:
        context["error"] = _why(exc)
        return render(request, TEMPLATES + "relocate.html", context, status=_status(exc))
    messages.success(request, ACTIONS[action]["done"].format(name=org.name, target=target.name))
    return redirect(reverse("orgs:detail", args=[target.pk if action != "move" else org.pk]))


# --- 导入组织: the same reading and checks as `luoshi import-orgs` (ledger_io.tables) -----------
SESSION_KEY = "org_imports"
KEEP_PENDING = 3
FORM_OVERHEAD = 64 * 1024
TEMPLATE_COLUMNS = ["组织代码", "组织名称", "上级组织代码", "组织类别", "层级", "单位类型", "简称"]
TEMPLATE_EXAMPLE = ["640100", "中共某某市委员会", "", "党委", "市级", "地方党委", "某某市委"]


def _import_refused(request, context: dict, message: str, status: int):
    context["error"] = message
    return render(request, TEMPLATES + "import.html", context, status=status)


def _keep_pending(request, token: str, pending: dict) -> None:
    from luoshi.ledger_io.services import imports_dir

    kept = request.session.get(SESSION_KEY, {})
    kept[token] = pending
    while len(kept) > KEEP_PENDING:
        (imports_dir() / kept.pop(next(iter(kept)))["file"]).unlink(missing_ok=True)
    request.session[SESSION_KEY] = kept


def _max_bytes() -> int:
    from luoshi.ledger_io.workbook import max_import_bytes

    return max_import_bytes() + FORM_OVERHEAD


@limit_body(_max_bytes)
@require_http_methods(["GET", "POST"])
def import_page(request):
    """Upload a sheet of organisations, see what it would add, rename and move with each row's
    errors (nothing written), then confirm: all rows or none. Within the actor's subtree."""
    from luoshi.ledger_io.tables import import_orgs
    from luoshi.ledger_io.workbook import WorkbookError, checked, max_import_bytes, read_upload

    user = request.user
    context = {"max_mb": max_import_bytes() // 2**20}
    if not account_admin_paths(user):
        return _import_refused(request, context, "只有主题教育办公室或系统管理员可以导入组织", 403)
    if request.method == "GET":
        return render(request, TEMPLATES + "import.html", context)
    if request.POST.get("token"):
        return _import_confirm(request, context)
    try:
        name, data = read_upload(request.FILES.get("file"), "组织.xlsx")
    except WorkbookError as exc:
        return _import_refused(request, context, str(exc), exc.status)
    with checked(data):
        result = import_orgs(actor=user, data=data, name=name, dry_run=True)
    context.update(result=result, name=name)
    if not result.errors:
        from luoshi.ledger_io.services import imports_dir

        token = uuid.uuid4().hex
        stored = imports_dir() / f"orgs-{token}{Path(name).suffix.lower()[:5]}"
        stored.write_bytes(data)
        _keep_pending(request, token, {"file": stored.name, "name": name})
        context["token"] = token
    return render(request, TEMPLATES + "import.html", context, status=400 if result.errors else 200)


def _import_confirm(request, context: dict):
    """Import the previewed file for real (checked again: the tree may have changed since)."""
    from luoshi.ledger_io.services import imports_dir
    from luoshi.ledger_io.tables import import_orgs

    token = request.POST["token"]
    pending = request.session.get(SESSION_KEY, {}).get(token)
    path = imports_dir() / pending["file"] if pending else None
    if path is None or not path.exists():
        return _import_refused(request, context, "该预览已失效，请重新上传文件", 400)
    result = import_orgs(actor=request.user, data=path.read_bytes(), name=pending["name"])
    if result.errors:
        context.update(result=result, name=pending["name"])
        return _import_refused(request, context, "导入时发现错误，未写入任何组织", 400)
    path.unlink(missing_ok=True)
    request.session[SESSION_KEY] = {
        k: v for k, v in request.session.get(SESSION_KEY, {}).items() if k != token
    }
    messages.success(request, f"已导入组织：新增 {result.created} 个，修改 {result.updated} 个")
    return redirect("orgs:tree")


@require_GET
def import_template(request):
    """The sheet to fill in: the columns `import_orgs` reads and one example row."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("组织")
    bold = book.add_format({"bold": True})
    for c, (title, example) in enumerate(zip(TEMPLATE_COLUMNS, TEMPLATE_EXAMPLE, strict=True)):
        sheet.write_string(0, c, title, bold)
        sheet.write_string(1, c, example)
        sheet.set_column(c, c, 18)
    book.close()
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "组织导入模板.xlsx")
    return response
