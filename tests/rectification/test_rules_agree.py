"""Open, overdue, the lights and closed on time are defined once (rectification/clock.py), and
every path that reads them agrees with the rule on one measure, for any measure on any day: the
measure's own properties, the ORM's querysets, the roll-up and tally SQL, and the dashboards'
figures (below and above the tally depth, and as they stood at the end of an earlier day)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.campaigns.models import Campaign
from luoshi.core import tallies
from luoshi.core.paths import subtree_q
from luoshi.core.scoping import SYSTEM
from luoshi.dashboards import selectors as dashboards
from luoshi.orgs.models import Organization
from luoshi.rectification import clock
from luoshi.rectification.models import (
    DeadlineKind,
    LedgerTally,
    Light,
    Measure,
    MeasureState,
    Problem,
)
from luoshi.rectification.rollups import SUMS, ledger_tally_drift, refresh_ledger_tallies
from luoshi.rectification.selectors import ledger_figures
from luoshi.rectification.tallies import CLOSURES, OPEN_DUE, day_figures

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo(django_settings.TIME_ZONE)

MEASURES = st.lists(
    st.fixed_dictionaries(
        {
            "org": st.integers(0, 8),
            "campaign": st.integers(0, 1),
            "kind": st.sampled_from(DeadlineKind.values),
            "state": st.sampled_from(MeasureState.values),
            # Days from the day D or from the last day of its warning (the edges of red and
            # yellow), or anywhere around; None: no date.
            "due": st.one_of(
                st.none(),
                st.tuples(st.sampled_from(["day", "warn"]), st.integers(-1, 1)),
                st.tuples(st.just("day"), st.integers(-40, 40)),
            ),
            "was_overdue": st.booleans(),
            "extensions": st.integers(0, 2),
            # When a closed one was closed: minutes before noon of D, or minutes from the end
            # of the earlier day the figures are also read for (None: no time recorded).
            "closed": st.one_of(
                st.none(),
                st.tuples(st.just("now"), st.integers(0, 60 * 24 * 50)),
                st.tuples(st.just("earlier"), st.integers(-90, 90)),
            ),
            "made": st.integers(0, 60),  # days before D it was entered
        }
    ),
    min_size=1,
    max_size=10,
)
DAYS = st.dates(date(2025, 1, 1), date(2028, 12, 31))


def _make(spec, orgs, campaigns, problems, day, earlier) -> Measure:
    org, campaign = orgs[spec["org"]], campaigns[spec["campaign"]]
    key = (org.pk, campaign.pk)
    if key not in problems:
        problems[key] = Problem.objects.create(org=org, campaign=campaign, title="问题")
    now, closed_at = timezone.now(), None
    if spec["state"] == MeasureState.CLOSED and spec["closed"] is not None:
        edge, minutes = spec["closed"]
        if edge == "now":
            closed_at = now - timedelta(minutes=minutes)
        else:
            midnight = datetime.combine(earlier + timedelta(days=1), time(0), tzinfo=ZONE)
            closed_at = midnight + timedelta(minutes=minutes)
    due = None
    if spec["due"] is not None:
        edge, days = spec["due"]
        due = day + timedelta(days=days + (campaign.warning_days if edge == "warn" else 0))
    m = Measure.objects.create(
        org=org,
        problem=problems[key],
        content="措施",
        deadline_kind=spec["kind"],
        due_on=due,
        state=spec["state"],
        was_overdue=spec["was_overdue"],
        extensions=spec["extensions"],
        closed_at=closed_at,
    )
    Measure.objects.filter(pk=m.pk).update(created_at=now - timedelta(days=spec["made"]))
    return m


def _inside(measures, path, campaign=None):
    return [
        m
        for m in measures
        if m.org_path.startswith(path) and (campaign is None or m.campaign_id == campaign.pk)
    ]


def _expected(measures, warning_days: dict[int, int]) -> dict:
    """The figures of these measures by the rule on one measure (today is the day D)."""
    lights = [m.light_on(warning_days[m.campaign_id]) for m in measures]
    return {
        "measures": len(measures),
        "closed": sum(clock.is_closed(m) for m in measures),
        "closed_on_time": sum(m.closed_on_time for m in measures),
        "overdue": sum(m.is_overdue() for m in measures),
        **{light: lights.count(light) for light in (Light.RED, Light.YELLOW, Light.GREEN)},
    }


def _as_of(measures, day: date) -> dict:
    """What the measures' dates say about the end of an earlier `day`, by the same rules."""
    end = timezone.make_aware(datetime.combine(day, time.max))
    made = [m for m in measures if m.created_at <= end]
    return {
        "measures": len(made),
        "closed": sum(clock.is_closed(m, by=end) for m in made),
        "closed_on_time": sum(clock.is_closed_on_time(m, by=end) for m in made),
        "overdue": sum(clock.is_overdue(m, day, by=end) for m in made),
    }


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def _check_one_by_one(measures, campaigns, warning_days, day):
    """The properties on one measure, the clock's predicates and the querysets say the same."""
    for m in measures:
        assert m.is_overdue() == clock.is_overdue(m, day) == (m.light_on(0) == Light.RED)
    assert _ids(Measure.objects.overdue()) == {m.pk for m in measures if m.is_overdue(day)}
    assert _ids(Measure.objects.open()) == {m.pk for m in measures if clock.is_open(m)}
    assert _ids(Measure.objects.closed_on_time()) == {m.pk for m in measures if m.closed_on_time}
    for c in campaigns:
        warn = warning_days[c.pk]
        for light in Light.values:
            found = _ids(Measure.objects.filter(campaign=c).lit(light, warn))
            assert found == {
                m.pk for m in _inside(measures, "/", c) if m.light_on(warn, day) == light
            }, (light, warn)


