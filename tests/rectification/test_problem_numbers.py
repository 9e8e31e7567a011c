"""Finding 2 of issue 23: a problem numbered "²" (which `str.isdigit()` takes for a number and
`int()` does not) broke the ledger export for every account above it. The number is checked on
every path in, and the export writes whatever odd number is already stored."""

import io
import json

import openpyxl
import pytest
from django.urls import reverse

from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import Invalid
from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification import services
from luoshi.rectification.models import Problem
from luoshi.rectification.numbers import clean_problem_number

pytestmark = pytest.mark.django_db

ODD = ["²", "①", "１２", "١٢", "1 2", "x", "-1", "1" * 41]


@pytest.mark.parametrize("number", ODD)
def test_odd_problem_numbers_are_refused_with_a_reason(number):
    with pytest.raises(Invalid, match="序号"):
        clean_problem_number(number)


@pytest.mark.parametrize("number", ["", "7", " 12 ", "3-1", "2.4"])
def test_half_width_numbers_are_kept(number):
    assert clean_problem_number(number) == number.strip()


def test_problem_page_refuses_a_superscript_number_and_stores_nothing(
    client, tree, campaign, people
):
    client.force_login(people.branch_a1)
    response = client.post(
        reverse("rectification:problem_create"),
        {
            "org": tree.branch_a1.pk,
            "campaign": campaign.pk,
            "number": "²",
            "title": "序号有误的问题",
            "level": "team",
            "m-content": "整改",
            "m-deadline_kind": "ongoing",
        },
    )
    assert response.status_code in (200, 400)  # the form again, with the field's error
    assert "序号“²”无效".encode() in response.content
    assert not Problem.objects.filter(title="序号有误的问题").exists()


def test_problem_edit_refuses_a_superscript_number(client, people, ledger):
    p = ledger.problem
    with pytest.raises(Invalid, match="序号"):
        services.update_problem(
            actor=people.branch_a1, problem_id=p.pk, version=p.version, number="²"
        )
    p.refresh_from_db()
    assert p.number == ""


def test_api_refuses_a_superscript_number_and_stores_nothing(client, tree, campaign, people):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    body = {
        "org_id": tree.branch_a1.pk,
        "campaign_id": campaign.pk,
        "title": "接口录入",
        "number": "²",
    }
    response = client.post(
        "/api/v1/problems", json.dumps(body), content_type="application/json", **auth
    )
    assert response.status_code == 400
    assert "序号" in response.json()["detail"]
    assert not Problem.objects.filter(title="接口录入").exists()


def test_import_marks_the_row_with_a_superscript_number_and_writes_nothing(tree, campaign, people):
    text = "序号,存在问题,整改措施,整改时限\n²,学习不深入,每周学习,2023年12月底前\n"
    result = import_ledger(
        actor=people.county_a,
        data=text.encode("utf-8"),
        name="台账.csv",
        org=tree.county_a,
        campaign=campaign,
    )
    assert [e.row for e in result.errors] == [2]
    assert "序号" in result.errors[0].message
    assert not Problem.objects.exists()


def test_export_writes_an_odd_number_already_stored_instead_of_failing(client, people, ledger):
    Problem.objects.filter(pk=ledger.problem.pk).update(number="²")
    services.create_problem(
        actor=people.branch_a1,
        org=ledger.problem.org,
        campaign=ledger.problem.campaign,
        title="编号正常的问题",
        number="12",
    )
    client.force_login(people.office)
    response = client.get(reverse("ledger_io:export"), {"campaign": ledger.problem.campaign_id})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    numbers = {c.value for ws in book.worksheets for c in ws["A"][3:]}
    assert "²" in numbers and 12 in numbers


def test_export_keeps_numbers_excel_can_hold(client, people, ledger):
    Problem.objects.filter(pk=ledger.problem.pk).update(number="1234567890123456789")
    client.force_login(people.office)
    response = client.get(reverse("ledger_io:export"), {"campaign": ledger.problem.campaign_id})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    numbers = {c.value for ws in book.worksheets for c in ws["A"][3:]}
    assert "1234567890123456789" in numbers  # text: as a number Excel would round it
