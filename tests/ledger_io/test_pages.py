import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from luoshi.core.models import AuditEvent
from luoshi.rectification.models import Problem
from tests.ledger_io.builders import broken_ledger, messy_ledger

pytestmark = pytest.mark.django_db


def _upload(client, tree, campaign, data, name="台账.xlsx"):
    return client.post(
        reverse("ledger_io:import"),
        {"org": tree.county_a.pk, "campaign": campaign.pk, "file": _file(data, name)},
    )


def _file(data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_preview_writes_nothing_and_confirm_imports(client, tree, campaign, liaison):
    client.force_login(liaison)
    preview = _upload(client, tree, campaign, messy_ledger())
    assert preview.status_code == 200
    assert preview.context["result"].created_problems == 6
    assert not Problem.objects.exists()
    token = preview.context["token"]
    done = client.post(reverse("ledger_io:confirm", args=[token]))
    assert done.status_code == 302
    assert Problem.objects.count() == 6
    # the same token cannot be confirmed twice
    assert client.post(reverse("ledger_io:confirm", args=[token])).status_code == 404


def test_errors_are_listed_and_the_marked_file_can_be_downloaded(client, tree, campaign, liaison):
    client.force_login(liaison)
    preview = _upload(client, tree, campaign, broken_ledger())
    html = preview.content.decode()
    assert preview.status_code == 400 and "未写入任何数据" in html and "下个月" in html
    assert 'data-testid="confirm"' not in html
    report = client.get(reverse("ledger_io:report", args=[preview.context["token"]]))
    ws = load_workbook(io.BytesIO(b"".join(report.streaming_content)))["问题清单"]
    assert "下个月" in ws["D2"].comment.text
    assert not Problem.objects.exists()


def test_another_users_import_token_is_404(client, tree, campaign, liaison, django_user_model):
    client.force_login(liaison)
    token = _upload(client, tree, campaign, messy_ledger()).context["token"]
    from tests.factories import user_with

    client.force_login(user_with(tree.county_a, "liaison", username="someone_else"))
    assert client.post(reverse("ledger_io:confirm", args=[token])).status_code == 404
    assert not Problem.objects.exists()


def test_import_into_another_county_is_404(client, tree, campaign, liaison):
    client.force_login(liaison)
    response = client.post(
        reverse("ledger_io:import"),
        {
            "org": tree.county_b.pk,
            "campaign": campaign.pk,
            "file": _file(messy_ledger(), "台账.xlsx"),
        },
    )
    assert response.status_code == 404


def test_template_download_is_the_standard_layout(client, liaison):
    client.force_login(liaison)
    response = client.get(reverse("ledger_io:template"))
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["班子问题", "个人问题"]
    assert book["班子问题"]["A3"].value == "序号"


def test_export_follows_the_page_filters_and_is_audited(client, tree, campaign, liaison):
    client.force_login(liaison)
    _upload(client, tree, campaign, messy_ledger())
    client.post(
        reverse(
            "ledger_io:confirm",
            args=[_upload(client, tree, campaign, messy_ledger()).context["token"]],
        )
    )
    response = client.get(reverse("ledger_io:export"), {"q": "会议", "campaign": campaign.pk})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    titles = [c.value for c in book["班子问题"]["D"][4:] if c.value]
    assert titles == ["会议文件过多"]
    assert AuditEvent.objects.filter(kind="export", actor=liaison).exists()


def test_confirmed_import_runs_as_a_job_whose_page_shows_the_result(
    client, tree, campaign, liaison
):
    from luoshi.ledger_io.models import ImportJob

    client.force_login(liaison)
    token = _upload(client, tree, campaign, messy_ledger()).context["token"]
    response = client.post(reverse("ledger_io:confirm", args=[token]), follow=True)
    job = ImportJob.objects.get()
    assert job.state == "done" and job.progress == 100
    assert job.result["created"] == {"problems": 6, "measures": 12}
    assert 'data-testid="job-done"' in response.content.decode()
    from tests.factories import user_with

    client.force_login(user_with(tree.county_a, "liaison", username="job_peeker"))
    assert client.get(reverse("ledger_io:job", args=[job.pk])).status_code == 404
