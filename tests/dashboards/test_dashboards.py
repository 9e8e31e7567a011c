"""R2: the dashboard's figures for any node equal an independent recount of the rows."""

import io
import random
from datetime import date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from luoshi.dashboards import selectors
from luoshi.orgs.models import Organization
from luoshi.rectification.models import Measure, Problem, today
from tests.factories import user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    call_command("seed", "--scale", "tiny", "--json", stdout=io.StringIO())
    from luoshi.campaigns.models import Campaign

    root = Organization.objects.get(parent=None)
    return root, Campaign.objects.get()


def recount(path, campaign):
    """Counting row by row in Python, without the dashboard's SQL."""
    measures = [
        m
        for m in Measure.objects.select_related("problem")
        if m.org_path.startswith(path) and m.problem.campaign_id == campaign.pk
    ]
    closed = [m for m in measures if m.state == "closed"]
    lights = [m.light_on(campaign.warning_days) for m in measures]
    return {
        "problems": sum(1 for p in Problem.objects.all() if p.org_path.startswith(path)),
        "measures": len(measures),
        "closed": len(closed),
        "overdue": sum(1 for m in measures if m.is_overdue()),
        "red": lights.count("red"),
        "yellow": lights.count("yellow"),
        "green": lights.count("green"),
        "organizations": sum(1 for o in Organization.objects.all() if o.path.startswith(path)),
    }


def test_children_figures_equal_an_independent_recount(seeded):
    root, campaign = seeded
    admin = user_with(root, "admin", username="dash_admin")
    nodes = list(Organization.objects.exclude(kind="branch"))
    for node in random.Random(7).sample(nodes, min(8, len(nodes))):
        for row in selectors.children_rows(admin, node, campaign):
            if row.org.name == "本级":
                continue
            expected = recount(row.org.path, campaign)
            got = {k: row.figures[k] for k in expected}
            assert got == expected, (node.name, row.org.name)


def test_rows_add_up_to_the_node_and_the_statistics_table_says_so(client, seeded):
    root, campaign = seeded
    office = user_with(root, "office", username="dash_office")
    rows = selectors.children_rows(office, root, campaign)
    total = sum(r.figures["measures"] for r in rows)
    assert total == selectors.node_measure_figures(root.path, campaign)["measures"]
    client.force_login(office)
    response = client.get(reverse("dashboards:statistics", args=[root.pk]))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    last = ws.max_row
    assert ws.cell(last, 2).value == "合计"
    assert ws.cell(3, 6).value == "整改措施" and ws.cell(last, 6).value == total
    assert [ws.cell(r, 2).value for r in range(4, last)] == [r.org.name for r in rows]


def test_ranking_puts_the_worst_first_when_asked(client, seeded):
    root, campaign = seeded
    office = user_with(root, "office", username="dash_rank")
    client.force_login(office)
    url = reverse("dashboards:node", args=[root.pk])
    worst = client.get(url, {"sort": "closure_rate", "order": "worst"}).context["rows"]
    best = client.get(url, {"sort": "closure_rate"}).context["rows"]
    rates = [r.figures["closure_rate"] for r in worst]
    assert rates == sorted(rates)
    assert [r.figures["closure_rate"] for r in best] == sorted(rates, reverse=True)
    overdue = [
        r.figures["overdue"]
        for r in client.get(url, {"sort": "overdue", "order": "worst"}).context["rows"]
    ]
    assert overdue == sorted(overdue, reverse=True)


def test_a_change_shows_at_once(client, seeded):
    from luoshi.rectification import services

    root, campaign = seeded
    office = user_with(root, "office", username="dash_live")
    m = Measure.objects.filter(state="not_started", deadline_kind="date", due_on__gte=today())
    m = m.first()
    client.force_login(office)

    def overdue():
        page = client.get(reverse("dashboards:node", args=[root.pk]))
        return page.context["measures"]["overdue"]

    before = overdue()
    services.update_measure(
        actor=office, measure_id=m.pk, version=m.version, due_on=today() - timedelta(days=400)
    )
    assert overdue() == before + 1


