"""Study (学习教育): activities with attendance, make-ups, targets and averages per leadership
team, a member's own record, exports and the API; all within the user's subtree."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.http import Http404
from python_calamine import CalamineWorkbook

from luoshi.core.errors import Invalid, NotAllowed
from luoshi.orgs.models import LeadershipTeam
from luoshi.rectification.models import today
from luoshi.study import selectors, services
from luoshi.study.models import Attendance, StudyActivity
from tests.rectification.conftest import _media, campaign, pdf  # noqa: F401

pytestmark = pytest.mark.django_db


def _members(tree, branch):
    return tree.members[branch.pk]


def _lesson(users, tree, **extra):
    a1 = _members(tree, tree.branch_a1)
    args = {
        "actor": users.branch_a1,
        "org": tree.branch_a1,
        "kind": "lesson",
        "topic": "守初心、担使命",
        "speaker": "李书记",
        "starts_on": today(),
        "present": [a1[0].pk, a1[1].pk],
        "absent": {a1[2].pk: "出差"},
    }
    args.update(extra)
    return services.record_activity(**args)


def test_an_activity_keeps_who_attended_and_who_was_absent_and_why(tree, users):
    activity = _lesson(users, tree, files=[pdf("党课讲稿.pdf")])
    rows = {a.member.name: (a.status, a.absence_reason) for a in activity.attendance.all()}
    a1 = _members(tree, tree.branch_a1)
    assert rows == {
        a1[0].name: ("present", ""),
        a1[1].name: ("present", ""),
        a1[2].name: ("absent", "出差"),
    }
    assert activity.files.get().original_name == "党课讲稿.pdf"


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"speaker": ""}, "专题党课须填写主讲人"),
        ({"topic": "  "}, "请填写学习主题"),
        ({"ends_on": today() + timedelta(days=2)}, "只有读书班可以跨多天"),
        ({"starts_on": today() + timedelta(days=1)}, "不能晚于今天"),
        ({"kind": "karaoke"}, "未知的学习形式"),
        ({"absent": {0: ""}}, "党员不属于"),
        ({"by_team": True}, "没有领导班子"),
        ({"files": [pdf("照片.pdf", b"GIF89a not allowed")]}, "不是允许的类型"),
    ],
)
def test_a_bad_activity_is_refused_and_nothing_is_written(tree, users, changes, message):
    with pytest.raises(Invalid, match=message):
        _lesson(users, tree, **changes)
    assert not StudyActivity.objects.exists() and not Attendance.objects.exists()


def test_members_of_another_branch_cannot_be_put_on_the_roll(tree, users):
    other = _members(tree, tree.branch_a2)[0]
    with pytest.raises(Invalid, match="1 名党员不属于甲一社区党支部"):
        _lesson(users, tree, present=[other.pk])
    assert not StudyActivity.objects.exists()


def test_an_absence_needs_its_reason(tree, users):
    a1 = _members(tree, tree.branch_a1)
    with pytest.raises(Invalid, match=f"请填写{a1[2].name}的缺席原因"):
        _lesson(users, tree, absent={a1[2].pk: " "})


def test_a_reading_class_runs_several_days(tree, users):
    LeadershipTeam.objects.create(org=tree.county_a, name="甲区委班子")
    activity = services.record_activity(
        actor=users.county_a,
        org=tree.county_a,
        kind="reading_class",
        topic="主题教育读书班",
        starts_on=today() - timedelta(days=6),
        ends_on=today(),
        by_team=True,
    )
    assert activity.days == 7 and activity.team.name == "甲区委班子"


def test_an_absent_member_makes_the_session_up_once(tree, users, client):
    activity = _lesson(users, tree)
    absent = activity.attendance.get(status="absent")
    client.force_login(users.branch_a1)
    assert "待补学" in client.get("/my-work/").content.decode()
    record = client.get(f"/study/members/{absent.member_id}/").content.decode()
    assert "缺席，待补学" in record
    with pytest.raises(Invalid, match="不能早于学习日期"):
        services.record_make_up(
            actor=users.branch_a1,
            attendance_id=absent.pk,
            made_up_on=today() - timedelta(days=1),
            note="自学",
        )
    with pytest.raises(Invalid, match="请填写补学方式"):
        services.record_make_up(
            actor=users.branch_a1, attendance_id=absent.pk, made_up_on=today(), note=""
        )
    with pytest.raises(Http404):
        services.record_make_up(
            actor=users.branch_b1, attendance_id=absent.pk, made_up_on=today(), note="自学"
        )
    response = client.post(
        f"/study/attendance/{absent.pk}/make-up/",
        {"made_up_on": today().isoformat(), "note": "观看录像并交心得"},
    )
    assert response.status_code == 302
    absent.refresh_from_db()
    assert absent.status == "made_up" and absent.made_up_note == "观看录像并交心得"
    with pytest.raises(Invalid, match="只有缺席的党员需要补学"):
        services.record_make_up(
            actor=users.branch_a1, attendance_id=absent.pk, made_up_on=today(), note="再补"
        )
    assert "已补学" in client.get(f"/study/members/{absent.member_id}/").content.decode()
    assert "待补学（" not in client.get("/my-work/").content.decode()


def _team_sessions(user, org, kind, n):
    for i in range(n):
        services.record_activity(
            actor=user, org=org, kind=kind, topic=f"第{i + 1}次", starts_on=today(), by_team=True
        )


def test_targets_and_averages_per_leadership_team(tree, users, campaign):  # noqa: F811
    city = LeadershipTeam.objects.create(org=tree.city, name="市委班子")
    LeadershipTeam.objects.create(org=tree.county_a, name="甲区委班子")
    LeadershipTeam.objects.create(org=tree.county_b, name="乙县委班子")
    services.set_target(actor=users.office, campaign=campaign, kind="self_study", per_team=3)
    services.set_target(actor=users.office, campaign=campaign, kind="discussion", per_team=2)
    _team_sessions(users.office, tree.city, "self_study", 4)
    _team_sessions(users.office, tree.city, "discussion", 2)
    _team_sessions(users.county_a, tree.county_a, "self_study", 3)
    _team_sessions(users.office, tree.county_b, "self_study", 1)
    # Sessions of an organisation without its team do not count for the team.
    services.record_activity(
        actor=users.county_a, org=tree.county_a, kind="self_study", topic="支部", starts_on=today()
    )
    progress = {t.target.kind: t for t in selectors.target_progress(campaign, tree.city.path)}
    self_study = progress["self_study"]
    assert (self_study.teams, self_study.met, self_study.average) == (3, 2, 2.7)
    assert self_study.behind == [("乙县委班子", 1)]
    assert progress["discussion"].met == 1 and progress["discussion"].rate == 33.3
    figures = selectors.study_figures(tree.city.path)
    assert figures["study_self_study"] == 9 and figures["team_self_study"] == 8
    assert figures["team_avg_self_study"] == 2.7 and figures["team_avg_discussions"] == 0.7
    assert figures["own_team_self_study"] == 4 and figures["leadership_teams"] == 3
    county = selectors.study_figures(tree.county_a.path)
    assert county["team_avg_self_study"] == 3.0 and county["study_self_study"] == 4
    with pytest.raises(NotAllowed):
        services.set_target(actor=users.county_a, campaign=campaign, kind="self_study", per_team=9)
    assert city.study_activities.count() == 6


def test_the_list_page_shows_the_subtree_and_exports_the_ledger(tree, users, client):
    _lesson(users, tree, topic="甲一的党课")
    services.record_activity(
        actor=users.branch_b1,
        org=tree.branch_b1,
        kind="party_day",
        topic="乙一的主题党日",
        starts_on=today(),
    )
    client.force_login(users.county_a)
    page = client.get("/study/").content.decode()
    assert "甲一的党课" in page and "乙一的主题党日" not in page
    response = client.get("/study/export/")
    rows = CalamineWorkbook.from_filelike(BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    assert rows[0][0] == "甲区委学习教育开展情况台账"
    assert rows[2][:4] == ["序号", "党组织", "学习形式", "学习主题"]
    assert [r[3] for r in rows[3:]] == ["甲一的党课"]
    assert rows[3][8:11] == [2, 1, 0]


def test_recording_from_the_page_with_the_roll(tree, users, client):
    a1 = _members(tree, tree.branch_a1)
    client.force_login(users.branch_a1)
    form = client.get(f"/study/new/?org={tree.branch_a1.pk}").content.decode()
    assert all(m.name in form for m in a1)
    response = client.post(
        "/study/new/",
        {
            "org": tree.branch_a1.pk,
            "kind": "lesson",
            "topic": "专题党课",
            "starts_on": today().isoformat(),
            "speaker": "",
            f"att-{a1[0].pk}": "present",
            f"att-{a1[1].pk}": "absent",
            f"reason-{a1[1].pk}": "病假",
        },
    )
    assert response.status_code == 400 and "专题党课须填写主讲人" in response.content.decode()
    assert not StudyActivity.objects.exists()
    response = client.post(
        "/study/new/",
        {
            "org": tree.branch_a1.pk,
            "kind": "lesson",
            "topic": "专题党课",
            "starts_on": today().isoformat(),
            "speaker": "李书记",
            f"att-{a1[0].pk}": "present",
            f"att-{a1[1].pk}": "absent",
            f"reason-{a1[1].pk}": "病假",
            "files": [pdf("讲稿.pdf")],
        },
    )
    activity = StudyActivity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/study/{activity.pk}/"
    assert activity.attendance.filter(status="absent", absence_reason="病假").count() == 1
    detail = client.get(f"/study/{activity.pk}/").content.decode()
    assert "李书记" in detail and "讲稿.pdf" in detail
    download = client.get(f"/study/files/{activity.files.get().pk}/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"


def test_the_api_records_an_activity_and_a_make_up(tree, users, client):
    import json

    from luoshi.accounts.tokens import issue_token

    a1 = _members(tree, tree.branch_a1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.branch_a1)}"}
    payload = {
        "org_id": tree.branch_a1.pk,
        "kind": "self_study",
        "topic": "学习党章",
        "starts_on": today().isoformat(),
        "present": [a1[0].pk],
        "absent": [{"member_id": a1[1].pk, "reason": "值班"}],
    }
    created = client.post(
        "/api/v1/study/activities", json.dumps(payload), content_type="application/json", **auth
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert {a["status"] for a in body["attendance"]} == {"present", "absent"}
    absent = next(a for a in body["attendance"] if a["status"] == "absent")
    made_up = client.post(
        f"/api/v1/study/attendance/{absent['id']}/make-up",
        json.dumps({"made_up_on": today().isoformat(), "note": "自学"}),
        content_type="application/json",
        **auth,
    )
    assert made_up.status_code == 200 and made_up.json()["status"] == "made_up"
    foreign = dict(payload, org_id=tree.branch_b1.pk, present=[], absent=[])
    refused = client.post(
        "/api/v1/study/activities", json.dumps(foreign), content_type="application/json", **auth
    )
    assert refused.status_code == 404
    listed = client.get("/api/v1/study/activities", **auth).json()
    assert [a["topic"] for a in listed] == ["学习党章"]
