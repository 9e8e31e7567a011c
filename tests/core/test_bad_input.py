"""Issue 23, findings 5, 6 and 7: malformed numbers, ids and dates in a request are answered 400
with a message (never a 500), the API answers JSON for every error, its schemas hold the models'
lengths and cap their lists, and no `next` leads to another site."""

import json
import logging
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import BadParameter
from luoshi.core.params import date_param, id_param, int_param, page_param
from luoshi.rectification.models import Measure, Problem, today
from tests.rectification.conftest import PDF, campaign, ledger, people  # noqa: F401

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


# --- the one way to read numbers -------------------------------------------------------------
@pytest.mark.parametrize("raw", ["²", "١٢", "１", "1_0", "+1", "-1", "1.0", "0x1", HUGE, "1 2"])
def test_numbers_are_ascii_digits_within_range(raw):
    with pytest.raises(BadParameter, match="页码"):
        page_param({"page": raw})


def test_absent_or_empty_numbers_take_their_default():
    assert page_param({}) == 1 and page_param({"page": " "}) == 1
    assert id_param({"org": ""}, "org") is None
    assert int_param({"n": "7"}, "n", default=0, max=9) == 7


@pytest.mark.parametrize("raw", ["2026-13-45", "2026-02-30", "0001-01-01", "２０２６-01-01", "x"])
def test_bad_dates_are_refused_with_the_form_they_must_take(raw):
    with pytest.raises(BadParameter, match="2026-03-31"):
        date_param({"as_of": raw}, "as_of")


# --- pages: 400 with a message, not 500 ------------------------------------------------------
def _pages(tree, campaign):  # noqa: F811
    return [
        ("/ledger/", "page", HUGE),
        ("/ledger/", "page", "²"),
        ("/ledger/", "campaign", HUGE),
        ("/ledger/", "source", HUGE),
        (f"/orgs/{tree.city.pk}/", "page", HUGE),
        (f"/orgs/{tree.branch_a1.pk}/members/", "page", HUGE),
        ("/study/", "page", "²"),
        ("/study/", "page", HUGE),
        ("/study/", "org", "²"),
        (f"/study/new/?org={tree.city.pk}&x=", "org", "²"),
        ("/research/", "page", "²"),
        ("/research/", "org", "²"),
        (f"/campaigns/{campaign.pk}/actions/", "page", "²"),
        (f"/campaigns/{campaign.pk}/actions/", "page", HUGE),
        (f"/campaigns/{campaign.pk}/actions/", "action", "²"),
        (f"/campaigns/{campaign.pk}/actions/", "action", HUGE),
        (f"/campaigns/{campaign.pk}/actions/", "org", "²"),
        ("/opinions/", "page", HUGE),
        ("/opinions/", "org", "²"),
        (f"/dashboard/{tree.city.pk}/", "as_of", "2026-13-45"),
        (f"/dashboard/{tree.city.pk}/", "as_of", "0001-01-01"),
    ]


def test_malformed_numbers_and_dates_on_pages_are_400_with_a_message(client, tree, campaign, users):  # noqa: F811
    client.force_login(users.office)
    for url, name, value in _pages(tree, campaign):
        response = client.get(url, {name: value})
        assert response.status_code == 400, (url, name, value, response.status_code)
        body = response.content.decode()
        assert "请求有误" in body and ("应为" in body or "编号无效" in body), (url, name)


def test_the_dashboards_start_keeps_the_date_and_refuses_a_malformed_one(client, tree, users):  # noqa: F811
    client.force_login(users.office)
    bad = client.get("/dashboard/", {"as_of": "2026-13-45"}, follow=True)
    assert bad.status_code == 400 and "请求有误" in bad.content.decode()
    good = client.get("/dashboard/", {"as_of": "2026-03-31"})
    assert good.status_code == 302 and "as_of=2026-03-31" in good["Location"]


def test_well_formed_parameters_still_work(client, tree, campaign, users):  # noqa: F811
    client.force_login(users.office)
    for url, name, _ in _pages(tree, campaign):
        value = "2026-03-31" if name == "as_of" else str(tree.city.pk if name == "org" else 1)
        response = client.get(url, {name: value})
        assert response.status_code in (200, 404), (url, name, response.status_code)


# --- the API: JSON for every error -----------------------------------------------------------
@pytest.fixture
def auth(users):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.office)}"}


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/problems?campaign={HUGE}",
        f"/api/v1/problems?org={HUGE}",
        "/api/v1/problems?campaign=²",
        f"/api/v1/organizations?parent={HUGE}",
        f"/api/v1/problems/{HUGE}",
        f"/api/v1/study/activities?org={HUGE}",
        f"/api/v1/research/topics?org={HUGE}",
        f"/api/v1/opinions?org={HUGE}",
    ],
)
def test_api_huge_or_odd_ids_are_refused_in_json(client, auth, url):
    response = client.get(url, **auth)
    assert response.status_code in (400, 422), (url, response.status_code)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def test_api_huge_action_id_is_refused_in_json(client, auth, campaign):  # noqa: F811
    for param in ("action", "org"):
        url = f"/api/v1/campaigns/{campaign.pk}/pending-actions?{param}={HUGE}"
        response = client.get(url, **auth)
        assert response.status_code == 422, (param, response.status_code)
        assert response.json()["detail"].startswith("请求内容不符合要求")


