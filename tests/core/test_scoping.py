"""A user sees and reaches nothing outside the subtrees they are assigned to."""

import pytest
from django.urls import reverse

from luoshi.core.models import AuditEvent
from luoshi.orgs.models import Member, Organization

pytestmark = pytest.mark.django_db


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.parametrize(
    "name",
    ["orgs:detail", "orgs:members", "orgs:children"],
)
def test_branch_liaison_gets_404_for_another_branchs_pages(client, tree, users, name):
    response = _get(client, users.branch_a1, reverse(name, args=[tree.branch_b1.pk]))
    assert response.status_code == 404
    assert tree.branch_b1.name not in response.content.decode()


@pytest.mark.parametrize("target", ["county_a", "town_a", "city", "branch_a2"])
def test_branch_liaison_gets_404_for_parent_and_sibling_organisations(client, tree, users, target):
    org = getattr(tree, target)
    assert _get(client, users.branch_a1, reverse("orgs:detail", args=[org.pk])).status_code == 404


def test_refusal_is_recorded_in_the_audit_log(client, tree, users):
    _get(client, users.branch_a1, reverse("orgs:members", args=[tree.branch_b1.pk]))
    event = AuditEvent.objects.get(kind="refused")
    assert event.actor == users.branch_a1
    assert event.detail["path"] == reverse("orgs:members", args=[tree.branch_b1.pk])


def test_branch_liaison_member_list_subtree_scope_shows_only_own_members(client, tree, users):
    response = _get(
        client, users.branch_a1, reverse("orgs:members", args=[tree.branch_a1.pk]), scope="subtree"
    )
    html = response.content.decode()
    own = [m.name for m in tree.members[tree.branch_a1.pk]]
    foreign = [m.name for pk, ms in tree.members.items() if pk != tree.branch_a1.pk for m in ms]
    assert all(f">{name}<" in html for name in own)
    assert not any(f">{name}<" in html for name in foreign)


def test_county_liaison_counts_cover_only_their_county(client, tree, users):
    response = _get(client, users.county_a, reverse("orgs:detail", args=[tree.county_a.pk]))
    assert response.context["figures"]["organizations"] == 4
    assert response.context["figures"]["members"] == 5
    children = response.context["children_page"].rows
    assert [c.name for c in children] == ["甲一街道党工委"]
    assert children[0].member_count == 5


def test_search_finds_nothing_outside_the_subtree(client, tree, users):
    response = _get(client, users.branch_a1, reverse("orgs:search"), q="党支部")
    names = [org.name for org, _ in response.context["results"]]
    assert names == ["甲一社区党支部"]


def test_tree_shows_only_the_users_scope_roots(client, tree, users):
    response = _get(client, users.county_a, reverse("orgs:tree"))
    html = response.content.decode()
    assert "甲区委" in html and "乙县委" not in html and "测试市委" not in html


def test_breadcrumbs_stop_at_the_top_of_the_users_scope(client, tree, users):
    response = _get(client, users.county_a, reverse("orgs:detail", args=[tree.branch_a1.pk]))
    assert [o.name for o in response.context["crumbs"]] == ["甲区委", "甲一街道党工委"]
    assert "测试市委" not in response.content.decode()


def test_user_with_two_assignments_sees_both_subtrees(tree, users):
    from luoshi.accounts.models import Assignment

    Assignment.objects.create(user=users.branch_a1, org=tree.branch_b2, role="liaison")
    assert Member.objects.visible_to(users.branch_a1).count() == 3 + 1
    visible = set(Organization.objects.visible_to(users.branch_a1).values_list("pk", flat=True))
    assert visible == {tree.branch_a1.pk, tree.branch_b2.pk}


def test_user_without_assignment_sees_nothing(tree, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x-123456789")
    assert not Organization.objects.visible_to(nobody).exists()
    assert not Member.objects.visible_to(nobody).exists()


@pytest.mark.parametrize(
    "url", ["/", "/orgs/", "/orgs/search/?q=a", "/orgs/1/", "/orgs/1/members/", "/orgs/1/children/"]
)
def test_anonymous_visitor_is_sent_to_login(client, tree, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_scope_and_roles_come_from_one_query_per_request(tree, users, django_assert_num_queries):
    from luoshi.accounts.permissions import role_paths
    from luoshi.core.scoping import forget_scope, scope_paths

    liaison = users.county_a
    forget_scope(liaison)
    with django_assert_num_queries(1):
        paths = scope_paths(liaison)
        roles = role_paths(liaison)
    assert paths == tuple(p for p, _ in roles)
