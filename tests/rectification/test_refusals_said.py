"""Every ledger form and API write, posted by every demo role (office, leader, liaison,
guidance) with a change the rules refuse: the answer says so in Chinese (an error on the page,
a 4xx with a detail from the API) and nothing stored changes. No refused field is dropped
silently while the rest is saved."""

import json
import re

import pytest
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.rectification import services
from luoshi.rectification.models import (
    DeadlineExtension,
    Evidence,
    LedgerEvent,
    Measure,
    Problem,
    ProgressUpdate,
    Regulation,
)
from tests.rectification.conftest import act, future, pdf, progress, reload

pytestmark = pytest.mark.django_db

ROLES = {  # demo role → the fixture person holding it
    "office": "office",
    "leader": "leader",
    "liaison": "branch_a1",
    "guidance": "guidance_a",
    "viewer": "viewer",  # 只读 over the whole city: it sees every object and may change none
}
ERROR = re.compile(
    r'(alert-danger|alert-error|invalid-feedback|data-testid="error")[^>]*>\s*[^<]*[\u4e00-\u9fff]'
)


def _stored():
    """Everything a ledger write may touch."""
    return (
        list(Problem.objects.order_by("pk").values_list("pk", "title", "version", "status")),
        list(
            Measure.objects.order_by("pk").values_list(
                "pk", "content", "owner_name", "due_on", "deadline_kind", "state", "version"
            )
        ),
        LedgerEvent.objects.count(),
        ProgressUpdate.objects.count(),
        Evidence.objects.count(),
        list(DeadlineExtension.objects.order_by("pk").values_list("pk", "state")),
        Regulation.objects.count(),
    )


@pytest.fixture
def world(ledger, people, campaign):
    """A started measure of branch a1 and a closed one with a pending extension."""
    started = progress(people.branch_a1, ledger.measure, percent=30)
    closed = services.add_measure(
        actor=people.branch_a1, problem=ledger.problem, content="已完成的措施", due_on=future(20)
    )
    closed = progress(people.branch_a1, closed)
    extension = services.request_extension(
        actor=people.branch_a1, measure_id=closed.pk, new_due_on=future(60), reason="需要时间"
    )
    act(people.branch_a1, closed, "submit")
    act(people.county_office_a, closed, "verify")
    return {"problem": ledger.problem, "started": reload(started), "extension": extension}


def _forms(world, tree, campaign):
    """(name, url, data, files): each ledger form with a change the rules refuse, whoever
    posts it."""
    problem, m = world["problem"], world["started"]
    return [
        (
            "problem_create",
            reverse("rectification:problem_create"),
            {
                "org": tree.branch_a1.pk,
                "campaign": campaign.pk,
                "title": "新问题",
                "level": "team",
                "m-content": "没有时限的措施",
                "m-deadline_kind": "date",
            },
        ),
        (
            "problem_edit",  # a stale version: someone changed it meanwhile
            reverse("rectification:problem_edit", args=[problem.pk]),
            {
                "org": problem.org_id,
                "campaign": problem.campaign_id,
                "title": "改过的问题",
                "level": "team",
                "version": problem.version - 1 or 99,
            },
        ),
        (
            "measure_add",
            reverse("rectification:measure_add", args=[problem.pk]),
            {"content": "没有时限的措施", "deadline_kind": "date"},
        ),
        (
            "measure_edit",  # a new date on a measure under way, with other changes
            reverse("rectification:measure_edit", args=[m.pk]),
            {
                "version": m.version,
                "content": "改过的措施",
                "deadline_kind": "date",
                "due_on": future(200).isoformat(),
                "owner_name": "另一人",
            },
        ),
        (
            "progress",  # a stale version
            reverse("rectification:progress", args=[m.pk]),
            {"version": m.version - 1, "text": "进展", "progress": 50, "on_behalf": "1"},
        ),
        (
            "report",  # the short 上报进展 form asking 销号 too, with a stale version
            reverse("rectification:report", args=[m.pk]),
            {
                "version": m.version - 1,
                "text": "进展",
                "progress": 50,
                "on_behalf": "1",
                "submit": "1",
            },
        ),
        (
            "transition",  # verifying a measure nobody asked to close
            reverse("rectification:transition", args=[m.pk]),
            {"action": "verify", "version": m.version},
        ),
        (
            "extension",  # a date before the deadline
            reverse("rectification:extension", args=[m.pk]),
            {"new_due_on": future(1).isoformat(), "reason": "理由"},
        ),
        (
            "extension_decide",  # the measure has been closed since
            reverse("rectification:extension_decide", args=[world["extension"].pk]),
            {"decision": "approve"},
        ),
        (
            "regulation",
            reverse("rectification:regulation", args=[m.pk]),
            {"title": ""},
        ),
        (
            "similar",  # the problem itself
            reverse("rectification:similar", args=[problem.pk]),
            {"other": problem.pk},
        ),
        (
            "bulk",  # no owner named
            reverse("rectification:bulk"),
            {"measure": [m.pk], "action": "assign", "owner_name": ""},
        ),
        (
            "verify_many",  # a measure still under way: nobody may close it yet
            reverse("rectification:verify_many"),
            {"measure": [m.pk], f"version-{m.pk}": m.version},
        ),
        (
            "immediate_fix",  # no evidence
            reverse("rectification:immediate_fix"),
            {"org": tree.branch_a1.pk, "campaign": campaign.pk, "title": "立查", "measure": "改"},
        ),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_ledger_form_says_a_refused_change_and_stores_nothing(
    client, world, people, tree, campaign, role
):
    client.force_login(getattr(people, ROLES[role]))
    for name, url, data in _forms(world, tree, campaign):
        before = _stored()
        response = client.post(url, data, follow=True)
        html = response.content.decode()
        assert response.status_code in (200, 400, 403, 409), (role, name, response.status_code)
        assert ERROR.search(html), (role, name, "no error said")
        assert _stored() == before, (role, name, "something changed")


@pytest.mark.parametrize("role", ROLES)
def test_every_api_write_answers_4xx_in_chinese_and_stores_nothing(
    client, world, people, tree, campaign, role
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(getattr(people, ROLES[role]))}"}
    m = world["started"]
    writes = [
        (
            "/api/v1/problems",
            {
                "org_id": tree.branch_a1.pk,
                "campaign_id": campaign.pk,
                "title": "新问题",
                "measures": [{"content": "没有时限的措施", "deadline_kind": "date"}],
            },
        ),
        (f"/api/v1/measures/{m.pk}/transitions", {"action": "verify", "version": m.version}),
    ]
    for url, data in writes:
        before = _stored()
        response = client.post(url, json.dumps(data), content_type="application/json", **headers)
        assert 400 <= response.status_code < 500, (role, url, response.status_code)
        assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"]), (role, url)
        assert _stored() == before, (role, url)
    before = _stored()
    response = client.post(
        f"/api/v1/measures/{m.pk}/progress",
        {"version": m.version - 1, "text": "进展", "progress": 50, "files": [pdf()]},
        **headers,
    )
    assert 400 <= response.status_code < 500, (role, response.status_code)
    assert re.search(r"[\u4e00-\u9fff]", response.json()["detail"])
    assert _stored() == before
