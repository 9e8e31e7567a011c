"""A category or source written as an office writes it is never guessed: it is listed with the
closest existing values, mapped or added by the office, and the mapping is remembered for that
organisation's next import (issue 22, "Real ledgers")."""

import json

import pytest
from django.core.management import call_command

from luoshi.campaigns.models import Category, ProblemSource
from luoshi.ledger_io.importer import Mapping, import_ledger
from luoshi.ledger_io.models import ImportMapping
from luoshi.rectification.models import Problem
from tests.factories import user_with
from tests.ledger_io.builders import ledger_in_a_countys_words, sheet_of

pytestmark = pytest.mark.django_db

MAPPED = [
    Mapping("category", "理论学习方面", "理论学习"),
    Mapping("source", "征求意见建议", "征求意见"),
    Mapping("category", "基层治理", "在服务群众上存在差距"),
]


@pytest.fixture
def theory(campaign):
    return Category.objects.create(campaign=campaign, name="理论学习", rank=9)


def run(actor, org, data=None, **kw):
    return import_ledger(
        actor=actor, data=data or ledger_in_a_countys_words(), name="台账.xlsx", org=org, **kw
    )


def test_unknown_values_are_errors_listing_the_closest_existing_ones(
    tree, campaign, liaison, theory
):
    result = run(liaison, tree.county_a)
    where = {(e.sheet, e.row, e.column) for e in result.errors}
    assert where == {("班子问题", 2, "B"), ("班子问题", 2, "C"), ("班子问题", 3, "B")} | {
        ("班子问题", 4, "B")
    }, result.errors
    first = next(e for e in result.errors if (e.row, e.column) == (2, "B"))
    assert "理论学习方面" in first.message and "相近的有：理论学习" in first.message
    unknown = {(u["kind"], u["value"]): u for u in result.unknown}
    assert set(unknown) == {
        ("category", "理论学习方面"),
        ("source", "征求意见建议"),
        ("category", "基层治理"),
    }
    assert unknown[("category", "理论学习方面")]["suggestions"][0] == "理论学习"
    assert unknown[("category", "理论学习方面")]["rows"] == 2
    assert unknown[("source", "征求意见建议")]["suggestions"][0] == "征求意见"
    assert not Problem.objects.exists()


def test_a_sub_category_name_shared_by_two_parents_is_not_guessed(tree, campaign, liaison):
    data = sheet_of(
        ["序号", "问题类别", "存在问题", "整改措施", "整改时限"],
        [(1, "工作作风方面", "作风不实", "改进作风", "长期坚持")],
    )
    result = run(liaison, tree.county_a, data)
    assert [(e.row, e.column) for e in result.errors] == [(2, "B")]
    assert set(result.unknown[0]["suggestions"]) == {
        "在服务群众上存在差距 · 工作作风方面",
        "在担当作为上存在差距 · 工作作风方面",
    }
    full = sheet_of(
        ["序号", "问题类别", "存在问题", "整改措施", "整改时限"],
        [(1, "在担当作为上存在差距 · 工作作风方面", "作风不实", "改进作风", "长期坚持")],
    )
    assert run(liaison, tree.county_a, full).errors == []
    assert Problem.objects.get().category.parent.name == "在担当作为上存在差距"


def test_mapped_values_import_and_are_remembered_for_the_same_organisation_only(
    tree, campaign, liaison, theory
):
    result = run(liaison, tree.county_a, mappings=MAPPED)
    assert result.errors == [], result.errors
    first = Problem.objects.get(title="学习不够系统")
    assert (first.category, first.source.name) == (theory, "征求意见")
    assert Problem.objects.get(title="网格管理粗放").category.name == "在服务群众上存在差距"
    assert ImportMapping.objects.filter(org=tree.county_a, campaign=campaign).count() == 3

    again = run(liaison, tree.county_a)  # no mappings given: the remembered ones, said
    assert again.errors == [] and again.changes == 0, again.as_json()
    assert any("以往的对应" in w.message for w in again.warnings)

    other = user_with(tree.county_b, "liaison", username="b_liaison")
    elsewhere = run(other, tree.county_b)
    assert {u["value"] for u in elsewhere.unknown} == {"理论学习方面", "征求意见建议", "基层治理"}


