"""长期坚持 beside a deadline ("2019年12月底前完成，并长期坚持"): the forms set it, the measure's
page shows it, the API carries it, and the ledger export writes it back so that a re-import
keeps it."""

import io
import json

import pytest
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.ledger_io.importer import import_ledger
from luoshi.ledger_io.services import export_ledger
from luoshi.ledger_io.workbook import read_workbook
from luoshi.rectification.models import Measure, Problem
from luoshi.rectification.selectors import LedgerFilter
from tests.rectification.conftest import future, reload

pytestmark = pytest.mark.django_db


def test_the_problem_form_sets_long_term_and_the_page_shows_it(client, tree, campaign, people):
    client.force_login(people.branch_a1)
    form = client.get(reverse("rectification:problem_create")).content.decode()
    assert 'name="m-long_term"' in form and "并长期坚持" in form
    due = future(20)
    response = client.post(
        reverse("rectification:problem_create"),
        {
            "org": tree.branch_a1.pk,
            "campaign": campaign.pk,
            "title": "组织生活不规范",
            "level": "team",
            "m-content": "制定三会一课计划",
            "m-deadline_kind": "date",
            "m-due_on": due.isoformat(),
            "m-long_term": "on",
        },
    )
    assert response.status_code == 302
    measure = Problem.objects.get(title="组织生活不规范").measures.get()
    assert measure.long_term
    page = client.get(response.url).content.decode()
    assert f"{due:%Y年%m月%d日}，并长期坚持" in page


def test_the_measure_forms_set_and_clear_long_term(client, people, ledger):
    m = ledger.measure
    client.force_login(people.branch_a1)
    page = client.get(reverse("rectification:problem", args=[m.problem_id])).content.decode()
    assert f'id="long-term-{m.pk}"' in page and 'id="new-long-term"' in page
    fields = {
        "content": m.content,
        "deadline_kind": "date",
        "due_on": m.due_on.isoformat(),
        "owner_name": m.owner_name,
        "responsible_leader": "",
    }
    edit = reverse("rectification:measure_edit", args=[m.pk])
    client.post(edit, {**fields, "version": m.version, "long_term": "1"})
    m = reload(m)
    assert m.long_term and m.events.filter(action="measure_updated").exists()
    page = client.get(reverse("rectification:problem", args=[m.problem_id])).content.decode()
    assert "，并长期坚持" in page and f'id="long-term-{m.pk}" checked' in page
    client.post(edit, {**fields, "version": m.version})  # the box left unticked
    assert not reload(m).long_term
    client.post(
        reverse("rectification:measure_add", args=[m.problem_id]),
        {"content": "每季度回头看", "deadline_kind": "immediate", "long_term": "1"},
    )
    assert Measure.objects.get(content="每季度回头看").long_term


def test_a_measure_kept_up_already_is_not_also_long_term(client, people, ledger):
    client.force_login(people.branch_a1)
    client.post(
        reverse("rectification:measure_add", args=[ledger.problem.pk]),
        {"content": "常态化开展", "deadline_kind": "ongoing", "long_term": "1"},
    )
    measure = Measure.objects.get(content="常态化开展")
    assert not measure.long_term and measure.deadline_label == "长期坚持"


def test_the_api_carries_long_term(client, tree, campaign, people):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    body = {
        "org_id": tree.branch_a1.pk,
        "campaign_id": campaign.pk,
        "title": "党员教育管理偏松",
        "measures": [
            {"content": "建立积分管理", "deadline_kind": "date", "due_on": "2030-01-31"},
            {
                "content": "每月主题党日",
                "deadline_kind": "date",
                "due_on": "2030-01-31",
                "long_term": True,
            },
        ],
    }
    response = client.post(
        "/api/v1/problems", json.dumps(body), content_type="application/json", **headers
    )
    assert response.status_code == 201, response.content
    assert [m["long_term"] for m in response.json()["measures"]] == [False, True]
    one = response.json()["measures"][1]["id"]
    assert client.get(f"/api/v1/measures/{one}", **headers).json()["long_term"] is True


def test_the_export_writes_long_term_back_and_a_re_import_keeps_it(people, ledger):
    m = ledger.measure
    Measure.objects.filter(pk=m.pk).update(long_term=True)
    out = io.BytesIO()
    export_ledger(
        user=people.branch_a1,
        ledger_filter=LedgerFilter(org_path=m.org_path, campaign_id=m.problem.campaign_id),
        target=out,
        title="台账",
        unit="",
    )
    data = out.getvalue()
    cells = [str(v) for sheet in read_workbook(data, "x.xlsx") for row in sheet.rows for v in row]
    d = m.due_on
    assert f"{d.year}年{d.month}月{d.day}日前完成，并长期坚持" in cells
    Measure.objects.filter(pk=m.pk).update(long_term=False)
    result = import_ledger(
        actor=people.branch_a1, data=data, name="台账.xlsx", org=m.org, campaign=m.problem.campaign
    )
    assert not result.errors, result.errors
    assert reload(m).long_term
