import pytest
from django.urls import reverse

from luoshi.core.errors import Invalid
from luoshi.rectification.models import Evidence, MeasureState
from tests.rectification.conftest import pdf, progress, reload, zip_bytes

pytestmark = pytest.mark.django_db
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def test_renamed_executable_is_refused_and_nothing_is_stored(ledger, people):
    with pytest.raises(Invalid, match="不是允许的类型"):
        progress(people.branch_a1, ledger.measure, files=[pdf("报告.pdf", EXE)])
    assert not Evidence.objects.exists()
    assert reload(ledger.measure).state == MeasureState.NOT_STARTED


def test_extension_must_match_content(ledger, people):
    with pytest.raises(Invalid, match="扩展名与内容不符"):
        progress(people.branch_a1, ledger.measure, files=[pdf("照片.jpg")])


def test_oversize_file_is_refused(ledger, people, settings):
    settings.LUOSHI_MAX_UPLOAD_BYTES = 1024
    with pytest.raises(Invalid, match="上限"):
        progress(
            people.branch_a1, ledger.measure, files=[pdf("大文件.pdf", b"%PDF-1.4\n" + b"0" * 2000)]
        )


def test_zip_bomb_disguised_as_docx_is_refused_before_parsing(ledger, people):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"0" * (210 * 1024 * 1024))
    with pytest.raises(Invalid, match="解压后过大"):
        progress(people.branch_a1, ledger.measure, files=[pdf("炸弹.docx", buf.getvalue())])


def test_real_docx_and_png_are_accepted_and_stored_under_generated_names(ledger, people):
    docx = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    progress(
        people.branch_a1,
        ledger.measure,
        files=[pdf("../../etc/会议纪要.docx", docx), pdf("现场\u202egnp.png", png)],
    )
    names = sorted(Evidence.objects.values_list("original_name", flat=True))
    assert names == ["会议纪要.docx", "现场gnp.png"]
    for e in Evidence.objects.all():
        assert e.stored_name.endswith("." + e.kind) and "会议" not in e.stored_name


def test_evidence_downloads_for_own_subtree_and_404_for_another(client, ledger, people):
    progress(people.branch_a1, ledger.measure)
    evidence = Evidence.objects.get()
    client.force_login(people.county_a)
    response = client.get(reverse("rectification:evidence", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    client.force_login(people.branch_b1)
    assert client.get(reverse("rectification:evidence", args=[evidence.pk])).status_code == 404
