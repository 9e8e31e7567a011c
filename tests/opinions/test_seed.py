import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from luoshi.opinions.models import Opinion, OpinionState, Symposium
from luoshi.rectification.models import Problem

pytestmark = pytest.mark.django_db


def test_seed_has_merged_answered_rated_and_waiting_opinions_in_place():
    out = StringIO()
    call_command("seed", "--scale", "tiny", "--json", stdout=out)
    root = json.loads(out.getvalue())["root"]
    out = StringIO()
    call_command("stats", "--org", root, "--json", stdout=out)
    stats = json.loads(out.getvalue())
    assert stats["opinions"] == Opinion.objects.count() > 50
    merged = Opinion.objects.values("problem").exclude(problem=None).annotate(n=Count("id"))
    assert merged.filter(n__gt=1).exists()
    for state in set(OpinionState.values) - {OpinionState.TRANSFERRED}:
        assert Opinion.objects.filter(state=state).exists(), state
    assert stats["opinions_transferred"] > 0  # passed on from the level above
    assert stats["opinions_rated"] > 0 and 0 < stats["satisfaction_rate"] <= 100
    assert stats["opinion_days_median"] > 0
    # Accepted opinions sit with their problem, whose source is 征求意见; symposium opinions
    # with their symposium's organisation; every row's path is its organisation's.
    accepted = Opinion.objects.exclude(problem=None)
    assert not accepted.exclude(org_id=F("problem__org_id")).exists()
    assert set(
        Problem.objects.filter(opinions__isnull=False).values_list("source__name", flat=True)
    ) == {"征求意见"}
    assert (
        not Opinion.objects.exclude(symposium=None).exclude(org_id=F("symposium__org_id")).exists()
    )
    assert not Opinion.objects.exclude(org_path=F("org__path")).exists()
    assert Symposium.objects.exists()
