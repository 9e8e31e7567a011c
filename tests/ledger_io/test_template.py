"""The import template (drop-downs of the campaign's own words, an example row that imports, an
instruction sheet) and the preview's warnings about columns it will not read."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from luoshi.campaigns.models import Campaign, Category, ProblemSource
from luoshi.ledger_io.import_template import EXAMPLE_ROW
from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification.models import Problem
from tests.ledger_io.builders import sheet_of

pytestmark = pytest.mark.django_db


def _template(client, campaign) -> bytes:
    response = client.get(reverse("ledger_io:template"), {"campaign": campaign.pk})
    assert response.status_code == 200
    return response.content


def _lists(book, ws) -> list[list[str]]:
    """Each list drop-down's values, its range read from the hidden sheet."""
    found = []
    for dv in ws.data_validations.dataValidation:
        formula = dv.formula1
        if formula.startswith('"'):
            found.append(formula.strip('"').split(","))
            continue
        sheet, cells = formula.lstrip("=").split("!")
        found.append(
            [c.value for row in book[sheet.strip("'")][cells.replace("$", "")] for c in row]
        )
    return found


def test_template_lists_the_campaigns_sources_categories_and_deadline_words(
    client, campaign, liaison
):
    client.force_login(liaison)
    book = load_workbook(io.BytesIO(_template(client, campaign)))
    sources = [s.name for s in ProblemSource.objects.filter(campaign=campaign)]
    categories = Category.objects.filter(campaign=campaign).select_related("parent")
    for name in ("班子问题", "个人问题"):
        lists = _lists(book, book[name])
        assert sources in lists
        listed = next(v for v in lists if sorted(v) == sorted(str(c) for c in categories))
        # in the campaign's order, each sub-category under its category
        parents = [str(c) for c in categories if not c.parent_id]
        assert [v for v in listed if v in parents] == parents
        for c in categories:
            if c.parent_id:
                assert listed.index(str(c)) > listed.index(str(c.parent))
        deadline = next(v for v in lists if "长期坚持" in v)
        assert "立行立改" in deadline
    # a free date still goes in: the deadline list only informs
    team = book["班子问题"].data_validations.dataValidation
    deadline_dv = next(dv for dv in team if "长期坚持" in dv.formula1)
    assert deadline_dv.errorStyle == "information"


