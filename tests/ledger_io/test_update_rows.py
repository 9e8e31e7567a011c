"""Many rows updated by id in one statement (`core.bulk.update_rows`), on both databases: each
row gets exactly its own values, whatever their type, and no other row changes."""

import datetime as dt

import pytest
from django.utils import timezone

from luoshi.core.bulk import update_rows
from luoshi.rectification.models import Measure
from luoshi.rectification.services import create_problem_with_measures

pytestmark = pytest.mark.django_db


def test_each_row_gets_its_own_values_and_the_others_stay(tree, campaign, liaison):
    problem = create_problem_with_measures(
        actor=liaison,
        org=tree.county_a,
        campaign=campaign,
        title="问题",
        measures=[{"content": f"措施{k}", "due_on": dt.date(2030, 1, k)} for k in range(1, 5)],
    )
    first, second, third, fourth = problem.measures.order_by("number")
    stamp = timezone.now() + dt.timedelta(days=1)
    rows = [
        (first.pk, "改过的措施1", None, True),
        (third.pk, "改过的措施3", dt.date(2031, 2, 28), False),
    ]
    assert (
        update_rows(
            Measure,
            ["content", "due_on", "long_term"],
            rows,
            increment=("version",),
            updated_at=stamp,
        )
        == 2
    )
    after = {m.pk: m for m in Measure.objects.filter(problem=problem)}
    assert (after[first.pk].content, after[first.pk].due_on, after[first.pk].long_term) == (
        "改过的措施1",
        None,
        True,
    )
    assert (after[third.pk].content, after[third.pk].due_on) == (
        "改过的措施3",
        dt.date(2031, 2, 28),
    )
    for m in (first, third):
        assert after[m.pk].version == m.version + 1
        assert after[m.pk].updated_at == stamp
    for m in (second, fourth):
        kept = after[m.pk]
        assert (kept.content, kept.due_on, kept.version, kept.updated_at) == (
            m.content,
            m.due_on,
            m.version,
            m.updated_at,
        )
    # the stamp is stored as the ORM stores it: a query by it finds exactly those rows
    assert set(Measure.objects.filter(updated_at=stamp).values_list("pk", flat=True)) == {
        first.pk,
        third.pk,
    }
