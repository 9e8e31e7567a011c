"""R2: the dashboard's figures for any node equal an independent recount of the rows."""

import io
import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from luoshi.dashboards import selectors
from luoshi.orgs.models import Organization
from luoshi.rectification.models import Measure, Problem
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
    root, campaign = seeded
    office = user_with(root, "office", username="dash_live")
    m = Measure.objects.filter(state="in_progress", deadline_kind="date").first()
    client.force_login(office)
    before = client.get(reverse("dashboards:node", args=[root.pk])).context["measures"]["overdue"]
    Measure.objects.filter(pk=m.pk).update(due_on=date.today() - timedelta(days=400))
    after = client.get(reverse("dashboards:node", args=[root.pk])).context["measures"]["overdue"]
    assert after == before + (0 if m.is_overdue() else 1)


def test_a_branch_user_gets_404_for_other_dashboards_and_sees_only_its_own(client, tree):
    user = user_with(tree.branch_a1, "liaison", username="dash_branch")
    client.force_login(user)
    assert client.get(reverse("dashboards:node", args=[tree.county_a.pk])).status_code == 404
    assert client.get(reverse("dashboards:statistics", args=[tree.city.pk])).status_code == 404
    own = client.get(reverse("dashboards:node", args=[tree.branch_a1.pk]))
    assert own.status_code == 200 and own.context["figures"]["members"] == 3


def test_county_table_lists_only_visible_children_and_the_query_count_is_flat(
    client, seeded, django_assert_max_num_queries
):
    root, campaign = seeded
    county = Organization.objects.filter(parent=root, unit_type="region").first()
    user = user_with(county, "liaison", username="dash_county")
    client.force_login(user)
    response = client.get(reverse("dashboards:node", args=[county.pk]))
    names = {r.org.name for r in response.context["rows"]} - {"本级"}
    assert names == set(Organization.objects.filter(parent=county).values_list("name", flat=True))
    client.force_login(user_with(root, "office", username="dash_root"))
    with django_assert_max_num_queries(30):
        assert client.get(reverse("dashboards:node", args=[root.pk])).status_code == 200


def test_report_command_writes_the_statistics_table(seeded, tmp_path):
    root, _ = seeded
    path = tmp_path / "统计表.xlsx"
    call_command(
        "report", "--org", root.code, "--kind", "statistics", "-o", str(path), stdout=io.StringIO()
    )
    ws = load_workbook(path).active
    assert "统计表" in ws["A1"].value and ws.cell(ws.max_row, 2).value == "合计"
    with pytest.raises(Exception, match="尚未实现"):
        call_command("report", "--org", root.code, "--kind", "summary", "-o", str(path))
