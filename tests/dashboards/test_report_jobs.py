"""Word reports are background jobs: the request only queues one; the job's page shows its
progress; every report of an organisation is listed (who asked, when, which) for download by
whoever may see the organisation, and by nobody outside it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from luoshi.dashboards.models import ReportJob
from tests.factories import user_with

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _ask(client, org, kind="progress"):
    return client.post(reverse("dashboards:report", args=[org.pk]), {"kind": kind})


def test_the_report_list_shows_each_report_of_the_organisation_to_who_may_see_it(
    client, tree, users
):
    users.office.first_name = "王主任"
    users.office.save()
    client.force_login(users.office)
    _ask(client, tree.city)
    _ask(client, tree.city, kind="summary")
    _ask(client, tree.county_a)
    leader = user_with(tree.city, "leader", username="city_leader")
    client.force_login(leader)
    page = client.get(reverse("dashboards:report", args=[tree.city.pk]))
    body = page.content.decode()
    assert body.count('data-testid="report-row"') == 2  # the city's two, not the county's
    assert "王主任" in body and "进展情况报告" in body and "综述" in body
    first = ReportJob.objects.filter(org=tree.city).order_by("id").first()
    assert reverse("dashboards:report_download", args=[first.pk]) in body
    download = client.get(reverse("dashboards:report_download", args=[first.pk]))
    assert b"".join(download.streaming_content)[:2] == b"PK"
    client.force_login(users.branch_a1)  # below the city: none of its reports
    assert client.get(reverse("dashboards:report", args=[tree.city.pk])).status_code == 404
    assert client.get(reverse("dashboards:report_download", args=[first.pk])).status_code == 404
    assert client.get(reverse("dashboards:report_job", args=[first.pk])).status_code == 404


def test_a_report_waits_for_the_worker_and_its_page_polls_its_progress(
    client, tree, users, settings, monkeypatch
):
    from django_tasks_db.management.commands import db_worker

    settings.TASKS = DB_TASKS
    # The worker, run here in the test's own transaction, must not close its connection.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    client.force_login(users.county_a)
    response = _ask(client, tree.county_a)
    job = ReportJob.objects.get()
    assert response.status_code == 302 and job.state == ReportJob.State.QUEUED  # not run here
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and "hx-trigger" in page  # the page asks again until it is done
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE and job.progress == 100
    part = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="download"' in part and "hx-trigger" not in part
    listed = client.get(reverse("dashboards:report", args=[tree.county_a.pk])).content.decode()
    assert reverse("dashboards:report_download", args=[job.pk]) in listed


def test_a_report_whose_worker_died_is_marked_interrupted_and_can_be_made_again(
    client, tree, users, settings
):
    """A job left running with no progress for REPORT_STALE_MINUTES (its worker was killed):
    its page stops polling and says 失败（处理中断） with 重新生成; before the limit it waits."""
    import time_machine
    from django.utils import timezone

    settings.TASKS = DB_TASKS  # queued, never run: the worker "dies" after starting it
    settings.REPORT_STALE_MINUTES = 10
    client.force_login(users.county_a)
    page_url = _ask(client, tree.county_a)["Location"]
    job = ReportJob.objects.get()
    started = timezone.now()
    ReportJob.objects.filter(pk=job.pk).update(
        state=ReportJob.State.RUNNING, progress=40, progressed_at=started
    )
    htmx = {"HX-Request": "true"}
    with time_machine.travel(started + timedelta(minutes=9), tick=False):
        part = client.get(page_url, headers=htmx).content.decode()
        assert "生成中" in part and "hx-trigger" in part  # still waiting, within the limit
    with time_machine.travel(started + timedelta(minutes=11), tick=False):
        client.force_login(users.county_a)
        part = client.get(page_url, headers=htmx).content.decode()
        assert "失败（处理中断）" in part and "hx-trigger" not in part
        assert 'data-testid="report-again"' in part
        listed = client.get(reverse("dashboards:report", args=[tree.county_a.pk]))
        assert "失败（处理中断）" in listed.content.decode()
        again = client.post(
            reverse("dashboards:report", args=[tree.county_a.pk]), {"kind": job.kind}
        )
    job.refresh_from_db()
    assert job.state == ReportJob.State.INTERRUPTED and job.finished_at is not None
    assert again.status_code == 302 and ReportJob.objects.count() == 2


def test_a_slow_but_living_worker_is_not_interrupted(client, tree, users, settings):
    """Each step the worker tells moves the limit: only silence counts, not the job's age."""
    import time_machine
    from django.utils import timezone

    from luoshi.dashboards.tasks import _progress

    settings.TASKS = DB_TASKS
    settings.REPORT_STALE_MINUTES = 10
    client.force_login(users.county_a)
    page_url = _ask(client, tree.county_a)["Location"]
    job = ReportJob.objects.get()
    started = timezone.now()
    ReportJob.objects.filter(pk=job.pk).update(state=ReportJob.State.RUNNING, progressed_at=started)
    with time_machine.travel(started + timedelta(minutes=8), tick=False):
        _progress(job.pk, 60)
    with time_machine.travel(started + timedelta(minutes=15), tick=False):
        client.force_login(users.county_a)
        part = client.get(page_url, headers={"HX-Request": "true"}).content.decode()
    assert "生成中" in part and "hx-trigger" in part
    job.refresh_from_db()
    assert job.state == ReportJob.State.RUNNING
