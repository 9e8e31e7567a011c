"""Evidence photos: a small JPEG thumbnail is made on upload and served only within the subtree
that sees the evidence; the measure and its history show the photo, not its file name, and
tapping it opens the photo itself; other files keep their name and download. The short 上报进展
form reports and asks for 销号 in one step, all or nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from luoshi.core.files import THUMBNAIL_SIDE, thumbnail_key
from luoshi.rectification import services
from luoshi.rectification.models import Evidence, MeasureState, ProgressUpdate
from tests.rectification.conftest import pdf, progress, reload

pytestmark = pytest.mark.django_db


def jpeg(name="现场照片.jpg", size=(2000, 1500)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_photo_gets_a_small_thumbnail_seen_only_within_its_subtree(client, ledger, people):
    progress(people.branch_a1, ledger.measure, files=[jpeg()])
    evidence = Evidence.objects.get()
    assert evidence.has_thumbnail
    url = reverse("rectification:thumbnail", args=[evidence.pk])
    client.force_login(people.county_a)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(_body(response))) as small:
        assert max(small.size) == THUMBNAIL_SIDE and small.format == "JPEG"
    # the photo itself opens in the browser, full size (not as a download)
    full = client.get(reverse("rectification:evidence", args=[evidence.pk]))
    assert "attachment" not in full["Content-Disposition"]
    with Image.open(io.BytesIO(_body(full))) as photo:
        assert photo.size == (2000, 1500)
    client.force_login(people.branch_b1)  # another county: neither exists for it
    assert client.get(url).status_code == 404
    assert client.get(reverse("rectification:evidence", args=[evidence.pk])).status_code == 404


def test_a_file_or_an_undecodable_image_keeps_its_name_and_has_no_thumbnail(client, ledger, people):
    broken = SimpleUploadedFile("坏照片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    progress(people.branch_a1, ledger.measure, files=[pdf(), broken])
    assert not Evidence.objects.filter(has_thumbnail=True).exists()
    client.force_login(people.county_a)
    for e in Evidence.objects.all():
        assert client.get(reverse("rectification:thumbnail", args=[e.pk])).status_code == 404
    page = client.get(reverse("rectification:problem", args=[ledger.problem.pk])).content.decode()
    assert ">整改佐证.pdf</a>" in page and ">坏照片.png</a>" in page
    assert 'data-testid="evidence-thumb"' not in page


def test_the_measure_and_its_history_show_the_photo_not_its_name(client, ledger, people):
    progress(people.branch_a1, ledger.measure, files=[jpeg(), pdf()])
    photo = Evidence.objects.get(kind="jpg")
    client.force_login(people.county_office_a)
    page = client.get(reverse("rectification:problem", args=[ledger.problem.pk])).content.decode()
    thumb = f'src="{reverse("rectification:thumbnail", args=[photo.pk])}"'
    assert page.count(thumb) == 2  # on the measure, and in the history beside its report
    assert 'alt="照片：现场照片.jpg"' in page and ">现场照片.jpg</a>" not in page
    assert ">整改佐证.pdf</a>" in page


def test_the_work_page_shows_the_verifier_the_photo_of_a_measure_waiting_for_销号(
    client, ledger, people
):
    client.force_login(people.branch_a1)
    report = reverse("rectification:report", args=[ledger.measure.pk])
    assert f'href="{report}?next=/my-work/"' in client.get("/my-work/").content.decode()
    response = client.post(
        report,
        {
            "version": reload(ledger.measure).version,
            "text": "已更换路灯",
            "progress": 60,
            "submit": "1",
            "files": [jpeg()],
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert response["Location"] == "/my-work/"
    measure = reload(ledger.measure)
    assert measure.state == MeasureState.SUBMITTED and measure.progress == 100
    photo = Evidence.objects.get()
    client.force_login(people.county_office_a)
    page = client.get("/my-work/").content.decode()
    assert reverse("rectification:thumbnail", args=[photo.pk]) in page


def test_reporting_and_asking_销号_is_all_or_nothing(client, ledger, people):
    client.force_login(people.branch_a1)
    url = reverse("rectification:report", args=[ledger.measure.pk])
    version = reload(ledger.measure).version
    response = client.post(
        url, {"version": version, "text": "已完成", "progress": 100, "submit": "1"}
    )
    assert response.status_code == 400
    assert "申请销号前须上传佐证材料" in response.content.decode()
    assert reload(ledger.measure).state == MeasureState.NOT_STARTED
    assert not ProgressUpdate.objects.exists()


def test_deleting_a_problem_deletes_its_photos_thumbnails(
    ledger, people, settings, django_capture_on_commit_callbacks
):
    progress(people.branch_a1, ledger.measure, files=[jpeg()])
    stored = Evidence.objects.get().stored_name
    thumb = settings.MEDIA_ROOT / thumbnail_key(stored)
    assert thumb.exists()
    problem = ledger.problem
    with django_capture_on_commit_callbacks(execute=True):  # the files go once it is committed
        services.delete_problem(
            actor=people.branch_a1, problem_id=problem.pk, version=problem.version, reason="重复"
        )
    assert not thumb.exists()
