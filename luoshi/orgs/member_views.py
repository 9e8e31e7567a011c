"""The register's people pages: an organisation's leadership teams and seats (管理领导班子), its
members (新增、修改、转接、流动党员、离开, each member's history) and the member import (导入党员:
upload, preview, confirm). Thin: reads from orgs.selectors, writes through orgs.people and
ledger_io.tables.import_members; a refusal is flashed in words, a foreign id answers 404."""

import uuid
from io import BytesIO
from pathlib import Path

import xlsxwriter
from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luoshi.accounts.permissions import MANAGE_TREE, has_role_over
from luoshi.accounts.selectors import organisation_named
from luoshi.core.errors import BadParameter, DomainError, Invalid, status_for
from luoshi.core.middleware import limit_body
from luoshi.core.params import date_param, int_param
from luoshi.core.scoping import get_visible_or_404
from luoshi.ledger_io.services import imports_dir
from luoshi.ledger_io.tables import import_members
from luoshi.ledger_io.workbook import WorkbookError, checked, max_import_bytes, read_upload
from luoshi.orgs import people, selectors
from luoshi.orgs.models import LeadershipTeam, Member, Organization, TeamPosition
from luoshi.orgs.titles import seat_titles

REFUSED = (DomainError, BadParameter)
MEMBER_OPTIONS = 20


def may_manage(user, org_path: str) -> bool:
    return has_role_over(user, org_path, *MANAGE_TREE)


def _org(request, pk) -> Organization:
    return get_visible_or_404(Organization.objects, request.user, request=request, pk=pk)


def _act(request, do, done: str, back: str):
    """Run a write; flash what was done or why it was refused; go back to the page."""
    try:
        do()
    except REFUSED as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect(back)


# --- leadership teams -------------------------------------------------------------------------


@require_GET
def teams(request, pk):
    """管理领导班子: the teams of an organisation, their seats, and the forms to change them."""
    org = _org(request, pk)
    return render(
        request,
        "orgs/people/teams.html",
        {
            "org": org,
            "crumbs": selectors.breadcrumbs(request.user, org),
            "teams": selectors.teams_of(org),
            "titles": seat_titles(org),
            "may_manage": may_manage(request.user, org.path),
        },
    )


def _teams_url(org_id: int) -> str:
    return reverse("orgs:teams", args=[org_id])


@require_POST
def team_add(request, pk):
    org = _org(request, pk)
    name = request.POST.get("name", "")
    return _act(
        request,
        lambda: people.add_team(actor=request.user, org=org, name=name),
        f"已新增领导班子“{name.strip()}”",
        _teams_url(org.pk),
    )


def _team(request, pk) -> LeadershipTeam:
    return get_visible_or_404(LeadershipTeam.objects, request.user, request=request, pk=pk)


@require_POST
def team_rename(request, pk):
    team = _team(request, pk)
    name = request.POST.get("name", "")
    return _act(
        request,
        lambda: people.rename_team(actor=request.user, team_id=team.pk, name=name),
        "班子名称已修改",
        _teams_url(team.org_id),
    )


@require_POST
def team_remove(request, pk):
    team = _team(request, pk)
    return _act(
        request,
        lambda: people.remove_team(
            actor=request.user, team_id=team.pk, reason=request.POST.get("reason", "")
        ),
        f"已删除领导班子“{team.name}”",
        _teams_url(team.org_id),
    )


def seat_member(user, org_path: str, text: str) -> int | None:
    """The member a seat form names: “姓名 · 所在组织” as the suggestions write it, or a name
    alone when exactly one member on the rolls of the subtree has it. None for an empty field."""
    text = " ".join(str(text or "").split())
    if not text:
        return None
    name, _, org_name = (part.strip() for part in text.partition("·"))
    found = Member.objects.visible_to(user, within=org_path).filter(name=name, left_on__isnull=True)
    if org_name:
        found = found.filter(Q(org__name=org_name) | Q(org__short_name=org_name))
    ids = list(found.values_list("pk", flat=True)[:2])
    if not ids:
        raise Invalid(f"本组织及下级组织的在册党员中没有“{text}”")
    if len(ids) > 1:
        raise Invalid(f"有多名党员叫“{name}”，请从提示中选择带所在组织的一项")
    return ids[0]


