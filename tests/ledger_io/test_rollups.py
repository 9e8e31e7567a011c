"""Imports write plain rows; the roll-ups they touch still equal a direct count afterwards, and the
figures the pages show count what was imported."""

from datetime import date

import pytest

from luoshi.core.registry import subtree_figures
from luoshi.core.scoping import SYSTEM
from luoshi.ledger_io import importer
from luoshi.ledger_io.importer import import_ledger
from luoshi.ledger_io.tables import import_members, import_orgs
from luoshi.orgs.models import Organization
from luoshi.orgs.rollups import org_tally_drift
from luoshi.rectification.models import Measure, Problem
from luoshi.rectification.rollups import ledger_tally_drift
from tests.ledger_io.builders import messy_ledger
from tests.ledger_io.test_tables import book

pytestmark = pytest.mark.django_db


def test_a_ledger_import_and_its_edited_reimport_keep_the_rollup_exact(tree, campaign, liaison):
    before = subtree_figures(tree.city.path)
    result = import_ledger(actor=liaison, data=messy_ledger(), name="台账.xlsx", org=tree.county_a)
    assert result.errors == []
    assert ledger_tally_drift() == []
    after = subtree_figures(tree.city.path)
    assert after["problems"] - before["problems"] == Problem.objects.count() == 6
    assert after["measures"] - before["measures"] == Measure.objects.count() == 12
    assert set(Measure.objects.values_list("campaign_id", flat=True)) == {campaign.pk}


def test_member_and_organisation_imports_keep_the_rollup_exact(tree):
    members = book(
        ["姓名", "性别", "出生年月", "入党时间", "所在党组织", "人员类别"],
        [
            ("周一", "男", "1980.05", "2005-07-01", tree.branch_a1.code, "正式党员"),
            ("吴二", "女", "1999年3月", date(2024, 6, 1), "甲二社区党支部", "预备党员"),
        ],
    )
    assert import_members(actor=SYSTEM, data=members, name="党员.xlsx", under=tree.county_a).created
    orgs = book(
        ["组织代码", "组织名称", "上级组织代码", "组织类别"],
        [("NEW1", "新建村党支部", tree.town_b.code, "党支部")],
    )
    assert import_orgs(actor=SYSTEM, data=orgs, name="组织.xlsx").created == 1
    assert org_tally_drift() == []
    figures = subtree_figures(tree.city.path)
    assert figures["members"] == 10 + 2
    assert figures["probationary_members"] == 1
    assert figures["organizations"] == Organization.objects.count() == 10


def test_a_ledger_over_several_batches_recounts_the_rollup_once(
    tree, campaign, liaison, monkeypatch
):
    monkeypatch.setattr("luoshi.ledger_io.importer.BATCH", 2)
    recounts = []
    recount = importer.refresh_ledger_tallies
    monkeypatch.setattr(
        importer,
        "refresh_ledger_tallies",
        lambda ids, paths=None: recounts.append(set(ids)) or recount(ids, paths=paths),
    )
    result = import_ledger(actor=liaison, data=messy_ledger(), name="台账.xlsx", org=tree.county_a)
    assert result.errors == []
    assert recounts == [{tree.county_a.pk}]  # after the last of three batches, not per batch
    assert ledger_tally_drift() == []