def test_api_error_is_json_with_the_request_id_and_logged(client, auth, monkeypatch, caplog):
    def broken(user):
        raise RuntimeError("SELECT secret FROM settings")

    monkeypatch.setattr("luoshi.rectification.api.selectors.visible_campaigns", broken)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/campaigns", **auth)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body == {"detail": "服务器内部错误", "request_id": response["X-Request-ID"]}
    assert "SELECT" not in response.content.decode()
    assert any(getattr(r, "request_id", "") == body["request_id"] for r in caplog.records)


def test_api_malformed_json_is_a_json_error(client, auth):
    response = client.post("/api/v1/problems", "{not json", content_type="application/json", **auth)
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json")


# --- the API's sizes -------------------------------------------------------------------------
def _problem(tree, **fields):
    return {"org_id": tree.branch_a1.pk, "title": "标题", **fields}


def test_api_title_longer_than_the_model_is_refused_quickly(client, tree, campaign, people):  # noqa: F811
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    body = _problem(tree, campaign_id=campaign.pk, title="长" * 100_000)
    started = time.monotonic()
    response = client.post(
        "/api/v1/problems", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert "title" in response.json()["detail"]
    assert "长" * 1000 not in response.content.decode()  # the value is not sent back
    assert time.monotonic() - started < 5
    assert not Problem.objects.exists()


def test_api_problem_with_5000_measures_is_refused_quickly(client, tree, campaign, people):  # noqa: F811
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    due = (today() + timedelta(days=30)).isoformat()
    measures = [{"content": f"措施{i}", "due_on": due} for i in range(5000)]
    body = _problem(tree, campaign_id=campaign.pk, measures=measures)
    started = time.monotonic()
    response = client.post(
        "/api/v1/problems", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 422
    assert "measures" in response.json()["detail"]
    assert time.monotonic() - started < 5
    assert not Problem.objects.exists() and not Measure.objects.exists()


def test_api_problem_with_50_measures_is_accepted(client, tree, campaign, people):  # noqa: F811
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    measures = [{"content": f"措施{i}", "deadline_kind": "ongoing"} for i in range(50)]
    body = _problem(tree, campaign_id=campaign.pk, measures=measures)
    response = client.post(
        "/api/v1/problems", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 201, response.content
    assert Measure.objects.count() == 50


def test_api_progress_with_more_than_ten_files_is_refused(client, people, ledger):  # noqa: F811
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    m = ledger.measure
    files = [SimpleUploadedFile(f"佐证{i}.pdf", PDF) for i in range(11)]
    response = client.post(
        f"/api/v1/measures/{m.pk}/progress",
        {"version": m.version, "text": "进展", "progress": 50, "files": files},
        **auth,
    )
    assert response.status_code == 400
    assert "最多上传 10 个" in response.json()["detail"]
    assert not m.evidence.exists()


# --- open redirects --------------------------------------------------------------------------
EVIL = ["//evil.example/", "/\\evil.example/", "https://evil.example/", "javascript:alert(1)"]


@pytest.mark.parametrize("target", EVIL)
def test_study_target_form_never_redirects_to_another_site(client, users, campaign, target):  # noqa: F811
    client.force_login(users.office)
    response = client.post(
        reverse("study:set_target", args=[campaign.pk]),
        {"kind": "lesson", "per_team": "2", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("study:list")


def test_study_target_form_follows_a_next_on_this_site(client, users, campaign):  # noqa: F811
    client.force_login(users.office)
    response = client.post(
        reverse("study:set_target", args=[campaign.pk]),
        {"kind": "lesson", "per_team": "2", "next": "/study/?org=1"},
    )
    assert response["Location"] == "/study/?org=1"


@pytest.mark.parametrize("target", EVIL)
def test_ledger_bulk_form_never_redirects_to_another_site(client, people, ledger, target):  # noqa: F811
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:bulk"),
        {"measure": [ledger.measure.pk], "action": "assign", "owner_name": "赵六", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("rectification:ledger")


@pytest.mark.parametrize("target", EVIL)
def test_make_up_form_never_redirects_to_another_site(client, tree, users, target):
    from luoshi.study import services as study

    office = users.office
    members = tree.members[tree.branch_a1.pk]
    activity = study.record_activity(
        actor=office,
        org=tree.branch_a1,
        kind="lesson",
        topic="党课",
        speaker="书记",
        starts_on=today(),
        present=[m.pk for m in members[1:]],
        absent={members[0].pk: "出差"},
    )
    attendance = activity.attendance.get(member=members[0])
    client.force_login(office)
    response = client.post(
        reverse("study:make_up", args=[attendance.pk]),
        {"made_up_on": today().isoformat(), "note": "自学", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("study:detail", args=[activity.pk])


def test_api_body_over_the_limit_is_413_in_json(client, auth, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "长" * 2000})
    response = client.post("/api/v1/problems", body, content_type="application/json", **auth)
    assert response.status_code == 413
    assert response.json() == {"detail": "请求内容过大"}


def test_api_path_naming_no_operation_is_404_in_json(client, auth):
    response = client.get("/api/v1/no-such-thing", **auth)
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到"}


@pytest.mark.parametrize("url", ["/no-such-page/", "/orgs/99999999999999999999/"])
def test_page_naming_nothing_is_the_plain_404_page(client, users, url):
    client.force_login(users.office)
    response = client.get(url)
    assert response.status_code == 404 and "未找到该页面" in response.content.decode()
