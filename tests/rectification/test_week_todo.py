"""本周要做: the demo's two branch accounts have work this week, and the line at the top of
every dashboard and of 我的工作 counts it by the ledger's clock, each count a list of the
ledger holding exactly those measures."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from luoshi.accounts.models import Assignment
from luoshi.rectification.models import Measure, MeasureState, ProgressUpdate, today
from tests.rectification.conftest import act, progress
from tests.rectification.test_work_page import _ledger_measure_ids, _problems_with_measures

pytestmark = pytest.mark.django_db

COUNT = re.compile(r'data-testid="week-(\w+)" data-count="(\d+)"')


def _by_hand(measures, on) -> dict:
    """The three counts read off the rows in Python, as a liaison would tick them off."""
    sunday = on + timedelta(days=6 - on.weekday())
    monday = sunday - timedelta(days=6)
    reported = set(
        ProgressUpdate.objects.filter(created_at__date__gte=monday).values_list(
            "measure_id", flat=True
        )
    )
    open_ = [m for m in measures if m.state != MeasureState.CLOSED]
    dated = [m for m in open_ if m.deadline_kind != "ongoing" and m.due_on is not None]
    return {
        "due_week": sum(1 for m in dated if on <= m.due_on <= sunday),
        "overdue": sum(1 for m in dated if m.due_on < on),
        "unreported": sum(
            1 for m in open_ if m.state in ("in_progress", "returned") and m.pk not in reported
        ),
    }


def _line(html: str) -> dict:
    return {key: int(n) for key, n in COUNT.findall(html)}


@pytest.fixture
def seeded(db):
    call_command("seed", "--scale", "tiny", "--json", stdout=io.StringIO())


@pytest.mark.parametrize("username", ["branch_a", "branch_b"])
def test_each_demo_branch_account_has_work_this_week_and_its_pages_say_so(client, seeded, username):
    user = get_user_model().objects.get(username=username)
    branch = Assignment.objects.get(user=user).org
    own = list(Measure.objects.filter(org_path__startswith=branch.path))
    expected = _by_hand(own, today())
    assert expected["due_week"] >= 1 and expected["overdue"] >= 1 and expected["unreported"] >= 1
    assert any(m.state == MeasureState.IN_PROGRESS for m in own)

    client.force_login(user)
    work = client.get(reverse("rectification:my_work")).content.decode()
    assert _line(work) == expected
    assert "本周要做" in work
    board = client.get(reverse("dashboards:node", args=[branch.pk])).content.decode()
    assert _line(board) == expected
    # each count links to the ledger listing exactly those measures
    due = client.get(reverse("rectification:ledger"), {"work": "due_week"})
    assert "本周到期" in due.content.decode()
    listed = _ledger_measure_ids(client, {"work": "due_week", "org": branch.pk})
    assert len(listed) == expected["due_week"]


def test_a_progress_report_this_week_takes_a_measure_off_the_line(client, people, tree, campaign):
    (measure,) = _problems_with_measures(
        people, tree, campaign, problems=1, per_problem=1, due_in=3
    )
    act(people.branch_a1, measure, "start")
    client.force_login(people.branch_a1)
    page = lambda: _line(client.get(reverse("rectification:my_work")).content.decode())  # noqa: E731
    assert page()["unreported"] == 1
    progress(people.branch_a1, measure, percent=40)
    assert page()["unreported"] == 0
    # a week later it is due again: last week's report no longer counts
    with time_machine.travel(today() + timedelta(days=7), tick=False):
        client.force_login(people.branch_a1)  # the session of a week ago has expired
        counts = page()
        assert counts["unreported"] == 1
        assert counts == _by_hand(list(Measure.objects.all()), today())


def test_the_week_ends_on_sunday(client, people, tree, campaign):
    monday = today() - timedelta(days=today().weekday()) + timedelta(days=7)
    with time_machine.travel(monday, tick=False):
        _problems_with_measures(people, tree, campaign, problems=1, per_problem=1, due_in=6)
        _problems_with_measures(people, tree, campaign, problems=1, per_problem=1, due_in=7)
        client.force_login(people.branch_a1)
        counts = _line(
            client.get(reverse("dashboards:node", args=[tree.branch_a1.pk])).content.decode()
        )
        assert counts["due_week"] == 1  # Sunday's, not next Monday's


def test_the_week_line_is_one_query_that_counts_what_a_hand_count_does(seeded):
    # A dashboard draws the line on every render: one filtered aggregate, not a count per item.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from luoshi.rectification.selectors import week_todo

    with CaptureQueriesContext(connection) as done:
        line = week_todo(Measure.objects.all())
    assert len(done) == 1
    assert {item.key: item.count for item in line} == _by_hand(Measure.objects.all(), today())
