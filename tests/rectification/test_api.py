"""The HTTP API: bearer tokens, the pages' scoping, and the transition status codes."""

import json

import pytest

from luoshi.accounts.tokens import issue_token
from luoshi.rectification.models import MeasureState
from tests.rectification.conftest import act, pdf, progress, reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(people):
    def headers(who):
        return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(getattr(people, who))}"}

    return headers


def post_json(client, url, data, headers):
    return client.post(url, json.dumps(data), content_type="application/json", **headers)


def test_requests_without_or_with_a_wrong_token_are_401(client, ledger):
    assert client.get("/api/v1/problems").status_code == 401
    assert client.get("/api/v1/problems", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_problem_list_and_detail_follow_the_users_scope(client, ledger, bearer):
    own = client.get("/api/v1/problems", **bearer("branch_a1")).json()
    assert [p["title"] for p in own] == ["服务群众的意识不够强"]
    assert client.get("/api/v1/problems", **bearer("branch_b1")).json() == []
    url = f"/api/v1/problems/{ledger.problem.pk}"
    assert client.get(url, **bearer("branch_b1")).status_code == 404
    detail = client.get(url, **bearer("county_a")).json()
    assert detail["measures"][0]["state"] == "not_started"
    assert detail["measures"][0]["allowed_actions"] == ["start"]


def test_transitions_answer_200_409_403_and_404(client, ledger, people, bearer):
    m = progress(people.branch_a1, ledger.measure)
    url = f"/api/v1/measures/{m.pk}/transitions"
    ok = post_json(client, url, {"action": "submit", "version": m.version}, bearer("branch_a1"))
    assert ok.status_code == 200 and ok.json()["state"] == "submitted"
    stale = post_json(client, url, {"action": "verify", "version": m.version}, bearer("guidance_a"))
    assert stale.status_code == 409
    current = reload(m).version
    refused = post_json(client, url, {"action": "verify", "version": current}, bearer("branch_a1"))
    assert refused.status_code == 403
    foreign = post_json(client, url, {"action": "verify", "version": current}, bearer("branch_b1"))
    assert foreign.status_code == 404
    done = post_json(client, url, {"action": "verify", "version": current}, bearer("guidance_a"))
    assert done.status_code == 200 and reload(m).state == MeasureState.CLOSED


def test_progress_with_file_upload(client, ledger, bearer):
    m = ledger.measure
    response = client.post(
        f"/api/v1/measures/{m.pk}/progress",
        {"version": m.version, "text": "已整改", "progress": 60, "files": [pdf("佐证.pdf")]},
        **bearer("branch_a1"),
    )
    assert response.status_code == 201, response.content
    assert response.json()["files"] == ["佐证.pdf"]
    assert reload(m).progress == 60


def test_upload_of_a_renamed_executable_is_400(client, ledger, bearer):
    m = ledger.measure
    response = client.post(
        f"/api/v1/measures/{m.pk}/progress",
        {
            "version": m.version,
            "text": "x",
            "progress": 10,
            "files": [pdf("病毒.pdf", b"MZ" + b"\x00" * 100)],
        },
        **bearer("branch_a1"),
    )
    assert response.status_code == 400
    assert reload(m).state == MeasureState.NOT_STARTED


def test_create_problem_with_measures(client, tree, campaign, bearer):
    response = post_json(
        client,
        "/api/v1/problems",
        {
            "org_id": tree.branch_a1.pk,
            "campaign_id": campaign.pk,
            "title": "党员教育管理偏松",
            "measures": [
                {"content": "每月开展主题党日", "deadline_kind": "ongoing"},
                {"content": "建立党员积分管理", "deadline_kind": "date", "due_on": "2030-01-31"},
            ],
        },
        bearer("branch_a1"),
    )
    assert response.status_code == 201, response.content
    assert [m["content"] for m in response.json()["measures"]] == [
        "每月开展主题党日",
        "建立党员积分管理",
    ]


def test_create_problem_in_another_branch_is_404_and_writes_nothing(client, tree, campaign, bearer):
    from luoshi.rectification.models import Problem

    response = post_json(
        client,
        "/api/v1/problems",
        {"org_id": tree.branch_b1.pk, "campaign_id": campaign.pk, "title": "越权"},
        bearer("branch_a1"),
    )
    assert response.status_code == 404
    assert not Problem.objects.filter(title="越权").exists()


def test_organizations_are_scoped(client, tree, bearer):
    roots = client.get("/api/v1/organizations", **bearer("county_a")).json()
    assert [o["name"] for o in roots] == ["甲区委"]
    assert (
        client.get(f"/api/v1/organizations/{tree.county_b.pk}", **bearer("county_a")).status_code
        == 404
    )
    detail = client.get(f"/api/v1/organizations/{tree.county_a.pk}", **bearer("county_a")).json()
    assert detail["figures"]["members"] == 5


def test_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert "/api/v1/measures/{measure_id}/transitions" in doc["paths"]


def test_token_command_prints_a_working_token(client, people):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("token", "county_a", stdout=out)
    token = out.getvalue().strip()
    response = client.get("/api/v1/campaigns", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200


def test_reason_is_kept_from_api_return(client, ledger, people, bearer):
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    m = reload(m)
    response = post_json(
        client,
        f"/api/v1/measures/{m.pk}/transitions",
        {"action": "return", "version": m.version, "reason": "照片不清晰"},
        bearer("guidance_a"),
    )
    assert response.status_code == 200
    assert reload(m).return_reason == "照片不清晰"


def test_a_token_records_its_last_use_to_the_minute_not_on_every_request(client, ledger, people):
    from datetime import timedelta

    import time_machine

    from luoshi.accounts.models import ApiToken

    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    client.get("/api/v1/campaigns", **headers)
    token = ApiToken.objects.get(user=people.branch_a1)
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/campaigns", **headers)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    with time_machine.travel(first + timedelta(minutes=2)):
        client.get("/api/v1/campaigns", **headers)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first
