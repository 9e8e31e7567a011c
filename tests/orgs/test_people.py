"""The register's people (issue 16): leadership teams with seats whose titles fit the level, and
members added, edited, transferred (with history), marked 流动党员 or left, through the services
that pages and the API share; the roll-up figures stay equal to a direct count."""

from datetime import date

import pytest
from django.http import Http404

from luoshi.core.errors import Conflict, Invalid, NotAllowed
from luoshi.core.registry import subtree_figures
from luoshi.orgs import people
from luoshi.orgs.models import LeadershipTeam, Member, MemberTransfer
from luoshi.orgs.rollups import org_tally_drift
from luoshi.orgs.titles import seat_titles
from tests.factories import MemberFactory, make_org, user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def offices(tree):
    return {
        "city": user_with(tree.city, "office", username="city_office"),
        "county_a": user_with(tree.county_a, "office", username="county_a_office"),
        "county_b": user_with(tree.county_b, "office", username="county_b_office"),
        "liaison_a1": user_with(tree.branch_a1, "liaison", username="liaison_a1"),
    }


def _count(org, **filters) -> int:
    return Member.objects.filter(
        org_path__startswith=org.path, left_on__isnull=True, **filters
    ).count()


def test_seat_titles_follow_the_level_of_the_organisation(tree, offices):
    city_committee = make_org(name="中共某市委员会", kind="committee", level=2, unit_type="region")
    county_committee = make_org(
        city_committee, name="中共某县委员会", kind="committee", level=3, unit_type="region"
    )
    admin = user_with(city_committee, "admin", username="admin_region")
    cases = {
        city_committee: ("常委", "组织委员"),
        county_committee: ("常委", "纪检委员"),
        tree.town_a: ("委员", "常委"),  # 党工委: 书记、副书记、委员
        tree.town_b: ("委员", "常委"),  # a township's 党委
        tree.branch_a1: ("组织委员", "常委"),
    }
    for org, (fits, does_not) in cases.items():
        actor = admin if org.path.startswith(city_committee.path) else offices["city"]
        team = people.add_team(actor=actor, org=org, name="领导班子")
        people.add_seat(actor=actor, team_id=team.pk, title="书记", person_name="甲")
        people.add_seat(actor=actor, team_id=team.pk, title=fits, person_name="乙")
        with pytest.raises(Invalid, match=f"“{does_not}”不是.*应为"):
            people.add_seat(actor=actor, team_id=team.pk, title=does_not, person_name="丙")
        assert list(team.positions.values_list("title", flat=True)) == ["书记", fits]
        assert {"书记", fits} <= set(seat_titles(org)) and does_not not in seat_titles(org)
    assert seat_titles(city_committee) == ("书记", "副书记", "常委", "委员")
    assert seat_titles(tree.branch_a1) == ("书记", "副书记", "组织委员", "宣传委员", "纪检委员")


def test_an_organisation_has_several_teams_each_named_once_and_counted(tree, offices):
    office = offices["county_a"]
    people.add_team(actor=office, org=tree.town_a, name="党工委班子")
    people.add_team(actor=office, org=tree.town_a, name="行政班子")
    with pytest.raises(Invalid, match="已有名为“行政班子”"):
        people.add_team(actor=office, org=tree.town_a, name="行政班子")
    assert LeadershipTeam.objects.filter(org=tree.town_a).count() == 2
    assert subtree_figures(tree.county_a.path)["leadership_teams"] == 2
    team = LeadershipTeam.objects.get(name="行政班子")
    with pytest.raises(Invalid, match="请填写删除原因"):
        people.remove_team(actor=office, team_id=team.pk, reason=" ")
    people.remove_team(actor=office, team_id=team.pk, reason="机构调整")
    assert subtree_figures(tree.county_a.path)["leadership_teams"] == 1
    assert org_tally_drift() == []


def test_a_seat_links_only_a_member_of_the_organisations_subtree(tree, offices):
    office = offices["city"]
    team = people.add_team(actor=office, org=tree.town_a, name="班子")
    own = tree.members[tree.branch_a1.pk][0]
    seat = people.add_seat(actor=office, team_id=team.pk, title="书记", member_id=own.pk)
    assert seat.person_name == own.name and seat.member == own
    foreign = tree.members[tree.branch_b1.pk][0]
    with pytest.raises(Invalid, match="不在甲一街道党工委"):
        people.add_seat(actor=office, team_id=team.pk, title="委员", member_id=foreign.pk)