def test_a_day_passing_turns_measures_red_without_any_write(client, seeded):
    """Overdue and the lights are read against today's date: nothing stored goes stale."""
    import time_machine

    root, campaign = seeded
    office = user_with(root, "office", username="dash_day")
    client.force_login(office)
    due = (
        Measure.objects.exclude(state="closed")
        .filter(deadline_kind="date", due_on__gte=today())
        .order_by("due_on")
        .first()
        .due_on
    )
    turning = Measure.objects.exclude(state="closed").filter(deadline_kind="date", due_on=due)
    before = client.get(reverse("dashboards:node", args=[root.pk])).context["measures"]
    with time_machine.travel(
        timezone.make_aware(datetime.combine(due + timedelta(days=1), time(12)))
    ):
        client.force_login(office)  # the session of the day before has expired
        after = client.get(reverse("dashboards:node", args=[root.pk])).context["measures"]
    assert after["overdue"] == before["overdue"] + turning.count()
    assert after["red"] == before["red"] + turning.count()


def test_a_branch_user_gets_404_for_other_dashboards_and_sees_only_its_own(client, tree):
    user = user_with(tree.branch_a1, "liaison", username="dash_branch")
    client.force_login(user)
    assert client.get(reverse("dashboards:node", args=[tree.county_a.pk])).status_code == 404
    assert client.get(reverse("dashboards:statistics", args=[tree.city.pk])).status_code == 404
    own = client.get(reverse("dashboards:node", args=[tree.branch_a1.pk]))
    assert own.status_code == 200 and own.context["figures"]["members"] == 3


def test_county_table_lists_only_visible_children_and_the_query_count_is_flat(client, seeded):
    root, campaign = seeded
    county = Organization.objects.filter(parent=root, unit_type="region").first()
    user = user_with(county, "liaison", username="dash_county")
    client.force_login(user)
    response = client.get(reverse("dashboards:node", args=[county.pk]))
    names = {r.org.name for r in response.context["rows"]} - {"本级"}
    assert names == set(Organization.objects.filter(parent=county).values_list("name", flat=True))
    client.force_login(user_with(root, "office", username="dash_root"))
    # Flat: the same at any level (every registered figure is one grouped query or a few; the
    # opinion figures are three: one aggregate, the median row, the symposia count). Each part
    # of the campaign adds its figures (core.registry.FIGURES) and charts: the count grows with
    # the parts, never with the tree.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    other = Organization.objects.filter(parent=root).exclude(pk=county.pk).first()
    counts = []
    for node in (root, other):  # neither rendered before (the county's figures are cached)
        with CaptureQueriesContext(connection) as done:
            assert client.get(reverse("dashboards:node", args=[node.pk])).status_code == 200
        counts.append(len(done))
    assert counts[0] <= counts[1] + 3, counts  # the root reads no more than a county
    assert counts[0] <= 55, counts


def test_report_command_writes_the_statistics_table_and_the_word_reports(seeded, tmp_path):
    import docx

    root, _ = seeded
    path = tmp_path / "统计表.xlsx"
    call_command(
        "report", "--org", root.code, "--kind", "statistics", "-o", str(path), stdout=io.StringIO()
    )
    ws = load_workbook(path).active
    assert "统计表" in ws["A1"].value and ws.cell(ws.max_row, 2).value == "合计"
    measures = str(Measure.objects.count())
    for kind, title in (("progress", "进展情况的报告"), ("summary", "综述")):
        out = tmp_path / f"{kind}.docx"
        call_command(
            "report", "--org", root.code, "--kind", kind, "-o", str(out), stdout=io.StringIO()
        )
        document = docx.Document(out)
        text = "\n".join(p.text for p in document.paragraphs)
        assert title in document.paragraphs[0].text and measures in text
        section = document.sections[0]
        assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
        fonts = document.styles["Normal"].element.rPr.rFonts
        assert (
            fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
            == "仿宋_GB2312"
        )
    progress = docx.Document(tmp_path / "progress.docx")
    assert len(progress.inline_shapes) == 2  # the charts, as images
    # The summary tells study and research in seed 003's words, counted from the records.
    from luoshi.research.models import ResearchTopic, Visit
    from luoshi.study.models import StudyActivity

    summary = "\n".join(p.text for p in docx.Document(tmp_path / "summary.docx").paragraphs)
    lessons = StudyActivity.objects.filter(kind="lesson").count()
    assert lessons and f"开展专题党课{lessons}次" in summary
    assert f"确定调研课题{ResearchTopic.objects.count()}个" in summary
    assert f"开展调研走访{Visit.objects.count()}次" in summary
    from luoshi.opinions.models import Opinion

    assert f"收集意见建议{Opinion.objects.count()}条" in summary
    assert progress.tables[0].rows[0].cells[0].text == "单位"


