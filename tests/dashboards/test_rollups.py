"""The roll-up check finds a write that went around the services, and a rebuild repairs it."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from luoshi.core.registry import subtree_figures
from luoshi.opinions.models import Opinion
from luoshi.orgs.models import Member, Organization
from luoshi.rectification.models import Measure

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("seed", "--scale", "tiny", "--json", stdout=io.StringIO())
    return Organization.objects.get(parent=None)


def test_rollups_agree_with_direct_counts_after_a_seed(seeded):
    out = io.StringIO()
    call_command("rollups", "--json", stdout=out)
    report = {r["rollup"]: r["drift"] for r in json.loads(out.getvalue())}
    assert report == {
        "orgs": [],
        "ledger": [],
        "tally:opinions": [],
        "tally:study": [],
        "tally:key_actions": [],
        "tally:problem_mix": [],
        "tally:org_sums": [],
        "tally:ledger_sums": [],
        "tally:open_due": [],
        "tally:closures": [],
    }


def test_a_write_around_the_services_is_found_and_a_rebuild_repairs_it(seeded):
    open_measure = Measure.objects.exclude(state="closed").order_by("id").first()
    Measure.objects.filter(pk=open_measure.pk).update(state="closed")  # no roll-up update
    Member.objects.filter(pk=Member.objects.order_by("id").first().pk).delete()
    pending = Opinion.objects.filter(state="pending").order_by("id").first()
    Opinion.objects.filter(pk=pending.pk).update(state="answered", handle_seconds=3600)
    before = subtree_figures(seeded.path)
    with pytest.raises(CommandError):
        call_command("rollups", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rollups", "--rebuild", "--json", stdout=out)
    assert all(r["drift"] == [] for r in json.loads(out.getvalue()))
    after = subtree_figures(seeded.path)
    assert after["measures_closed"] == before["measures_closed"] + 1
    assert after["members"] == before["members"] - 1 == Member.objects.count()
    assert after["opinions_answered"] == before["opinions_answered"] + 1
    assert after["opinions_open"] == before["opinions_open"] - 1


def test_a_figure_another_module_registers_is_still_counted_on_the_dashboard(
    seeded, client, monkeypatch
):
    """Modules added later (study, opinions) register direct counts in FIGURES; the dashboard,
    which sums its own figures from the children rows, still calls theirs with the path."""
    from django.urls import reverse

    from luoshi.core import registry
    from tests.factories import user_with

    def study_figures(path: str) -> dict:
        return {"study_sessions": Member.objects.filter(org_path__startswith=path).count() * 2}

    monkeypatch.setattr(registry, "FIGURES", [*registry.FIGURES, study_figures])
    county = Organization.objects.filter(level=3).order_by("id").first()
    client.force_login(user_with(seeded, "office", username="figures_office"))
    response = client.get(reverse("dashboards:node", args=[county.pk]))
    figures = response.context["figures"]
    assert (
        figures["study_sessions"]
        == 2 * Member.objects.filter(org_path__startswith=county.path).count()
    )
    assert figures["members"] == Member.objects.filter(org_path__startswith=county.path).count()


def test_anchors_recounted_a_chunk_a_statement_equal_direct_counts(seeded, monkeypatch):
    """An import over the whole tree recounts a few hundred anchors, many a statement: with
    chunks smaller than the tree (the last one partial), every tally, emptied first, is
    recounted to what a direct count gives."""
    from luoshi.core import tallies
    from luoshi.core.models import Tally

    monkeypatch.setattr(tallies, "_CHUNK", 4)
    monkeypatch.setattr(tallies, "_GROUPED", 10**6)  # region by region on every database
    anchors = tallies._anchors()
    assert len(anchors) > 8 and len(anchors) % 4
    Tally.objects.all().delete()
    with pytest.raises(CommandError):  # the emptied tallies disagree with the rows
        call_command("rollups", stdout=io.StringIO())
    for name in tallies.TOPICS:
        tallies.refresh(name, anchors)
    out = io.StringIO()
    call_command("rollups", "--json", stdout=out)
    assert all(r["drift"] == [] for r in json.loads(out.getvalue()))


def test_many_anchors_recounted_in_one_pass_equal_a_region_by_region_recount(seeded, monkeypatch):
    """Many anchors at once are recounted (on PostgreSQL) in one pass grouped by the anchor each
    row counts in; a subset of the anchors, from the middle of the tree, is recounted so, and
    every topic's tallies equal a recount region by region, and those of the other anchors are
    left as they were."""
    from luoshi.core import tallies
    from luoshi.core.models import Tally

    monkeypatch.setattr(tallies, "_GROUPED", 2)
    anchors = tallies._anchors()
    some = anchors[1 : len(anchors) // 2 : 2]  # not the root, not contiguous
    before = set(Tally.objects.values_list("org_path", "topic", "key", "n"))
    Tally.objects.filter(org_path__in=some).delete()
    for name in tallies.TOPICS:
        tallies.refresh(name, some)
    assert set(Tally.objects.values_list("org_path", "topic", "key", "n")) == before
    out = io.StringIO()
    call_command("rollups", "--json", stdout=out)
    assert all(r["drift"] == [] for r in json.loads(out.getvalue()))
