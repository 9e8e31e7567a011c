import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from luoshi.core.scoping import SYSTEM
from luoshi.ledger_io.tables import import_members, import_orgs
from luoshi.orgs.models import Member, Organization
from tests.factories import user_with

pytestmark = pytest.mark.django_db


def book(header, rows, title_rows=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in title_rows:
        ws.append(r)
    ws.append(header)
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_org_tree_import_with_children_before_parents_and_columns_in_any_order(tree):
    data = book(
        ["组织类别", "组织名称", "组织代码", "上级组织代码"],
        [
            ("党支部", "新村第一党支部", "N-3", "N-2"),
            ("党委", "新镇党委", "N-1", tree.county_a.code),
            ("党总支", "新村党总支", "N-2", "N-1"),
        ],
        title_rows=[["党组织信息表"]],
    )
    result = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    assert result.errors == [] and result.created == 3
    leaf = Organization.objects.get(code="N-3")
    assert leaf.parent.code == "N-2" and leaf.path.startswith(tree.county_a.path)
    assert leaf.kind == "branch" and leaf.level == 5
    again = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    assert (again.created, again.updated) == (0, 0)


def test_org_import_moves_a_subtree_whose_parent_changed(tree):
    data = book(
        ["组织代码", "组织名称", "上级组织代码", "组织类别"],
        [(tree.town_a.code, tree.town_a.name, tree.county_b.code, "党工委")],
    )
    result = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    assert result.errors == [] and result.updated == 1
    branch = Organization.objects.get(pk=tree.branch_a1.pk)
    assert branch.path.startswith(tree.county_b.path)
    assert set(Member.objects.filter(org=branch).values_list("org_path", flat=True)) == {
        branch.path
    }


def test_org_import_errors_name_row_and_column_and_write_nothing(tree):
    before = Organization.objects.count()
    data = book(
        ["组织代码", "组织名称", "上级组织代码", "组织类别"],
        [
            ("X-1", "甲", "NOWHERE", "党支部"),  # row 2: parent missing
            ("X-2", "乙", "X-3", "支部"),  # row 3: bad kind
            ("X-3", "丙", "X-2", "党支部"),  # row 4: cycle with X-2
            ("X-1", "丁", tree.city.code, "党委"),  # row 5: duplicate code
            ("X-5", "", tree.city.code, "党委"),  # row 6: no name
        ],
    )
    result = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    where = {(e.row, e.column) for e in result.errors}
    assert {(2, "C"), (3, "D"), (5, "A"), (6, "B")} <= where, result.errors
    assert any("循环" in e.message for e in result.errors)
    assert Organization.objects.count() == before


def test_members_import_finds_orgs_by_code_or_name_and_is_idempotent(tree):
    data = book(
        ["姓名", "性别", "出生年月", "入党时间", "所在党组织", "人员类别", "联系电话"],
        [
            ("周一", "男", "1980.05", "2005-07-01", tree.branch_a1.code, "正式党员", "13800001111"),
            ("吴二", "女", "1999年3月", date(2024, 6, 1), "甲二社区党支部", "预备党员", ""),
        ],
    )
    result = import_members(actor=SYSTEM, data=data, name="党员.xlsx", under=tree.county_a)
    assert result.errors == [] and result.created == 2
    wu = Member.objects.get(name="吴二")
    assert wu.org == tree.branch_a2 and wu.status == "probationary" and wu.birth_year == 1999
    assert (
        import_members(actor=SYSTEM, data=data, name="党员.xlsx", under=tree.county_a).created == 0
    )


def test_members_outside_the_subtree_or_unreadable_are_errors(tree):
    before = Member.objects.count()
    data = book(
        ["姓名", "性别", "出生年月", "入党时间", "所在党组织", "人员类别"],
        [
            ("郑三", "男", "1980.05", "2005-07-01", tree.branch_b1.code, "正式党员"),
            ("王四", "未知", "不详", "2005-07-01", tree.branch_a1.code, "积极分子"),
        ],
    )
    result = import_members(actor=SYSTEM, data=data, name="党员.xlsx", under=tree.county_a)
    where = {(e.row, e.column) for e in result.errors}
    assert {(2, "E"), (3, "B"), (3, "C"), (3, "F")} <= where
    assert Member.objects.count() == before


def test_import_orgs_command_json_and_exit_status(tree, tmp_path, capsys):
    path = tmp_path / "组织.xlsx"
    path.write_bytes(
        book(
            ["组织代码", "组织名称", "上级组织代码", "组织类别"],
            [("Z-1", "新党支部", "NOPE", "党支部")],
        )
    )
    with pytest.raises(SystemExit) as info:
        call_command("import-orgs", str(path), "--json")
    assert info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["errors"][0]["row"] == 2 and out["errors"][0]["column"] == "C"


ORG_HEADER = ["组织代码", "组织名称", "上级组织代码", "组织类别"]


def test_org_import_rename_shows_at_once_on_the_cached_dashboards_below_it(client, tree):
    client.force_login(user_with(tree.city, "office", username="import_rename"))
    url = reverse("dashboards:node", args=[tree.town_a.pk])  # its breadcrumbs name county a
    assert tree.county_a.display_name in client.get(url).content.decode()  # now cached
    data = book(ORG_HEADER, [(tree.county_a.code, "甲区新名党委", tree.city.code, "党委")])
    result = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    assert result.errors == [] and result.updated == 1
    assert "甲区新名党委" in client.get(url).content.decode()


def test_org_import_refuses_a_name_too_long_naming_the_row_and_writes_nothing(tree):
    before = list(Organization.objects.values_list("code", "name"))
    data = book(
        ORG_HEADER,
        [
            ("L-1", "新设党支部", tree.town_a.code, "党支部"),
            (tree.county_b.code, "乙" * 121, tree.city.code, "党委"),
        ],
    )
    result = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(3, "B")]
    assert "组织名称" in result.errors[0].message and not result.written
    assert list(Organization.objects.values_list("code", "name")) == before


