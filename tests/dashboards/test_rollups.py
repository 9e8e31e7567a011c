"""The roll-up check finds a write that went around the services, and a rebuild repairs it."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from luoshi.core.registry import subtree_figures
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
    assert [(r["rollup"], r["drift"]) for r in json.loads(out.getvalue())] == [
        ("orgs", []),
        ("ledger", []),
    ]


def test_a_write_around_the_services_is_found_and_a_rebuild_repairs_it(seeded):
    open_measure = Measure.objects.exclude(state="closed").order_by("id").first()
    Measure.objects.filter(pk=open_measure.pk).update(state="closed")  # no roll-up update
    Member.objects.filter(pk=Member.objects.order_by("id").first().pk).delete()
    before = subtree_figures(seeded.path)
    with pytest.raises(CommandError):
        call_command("rollups", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rollups", "--rebuild", "--json", stdout=out)
    assert all(r["drift"] == [] for r in json.loads(out.getvalue()))
    after = subtree_figures(seeded.path)
    assert after["measures_closed"] == before["measures_closed"] + 1
    assert after["members"] == before["members"] - 1 == Member.objects.count()
