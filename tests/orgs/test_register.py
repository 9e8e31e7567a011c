"""The organisation register: add, rename, move, merge and dissolve keep every fact with its
history and every figure equal to a direct count; each refusal changes nothing."""

from datetime import timedelta

import pytest
from django.http import Http404

from luoshi.accounts.models import Assignment
from luoshi.campaigns.models import Campaign
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.models import AuditEvent
from luoshi.core.registry import ROLLUPS
from luoshi.core.scoping import SYSTEM, forget_scope
from luoshi.orgs.models import LeadershipTeam, Member, Organization
from luoshi.orgs.selectors import org_figures, search_organizations
from luoshi.orgs.services import (
    create_organization,
    dissolve_organization,
    merge_organization,
    move_subtree,
    update_organization,
)
from luoshi.rectification import services as ledger
from luoshi.rectification.models import LedgerEvent, Measure, today
from luoshi.rectification.selectors import problem_timeline
from tests.factories import MemberFactory, user_with

pytestmark = pytest.mark.django_db


def drift() -> list[str]:
    """Every roll-up's and tally's difference from a direct count (`luoshi rollups`)."""
    return [d for rollup in ROLLUPS for d in rollup.drift()]


def direct_members(org) -> int:
    live = Organization.objects.filter(path__startswith=org.path).values("pk")
    return Member.objects.filter(org__in=live).count()


@pytest.fixture
def facts(tree):
    """A campaign and a problem of branch a1 with a measure, so that merges carry history."""
    campaign = Campaign.objects.create(
        org=tree.city,
        slug="zt-reg",
        name="主题教育",
        starts_on=today() - timedelta(days=30),
        ends_on=today() + timedelta(days=150),
    )
    actor = user_with(tree.branch_a1, "liaison")
    problem = ledger.create_problem(
        actor=actor, org=tree.branch_a1, campaign=campaign, title="服务群众的意识不够强"
    )
    ledger.add_measure(
        actor=actor, problem=problem, content="建立诉求台账", due_on=today() + timedelta(30)
    )
    return problem


def test_merge_moves_members_facts_children_and_keeps_history(tree, facts):
    office = user_with(tree.city, "office")
    liaison = user_with(tree.branch_a1, "liaison", username="a1_liaison")
    events_before = LedgerEvent.objects.filter(problem=facts).count()
    moved = merge_organization(actor=office, org=tree.branch_a1, into=tree.branch_a2)

    facts.refresh_from_db()
    assert facts.org_id == tree.branch_a2.pk and facts.org_path == tree.branch_a2.path
    assert Measure.objects.get(problem=facts).org_id == tree.branch_a2.pk
    timeline = problem_timeline(facts)
    assert len(timeline) == events_before > 0  # the problem's history is still listed
    assert all(e.org_path == tree.branch_a2.path for e in timeline)  # in the receiver's scope
    assert {e.org_id for e in timeline} == {tree.branch_a1.pk}  # naming where it happened
    assert Member.objects.filter(org=tree.branch_a2).count() == 5
    assert Assignment.objects.get(user=liaison).org_id == tree.branch_a2.pk
    assert moved["rows"] > 5
    gone = Organization.all_objects.get(pk=tree.branch_a1.pk)
    assert gone.merged_into_id == tree.branch_a2.pk and gone.dissolved_on == today()
    assert not Organization.objects.filter(pk=gone.pk).exists()  # out of the tree
    assert list(search_organizations(SYSTEM, gone.name)) == []
    assert Member(org_id=gone.pk).org.name == gone.name  # a link to it still resolves
    event = AuditEvent.objects.get(kind="org_merged")
    assert event.detail["code"] == gone.code and event.detail["old_path"] == gone.path
    assert org_figures(tree.town_a.path)["organizations"] == 2
    assert org_figures(tree.town_a.path)["branches"] == 1
    assert org_figures(tree.city.path)["members"] == direct_members(tree.city) == 10
    assert drift() == []