def _seat_do(request, org_path: str, write):
    def do():
        member_id = seat_member(request.user, org_path, request.POST.get("member", ""))
        write(
            actor=request.user,
            title=request.POST.get("title", ""),
            person_name=request.POST.get("person_name", ""),
            member_id=member_id,
        )

    return do


@require_POST
def seat_add(request, pk):
    team = _team(request, pk)
    write = lambda **kw: people.add_seat(team_id=team.pk, **kw)  # noqa: E731
    return _act(
        request, _seat_do(request, team.org_path, write), "已新增班子成员", _teams_url(team.org_id)
    )


def _seat(request, pk) -> TeamPosition:
    return get_visible_or_404(TeamPosition.objects, request.user, request=request, pk=pk)


@require_POST
def seat_edit(request, pk):
    seat = _seat(request, pk)
    write = lambda **kw: people.update_seat(seat_id=seat.pk, **kw)  # noqa: E731
    return _act(
        request, _seat_do(request, seat.org_path, write), "班子成员已修改", _teams_url(seat.org_id)
    )


@require_POST
def seat_remove(request, pk):
    seat = _seat(request, pk)
    return _act(
        request,
        lambda: people.remove_seat(
            actor=request.user, seat_id=seat.pk, reason=request.POST.get("reason", "")
        ),
        f"已删除班子成员“{seat.person_name}”",
        _teams_url(seat.org_id),
    )


@require_GET
def member_options(request, pk):
    """<option>s of the members on the rolls of the organisation's subtree whose name contains
    ?member= (the seat form's suggestions), written “姓名 · 所在组织”."""
    org = _org(request, pk)
    text = " ".join(request.GET.get("member", "").split()).partition("·")[0].strip()
    found = Member.objects.none()
    if text:
        found = (
            Member.objects.visible_to(request.user, within=org.path)
            .filter(name__contains=text, left_on__isnull=True)
            .select_related("org")
            .order_by("org_path", "id")[:MEMBER_OPTIONS]
        )
    return render(request, "orgs/people/_member_options.html", {"members": found})


# --- members ----------------------------------------------------------------------------------


def _member_fields(post) -> dict:
    return {
        "name": post.get("name", ""),
        "gender": post.get("gender", ""),
        "birth_year": int_param(post, "birth_year", min=1900, max=2100, label="出生年份"),
        "joined_on": date_param(post, "joined_on", label="入党时间"),
        "status": post.get("status", ""),
        "post": post.get("post", ""),
        "phone": post.get("phone", ""),
    }


@require_http_methods(["GET", "POST"])
def member_new(request, pk):
    org = _org(request, pk)
    context = {
        "org": org,
        "crumbs": selectors.breadcrumbs(request.user, org),
        "form": request.POST,
        "genders": Member.Gender.choices,
        "statuses": Member.Status.choices,
    }
    if request.method == "POST":
        try:
            member = people.create_member(
                actor=request.user, org=org, **_member_fields(request.POST)
            )
        except REFUSED as error:
            context["error"] = str(error)
            status = status_for(error) if isinstance(error, DomainError) else 400
            return render(request, "orgs/people/member_new.html", context, status=status)
        messages.success(request, f"已新增党员“{member.name}”")
        return redirect("orgs:member", pk=member.pk)
    if not may_manage(request.user, org.path):
        context["error"] = "只有主题教育办公室和系统管理员可以新增党员"
    return render(request, "orgs/people/member_new.html", context)


def _member(request, pk) -> Member:
    return get_visible_or_404(
        Member.objects.select_related("org"), request.user, request=request, pk=pk
    )