def test_template_lists_only_the_chosen_campaigns_words(client, tree, campaign, liaison):
    other = Campaign.objects.create(
        org=tree.city,
        slug="other",
        name="另一次",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    ProblemSource.objects.create(campaign=other, name="另一次的来源")
    client.force_login(liaison)
    book = load_workbook(io.BytesIO(_template(client, other)))
    lists = _lists(book, book["班子问题"])
    assert ["另一次的来源"] in lists
    assert not any("上级点评" in v or "在服务群众上存在差距" in v for v in lists)


def test_template_has_an_instruction_sheet_in_chinese(client, campaign, liaison):
    client.force_login(liaison)
    book = load_workbook(io.BytesIO(_template(client, campaign)))
    assert book.sheetnames[:3] == ["班子问题", "个人问题", "填表说明"]
    text = "\n".join(str(c.value) for row in book["填表说明"].iter_rows() for c in row if c.value)
    for words in ("“存在问题”列", "必填", "长期坚持", "立行立改", "合并", "示例", "整改状态"):
        assert words in text
    assert book["下拉选项"].sheet_state == "hidden"


def test_the_template_as_it_stands_imports_its_example_rows(client, tree, campaign, liaison):
    client.force_login(liaison)
    data = _template(client, campaign)
    book = load_workbook(io.BytesIO(data))
    for name in ("班子问题", "个人问题"):  # each sheet shows how it is filled in
        assert "（示例）" in str(book[name].cell(EXAMPLE_ROW, 3).value)
    result = import_ledger(
        actor=liaison, data=data, name="模板.xlsx", org=tree.county_a, campaign=campaign
    )
    assert result.errors == [] and result.warnings == []
    team, personal = Problem.objects.order_by("-level").filter(title__contains="示例")
    assert (personal.level, personal.person_name) == ("personal", "王某某")
    assert team.level == "team"
    for problem in (team, personal):
        assert problem.source == ProblemSource.objects.filter(campaign=campaign).first()
        assert problem.category is not None
        assert problem.measures.get().due_on == campaign.ends_on


def test_a_column_not_imported_is_named_with_its_letter_and_the_rest_imports(
    client, tree, campaign, liaison
):
    header = ["序号", "存在问题", "整改措施", "整改时限", "整改状态", "备注"]
    rows = [
        ("1", "会议记录不全", "补齐会议记录", "立行立改", "已完成", "无"),
        ("2", "学习不深入", "制定学习计划", "长期坚持", "整改中", ""),
    ]
    client.force_login(liaison)
    preview = client.post(
        reverse("ledger_io:import"),
        {
            "org": tree.county_a.pk,
            "campaign": campaign.pk,
            "file": SimpleUploadedFile("台账.xlsx", sheet_of(header, rows)),
        },
    )
    assert preview.status_code == 200
    html = preview.content.decode()
    # 整改状态 is the system's own: said once, as a note, not warned about
    assert "第E列“整改状态”不会导入" not in html
    assert "说明：“整改状态”列由系统按措施的进展和销号确定" in html
    assert "第F列“备注”不会导入：" in html
    assert [(w.sheet, w.row, w.column) for w in preview.context["result"].warnings] == [
        ("班子问题", 1, "F"),
    ]
    client.post(reverse("ledger_io:confirm", args=[preview.context["token"]]))
    # the same rows without those columns import the same problems and measures
    plain = import_ledger(
        actor=liaison,
        data=sheet_of(header[:4], [r[:4] for r in rows]),
        name="台账.xlsx",
        org=tree.county_a,
        campaign=campaign,
        dry_run=True,
    )
    assert plain.errors == [] and plain.changes == 0
    assert sorted(Problem.objects.values_list("title", flat=True)) == ["会议记录不全", "学习不深入"]


def test_an_unknown_organisation_code_is_said_with_its_row_and_column(
    client, tree, campaign, liaison
):
    header = ["序号", "组织代码", "存在问题", "整改措施", "整改时限"]
    data = sheet_of(header, [("1", "NO-SUCH", "会议记录不全", "补齐会议记录", "立行立改")])
    client.force_login(liaison)
    preview = client.post(
        reverse("ledger_io:import"),
        {
            "org": tree.county_a.pk,
            "campaign": campaign.pk,
            "file": SimpleUploadedFile("台账.xlsx", data),
        },
    )
    [error] = preview.context["result"].errors
    assert (error.row, error.column) == (2, "B") and "NO-SUCH" in error.message
    assert "组织代码“NO-SUCH”不存在" in preview.content.decode()


def test_a_column_name_it_does_not_know_is_warned(tree, campaign, liaison):
    header = ["序号", "存在问题", "整改措施", "整改时限", "督导意见"]
    result = import_ledger(
        actor=liaison,
        data=sheet_of(header, [("1", "会议记录不全", "补齐", "立行立改", "请抓紧")]),
        name="台账.xlsx",
        org=tree.county_a,
        campaign=campaign,
        dry_run=True,
    )
    assert result.errors == []
    assert [w.message for w in result.warnings] == [
        "第E列“督导意见”不会导入：无法识别的列名，该列内容不会读取"
    ]


def test_the_template_of_a_campaign_out_of_scope_is_404(client, tree, campaign, liaison):
    hidden = Campaign.objects.create(
        org=tree.county_b,
        slug="county-b",
        name="乙县的主题教育",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    ProblemSource.objects.create(campaign=hidden, name="乙县的来源")
    client.force_login(liaison)
    response = client.get(reverse("ledger_io:template"), {"campaign": hidden.pk})
    assert response.status_code == 404
    assert "乙县的来源".encode() not in response.content


def test_an_organisation_name_that_does_not_say_where_the_row_lands_is_warned(
    tree, campaign, liaison
):
    header = ["序号", "所属组织", "组织代码", "存在问题", "整改措施", "整改时限"]
    code = tree.branch_a1.code
    rows = [
        ("1", "某某不存在的支部", "", "会议记录不全", "补齐会议记录", "立行立改"),
        ("2", "甲二社区党支部", code, "学习不深入", "制定学习计划", "长期坚持"),
        ("3", tree.county_a.name, "", "制度不健全", "修订制度", "长期坚持"),
    ]
    result = import_ledger(
        actor=liaison,
        data=sheet_of(header, rows),
        name="台账.xlsx",
        org=tree.county_a,
        campaign=campaign,
    )
    assert result.errors == [] and result.created_problems == 3
    named = [(w.row, w.column, w.message) for w in result.warnings if w.row > 1]
    assert named == [
        (
            2,
            "B",
            "所属组织“某某不存在的支部”未填组织代码，该问题归入 甲区委；"
            "如属其他组织，请填写其组织代码",
        ),
        (
            3,
            "B",
            f"组织代码“{code}”是 甲一社区党支部，与所属组织“甲二社区党支部”不一致，按组织代码导入",
        ),
    ]
    assert Problem.objects.get(title="学习不深入").org == tree.branch_a1
