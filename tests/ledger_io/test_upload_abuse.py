"""Issue 23, finding 1: one spreadsheet must not take down a web worker. Uploads are judged
before they cost anything (who may import, their running import, the body's size, the file's
real size and extent), and reading for the preview and writing the marked-up report keep
memory bounded: measured in a child process, on the paths a page takes."""

import io
import os
import pickle
import resource
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from luoshi.ledger_io.importer import import_ledger
from luoshi.ledger_io.layout import Issue
from luoshi.ledger_io.models import ImportJob
from luoshi.ledger_io.services import error_report, imports_dir
from luoshi.rectification.models import Problem
from tests.factories import user_with
from tests.ledger_io.builders import (
    bomb_xlsx,
    broken_ledger,
    expanding_xlsx,
    long_text_xlsx,
    lying_about_size,
    messy_ledger,
)

pytestmark = pytest.mark.django_db


def _upload(client, tree, campaign, data, name="台账.xlsx"):
    return client.post(
        reverse("ledger_io:import"),
        {"org": tree.county_a.pk, "campaign": campaign.pk, "file": SimpleUploadedFile(name, data)},
    )


def _stored(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _in_child(fn, seconds: float = 120):
    """fn() run in a forked child process: (how far its peak resident memory rose above where
    it started, in MB; what fn returned). The child dying (killed, out of memory, a Rust
    abort) fails the test instead of taking pytest with it."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running the parent's clean-ups
        os.close(read_end)
        try:
            start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            value = fn()
            grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start) / 1024
            payload = pickle.dumps(("ok", grew, value))
        except BaseException as exc:  # noqa: BLE001 - sent to the parent, which fails
            payload = pickle.dumps(("error", 0, repr(exc)))
        with os.fdopen(write_end, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write_end)
    deadline = time.monotonic() + seconds
    with os.fdopen(read_end, "rb") as got:
        payload = got.read()
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the child did not finish in time")
    assert payload, f"the child died (wait status {done[1]})"
    status, grew, value = pickle.loads(payload)
    assert status == "ok", value
    return grew, value


def test_leader_upload_refused_stores_nothing(client, tree, campaign, settings):
    leader = user_with(tree.county_a, "leader", username="county_leader")
    client.force_login(leader)
    response = _upload(client, tree, campaign, broken_ledger())
    assert response.status_code == 403
    assert f"无权导入 {tree.county_a.name} 的台账" in response.content.decode()
    assert response.context.get("token") is None
    assert not client.session.get("ledger_imports")
    assert _stored(settings) == []
    assert not Problem.objects.exists()


def test_report_link_needs_the_uploader_still_allowed_to_import(client, tree, campaign, liaison):
    client.force_login(liaison)
    token = _upload(client, tree, campaign, broken_ledger()).context["token"]
    report = reverse("ledger_io:report", args=[token])
    assert client.get(report).status_code == 200
    liaison.assignments.update(role="leader")  # the role changed since the upload
    assert client.get(report).status_code == 404


def test_previews_never_confirmed_keep_only_the_latest_files(client, tree, campaign, liaison):
    client.force_login(liaison)
    for _ in range(5):
        _upload(client, tree, campaign, messy_ledger())
    assert len(client.session["ledger_imports"]) == 3
    assert len(list(imports_dir().iterdir())) == 3


def test_expanding_spreadsheet_refused_with_the_limit_and_nothing_kept(
    client, tree, campaign, liaison, settings
):
    client.force_login(liaison)
    response = _upload(client, tree, campaign, bomb_xlsx())
    assert response.status_code == 400
    assert "解压后过大：超过 50 MB 的上限" in response.context["error"]
    assert response.context.get("token") is None and _stored(settings) == []


def test_zip_lying_about_its_size_is_refused_by_what_it_really_inflates_to(tree, campaign, liaison):
    data = lying_about_size(long_text_xlsx(), "xl/worksheets/sheet1.xml", 1000)
    result = import_ledger(actor=liaison, data=data, name="台账.xlsx", org=tree.county_a)
    message = result.errors[0].message
    assert (
        "解压后过大：超过 50 MB 的上限" in message
        or "压缩比异常（解压后膨胀超过 150 倍）" in message
    )
    assert not result.written


def test_far_apart_cells_are_refused_before_the_reader_allocates_their_area(
    tree, campaign, liaison
):
    """Two cells, A1 and XFD199000, make the reader ask for 3 billion cells (a Rust abort
    that kills the process): refused from the sheet's XML first."""
    data = expanding_xlsx(1, 2, far=(199_000, 16384))

    def preview():
        result = import_ledger(
            actor=liaison, data=data, name="台账.xlsx", org=tree.county_a, dry_run=True
        )
        return [e.message for e in result.errors]

    grew, messages = _in_child(preview)
    assert "内容范围过大" in messages[0] and "万个单元格的上限" in messages[0]
    assert grew < 50


def test_preview_of_an_expanding_spreadsheet_stays_small_in_memory(tree, campaign, liaison):
    data = bomb_xlsx()

    def preview():
        started = time.perf_counter()
        result = import_ledger(
            actor=liaison, data=data, name="台账.xlsx", org=tree.county_a, dry_run=True
        )
        return [e.message for e in result.errors], time.perf_counter() - started

    grew, (messages, seconds) = _in_child(preview)
    assert grew < 60, f"the preview's memory rose by {grew:.0f} MB"
    assert "解压后过大：超过 50 MB 的上限" in messages[0]
    assert seconds < 10


def test_marked_up_report_of_a_big_ledger_is_written_in_bounded_memory(tmp_path):
    """The report of a file within the limits (300,000 cells) streams from the reader to the
    writer: its memory does not grow with the file's cells."""
    data = expanding_xlsx(12_000, 25)
    target = tmp_path / "report.xlsx"
    issues = [Issue("问题清单", 5, "C", "完成时限无法识别：下个月")]

    def report():
        with open(target, "wb") as out:
            error_report(data, "台账.xlsx", issues, out)

    grew, _ = _in_child(report)
    assert grew < 60, f"the report's memory rose by {grew:.0f} MB"
    book = load_workbook(target, read_only=True)
    ws = book["问题清单"]
    assert ws.max_row == 12_000
    assert [c.value for c in next(ws.iter_rows(min_row=5, max_row=5, max_col=3))] == [5, 5, 5]


def test_marked_up_report_keeps_merges_and_comments_each_error(tmp_path):
    data = messy_ledger()
    issues = [
        Issue("班子问题清单", 6, "G", "完成时限无法识别"),
        Issue("班子问题清单", 6, "G", "第二个原因"),
        Issue("个人问题清单", 3, "", "该行缺少姓名"),
    ]
    out = io.BytesIO()
    error_report(data, "台账.xlsx", issues, out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    ws = book["班子问题清单"]
    assert ws["G6"].comment.text == "完成时限无法识别\n第二个原因"
    assert ws["G6"].fill.fgColor.rgb.endswith("FFC7CE")
    assert "A6:A8" in {str(r) for r in ws.merged_cells.ranges}
    assert book["个人问题清单"]["A3"].comment.text == "该行缺少姓名"


def test_second_import_refused_while_one_is_pending(client, tree, campaign, liaison, settings):
    client.force_login(liaison)
    token = _upload(client, tree, campaign, messy_ledger()).context["token"]
    ImportJob.objects.create(
        org=tree.county_a,
        org_path=tree.county_a.path,
        user=liaison,
        campaign=campaign,
        file_name="上一份.xlsx",
        stored_file="x.xlsx",
    )
    before = len(_stored(settings))
    upload = _upload(client, tree, campaign, messy_ledger())
    assert upload.status_code == 409 and "正在导入（排队中）" in upload.context["error"]
    assert len(_stored(settings)) == before
    confirm = client.post(reverse("ledger_io:confirm", args=[token]))
    assert confirm.status_code == 409 and "请等它完成" in confirm.content.decode()
    assert ImportJob.objects.count() == 1 and not Problem.objects.exists()


def test_the_database_holds_one_running_import_per_user(tree, campaign, liaison):
    from django.db import IntegrityError, transaction

    fields = dict(
        org=tree.county_a,
        org_path=tree.county_a.path,
        user=liaison,
        campaign=campaign,
        file_name="台账.xlsx",
        stored_file="x.xlsx",
    )
    ImportJob.objects.create(**fields, state=ImportJob.State.RUNNING)
    ImportJob.objects.create(**fields, state=ImportJob.State.DONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportJob.objects.create(**fields)


class _Unread:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_oversized_body_refused_before_it_is_read(client):
    """Anyone can post to the sign-in page: a 300 MB body is refused unread, not spooled."""
    response = client.generic(
        "POST",
        reverse("login"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(300 * 2**20),
        **{"wsgi.input": _Unread()},
    )
    assert response.status_code == 413
    assert "超过 64 MB 的上限" in response.content.decode()


def test_import_body_over_the_file_limit_refused_before_it_is_read(client, liaison):
    client.force_login(liaison)
    response = client.generic(
        "POST",
        reverse("ledger_io:import"),
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(21 * 2**20),
        **{"wsgi.input": _Unread()},
    )
    assert response.status_code == 413 and "超过 20 MB 的上限" in response.content.decode()


def test_oversized_api_body_refused_with_json(client):
    response = client.generic(
        "POST",
        "/api/v1/problems",
        b"",
        content_type="application/json",
        CONTENT_LENGTH=str(100 * 2**20),
        **{"wsgi.input": _Unread()},
    )
    assert response.status_code == 413
    assert "上限" in response.json()["detail"]


@pytest.mark.parametrize(
    ("rows_xml", "prefix"),
    [
        ('<row r="1"><c r="A1"><v>1</v></c><c s="0" r="XFD199000"><v>1</v></c></row>', ""),
        (
            '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
            '<x:row r="199000"><x:c r="XFD199000"><x:v>1</x:v></x:c></x:row>',
            "x:",
        ),
        (
            '<row r="1"><c r="A1"><v>1</v></c></row><row r="199000">'
            + "<c><v>1</v></c>" * 100
            + "</row>",
            "",
        ),
        (
            '<row r="1"><c r="A1"><v>1</v></c></row><row r="150000"><c r="A150000"><v>1</v></c>'
            '<c r="BH150000"><v>1</v></c></row>',
            "",
        ),
    ],
    ids=["reference-not-first", "namespace-prefix", "cells-naming-no-column", "wide-and-deep"],
)
def test_far_reaching_cells_in_any_spelling_are_refused(rows_xml, prefix, tree, liaison):
    from luoshi.ledger_io.workbook import WorkbookError, check_upload
    from tests.ledger_io.builders import sheet_xlsx

    with pytest.raises(WorkbookError, match="内容范围过大"):
        check_upload(sheet_xlsx(rows_xml, prefix=prefix), "台账.xlsx")


def test_a_ledger_of_many_rows_within_the_limits_is_not_refused():
    from luoshi.ledger_io.workbook import check_upload

    assert check_upload(expanding_xlsx(20_000, 30), "台账.xlsx") == ".xlsx"
    assert check_upload(bomb_xlsx(rows=20_000, cols=20), "台账.xlsx") == ".xlsx"


def test_an_import_in_the_background_worker_cannot_take_more_than_its_ceiling(settings):
    """Under RQ the import's own process gets an address-space ceiling: past it an allocation
    fails in that process (the job is reported failed, the worker lives on)."""
    import rq

    from luoshi.ledger_io import tasks

    def allocate():
        settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
        settings.LUOSHI_IMPORT_MEMORY_MB = 200
        rq.get_current_job = lambda: object()  # as in a work-horse running a job
        tasks._cap_memory()
        try:
            bytearray(400 * 2**20)
        except MemoryError:
            return "refused"
        return "allocated"

    _, outcome = _in_child(allocate)
    assert outcome == "refused"