@require_GET
def member(request, pk):
    """A member: the fields (phone masked), standing, history, and the office's forms."""
    found = _member(request, pk)
    return render(
        request,
        "orgs/people/member.html",
        {
            "member": found,
            "org": found.org,
            "crumbs": selectors.breadcrumbs(request.user, found.org),
            "history": selectors.member_history(found),
            "may_manage": may_manage(request.user, found.org_path),
            "genders": Member.Gender.choices,
            "statuses": Member.Status.choices,
            "joined_value": found.joined_on.isoformat() if found.joined_on else "",
        },
    )


def _member_write(request, pk, write, done: str):
    found = _member(request, pk)
    version = int_param(request.POST, "version", min=1, max=2**31, label="版本")

    def do():
        write(found, version)

    return _act(request, do, done, reverse("orgs:member", args=[found.pk]))


@require_POST
def member_edit(request, pk):
    def write(found, version):
        fields = _member_fields(request.POST)
        if not fields["phone"].strip():  # the form shows the number masked: empty keeps it
            del fields["phone"]
        if not people.update_member(
            actor=request.user, member_id=found.pk, version=version, **fields
        ):
            raise Invalid("没有修改任何内容")

    return _member_write(request, pk, write, "党员信息已保存")


@require_POST
def member_transfer(request, pk):

    def write(found, version):
        text = request.POST.get("to_org", "")
        target = organisation_named(request.user, text)
        if target is None:
            raise Invalid(f"找不到转入组织“{text.strip()}”，请填写本级及下级范围内的组织代码或全称")
        people.transfer_member(
            actor=request.user,
            member_id=found.pk,
            to_org=target,
            reason=request.POST.get("reason", ""),
            on_date=date_param(request.POST, "on_date", label="转接日期"),
            version=version,
        )

    return _member_write(request, pk, write, "组织关系已转接")


@require_POST
def member_mobile(request, pk):
    mobile = request.POST.get("action") != "return"

    def write(found, version):
        people.mark_mobile(
            actor=request.user,
            member_id=found.pk,
            mobile=mobile,
            place=request.POST.get("place", ""),
            version=version,
        )

    return _member_write(request, pk, write, "已标记为流动党员" if mobile else "已取消流动党员标记")


@require_POST
def member_leave(request, pk):
    def write(found, version):
        people.mark_left(
            actor=request.user,
            member_id=found.pk,
            reason=request.POST.get("reason", ""),
            on_date=date_param(request.POST, "on_date", label="离开日期"),
            version=version,
        )

    return _member_write(request, pk, write, "已标记离开，不再计入党员人数")


# --- importing members (导入党员) ----------------------------------------------------------------

IMPORT_SESSION = "member_imports"
KEEP_PENDING = 3
FORM_OVERHEAD = 64 * 1024  # the form and multipart framing (as the ledger import)
TEMPLATE_COLUMNS = [
    "姓名",
    "性别",
    "出生年月",
    "入党时间",
    "所在党组织",
    "人员类别",
    "职务",
    "联系电话",
]


def _import_context(request, org) -> dict:

    return {
        "org": org,
        "crumbs": selectors.breadcrumbs(request.user, org),
        "max_mb": max_import_bytes() // 2**20,
        "may_manage": may_manage(request.user, org.path),
    }


def _import_refused(request, context, message: str, status: int):
    context["error"] = message
    return render(request, "orgs/people/import.html", context, status=status)


def _keep_pending(request, token: str, pending: dict) -> None:

    kept = request.session.get(IMPORT_SESSION, {})
    kept[token] = pending
    while len(kept) > KEEP_PENDING:
        (imports_dir() / kept.pop(next(iter(kept)))["file"]).unlink(missing_ok=True)
    request.session[IMPORT_SESSION] = kept


def _import_limit():

    return max_import_bytes() + FORM_OVERHEAD