def test_a_transfer_keeps_its_history_and_both_figures_equal_a_direct_count(tree, offices):
    member = tree.members[tree.branch_a1.pk][0]
    before_a, before_b = _count(tree.county_a), _count(tree.county_b)
    people.transfer_member(
        actor=offices["city"],
        member_id=member.pk,
        to_org=tree.branch_b2,
        reason="工作调动",
        on_date=date(2026, 3, 1),
        version=member.version,
    )
    member.refresh_from_db()
    assert member.org == tree.branch_b2 and member.org_path == tree.branch_b2.path
    (transfer,) = MemberTransfer.objects.filter(member=member)
    assert (transfer.from_org, transfer.to_org, transfer.reason) == (
        tree.branch_a1,
        tree.branch_b2,
        "工作调动",
    )
    assert transfer.actor == offices["city"] and transfer.on_date == date(2026, 3, 1)
    assert subtree_figures(tree.county_a.path)["members"] == before_a - 1 == _count(tree.county_a)
    assert subtree_figures(tree.county_b.path)["members"] == before_b + 1 == _count(tree.county_b)
    assert subtree_figures(tree.branch_b2.path)["members"] == 2
    assert org_tally_drift() == []
    with pytest.raises(Conflict):  # the version read before the transfer is stale
        people.mark_left(actor=offices["city"], member_id=member.pk, reason="x", version=1)


def test_left_members_are_not_counted_and_mobile_members_are(tree, offices):
    office = offices["county_a"]
    first, second, third = tree.members[tree.branch_a1.pk]
    MemberFactory(org=tree.branch_a1, status=Member.Status.PROBATIONARY)
    people.mark_mobile(actor=office, member_id=first.pk, mobile=True, place="银川市金凤区")
    people.mark_left(actor=office, member_id=second.pk, reason="去世")
    figures = subtree_figures(tree.branch_a1.path)
    assert figures["members"] == 3 == _count(tree.branch_a1)  # 4 on the rolls, 1 left
    assert figures["probationary_members"] == 1
    assert subtree_figures(tree.city.path)["members"] == 10  # 11 added, 1 left
    assert org_tally_drift() == []
    with pytest.raises(Invalid, match="已离开"):
        people.transfer_member(actor=office, member_id=second.pk, to_org=tree.branch_a2, reason="x")
    with pytest.raises(Invalid, match="外出务工"):
        people.mark_mobile(actor=office, member_id=third.pk, mobile=True, place="")
    first.refresh_from_db()
    assert first.standing == "流动党员" and first.mobile_place == "银川市金凤区"


def test_a_county_office_cannot_touch_another_countys_members(tree, offices):
    county_a, liaison = offices["county_a"], offices["liaison_a1"]
    theirs = tree.members[tree.branch_b1.pk][0]
    ours = tree.members[tree.branch_a1.pk][0]
    with pytest.raises(Http404):
        people.update_member(actor=county_a, member_id=theirs.pk, name="改名")
    with pytest.raises(Http404):
        people.mark_left(actor=county_a, member_id=theirs.pk, reason="x")
    with pytest.raises(Http404):  # the receiving end is outside its subtree
        people.transfer_member(actor=county_a, member_id=ours.pk, to_org=tree.branch_b1, reason="x")
    with pytest.raises(Http404):
        people.create_member(
            actor=county_a, org=tree.branch_b1, name="某", gender="M", status="full"
        )
    with pytest.raises(NotAllowed):  # a liaison sees its branch but does not keep the register
        people.update_member(actor=liaison, member_id=ours.pk, name="改名")
    with pytest.raises(NotAllowed):
        people.add_team(actor=liaison, org=tree.branch_a1, name="支委会")
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert theirs.org == tree.branch_b1 and ours.org == tree.branch_a1 and ours.version == 1
    assert not MemberTransfer.objects.exists() and org_tally_drift() == []


def test_member_fields_are_checked_with_a_reason(tree, offices):
    office = offices["county_a"]
    bad = [
        ({"name": " "}, "请填写姓名"),
        ({"gender": "X"}, "性别"),
        ({"birth_year": 1800}, "出生年份"),
        ({"joined_on": date(2999, 1, 1)}, "入党时间不能晚于今天"),
        ({"phone": "电话号码"}, "联系电话"),
    ]
    member = tree.members[tree.branch_a1.pk][0]
    for fields, reason in bad:
        with pytest.raises(Invalid, match=reason):
            people.update_member(actor=office, member_id=member.pk, **fields)
    changed = people.update_member(
        actor=office, member_id=member.pk, version=1, post="组织委员", status="probationary"
    )
    member.refresh_from_db()
    assert set(changed) == {"post", "status"} and member.version == 2
    assert subtree_figures(tree.branch_a1.path)["probationary_members"] == 1
    assert org_tally_drift() == []
