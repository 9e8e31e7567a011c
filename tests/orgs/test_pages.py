import pytest
from django.urls import reverse

from luoshi.orgs.models import LeadershipTeam, TeamPosition
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_organisation_page_lists_children_with_subtree_counts_and_team(client, tree, users):
    team = LeadershipTeam.objects.create(org=tree.city, name="测试市委领导班子")
    TeamPosition.objects.create(org=tree.city, team=team, title="书记", person_name="李明")
    client.force_login(users.office)
    response = client.get(reverse("orgs:detail", args=[tree.city.pk]))
    html = response.content.decode()
    rows = {c.name: (c.org_count, c.member_count) for c in response.context["children_page"].rows}
    assert rows == {"甲区委": (4, 5), "乙县委": (4, 5)}
    assert "李明" in html and "书记" in html
    assert 'data-testid="fig-members">10<' in html


def test_member_list_masks_phone_numbers(client, tree, users):
    client.force_login(users.branch_a1)
    html = client.get(reverse("orgs:members", args=[tree.branch_a1.pk])).content.decode()
    assert "139****5678" in html
    assert "13912345678" not in html


def test_member_list_pages_through_a_large_branch(client, tree, users):
    for i in range(60):
        MemberFactory(org=tree.branch_a1, name=f"翻页{i:02d}")
    client.force_login(users.branch_a1)
    url = reverse("orgs:members", args=[tree.branch_a1.pk])
    first = client.get(url)
    second = client.get(url, {"page": 2})
    assert first.context["page"].has_next and len(first.context["page"].rows) == 50
    assert not second.context["page"].has_next and len(second.context["page"].rows) == 13
    first_names = {m.name for m in first.context["page"].rows}
    assert not first_names & {m.name for m in second.context["page"].rows}


def test_member_search_by_name(client, tree, users):
    MemberFactory(org=tree.branch_a1, name="欧阳晓梅")
    client.force_login(users.county_a)
    response = client.get(
        reverse("orgs:members", args=[tree.county_a.pk]), {"scope": "subtree", "q": "晓梅"}
    )
    assert [m.name for m in response.context["page"].rows] == ["欧阳晓梅"]


def test_tree_children_fragment_lazy_loads_one_level(client, tree, users):
    client.force_login(users.office)
    html = client.get(reverse("orgs:children", args=[tree.county_a.pk])).content.decode()
    assert "甲一街道党工委" in html and "甲一社区党支部" not in html
    assert "2 个下级" in html


def test_home_lands_every_assigned_role_on_its_work_page(client, tree, users):
    client.force_login(users.branch_a1)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:my_work")
    page = client.get(reverse("home"), {"stay": 1}).content.decode()
    assert tree.branch_a1.name in page
