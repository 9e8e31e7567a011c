"""For any small tree and any sequence of rule applications and hand edits, batch membership is a
partition of the campaign's subtree (each organisation in at most one batch; after "the rest",
in exactly one), the page's "in none" and "conflicts" equal a direct recount, and every pending
item is due from its own batch's start while done items keep their dates."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.campaigns import batches
from luoshi.campaigns.models import ActionItem, BatchMember, Campaign
from luoshi.campaigns.services import (
    apply_batch_rule,
    define_key_action,
    launch_key_actions,
    mark_action_done,
    move_to_batch,
    remove_from_batches,
    save_batch,
)
from luoshi.core.errors import DomainError
from luoshi.orgs.models import OrgLevel, UnitType
from tests.factories import make_org, user_with
from tests.rectification.conftest import _media, pdf  # noqa: F401

pytestmark = pytest.mark.django_db

START = date(2026, 1, 1)
UNITS = [UnitType.REGION, UnitType.AGENCY, UnitType.SCHOOL, UnitType.OTHER]
# Each node after the root: (index of its parent among the earlier nodes, unit type, level).
TREES = st.lists(
    st.tuples(st.integers(0, 20), st.sampled_from(UNITS), st.sampled_from([3, 4, 5])),
    min_size=1,
    max_size=10,
)
RULES = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["own_units", "rest"]),
        "unit_types": st.none() | st.lists(st.sampled_from(UNITS), max_size=3),
        "levels": st.lists(st.sampled_from([3, 4, 5]), max_size=2),
        "with_root": st.booleans(),
    }
)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("rule"), st.integers(0, 2), RULES, st.booleans()),
        st.tuples(st.just("move"), st.integers(0, 10), st.integers(0, 2), st.booleans()),
        st.tuples(st.just("remove"), st.integers(0, 10), st.booleans()),
        st.tuples(st.just("done"), st.integers(0, 30)),
        st.tuples(st.just("restart"), st.integers(0, 2), st.integers(0, 60)),
    ),
    max_size=12,
)


def _tree(shape):
    root = make_org(name="市委", level=OrgLevel.CITY, unit_type=UnitType.REGION)
    nodes = [root]
    for parent, unit, level in shape:
        parent_node = nodes[parent % len(nodes)]
        nodes.append(make_org(parent_node, kind="committee", level=level, unit_type=unit))
    return nodes


def _claimed(nodes, rule: dict) -> set[int]:
    """The organisations an own-units rule claims, recounted from the tree in Python."""
    parsed = batches.Rule.from_data(rule)
    root = nodes[0]
    heads = [
        n
        for n in nodes
        if n.parent_id == root.pk
        and (not parsed.unit_types or n.unit_type in parsed.unit_types)
        and (not parsed.levels or n.level in parsed.levels)
    ]
    claimed = {n.pk for n in nodes for h in heads if n.path.startswith(h.path)}
    return claimed | ({root.pk} if parsed.with_root else set())


def _apply(op, nodes, campaign, office, batch_list, done_dates):
    kind, *args = op
    if kind == "rule":
        which, rule, move = args
        apply_batch_rule(
            actor=office,
            campaign_id=campaign.pk,
            batch_id=batch_list[which].pk,
            rule=rule,
            move=move,
        )
    elif kind == "move":
        org, which, subtree = args
        move_to_batch(
            actor=office,
            campaign_id=campaign.pk,
            batch_id=batch_list[which].pk,
            org_id=nodes[org % len(nodes)].pk,
            subtree=subtree,
        )
    elif kind == "remove":
        org, subtree = args
        remove_from_batches(
            actor=office,
            campaign_id=campaign.pk,
            org_id=nodes[org % len(nodes)].pk,
            subtree=subtree,
        )
    elif kind == "done":
        items = list(ActionItem.objects.filter(state="pending").order_by("id"))
        if items:
            item = items[args[0] % len(items)]
            mark_action_done(actor=office, item_id=item.pk, done_on=START, upload=pdf())
            done_dates[item.pk] = item.due_on
    elif kind == "restart":
        which, days = args
        batch = batch_list[which]
        batch.refresh_from_db()
        save_batch(
            actor=office,
            campaign_id=campaign.pk,
            batch_id=batch.pk,
            name=batch.name,
            starts_on=START + timedelta(days=days),
            ends_on=batch.ends_on,
        )


def _check(nodes, campaign, relative, done_dates):
    ids = {n.pk for n in nodes}
    rows = list(BatchMember.objects.filter(campaign=campaign).values_list("org_id", "batch_id"))
    in_batch = dict(rows)
    assert len(in_batch) == len(rows)  # never two batches for one organisation
    assert set(in_batch) <= ids
    assert set(BatchMember.objects.values_list("batch__campaign_id", flat=True)) <= {campaign.pk}
    coverage = batches.coverage(campaign, limit=1000)
    assert coverage.in_none == len(ids - set(in_batch))
    assert {o.pk for o in coverage.in_none_first} == ids - set(in_batch)
    assert sum(f.total for f in coverage.batches) + coverage.in_none == coverage.total == len(ids)
    expected_conflicts = set()
    by_rule = dict(BatchMember.objects.filter(by_rule=True).values_list("org_id", "batch_id"))
    for batch in campaign.batches.all():
        if batch.rule.get("kind") == "own_units":
            for pk in _claimed(nodes, batch.rule):
                if by_rule.get(pk, batch.pk) != batch.pk:
                    expected_conflicts.add((pk, by_rule[pk], batch.pk))
    got = {(o.pk, inside.pk, claiming.pk) for o, inside, claiming in coverage.conflicts}
    assert got == expected_conflicts
    starts = dict(campaign.batches.values_list("pk", "starts_on"))
    for item in ActionItem.objects.filter(action=relative):
        if item.state == "done":
            assert item.due_on == done_dates[item.pk]  # a done item keeps its deadline
        else:
            start = starts.get(in_batch.get(item.org_id), campaign.starts_on)
            assert item.due_on == start + timedelta(days=15), item.org_id


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(shape=TREES, ops=OPS, last=st.integers(0, 2))
def test_batches_partition_the_subtree_after_any_rules_and_hand_edits(shape, ops, last):
    with transaction.atomic():
        nodes = _tree(shape)
        office = user_with(nodes[0], "office")
        campaign = Campaign.objects.create(
            org=nodes[0], slug="p", name="主题教育", starts_on=START, ends_on=date(2026, 12, 31)
        )
        batch_list = [
            save_batch(
                actor=office,
                campaign_id=campaign.pk,
                name=f"第{n + 1}批",
                starts_on=START + timedelta(days=30 * n),
                ends_on=date(2026, 12, 31),
            )[0]
            for n in range(3)
        ]
        relative = define_key_action(
            actor=office, campaign_id=campaign.pk, name="动员部署", due_days=15
        )
        launch_key_actions(actor=office, campaign_id=campaign.pk)
        done_dates: dict[int, date] = {}
        for op in ops:
            try:
                _apply(op, nodes, campaign, office, batch_list, done_dates)
            except DomainError:
                pass  # a refused step changes nothing, which the check below also sees
            _check(nodes, campaign, relative, done_dates)
        apply_batch_rule(
            actor=office,
            campaign_id=campaign.pk,
            batch_id=batch_list[last].pk,
            rule={"kind": "rest"},
        )
        _check(nodes, campaign, relative, done_dates)
        assert batches.coverage(campaign).in_none == 0
        assert BatchMember.objects.filter(campaign=campaign).count() == len(nodes)
        transaction.set_rollback(True)