def _check_node(node, measures, campaigns, warning_days, earlier):
    everything = _expected(_inside(measures, node.path), warning_days)
    figures = ledger_figures(node.path)  # the headline, every campaign
    assert (figures["measures_overdue"], figures["measures_closed_on_time"]) == (
        everything["overdue"],
        everything["closed_on_time"],
    )
    for c in campaigns:
        warn = warning_days[c.pk]
        mine = _inside(measures, node.path, c)
        expected = _expected(mine, warning_days)
        # The dashboards' figures of the day (counted from the open measures).
        ledger = dashboards.node_ledger(node.path, c)
        assert {k: ledger[k] for k in expected} == expected, c.pk
        # The tallies' groups of open measures (anchored sums above the tally depth).
        day = day_figures(tallies.sums(OPEN_DUE, node.path), c, warn)
        assert day == {
            "red": expected[Light.RED],
            "attention": expected[Light.RED] + expected[Light.YELLOW],
            "overdue_all": everything["overdue"],
        }
        # The roll-up's SQL.
        rolled = LedgerTally.objects.filter(subtree_q("org_path", node.path), campaign=c)
        sums = rolled.aggregate(closed=Sum("closed"), on_time=Sum("closed_on_time"))
        assert (sums["closed"] or 0, sums["on_time"] or 0) == (
            expected["closed"],
            expected["closed_on_time"],
        )
        # The rows of the node's board: each child's subtree (and 本级, its own rows).
        for row in dashboards.board(SYSTEM, node, c).rows:
            if row.org.name == "本级":
                rows = [m for m in mine if m.org_path == node.path]
            else:
                rows = _inside(mine, row.org.path)
            assert {k: row.figures[k] for k in expected} == _expected(rows, warning_days)
        # As they stood at the end of the day and of an earlier day.
        for then in (timezone.localdate(), earlier):
            past = dashboards.measure_figures_as_of(node.path, c, then)
            assert {k: past[k] for k in ("measures", "closed", "closed_on_time", "overdue")} == (
                _as_of(mine, then)
            ), then


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=MEASURES,
    day=DAYS,
    back=st.integers(1, 45),
    warning=st.tuples(st.integers(0, 15), st.integers(0, 15)),
)
def test_overdue_lights_and_on_time_agree_on_every_path(tree, specs, day, back, warning):
    noon = datetime.combine(day, time(12), tzinfo=ZONE)
    with time_machine.travel(noon, tick=False), transaction.atomic():
        campaigns = [
            Campaign.objects.create(
                org=tree.city,
                slug=f"c{i}",
                name=f"主题教育{i}",
                starts_on=day - timedelta(days=90),
                ends_on=day + timedelta(days=90),
                warning_days=days,
            )
            for i, days in enumerate(warning)
        ]
        orgs = list(Organization.objects.order_by("id"))
        problems: dict = {}
        earlier = day - timedelta(days=back)
        for spec in specs:
            _make(spec, orgs, campaigns, problems, day, earlier)
        refresh_ledger_tallies([o.pk for o in orgs])
        assert ledger_tally_drift() == []
        assert [tallies.drift(t) for t in (OPEN_DUE, CLOSURES, SUMS)] == [[], [], []]

        measures = list(Measure.objects.order_by("id"))
        warning_days = {c.pk: c.warning_days for c in campaigns}
        _check_one_by_one(measures, campaigns, warning_days, day)
        for node in orgs:
            _check_node(node, measures, campaigns, warning_days, earlier)
        transaction.set_rollback(True)


def test_open_measure_indexes_cover_the_open_rule():
    """The partial indexes of open measures are the clock's `open` (else the counts of the day
    would not use them)."""
    conditions = {
        i.name: i.condition for i in Measure._meta.indexes if i.name.startswith("rect_measure_open")
    }
    assert conditions and all(c == clock.open_q() for c in conditions.values())


def test_closed_measure_without_closing_time_is_closed_in_past_figures(tree, campaign):
    """A measure closed without a recorded time (rows not written by the verification) counts
    as closed, not overdue, in the figures as they stood on an earlier day, as it does today."""
    problem = Problem.objects.create(org=tree.branch_a1, campaign=campaign, title="问题")
    m = Measure.objects.create(
        org=tree.branch_a1,
        problem=problem,
        content="措施",
        due_on=timezone.localdate() - timedelta(days=20),
        state=MeasureState.CLOSED,
        closed_at=None,
    )
    Measure.objects.filter(pk=m.pk).update(created_at=timezone.now() - timedelta(days=30))
    yesterday = timezone.localdate() - timedelta(days=1)
    past = dashboards.measure_figures_as_of(tree.city.path, campaign, yesterday)
    assert (past["closed"], past["overdue"], past["closed_on_time"]) == (1, 0, 1)
