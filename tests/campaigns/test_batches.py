"""Batches (批次): filled by the offices' rules and by hand, never overlapping; deadlines of key
actions counted from each organisation's own batch."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404

from luoshi.campaigns import batches
from luoshi.campaigns.models import ActionItem, BatchMember
from luoshi.campaigns.services import (
    apply_batch_rule,
    define_key_action,
    launch_key_actions,
    mark_action_done,
    move_to_batch,
    remove_from_batches,
    save_batch,
)
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.models import AuditEvent
from luoshi.rectification.models import today
from tests.factories import make_org, user_with
from tests.rectification.conftest import _media, campaign, pdf  # noqa: F401

pytestmark = pytest.mark.django_db
OWN = {"kind": "own_units"}
REST = {"kind": "rest"}


@pytest.fixture
def agency(tree):
    """A municipal organ (机关) under the city, with a branch of its own."""
    organ = make_org(
        tree.city, name="市直属机关工委", kind="working_committee", level=3, unit_type="agency"
    )
    make_org(organ, name="市财政局机关党支部", unit_type="agency")
    return organ


def _batches(office, campaign, *, second_start=40):  # noqa: F811
    first, _, _ = save_batch(
        actor=office,
        campaign_id=campaign.pk,
        name="第一批",
        starts_on=campaign.starts_on,
        ends_on=campaign.starts_on + timedelta(days=95),
    )
    second, _, _ = save_batch(
        actor=office,
        campaign_id=campaign.pk,
        name="第二批",
        starts_on=campaign.starts_on + timedelta(days=second_start),
        ends_on=campaign.ends_on,
    )
    return first, second


def _members(batch) -> set[int]:
    return set(batch.members.values_list("org_id", flat=True))


def test_the_two_rules_split_a_city_into_its_own_units_and_the_rest(
    tree,
    users,
    campaign,  # noqa: F811
    agency,
):
    first, second = _batches(users.office, campaign)
    apply_batch_rule(actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, rule=OWN)
    apply_batch_rule(actor=users.office, campaign_id=campaign.pk, batch_id=second.pk, rule=REST)
    organ_branch = agency.children.get()
    assert _members(first) == {tree.city.pk, agency.pk, organ_branch.pk}
    assert tree.county_a.pk in _members(second) and tree.branch_b2.pk in _members(second)
    coverage = batches.coverage(campaign)
    assert coverage.in_none == 0 and not coverage.conflicts
    assert [f.total for f in coverage.batches] == [3, 8]
    assert coverage.batches[0].by_level == {2: 1, 3: 1, 5: 1}
    first.refresh_from_db()
    assert batches.rule_label(first.rule, tree.city.level) == "市级机关和单位"
    assert batches.rule_label(REST, tree.city.level) == "县处级以下"


def test_a_rule_never_moves_an_organisation_out_of_another_batch_unless_told(
    tree,
    users,
    campaign,  # noqa: F811
    agency,
):
    first, second = _batches(users.office, campaign)
    # "The rest" first: everything lands in the second batch.
    apply_batch_rule(actor=users.office, campaign_id=campaign.pk, batch_id=second.pk, rule=REST)
    result = apply_batch_rule(
        actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, rule=OWN
    )
    assert result.added == 0 and result.moved == 0
    assert set(result.conflicts) == {tree.city.pk, agency.pk, agency.children.get().pk}
    assert _members(first) == set()
    # The page keeps showing them as wanted by two batches.
    conflicts = batches.coverage(campaign).conflicts
    assert {(o.pk, inside.pk, claiming.pk) for o, inside, claiming in conflicts} == {
        (pk, second.pk, first.pk) for pk in result.conflicts
    }
    moved = apply_batch_rule(
        actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, rule=OWN, move=True
    )
    assert moved.moved == 3 and not moved.conflicts
    assert not batches.coverage(campaign).conflicts


def test_the_database_refuses_a_second_batch_for_the_same_organisation(tree, users, campaign):  # noqa: F811
    first, second = _batches(users.office, campaign)
    move_to_batch(
        actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, org_id=tree.branch_a1.pk
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchMember.objects.create(campaign=campaign, batch=second, org=tree.branch_a1)


def test_hand_moves_and_removals_take_the_whole_subtree(tree, users, campaign):  # noqa: F811
    first, second = _batches(users.office, campaign)
    apply_batch_rule(actor=users.office, campaign_id=campaign.pk, batch_id=second.pk, rule=REST)
    result = move_to_batch(
        actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, org_id=tree.town_a.pk
    )
    assert result.moved == 3
    assert _members(first) == {tree.town_a.pk, tree.branch_a1.pk, tree.branch_a2.pk}
    remove_from_batches(actor=users.office, campaign_id=campaign.pk, org_id=tree.branch_a2.pk)
    coverage = batches.coverage(campaign)
    assert coverage.in_none == 1 and coverage.in_none_by_level == {5: 1}
    assert [o.pk for o in coverage.in_none_first] == [tree.branch_a2.pk]
    assert AuditEvent.objects.filter(kind="batch_orgs_moved", actor=users.office).exists()
    assert AuditEvent.objects.filter(kind="batch_orgs_removed", actor=users.office).exists()


def _relative_action(office, campaign, days=15):  # noqa: F811
    return define_key_action(actor=office, campaign_id=campaign.pk, name="动员部署", due_days=days)


def test_a_second_batch_unit_is_due_from_its_own_batch_start(tree, users, campaign):  # noqa: F811
    first, second = _batches(users.office, campaign, second_start=40)
    apply_batch_rule(actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, rule=OWN)
    move_to_batch(
        actor=users.office, campaign_id=campaign.pk, batch_id=second.pk, org_id=tree.county_b.pk
    )
    action = _relative_action(users.office, campaign)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    first_due = first.starts_on + timedelta(days=15)
    second_due = second.starts_on + timedelta(days=15)
    assert action.items.get(org=tree.city).due_on == first_due
    item = action.items.get(org=tree.branch_b1)
    assert item.due_on == second_due
    # Today is past the first batch's date and before the second's: only the first is late.
    assert first_due < today() < second_due
    assert action.items.get(org=tree.city).is_overdue and not item.is_overdue
    # In no batch: counted from the campaign's start.
    assert action.items.get(org=tree.county_a).due_on == campaign.starts_on + timedelta(days=15)


def test_launching_one_batch_reaches_its_members_with_their_dates(tree, users, campaign):  # noqa: F811
    first, second = _batches(users.office, campaign)
    move_to_batch(
        actor=users.office, campaign_id=campaign.pk, batch_id=second.pk, org_id=tree.town_b.pk
    )
    action = _relative_action(users.office, campaign, days=20)
    created = launch_key_actions(actor=users.office, campaign_id=campaign.pk, batch_id=second.pk)
    assert created == 3
    assert set(action.items.values_list("due_on", flat=True)) == {
        second.starts_on + timedelta(days=20)
    }
    with pytest.raises(Invalid, match="尚未划入任何组织"):
        launch_key_actions(actor=users.office, campaign_id=campaign.pk, batch_id=first.pk)


def test_moving_an_organisation_recomputes_only_its_pending_items(tree, users, campaign):  # noqa: F811
    first, second = _batches(users.office, campaign)
    apply_batch_rule(actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, rule=REST)
    action = _relative_action(users.office, campaign)
    absolute = define_key_action(
        actor=users.office,
        campaign_id=campaign.pk,
        name="总结评估",
        due_on=campaign.starts_on + timedelta(days=100),
    )
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    done = action.items.get(org=tree.branch_a2)
    mark_action_done(actor=users.office, item_id=done.pk, done_on=today(), upload=pdf())
    result = move_to_batch(
        actor=users.office, campaign_id=campaign.pk, batch_id=second.pk, org_id=tree.town_a.pk
    )
    assert result.recomputed == 2  # town_a and branch_a1; branch_a2's is done
    assert action.items.get(org=tree.branch_a1).due_on == second.starts_on + timedelta(days=15)
    assert action.items.get(org=tree.branch_a2).due_on == first.starts_on + timedelta(days=15)
    assert action.items.get(org=tree.branch_b1).due_on == first.starts_on + timedelta(days=15)
    assert set(absolute.items.values_list("due_on", flat=True)) == {absolute.due_on}
    # A batch's new start moves its members' pending deadlines with it.
    _, _, recomputed = save_batch(
        actor=users.office,
        campaign_id=campaign.pk,
        batch_id=second.pk,
        name="第二批",
        starts_on=second.starts_on + timedelta(days=5),
        ends_on=second.ends_on,
    )
    assert recomputed == 2
    assert action.items.get(org=tree.branch_a1).due_on == second.starts_on + timedelta(days=20)
    # Taken out of every batch: from the campaign's start.
    remove_from_batches(actor=users.office, campaign_id=campaign.pk, org_id=tree.branch_a1.pk)
    assert action.items.get(org=tree.branch_a1).due_on == campaign.starts_on + timedelta(days=15)


def test_the_key_action_tally_follows_recomputed_deadlines(tree, users, campaign):  # noqa: F811
    from luoshi.campaigns.selectors import key_action_figures

    first, second = _batches(users.office, campaign, second_start=60)
    apply_batch_rule(actor=users.office, campaign_id=campaign.pk, batch_id=first.pk, rule=REST)
    _relative_action(users.office, campaign)
    launch_key_actions(actor=users.office, campaign_id=campaign.pk)
    assert key_action_figures(tree.city.path)["key_action_items_overdue"] == 9
    move_to_batch(
        actor=users.office, campaign_id=campaign.pk, batch_id=second.pk, org_id=tree.county_b.pk
    )
    overdue = ActionItem.objects.filter(due_on__lt=today(), state="pending").count()
    assert overdue == 5
    assert key_action_figures(tree.city.path)["key_action_items_overdue"] == overdue


def test_a_short_batch_is_saved_with_a_warning(users, campaign):  # noqa: F811
    batch, warning, _ = save_batch(
        actor=users.office,
        campaign_id=campaign.pk,
        name="第一批",
        starts_on=campaign.starts_on,
        ends_on=campaign.starts_on + timedelta(days=60),
    )
    assert batch.pk and "60 天" in warning and "最短 90 天" in warning
    _, none, _ = save_batch(
        actor=users.office,
        campaign_id=campaign.pk,
        batch_id=batch.pk,
        name="第一批",
        starts_on=campaign.starts_on,
        ends_on=campaign.starts_on + timedelta(days=90),
    )
    assert none is None


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"name": " "}, "请填写批次名称"),
        ({"ends": -1}, "结束日期不能早于开始日期"),
        ({"ends": 400}, "须在主题教育起止日期"),
        ({"name": "第一批"}, "已存在"),
    ],
)
def test_a_bad_batch_is_refused_with_the_reason(users, campaign, changes, message):  # noqa: F811
    _batches(users.office, campaign)
    with pytest.raises(Invalid, match=message):
        save_batch(
            actor=users.office,
            campaign_id=campaign.pk,
            name=changes.get("name", "第三批"),
            starts_on=campaign.starts_on,
            ends_on=campaign.starts_on + timedelta(days=changes.get("ends", 90)),
        )
    assert campaign.batches.count() == 2


def test_only_the_campaign_office_changes_batches(tree, users, campaign):  # noqa: F811
    first, _ = _batches(users.office, campaign)
    county_office = user_with(tree.county_a, "office", username="county_office")
    leader = user_with(tree.city, "leader", username="city_leader")
    for actor in (county_office, leader, users.branch_a1):
        with pytest.raises(NotAllowed):
            apply_batch_rule(actor=actor, campaign_id=campaign.pk, batch_id=first.pk, rule=REST)
        with pytest.raises(NotAllowed):
            move_to_batch(
                actor=actor, campaign_id=campaign.pk, batch_id=first.pk, org_id=tree.branch_a1.pk
            )
        with pytest.raises(NotAllowed):
            save_batch(
                actor=actor,
                campaign_id=campaign.pk,
                name="第三批",
                starts_on=campaign.starts_on,
                ends_on=campaign.ends_on,
            )
    assert not BatchMember.objects.exists() and campaign.batches.count() == 2


def test_a_county_office_cannot_touch_another_countys_campaign_or_foreign_orgs(
    tree,
    users,
    campaign,  # noqa: F811
):
    from luoshi.campaigns.models import Campaign

    county_b_campaign = Campaign.objects.create(
        org=tree.county_b,
        slug="b",
        name="乙县专项",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    office_a = user_with(tree.county_a, "office", username="office_a")
    with pytest.raises(Http404):
        save_batch(
            actor=office_a,
            campaign_id=county_b_campaign.pk,
            name="第一批",
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
        )
    # The city office, in its own campaign, may not place an organisation outside it.
    b_batch, _, _ = save_batch(
        actor=users.office,
        campaign_id=county_b_campaign.pk,
        name="第一批",
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )
    with pytest.raises(Invalid, match="不在本次主题教育的范围内"):
        move_to_batch(
            actor=users.office,
            campaign_id=county_b_campaign.pk,
            batch_id=b_batch.pk,
            org_id=tree.branch_a1.pk,
        )
    first, _ = _batches(users.office, campaign)
    with pytest.raises(Invalid, match="请选择本次主题教育的批次"):
        move_to_batch(
            actor=users.office, campaign_id=campaign.pk, batch_id=b_batch.pk, org_id=tree.city.pk
        )
    assert not BatchMember.objects.exists()
