"""R10: an XML entity bomb ("billion laughs") inside an .xlsx is refused with a reason, at once
and in little memory; the marked-up error report (openpyxl, through defusedxml) refuses it too."""

import io
import resource
import time
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from luoshi.ledger_io.importer import import_ledger
from luoshi.rectification.models import Problem

pytestmark = pytest.mark.django_db


def billion_laughs_xlsx() -> bytes:
    """A ledger whose sheet declares ten levels of entities, each ten of the one below (10^9
    copies of the innermost text), and uses the top one in a cell."""
    book = Workbook()
    book.active.append(["序号", "存在问题", "整改措施", "完成时限"])
    book.active.append([1, "BOMB", "建立制度", "长期坚持"])
    plain = io.BytesIO()
    book.save(plain)
    entities = '<!ENTITY a0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = src.read(name).decode()
            if name == "xl/worksheets/sheet1.xml":
                data = f"<!DOCTYPE worksheet [{entities}]>" + data.replace("BOMB", "&a9;")
            dst.writestr(name, data)
    return out.getvalue()


def test_entity_bomb_is_refused_quickly_in_bounded_memory_and_writes_nothing(
    tree, campaign, liaison
):
    data = billion_laughs_xlsx()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = import_ledger(actor=liaison, data=data, name="台账.xlsx", org=tree.county_a)
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100 * 1024  # KiB
    assert result.errors and not result.written
    assert not Problem.objects.exists()


def test_the_marked_file_of_an_unreadable_upload_lists_the_errors(client, tree, campaign, liaison):
    """The page offers the marked-up file for every refused upload; for one that cannot be
    opened it is a list of the errors, not a server error."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    client.force_login(liaison)
    upload = SimpleUploadedFile("台账.xlsx", billion_laughs_xlsx())
    preview = client.post(
        reverse("ledger_io:import"),
        {"org": tree.county_a.pk, "campaign": campaign.pk, "file": upload},
    )
    assert preview.status_code == 400 and "无法读取" in preview.content.decode()
    report = client.get(reverse("ledger_io:report", args=[preview.context["token"]]))
    assert report.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(report.streaming_content)))["错误清单"]
    assert "无法读取" in ws["D2"].value and "lol" * 10 not in ws["D2"].value
