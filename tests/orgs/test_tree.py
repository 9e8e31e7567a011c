import pytest
from django.http import Http404

from luoshi.core.errors import NotAllowed
from luoshi.core.models import AuditEvent
from luoshi.core.scoping import forget_scope
from luoshi.orgs.models import Member, Organization
from luoshi.orgs.rollups import refresh_org_tallies
from luoshi.orgs.selectors import org_figures
from luoshi.orgs.services import TreeError, move_subtree
from tests.factories import MemberFactory, make_org, user_with

pytestmark = pytest.mark.django_db


def test_subtree_figures_count_only_descendants(tree):
    assert org_figures(tree.city.path)["organizations"] == 9
    assert org_figures(tree.city.path)["members"] == 10
    assert org_figures(tree.county_a.path) == {
        "organizations": 4,
        "branches": 2,
        "members": 5,
        "probationary_members": 0,
        "leadership_teams": 0,
    }
    assert org_figures(tree.branch_b1.path)["members"] == 4


def test_subtree_does_not_include_a_node_whose_id_starts_with_the_same_digits(tree):
    # Create organisations until one has an id that starts with county_a's id digits, as a
    # sibling: a string-prefix test on paths would count it inside county_a.
    # The ones passed over are not recounted: each recount holds a lock to the end of the test's
    # transaction, and thousands of them ran the server out of lock slots beside another test.
    prefix = str(tree.county_a.pk)
    sibling = make_org(tree.city, kind="committee", level=3, recount=False)
    while not str(sibling.pk).startswith(prefix) or sibling.pk == tree.county_a.pk:
        sibling = make_org(tree.city, kind="committee", level=3, recount=False)
    refresh_org_tallies([sibling.pk])
    MemberFactory(org=sibling)
    assert org_figures(sibling.path)["organizations"] == 1  # counted, outside county_a
    assert org_figures(tree.county_a.path)["organizations"] == 4
    assert org_figures(tree.county_a.path)["members"] == 5


def test_moving_a_township_rewrites_paths_of_its_organisations_and_members(tree):
    office = user_with(tree.city, "office")
    moved = move_subtree(actor=office, org=tree.town_a, new_parent=tree.county_b)
    tree.town_a.refresh_from_db()
    assert tree.town_a.parent_id == tree.county_b.pk
    assert tree.town_a.path == f"{tree.county_b.path}{tree.town_a.pk}/"
    branch = Organization.objects.get(pk=tree.branch_a1.pk)
    assert branch.path == f"{tree.town_a.path}{branch.pk}/"
    for member in Member.objects.filter(org__in=[tree.branch_a1, tree.branch_a2]):
        assert member.org_path == member.org.path
    assert moved == 3 + 5 + 3  # three organisations, five members, their three roll-up rows
    assert org_figures(tree.county_a.path)["members"] == 0
    assert org_figures(tree.county_b.path)["members"] == 10
    assert AuditEvent.objects.filter(kind="org_moved", target=tree.town_a.code).exists()


def test_moved_subtree_leaves_the_old_county_liaisons_scope(tree):
    liaison = user_with(tree.county_a, "liaison")
    assert Member.objects.visible_to(liaison).count() == 5
    move_subtree(actor=user_with(tree.city, "office"), org=tree.town_a, new_parent=tree.county_b)
    forget_scope(liaison)
    assert Member.objects.visible_to(liaison).count() == 0


def test_cannot_move_an_organisation_under_its_own_descendant(tree):
    office = user_with(tree.city, "office")
    with pytest.raises(TreeError):
        move_subtree(actor=office, org=tree.county_a, new_parent=tree.branch_a1)
    tree.county_a.refresh_from_db()
    assert tree.county_a.parent_id == tree.city.pk


def test_liaison_may_not_move_and_outsider_gets_404(tree):
    with pytest.raises(NotAllowed):
        move_subtree(
            actor=user_with(tree.city, "liaison"), org=tree.town_a, new_parent=tree.county_b
        )
    with pytest.raises(Http404):
        move_subtree(
            actor=user_with(tree.county_a, "office"), org=tree.town_a, new_parent=tree.county_b
        )
    tree.town_a.refresh_from_db()
    assert tree.town_a.parent_id == tree.county_a.pk


def test_member_phone_is_shown_masked():
    assert Member(phone="13912345678").masked_phone == "139****5678"