def test_merging_a_township_takes_its_branches_under_the_receiver(tree, facts):
    office = user_with(tree.city, "office")
    merge_organization(actor=office, org=tree.town_a, into=tree.town_b)
    branch = Organization.objects.get(pk=tree.branch_a1.pk)
    assert branch.parent_id == tree.town_b.pk
    assert branch.path == f"{tree.town_b.path}{branch.pk}/"
    facts.refresh_from_db()
    assert facts.org_path == branch.path
    assert org_figures(tree.county_a.path) == {
        "organizations": 1,
        "branches": 0,
        "members": 0,
        "probationary_members": 0,
        "leadership_teams": 0,
    }
    assert org_figures(tree.county_b.path)["members"] == direct_members(tree.county_b) == 10
    assert org_figures(tree.county_b.path)["organizations"] == 6
    assert drift() == []


def test_move_keeps_problem_history_and_figures_equal_to_counts(tree, facts):
    office = user_with(tree.city, "office")
    move_subtree(actor=office, org=tree.town_a, new_parent=tree.county_b)
    facts.refresh_from_db()
    assert len(problem_timeline(facts)) > 0
    assert all(e.org_path == facts.org_path for e in problem_timeline(facts))
    assert org_figures(tree.county_b.path)["members"] == direct_members(tree.county_b)
    assert drift() == []


def test_merge_refuses_a_receiver_below_it_or_a_branch_that_would_lead_branches(tree):
    office = user_with(tree.city, "office")
    with pytest.raises(Invalid, match="下级组织"):
        merge_organization(actor=office, org=tree.town_a, into=tree.branch_a1)
    with pytest.raises(Invalid, match="党支部下不能设立下级党组织"):
        merge_organization(actor=office, org=tree.town_a, into=tree.branch_b1)
    with pytest.raises(Invalid, match="不能是它自己"):
        merge_organization(actor=office, org=tree.town_a, into=tree.town_a)
    assert Organization.objects.count() == 9
    assert AuditEvent.objects.filter(kind="org_merged").count() == 0


def test_merge_refuses_two_teams_of_one_name_and_changes_nothing(tree):
    """An organisation may have several teams, each name once: two 党支部委员会 cannot become
    one by a merge (the office renames one first); teams of different names both go."""
    office = user_with(tree.city, "office")
    for branch in (tree.branch_a1, tree.branch_a2):
        LeadershipTeam.objects.create(org=branch, org_path=branch.path, name="党支部委员会")
    with pytest.raises(Invalid, match="领导班子"):
        merge_organization(actor=office, org=tree.branch_a1, into=tree.branch_a2)
    assert Member.objects.filter(org=tree.branch_a1).count() == 3
    assert Organization.objects.filter(pk=tree.branch_a1.pk).exists()

    LeadershipTeam.objects.filter(org=tree.branch_a1).update(name="原一支部委员会")
    merge_organization(actor=office, org=tree.branch_a1, into=tree.branch_a2)
    names = set(LeadershipTeam.objects.filter(org=tree.branch_a2).values_list("name", flat=True))
    assert names == {"党支部委员会", "原一支部委员会"}


def test_county_office_cannot_merge_or_move_into_another_county(tree):
    office_a = user_with(tree.county_a, "office")
    with pytest.raises(Http404):
        merge_organization(actor=office_a, org=tree.branch_a1, into=tree.branch_b1)
    with pytest.raises(Http404):
        move_subtree(actor=office_a, org=tree.town_b, new_parent=tree.county_a)
    with pytest.raises(Http404):
        create_organization(
            actor=office_a, parent=tree.town_b, code="X1", name="新支部", kind="branch", level=5
        )
    assert Member.objects.filter(org=tree.branch_a1).count() == 3