def test_a_preview_with_mappings_remembers_nothing(tree, campaign, liaison, theory):
    result = run(liaison, tree.county_a, mappings=MAPPED, dry_run=True)
    assert result.errors == [] and result.created_problems == 3
    assert not ImportMapping.objects.exists() and not Problem.objects.exists()


def test_adding_to_the_vocabulary_follows_the_campaign_rules(tree, campaign, liaison, theory):
    add = [*MAPPED[:2], Mapping("category", "基层治理", add=True)]
    refused = run(liaison, tree.county_a, mappings=add)  # a county liaison is not the office
    assert refused.errors and all(e.row == 4 for e in refused.errors)
    assert "只有本级主题教育办公室" in refused.errors[0].message
    assert refused.unknown[0]["refused"]
    assert not Category.objects.filter(name="基层治理").exists()
    assert not Problem.objects.exists()

    office = user_with(tree.city, "office", username="city_office")
    preview = run(office, tree.county_a, mappings=add, dry_run=True)
    assert preview.errors == [] and any("新增" in w.message for w in preview.warnings)
    assert not Category.objects.filter(name="基层治理").exists()

    done = run(office, tree.county_a, mappings=add)
    assert done.errors == [], done.errors
    added = Category.objects.get(campaign=campaign, name="基层治理", parent=None)
    assert Problem.objects.get(title="网格管理粗放").category == added


def test_a_file_failing_elsewhere_adds_nothing_to_the_vocabulary(tree, campaign, theory):
    office = user_with(tree.city, "office", username="city_office")
    data = sheet_of(
        ["序号", "问题来源", "存在问题", "整改措施", "整改时限"],
        [(1, "个人自查", "问题一", "措施一", "长期坚持"), (2, "", "问题二", "措施二", "下个月")],
    )
    result = run(office, tree.county_a, data, add_missing=True)
    assert [(e.row, e.column) for e in result.errors] == [(3, "E")]
    assert not ProblemSource.objects.filter(name="个人自查").exists()


def test_command_maps_and_adds_missing_values(tree, campaign, theory, tmp_path, capsys):
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger_in_a_countys_words())
    code = tree.county_a.code
    with pytest.raises(SystemExit):
        call_command("import-ledger", str(path), "--org", code, "--json")
    refused = json.loads(capsys.readouterr().out)
    assert {u["value"] for u in refused["unknown"]} == {"理论学习方面", "征求意见建议", "基层治理"}
    assert not Problem.objects.exists()

    maps = ["--map", "理论学习方面=理论学习", "--map", "征求意见建议=征求意见"]
    call_command("import-ledger", str(path), "--org", code, "--json", *maps, "--add-missing")
    done = json.loads(capsys.readouterr().out)
    assert done["errors"] == [] and done["created"]["problems"] == 3
    assert Problem.objects.get(title="学习不够系统").category == theory
    assert Category.objects.filter(campaign=campaign, name="基层治理").exists()
    assert not Category.objects.filter(name="理论学习方面").exists()  # mapped, not added

    call_command("import-ledger", str(path), "--org", code, "--json")  # remembered
    again = json.loads(capsys.readouterr().out)
    assert again["errors"] == [] and again["updated"] == {"problems": 0, "measures": 0}


def test_command_refuses_a_map_without_a_new_value(tree, campaign, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger_in_a_countys_words())
    with pytest.raises(CommandError, match="--map"):
        call_command("import-ledger", str(path), "--org", tree.county_a.code, "--map", "理论学习")


def test_a_value_with_nothing_close_lists_no_other_values(tree, campaign, liaison, theory):
    result = run(liaison, tree.county_a)
    own = next(e for e in result.errors if (e.row, e.column) == (4, "B"))
    assert "基层治理" in own.message and "没有相近的类别" in own.message
    assert "相近的有" not in own.message
    # None of the campaign's categories is named: it points to mapping or adding instead.
    names = set(Category.objects.filter(campaign=campaign).values_list("name", flat=True))
    assert [name for name in names if name in own.message] == []
    assert "请对应到已有的类别，或新增到本次主题教育" in own.message
    unknown = {(u["kind"], u["value"]): u for u in result.unknown}
    assert unknown[("category", "基层治理")]["suggestions"] == []
