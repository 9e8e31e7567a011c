"""A guidance group's life and who may be in it: deleted only when it has done nothing (else
ended today, said in Chinese), its start moved only to a day not after its first act; members
are cadres of the setting-up level (or of its subtree outside what the group guides); an
inspection's sample can be drawn again, each draw kept and reproducible from its seed."""

from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse

from luoshi.core.errors import Invalid, NotAllowed
from luoshi.guidance import rules, selectors, services
from luoshi.guidance.models import GuidanceGroup, SampleDraw
from luoshi.orgs.models import Member
from luoshi.rectification.models import today
from tests.factories import UserFactory, user_with

pytestmark = pytest.mark.django_db


def _visit(guide, group, org, **more):
    fields = {"kind": "interviews", "visited_on": today(), "sample_size": 3, **more}
    return services.plan_inspection(actor=guide, group_id=group.pk, org=org, **fields)


def _change(users, group, tree, **more):
    fields = {"members": [], "subtrees": [tree.county_a], "ends_on": group.ends_on, **more}
    return services.change_group(actor=users.office, group_id=group.pk, **fields)


# --- deleting, ending, moving the start ---------------------------------------------------------
def test_a_group_that_has_done_nothing_is_deleted_and_its_members_lose_the_role(
    client, tree, group, guide, users
):
    client.force_login(guide)
    url = reverse("dashboards:node", args=[tree.county_a.pk])
    assert client.get(url).status_code == 200
    with pytest.raises(Http404):  # a member does not even see the office's record of it
        services.delete_group(actor=guide, group_id=group.pk)
    county = user_with(tree.county_a, "office", username="county_a_office")
    with pytest.raises(Http404):  # nor does the county it guides
        services.delete_group(actor=county, group_id=group.pk)
    client.force_login(users.office)
    page = client.get(reverse("guidance:group", args=[group.pk])).content.decode()
    assert "尚未开展工作，可以删除" in page and "删除指导组" in page
    response = client.post(reverse("guidance:group_delete", args=[group.pk]))
    assert response.status_code == 302 and not GuidanceGroup.objects.filter(pk=group.pk).exists()
    client.force_login(guide)
    assert client.get(url).status_code == 404


def test_a_group_that_has_acted_is_not_deleted_and_the_refusal_says_it_can_be_ended(
    client, tree, group, guide, users
):
    _visit(guide, group, tree.town_a)
    with pytest.raises(Invalid, match="已开展工作（督导检查1次），不能删除；可以结束指导"):
        services.delete_group(actor=users.office, group_id=group.pk)
    client.force_login(users.office)
    response = client.post(reverse("guidance:group_delete", args=[group.pk]), follow=True)
    assert "不能删除；可以结束指导" in response.content.decode()
    assert GuidanceGroup.objects.filter(pk=group.pk).exists()
    assert "删除指导组" not in response.content.decode()

    client.post(reverse("guidance:group_end", args=[group.pk]))
    group.refresh_from_db()
    assert group.ends_on == today() and group.in_force()  # to the end of today
    assert group.inspections.count() == 1  # what it did stays
    with pytest.raises(Invalid, match="已于"):
        group.ends_on = today() - timedelta(days=1)
        group.save()
        services.end_group(actor=users.office, group_id=group.pk)


def test_the_start_moves_while_the_group_has_not_acted_and_never_after_its_first_act(
    tree, group, guide, users
):
    later = today() + timedelta(days=3)
    moved = _change(users, group, tree, starts_on=later)
    assert moved.starts_on == later and not moved.in_force()
    with pytest.raises(Invalid, match="尚未开始指导"):
        services.end_group(actor=users.office, group_id=group.pk)
    _change(users, group, tree, starts_on=today() - timedelta(days=10))
    _visit(guide, group, tree.town_a, visited_on=today() - timedelta(days=2))
    with pytest.raises(Invalid, match="开始日期不能晚于这一天"):
        _change(users, group, tree, starts_on=today() - timedelta(days=1))
    group.refresh_from_db()
    assert group.starts_on == today() - timedelta(days=10)
    assert _change(users, group, tree, starts_on=today() - timedelta(days=2)).starts_on == (
        today() - timedelta(days=2)
    )


# --- who may be a member ------------------------------------------------------------------------
def test_members_are_cadres_of_the_level_above_never_of_what_the_group_guides(
    tree, group, guide, users, campaign
):
    outsider = UserFactory(username="nobody")  # an account with no post at all
    guided = user_with(tree.town_a, "liaison", username="town_a_cadre")  # inside county a
    line_above = user_with(tree.county_a, "viewer", username="county_a_cadre")
    county_b = user_with(tree.county_b, "viewer", username="county_b_cadre")  # cross-inspection
    city = user_with(tree.city, "leader", username="city_leader")
    for person in (outsider, guided, line_above):
        with pytest.raises(NotAllowed, match="不能担任指导组成员") as refused:
            _change(users, group, tree, members=[person.username])
        assert person.username in str(refused.value)
    assert not group.members.filter(username__in=["nobody", "town_a_cadre"]).exists()
    with pytest.raises(NotAllowed, match="不能担任指导组成员"):
        services.create_group(
            actor=users.office,
            campaign=campaign,
            name="第二指导组",
            leader="town_a_cadre",
            members=[],
            subtrees=[tree.county_a],
            starts_on=campaign.starts_on,
            ends_on=campaign.ends_on,
        )
    _change(users, group, tree, members=[county_b.username, city.username])
    assert set(group.members.values_list("username", flat=True)) == {
        "guide",
        "county_b_cadre",
        "city_leader",
    }
    # a guidance role held elsewhere does not make one a cadre of the level above
    assert rules.member_refusal(guided, tree.city.path, [tree.county_b.path]) is None
    assert rules.member_refusal(outsider, tree.city.path, [tree.county_a.path])


# --- drawing the sample again -------------------------------------------------------------------
def test_a_sample_is_drawn_again_with_a_reason_and_every_draw_stays_reproducible(
    client, tree, group, guide
):
    visit = _visit(guide, group, tree.town_a)
    services.draw_sample(actor=guide, inspection_id=visit.pk, seed=11)
    with pytest.raises(Invalid, match="重新抽取须说明原因"):
        services.draw_sample(actor=guide, inspection_id=visit.pk)
    client.force_login(guide)
    client.post(reverse("guidance:sample", args=[visit.pk]), {"reason": "抽中人员外出学习"})
    draws = list(SampleDraw.objects.filter(inspection=visit).order_by("number"))
    assert [(d.number, d.reason) for d in draws] == [(1, ""), (2, "抽中人员外出学习")]
    assert draws[0].seed == 11 and draws[1].seed != 11
    members = list(
        Member.objects.filter(org_path__startswith=tree.town_a.path).values_list("pk", flat=True)
    )
    for d in draws:  # each reproduced from its own seed
        drawn = list(d.members.order_by("rank").values_list("member_id", flat=True))
        assert drawn == rules.sample_members(members, d.seed, d.size)
    visit.refresh_from_db()
    assert visit.sample_seed == draws[1].seed
    current = list(selectors.current_sample(visit).values_list("draw__number", flat=True))
    assert current == [2, 2, 2]
    page = client.get(reverse("guidance:inspection", args=[visit.pk])).content.decode()
    assert "第1次" in page and "第2次" in page and "抽中人员外出学习" in page