def test_add_checks_the_parent_s_kind_and_level_and_is_audited(tree):
    office = user_with(tree.county_a, "office")
    with pytest.raises(Invalid, match="党支部下不能设立"):
        create_organization(
            actor=office, parent=tree.branch_a1, code="X1", name="某支部", kind="branch", level=5
        )
    with pytest.raises(Invalid, match="层级"):
        create_organization(
            actor=office, parent=tree.town_a, code="X2", name="某党委", kind="committee", level=3
        )
    org = create_organization(
        actor=office, parent=tree.town_a, code="X3", name="新社区党支部", kind="branch", level=5
    )
    assert org.path == f"{tree.town_a.path}{org.pk}/"
    assert AuditEvent.objects.filter(kind="org_created", target="X3").exists()
    assert org_figures(tree.county_a.path)["branches"] == 3
    with pytest.raises(NotAllowed, match="系统管理员"):
        create_organization(
            actor=office, parent=None, code="T", name="某市委", kind="committee", level=2
        )
    assert drift() == []


def test_rename_is_audited_with_before_and_after(tree):
    office = user_with(tree.county_a, "office")
    update_organization(actor=office, org=tree.town_a, name="甲一街道党工委（新）")
    event = AuditEvent.objects.get(kind="org_updated")
    assert event.detail["before"] == {"name": "甲一街道党工委"}
    with pytest.raises(Invalid, match="党支部下不能设立"):
        update_organization(actor=office, org=tree.town_a, kind="branch")
    tree.town_a.refresh_from_db()
    assert tree.town_a.kind == "working_committee"


def test_dissolve_sends_everything_to_the_parent_by_default(tree, facts):
    office = user_with(tree.county_a, "office")
    dissolve_organization(actor=office, org=tree.branch_a1)
    facts.refresh_from_db()
    assert facts.org_id == tree.town_a.pk
    assert Member.objects.filter(org=tree.town_a).count() == 3
    assert not Organization.objects.filter(pk=tree.branch_a1.pk).exists()
    assert AuditEvent.objects.get(kind="org_dissolved").detail["receiver"] == tree.town_a.code
    assert drift() == []


def test_dissolve_to_a_chosen_receiver_and_refuses_a_top_one_with_rows(tree, facts):
    office = user_with(tree.city, "office")
    dissolve_organization(actor=office, org=tree.town_a, receiver=tree.town_b)
    assert Organization.objects.get(pk=tree.branch_a2.pk).parent_id == tree.town_b.pk
    with pytest.raises(Invalid, match="请选择接收单位"):
        dissolve_organization(actor=SYSTEM, org=tree.city)
    assert Organization.objects.filter(pk=tree.city.pk).exists()
    with pytest.raises(NotAllowed):
        dissolve_organization(actor=office, org=tree.city)
    assert drift() == []


def test_a_liaison_moved_with_a_merge_sees_the_receiver(tree):
    liaison = user_with(tree.branch_a1, "liaison")
    MemberFactory(org=tree.branch_a2)
    merge_organization(
        actor=user_with(tree.city, "office"), org=tree.branch_a1, into=tree.branch_a2
    )
    forget_scope(liaison)
    assert Member.objects.visible_to(liaison).count() == 6


def test_merging_two_organisations_of_batches_keeps_the_campaign_a_partition(tree, facts):
    """Both in a batch of the campaign: the merged one's membership goes, the receiver keeps its
    own batch, and every live organisation is still in exactly one batch."""
    from luoshi.campaigns import batches
    from luoshi.campaigns.models import BatchMember
    from luoshi.campaigns.services import apply_batch_rule, save_batch

    campaign = facts.campaign
    office = user_with(tree.city, "office")
    start = campaign.starts_on
    first, _, _ = save_batch(
        actor=office,
        campaign_id=campaign.pk,
        name="第一批",
        starts_on=start,
        ends_on=start + timedelta(days=95),
    )
    apply_batch_rule(
        actor=office, campaign_id=campaign.pk, batch_id=first.pk, rule={"kind": batches.REST}
    )
    assert BatchMember.objects.filter(org=tree.branch_a2).exists()

    merge_organization(actor=office, org=tree.branch_a1, into=tree.branch_a2)

    live = set(Organization.objects.values_list("pk", flat=True))
    members = list(BatchMember.objects.values_list("org_id", flat=True))
    assert sorted(members) == sorted(live)  # one batch each, nobody dropped or doubled
    assert batches.coverage(campaign, SYSTEM, limit=0).in_none == 0
    assert drift() == []