def test_org_import_by_a_county_office_refuses_rows_outside_its_county(tree):
    office = user_with(tree.county_a, "office", username="county_a_import")
    before = list(Organization.objects.values_list("code", "name", "path"))
    data = book(
        ORG_HEADER,
        [
            ("A-NEW", "甲区新设党支部", tree.town_a.code, "党支部"),
            ("B-NEW", "乙县新设党支部", tree.town_b.code, "党支部"),
            (tree.branch_b1.code, "改名的乙一村党支部", tree.town_b.code, "党支部"),
        ],
    )
    result = import_orgs(actor=office, data=data, name="组织.xlsx")
    assert [e.row for e in result.errors] == [3, 4], result.errors
    assert all("范围" in e.message for e in result.errors)
    assert list(Organization.objects.values_list("code", "name", "path")) == before
    allowed = book(ORG_HEADER, [("A-NEW", "甲区新设党支部", tree.town_a.code, "党支部")])
    ok = import_orgs(actor=office, data=allowed, name="组织.xlsx")
    assert ok.errors == [] and ok.created == 1


def test_org_import_adds_under_an_organisation_moved_earlier_in_the_same_file(tree):
    data = book(
        ORG_HEADER,
        [
            (tree.town_a.code, tree.town_a.name, tree.county_b.code, "党工委"),
            ("M-1", "新设社区党支部", tree.town_a.code, "党支部"),
        ],
    )
    result = import_orgs(actor=SYSTEM, data=data, name="组织.xlsx")
    assert result.errors == [] and (result.created, result.updated) == (1, 1)
    town = Organization.objects.get(pk=tree.town_a.pk)
    added = Organization.objects.get(code="M-1")
    assert added.parent_id == town.pk and added.path.startswith(town.path)
    assert town.path.startswith(tree.county_b.path)
