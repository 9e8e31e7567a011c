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
    assert client.post(reverse("ledger_io:map", args=[token])).status_code == 404
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
    assert book.sheetnames == ["班子问题", "个人问题", "填表说明", "下拉选项"]
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


def test_preview_maps_unknown_values_and_the_confirmed_import_remembers_them(
    client, tree, campaign, liaison
):
    from luoshi.campaigns.models import Category
    from luoshi.ledger_io.models import ImportMapping
    from tests.ledger_io.builders import ledger_in_a_countys_words

    theory = Category.objects.create(campaign=campaign, name="理论学习", rank=9)
    client.force_login(liaison)
    preview = _upload(client, tree, campaign, ledger_in_a_countys_words())
    html = preview.content.decode()
    assert preview.status_code == 400 and 'data-testid="mapping"' in html
    assert "理论学习方面" in html and "相近的有：理论学习" in html
    token = preview.context["token"]
    unknown = preview.context["result"].unknown
    form = {}
    for n, u in enumerate(unknown):
        form[f"kind-{n}"], form[f"value-{n}"] = u["kind"], u["value"]
        form[f"map-{n}"] = {
            "理论学习方面": "理论学习",
            "征求意见建议": "征求意见",
            "基层治理": "__add__",  # a county liaison may not add: still an error, said
        }[u["value"]]
    mapped = client.post(reverse("ledger_io:map", args=[token]), form)
    html = mapped.content.decode()
    assert mapped.status_code == 400 and "只有本级主题教育办公室" in html
    assert [u["value"] for u in mapped.context["result"].unknown] == ["基层治理"]
    assert not Category.objects.filter(name="基层治理").exists()

    form = {"kind-0": "category", "value-0": "基层治理", "map-0": "在服务群众上存在差距"}
    mapped = client.post(reverse("ledger_io:map", args=[token]), form)
    assert mapped.status_code == 200, mapped.context["result"].errors
    assert 'data-testid="confirm"' in mapped.content.decode()
    assert not Problem.objects.exists()

    assert client.post(reverse("ledger_io:confirm", args=[token])).status_code == 302
    assert Problem.objects.get(title="学习不够系统").category == theory
    remembered = set(
        ImportMapping.objects.filter(org=tree.county_a).values_list("written", flat=True)
    )
    assert remembered == {"理论学习方面", "征求意见建议", "基层治理"}
    again = _upload(client, tree, campaign, ledger_in_a_countys_words())
    assert again.status_code == 200 and again.context["result"].changes == 0