@limit_body(_import_limit)
@require_http_methods(["GET", "POST"])
def member_import(request, pk):
    """Upload a member sheet and see, row by row, what it would add or update and every error
    (sheet, row, column, why): nothing is written until 确认导入. The upload is judged as the
    ledger import's is: the right to import before the file is looked at, its size and type
    before it is parsed."""

    org = _org(request, pk)
    context = _import_context(request, org)
    if not context["may_manage"]:
        message = "只有主题教育办公室和系统管理员可以导入党员"
        if request.method == "GET":
            context["error"] = message
            return render(request, "orgs/people/import.html", context)
        return _import_refused(request, context, message, 403)
    if request.method == "GET":
        return render(request, "orgs/people/import.html", context)
    try:
        name, data = read_upload(request.FILES.get("file"), "党员名册.xlsx")
    except WorkbookError as exc:
        return _import_refused(request, context, str(exc), exc.status)
    with checked(data):
        result = import_members(actor=request.user, data=data, name=name, under=org, dry_run=True)
    context.update(result=result, name=name)
    if result.errors:
        return render(request, "orgs/people/import.html", context, status=400)
    token = uuid.uuid4().hex
    stored = imports_dir() / f"members-{token}{Path(name).suffix.lower()[:5]}"
    stored.write_bytes(data)
    _keep_pending(request, token, {"file": stored.name, "name": name, "org": org.pk})
    context["token"] = token
    return render(request, "orgs/people/import.html", context)


@require_POST
def member_import_confirm(request, pk):
    """Import the previewed file, all or nothing (read and checked again: the rolls may have
    changed since the preview)."""

    org = _org(request, pk)
    context = _import_context(request, org)
    token = request.POST.get("token", "")
    pending = request.session.get(IMPORT_SESSION, {}).get(token)
    if pending is None or pending["org"] != org.pk:
        return _import_refused(request, context, "预览已过期或不存在，请重新上传文件", 400)
    path = imports_dir() / pending["file"]
    if not path.is_file():
        return _import_refused(request, context, "预览已过期或不存在，请重新上传文件", 400)
    try:
        result = import_members(
            actor=request.user, data=path.read_bytes(), name=pending["name"], under=org
        )
    except DomainError as error:
        return _import_refused(request, context, str(error), status_for(error))
    if result.errors:
        context.update(result=result, name=pending["name"])
        return render(request, "orgs/people/import.html", context, status=400)
    kept = request.session.get(IMPORT_SESSION, {})
    kept.pop(token, None)
    request.session[IMPORT_SESSION] = kept
    path.unlink(missing_ok=True)
    messages.success(request, f"已导入党员：新增 {result.created} 名，更新 {result.updated} 名")

    return redirect(f"{reverse('orgs:members', args=[org.pk])}?scope=subtree")


@require_GET
def member_template(request):
    """The member sheet to fill in (导入模板): the header the import reads, and a sheet of notes."""

    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("党员名册")
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    text = book.add_format({"num_format": "@"})
    for c, label in enumerate(TEMPLATE_COLUMNS):
        sheet.write_string(0, c, label, head)
        sheet.set_column(c, c, 16, text)
    notes = book.add_worksheet("填写说明")
    for r, line in enumerate(IMPORT_NOTES):
        notes.write_string(r, 0, line)
    notes.set_column(0, 0, 90)
    book.close()
    response = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = content_disposition_header(True, "党员名册导入模板.xlsx")
    return response


IMPORT_NOTES = [
    "党员名册导入说明",
    "1. 在“党员名册”工作表第 2 行起逐行填写，每行一名党员；表头不要改动。",
    "2. 姓名、性别、出生年月、入党时间、所在党组织、人员类别为必填；职务、联系电话可不填。",
    "3. 性别填“男”或“女”；人员类别填“正式党员”或“预备党员”。",
    "4. 出生年月、入党时间可写 1985.06、1985年6月 或 1985-06-01。",
    "5. 所在党组织填组织代码或全称，须是导入页面所在组织或其下级组织。",
    "6. 同一组织中姓名、出生年份、入党时间都相同的党员视为同一人：",
    "   再次导入只更新其人员类别、职务和联系电话。",
    "7. 上传后先预览，全部无误才能确认导入；有任何错误都不会写入。",
]