def test_submitted_figures_stay_as_submitted_and_the_difference_is_shown(client, seeded):
    from luoshi.dashboards.models import Snapshot

    root, campaign = seeded
    office = user_with(root, "office", username="dash_submit")
    client.force_login(office)
    client.post(reverse("dashboards:submit", args=[root.pk]), {"note": "第一周"})
    snap = Snapshot.objects.get(org=root)  # (the seed sends its units' reports)
    sent = snap.figures["node"]["closed"]
    m = Measure.objects.filter(state="submitted").first()
    from luoshi.rectification import services

    services.transition_measure(actor=office, measure_id=m.pk, action="verify", version=m.version)
    snap.refresh_from_db()
    assert snap.figures["node"]["closed"] == sent
    page = client.get(reverse("dashboards:node", args=[root.pk]))
    assert page.context["since_last"]["closed"] == 1
    with pytest.raises(ValueError):
        snap.save()
    history = client.get(reverse("dashboards:snapshots", args=[root.pk])).content.decode()
    assert "第一周" in history


def test_figures_as_of_a_past_date(client, seeded):
    root, campaign = seeded
    office = user_with(root, "office", username="dash_asof")
    client.force_login(office)
    day = date.today() - timedelta(days=30)
    page = client.get(reverse("dashboards:node", args=[root.pk]), {"as_of": day.isoformat()})
    then = page.context["then"]
    from datetime import datetime, time

    from django.utils import timezone

    end = timezone.make_aware(datetime.combine(day, time.max))
    made = [m for m in Measure.objects.all() if m.created_at <= end]
    assert then["measures"] == len(made)
    assert then["closed"] == sum(1 for m in made if m.closed_at and m.closed_at <= end)


def test_word_report_is_generated_as_a_job_and_downloaded(client, seeded, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    root, _ = seeded
    office = user_with(root, "office", username="dash_word")
    client.force_login(office)
    response = client.post(
        reverse("dashboards:report", args=[root.pk]), {"kind": "progress"}, follow=True
    )
    assert 'data-testid="download"' in response.content.decode()
    from luoshi.dashboards.models import ReportJob

    job = ReportJob.objects.get()
    download = client.get(reverse("dashboards:report_download", args=[job.pk]))
    assert b"".join(download.streaming_content)[:2] == b"PK"
    # The organisation's reports are for whoever sees it; below it, nobody sees them.
    below = Organization.objects.filter(parent=root).first()
    client.force_login(user_with(below, "office", username="someone_below_word"))
    assert client.get(reverse("dashboards:report_download", args=[job.pk])).status_code == 404


def test_children_rows_are_the_same_read_by_ranges_or_grouped(seeded, monkeypatch):
    """Nodes with very many children are read with one GROUP BY instead of a range per child;
    both give the same rows."""
    root, campaign = seeded
    admin = user_with(root, "admin", username="dash_ranges")
    nodes = [n for n in Organization.objects.exclude(kind="branch") if n.children.exists()]
    by_ranges = {n.pk: selectors.children_rows(admin, n, campaign) for n in nodes}
    monkeypatch.setattr(selectors, "RANGES_UP_TO", 0)
    for node in nodes:
        grouped = selectors.children_rows(admin, node, campaign)
        assert [(r.org.pk, r.figures) for r in grouped] == [
            (r.org.pk, r.figures) for r in by_ranges[node.pk]
        ]
    assert any(r.figures["measures"] for rows in by_ranges.values() for r in rows)


def test_weekly_closures_count_each_local_week_since_twelve_weeks_ago(seeded):
    from collections import Counter
    from datetime import timedelta

    from django.utils import timezone

    from luoshi.rectification.models import today

    since = today() - timedelta(weeks=12)
    expected = Counter()
    for closed_at in Measure.objects.filter(state="closed").values_list("closed_at", flat=True):
        day = timezone.localtime(closed_at).date()
        if day >= since:
            expected[(day - timedelta(days=day.weekday())).strftime("%m-%d")] += 1
    root, _ = seeded
    got = selectors.weekly_closures_of(root.path, None)
    assert dict(got) == expected and sum(expected.values()) > 0
    assert [label for label, _ in got] == sorted(expected, key=lambda d: (d < "07", d))[
        : len(got)
    ] or got
