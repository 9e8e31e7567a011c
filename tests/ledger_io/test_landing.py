"""The import preview shows each measure row of the file and where it lands (sheet and row →
problem, measure, organisation, 新增 / 修改 / 不变), the first rows open and the rest behind
展开; re-importing our own export warns of nothing (所属组织 is a check, 整改状态 a note)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from luoshi.ledger_io import importer
from luoshi.ledger_io.importer import import_ledger
from luoshi.ledger_io.layout import COMPUTED
from luoshi.ledger_io.services import export_ledger
from luoshi.rectification import services
from luoshi.rectification.selectors import LedgerFilter
from tests.ledger_io.builders import sheet_of

pytestmark = pytest.mark.django_db

HEADER = ["序号", "组织代码", "存在问题", "整改措施", "整改时限"]


def _preview(client, tree, campaign, data):
    response = client.post(
        reverse("ledger_io:import"),
        {
            "org": tree.county_a.pk,
            "campaign": campaign.pk,
            "file": SimpleUploadedFile("台账.xlsx", data),
        },
    )
    assert response.status_code == 200, response.context["result"].errors
    return response


def test_each_row_says_where_it_lands_new_changed_or_unchanged(client, tree, campaign, liaison):
    first = [
        ("1", "", "会议记录不全", "补齐会议记录", "长期坚持"),
        ("2", tree.branch_a1.code, "学习不深入", "制定学习计划", "长期坚持"),
    ]
    client.force_login(liaison)
    preview = _preview(client, tree, campaign, sheet_of(HEADER, first))
    rows = preview.context["result"].landing
    assert [(r.sheet, r.row, r.problem, r.org, r.existing, r.outcome) for r in rows] == [
        ("班子问题", 2, "会议记录不全", tree.county_a.name, False, "新增"),
        ("班子问题", 3, "学习不深入", tree.branch_a1.name, False, "新增"),
    ]
    html = preview.content.decode()
    assert html.count('data-testid="landing-row"') == 2
    assert "逐行去向" in html and "新问题 · 序号 2 · 措施 1" in html
    client.post(reverse("ledger_io:confirm", args=[preview.context["token"]]))

    again = [
        first[0],  # the same
        ("2", tree.branch_a1.code, "学习不深入", "制定学习计划并每月检查", "长期坚持"),  # changed
        ("3", "", "调研不深入", "建立联系点", "长期坚持"),  # new
    ]
    rows = _preview(client, tree, campaign, sheet_of(HEADER, again)).context["result"].landing
    assert [(r.row, r.existing, r.outcome) for r in rows] == [
        (2, True, "不变"),
        (3, True, "修改"),
        (4, False, "新增"),
    ]


def test_a_big_file_lists_its_first_rows_and_folds_the_rest(
    client, tree, campaign, liaison, monkeypatch
):
    monkeypatch.setattr(importer, "LANDING_ROWS", 30)
    rows = [(str(i), "", f"问题{i:03d}", f"措施{i}", "长期坚持") for i in range(1, 46)]
    client.force_login(liaison)
    preview = _preview(client, tree, campaign, sheet_of(HEADER, rows))
    result = preview.context["result"]
    assert result.measures == 45 and len(result.landing) == 30
    html = preview.content.decode()
    assert "文件共 45 条措施，这里列出前 30 条" in html
    assert "展开其余 10 行" in html
    first, _, rest = html.partition('data-testid="landing-more"')
    assert first.count('data-testid="landing-row"') == 20
    assert rest.count('data-testid="landing-row"') == 10


def test_reimporting_our_own_export_warns_of_nothing(tree, campaign, liaison):
    for org in (tree.county_a, tree.branch_a1):
        problem = services.create_problem(
            actor=liaison, org=org, campaign=campaign, title=f"{org.name}的问题"
        )
        services.add_measure(
            actor=liaison, problem=problem, content="整改", deadline_kind="ongoing"
        )
    out = io.BytesIO()
    export_ledger(
        user=liaison,
        ledger_filter=LedgerFilter(org_path=tree.county_a.path, campaign_id=campaign.pk),
        target=out,
        title="问题整改台账",
        unit=tree.county_a.name,
    )
    result = import_ledger(
        actor=liaison,
        data=out.getvalue(),
        name="导出.xlsx",
        org=tree.county_a,
        campaign=campaign,
        dry_run=True,
    )
    assert result.errors == [] and result.warnings == []
    assert result.notes == [COMPUTED["state"]]  # once for the file, not per sheet or row
    assert {r.outcome for r in result.landing} == {"不变"}
    assert {r.org for r in result.landing} == {tree.county_a.name, tree.branch_a1.name}


def test_an_organisation_name_that_differs_from_the_code_is_still_warned(tree, campaign, liaison):
    header = ["序号", "所属组织", "组织代码", "存在问题", "整改措施", "整改时限"]
    data = sheet_of(
        header, [("1", "别的支部", tree.branch_a1.code, "会议记录不全", "补齐", "长期坚持")]
    )
    result = import_ledger(
        actor=liaison,
        data=data,
        name="台账.xlsx",
        org=tree.county_a,
        campaign=campaign,
        dry_run=True,
    )
    assert [w.column for w in result.warnings] == ["B"]
    assert "与所属组织“别的支部”不一致" in result.warnings[0].message
