"""The register's people on the pages and in the API: the office manages teams and members, the
others are told why they may not, the member import previews before it writes, and phone
numbers stay masked."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.core.registry import subtree_figures
from luoshi.orgs.models import LeadershipTeam, Member, MemberTransfer, TeamPosition
from luoshi.orgs.rollups import org_tally_drift
from tests.factories import user_with
from tests.ledger_io.test_tables import book

pytestmark = pytest.mark.django_db

HEADER = ["姓名", "性别", "出生年月", "入党时间", "所在党组织", "人员类别", "职务", "联系电话"]


@pytest.fixture
def office(tree):
    return user_with(tree.city, "office", username="city_office")


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_office_adds_a_team_and_a_seat_from_the_level_list_and_others_are_refused(
    client, tree, office, users
):
    client.force_login(office)
    detail = client.get(reverse("orgs:detail", args=[tree.town_a.pk])).content.decode()
    assert 'data-testid="teams-manage"' in detail and ">管理<" in detail
    client.post(reverse("orgs:team_add", args=[tree.town_a.pk]), {"name": "党工委班子"})
    team = LeadershipTeam.objects.get(org=tree.town_a)
    page = client.get(reverse("orgs:teams", args=[tree.town_a.pk])).content.decode()
    assert '<option value="委员">' in page and '<option value="常委">' not in page
    member = tree.members[tree.branch_a1.pk][0]
    response = client.post(
        reverse("orgs:seat_add", args=[team.pk]),
        {"title": "书记", "member": f"{member.name} · {tree.branch_a1.name}"},
        follow=True,
    )
    assert "已新增班子成员" in _messages(response)
    seat = TeamPosition.objects.get(team=team)
    assert (seat.title, seat.member, seat.person_name) == ("书记", member, member.name)
    response = client.post(
        reverse("orgs:seat_edit", args=[seat.pk]),
        {"title": "常委", "person_name": "李"},
        follow=True,
    )
    assert "“常委”不是党工委领导班子的职务" in response.content.decode()
    assert TeamPosition.objects.get().title == "书记"
    client.force_login(users.county_a)  # a liaison: sees, may not change
    page = client.get(reverse("orgs:teams", args=[tree.town_a.pk])).content.decode()
    assert "只有主题教育办公室和系统管理员可以调整领导班子" in page and "新增班子" not in page
    response = client.post(
        reverse("orgs:seat_remove", args=[seat.pk]), {"reason": "调离"}, follow=True
    )
    assert "当前岗位无权执行此操作" in response.content.decode()
    assert TeamPosition.objects.filter(pk=seat.pk).exists()


def test_the_office_adds_edits_transfers_marks_and_sees_a_members_history(client, tree, office):
    client.force_login(office)
    members_page = client.get(reverse("orgs:members", args=[tree.branch_a1.pk])).content.decode()
    assert "新增党员" in members_page and "导入党员" in members_page
    response = client.post(
        reverse("orgs:member_new", args=[tree.branch_a1.pk]),
        {"name": "新党员", "gender": "F", "status": "full", "birth_year": "1990",
         "joined_on": "2015-07-01", "phone": "13800001234"},
        follow=True,
    )  # fmt: skip
    member = Member.objects.get(name="新党员")
    html = response.content.decode()
    assert "138****1234" in html and "13800001234" not in html  # masked even for the office
    edit = {"name": "新党员", "gender": "F", "status": "full", "birth_year": "1990",
            "joined_on": "2015-07-01", "post": "宣传委员", "phone": "", "version": 1}  # fmt: skip
    client.post(reverse("orgs:member_edit", args=[member.pk]), edit)
    member.refresh_from_db()
    assert member.post == "宣传委员" and member.phone == "13800001234"  # empty phone kept
    response = client.post(
        reverse("orgs:member_transfer", args=[member.pk]),
        {"to_org": tree.branch_b1.code, "reason": "工作调动", "version": member.version},
        follow=True,
    )
    assert "组织关系已转接" in _messages(response)
    member.refresh_from_db()
    assert member.org == tree.branch_b1 and MemberTransfer.objects.filter(member=member).exists()
    client.post(
        reverse("orgs:member_mobile", args=[member.pk]),
        {"place": "宁夏银川市", "version": member.version},
    )
    member.refresh_from_db()
    response = client.post(
        reverse("orgs:member_leave", args=[member.pk]),
        {"reason": "停止党籍", "version": member.version},
        follow=True,
    )
    history = response.content.decode()
    for what in (
        "新增党员",
        "修改信息",
        "转接组织关系",
        "由甲一社区党支部转至乙一村党支部",
        "标记流动党员",
        "标记离开",
    ):
        assert what in history, what
    assert 'data-testid="standing">已离开' in history
    assert subtree_figures(tree.branch_b1.path)["members"] == 4 and org_tally_drift() == []
    listed = client.get(reverse("orgs:members", args=[tree.branch_b1.pk])).context["page"].rows
    assert member not in listed
    left = client.get(reverse("orgs:members", args=[tree.branch_b1.pk]), {"standing": "left"})
    assert list(left.context["page"].rows) == [member]


def test_a_stale_form_is_told_it_changed_and_a_bad_target_is_named(client, tree, office):
    client.force_login(office)
    member = tree.members[tree.branch_a1.pk][0]
    response = client.post(
        reverse("orgs:member_leave", args=[member.pk]), {"reason": "x", "version": 7}, follow=True
    )
    assert "该记录已被他人修改" in _messages(response)
    response = client.post(
        reverse("orgs:member_transfer", args=[member.pk]),
        {"to_org": "没有这个组织", "reason": "x", "version": 1},
        follow=True,
    )
    assert "找不到转入组织“没有这个组织”" in _messages(response)
    member.refresh_from_db()
    assert member.left_on is None and member.org == tree.branch_a1


def test_import_previews_without_writing_then_confirms_all(
    client, tree, office, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    existing = tree.members[tree.branch_a1.pk][0]
    rows = [
        ("周一", "男", "1980.05", "2005-07-01", tree.branch_a1.code, "正式党员", "", "13800001111"),
        ("吴二", "女", "1999年3月", "2024-06-01", "甲二社区党支部", "预备党员", "", ""),
        (existing.name, "男", "1980", "", tree.branch_a1.code, "正式党员", "书记", ""),
    ]
    client.force_login(office)
    url = reverse("orgs:member_import", args=[tree.county_a.pk])
    before = Member.objects.count()
    # the existing member has no joining date: its row is an error until the file gives one
    preview = client.post(url, {"file": SimpleUploadedFile("名册.xlsx", book(HEADER, rows))})
    assert preview.status_code == 400 and "入党时间“”无法识别" in preview.content.decode()
    assert Member.objects.count() == before
    Member.objects.filter(pk=existing.pk).update(joined_on="2001-07-01")
    rows[2] = (
        existing.name,
        "男",
        "1980",
        "2001-07-01",
        tree.branch_a1.code,
        "正式党员",
        "书记",
        "",
    )
    preview = client.post(url, {"file": SimpleUploadedFile("名册.xlsx", book(HEADER, rows))})
    html = preview.content.decode()
    assert preview.status_code == 200 and "将新增 2 名、更新 1 名" in html
    assert Member.objects.count() == before  # the preview writes nothing
    token = preview.context["token"]
    done = client.post(
        reverse("orgs:member_import_confirm", args=[tree.county_a.pk]),
        {"token": token},
        follow=True,
    )
    assert "已导入党员：新增 2 名，更新 1 名" in _messages(done)
    assert Member.objects.count() == before + 2
    existing.refresh_from_db()
    assert existing.post == "书记" and org_tally_drift() == []
    again = client.post(
        reverse("orgs:member_import_confirm", args=[tree.county_a.pk]), {"token": token}
    )
    assert again.status_code == 400 and "预览已过期" in again.content.decode()


def test_import_errors_name_sheet_row_column_and_why(client, tree, office, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(office)
    rows = [("郑三", "未知", "1980.05", "2005-07-01", tree.branch_a1.code, "正式党员", "", "")]
    response = client.post(
        reverse("orgs:member_import", args=[tree.county_a.pk]),
        {"file": SimpleUploadedFile("名册.xlsx", book(HEADER, rows))},
    )
    errors = response.context["result"].errors
    assert response.status_code == 400 and "token" not in response.context
    assert [(e.row, e.column) for e in errors] == [(2, "B")]
    assert "性别“未知”应为男或女" in response.content.decode()
    bad = client.post(
        reverse("orgs:member_import", args=[tree.county_a.pk]),
        {"file": SimpleUploadedFile("名册.exe", b"MZ\x90\x00")},
    )
    assert bad.status_code == 400 and "类型不支持" in bad.content.decode()


def test_a_liaison_is_refused_the_import_before_the_file_is_read(client, tree, users):
    client.force_login(users.branch_a1)
    response = client.post(
        reverse("orgs:member_import", args=[tree.branch_a1.pk]),
        {"file": SimpleUploadedFile("名册.xlsx", b"not a workbook")},
    )
    assert response.status_code == 403
    assert "只有主题教育办公室和系统管理员可以导入党员" in response.content.decode()


def test_template_download_has_the_header_the_import_reads(client, tree, office):
    from luoshi.ledger_io.workbook import read_workbook

    client.force_login(office)
    response = client.get(reverse("orgs:member_template"))
    sheets = read_workbook(response.content, "模板.xlsx")
    assert [str(v) for v in sheets[0].rows[0]] == HEADER


def test_the_api_lists_teams_and_changes_members_with_the_pages_rules(client, tree, office):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(office)}"}

    def post(url, body):
        return client.post(url, json.dumps(body), content_type="application/json", **auth)

    created = post(f"/api/v1/organizations/{tree.town_a.pk}/teams", {"name": "党工委班子"})
    assert created.status_code == 201 and created.json()["titles"] == ["书记", "副书记", "委员"]
    team_id = created.json()["teams"][0]["id"]
    refused = post(f"/api/v1/teams/{team_id}/seats", {"title": "常委", "person_name": "李"})
    assert refused.status_code == 400 and "不是党工委领导班子的职务" in refused.json()["detail"]
    member = post(
        f"/api/v1/organizations/{tree.branch_a1.pk}/members",
        {"name": "接口党员", "gender": "M", "status": "full", "phone": "13912340000"},
    ).json()
    assert member["phone"] == "139****0000"
    moved = post(
        f"/api/v1/members/{member['id']}/transfer",
        {"version": 1, "to_org_id": tree.branch_b2.pk, "reason": "工作调动"},
    )
    assert moved.status_code == 200 and moved.json()["org_id"] == tree.branch_b2.pk
    assert moved.json()["history"][0]["what"] == "转接组织关系"
    listed = client.get(f"/api/v1/organizations/{tree.branch_b2.pk}/members", **auth).json()
    assert "接口党员" in [m["name"] for m in listed]
    assert org_tally_drift() == []


def test_the_api_import_dry_run_writes_nothing_and_apply_writes_all(client, tree, office):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(office)}"}
    rows = [("周一", "男", "1980.05", "2005-07-01", tree.branch_a1.code, "正式党员", "", "")]
    url = f"/api/v1/organizations/{tree.county_a.pk}/members/import"
    before = Member.objects.count()
    dry = client.post(url, {"file": SimpleUploadedFile("名册.xlsx", book(HEADER, rows))}, **auth)
    assert dry.status_code == 200 and dry.json()["created"] == 1 and not dry.json()["written"]
    assert dry.json()["plan"][0]["action"] == "新增" and Member.objects.count() == before
    done = client.post(
        url,
        {"file": SimpleUploadedFile("名册.xlsx", book(HEADER, rows)), "dry_run": "false"},
        **auth,
    )
    assert done.status_code == 200 and done.json()["written"]
    assert Member.objects.count() == before + 1
