"""The pages: the inbox with its unread count in the top bar, marking read, a 督办单's page and
its reply, the rules, and the reports' pages, as the people who use them."""

import pytest
from django.urls import reverse

from luoshi.supervision import services
from luoshi.supervision.models import Escalation, EscalationRule, Notification, Step
from tests.supervision.conftest import days

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(clock, ledger, people):
    clock.to(ledger.measure.due_on + days(1))
    services.sweep()
    return Escalation.objects.get(step=Step.YELLOW)


def test_the_top_bar_counts_unread_messages_and_reading_clears_them(client, overdue, people):
    client.force_login(people.branch_a1)
    page = client.get(reverse("supervision:inbox")).content.decode()
    assert 'data-testid="unread">1<' in page and overdue.number in page
    note = Notification.objects.get(user=people.branch_a1)
    client.post(reverse("supervision:read", args=[note.pk]))
    assert 'data-testid="unread"' not in client.get(reverse("supervision:inbox")).content.decode()
    client.force_login(people.branch_b1)  # someone else's message: 404, still unread for them
    assert client.post(reverse("supervision:read", args=[note.pk])).status_code == 404


def test_the_owner_replies_on_the_page_and_the_list_shows_it(client, overdue, people):
    client.force_login(people.branch_a1)
    page = client.get(reverse("supervision:escalation", args=[overdue.pk])).content.decode()
    assert overdue.number in page and "回复督办单" in page
    client.post(reverse("supervision:reply", args=[overdue.pk]), {"text": "已制定整改计划"})
    page = client.get(reverse("supervision:escalation", args=[overdue.pk])).content.decode()
    assert "已制定整改计划" in page and 'name="text"' not in page
    listing = client.get(reverse("supervision:escalations"), {"step": "yellow"}).content.decode()
    assert overdue.number in listing and "已回复" in listing
    work = client.get(reverse("rectification:my_work")).content.decode()
    assert "督办单待回复" not in work


def test_waiting_escalations_show_in_my_work(client, overdue, people):
    client.force_login(people.branch_a1)
    assert "督办单待回复" in client.get(reverse("rectification:my_work")).content.decode()


def test_the_office_sets_the_rules_and_others_only_read_them(client, campaign, people):
    client.force_login(people.office)
    url = reverse("supervision:rules", args=[campaign.pk])
    assert "逾期满" in client.get(url).content.decode()
    assert not EscalationRule.objects.exists()  # shown, not saved, until changed
    client.post(url, {"step": "orange", "days": 10, "reply_days": 3, "active": "1"})
    assert EscalationRule.objects.get(campaign=campaign, step="orange").days == 10
    refused = client.post(url, {"step": "red", "days": 0, "reply_days": 3}, follow=True)
    assert "逾期督办须在逾期 1 天及以上时下发" in refused.content.decode()
    client.force_login(people.branch_a1)
    client.post(url, {"step": "orange", "days": 30, "reply_days": 3, "active": "1"})
    assert EscalationRule.objects.get(campaign=campaign, step="orange").days == 10


def test_the_dashboard_shows_the_escalation_and_report_tiles(client, overdue, people, tree):
    client.force_login(people.office)
    page = client.get(reverse("dashboards:node", args=[tree.city.pk])).content.decode()
    assert 'data-testid="tile-escalations"' in page and 'data-testid="tile-submissions"' in page


def test_stats_carry_the_escalation_and_submission_keys(overdue, tree):
    import io
    import json

    from django.core.management import call_command

    out = io.StringIO()
    call_command("stats", "--org", tree.city.code, "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["escalations_yellow"] == 1 and "submissions_missing" in figures


def test_the_api_lists_and_replies(client, overdue, people):
    import json

    from luoshi.accounts.tokens import issue_token

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    listed = client.get("/api/v1/escalations?step=yellow", **auth).json()
    assert [e["number"] for e in listed] == [overdue.number]
    url = f"/api/v1/escalations/{overdue.pk}/reply"
    body = json.dumps({"text": "已整改过半"})
    answer = client.post(url, body, content_type="application/json", **auth)
    assert answer.status_code == 200 and answer.json()["state"] == "replied"
    again = client.post(url, body, content_type="application/json", **auth)
    assert again.status_code == 400 and "已回复" in again.json()["detail"]
    inbox = client.get("/api/v1/notifications", **auth).json()
    assert len(inbox) == 1 and not inbox[0]["read"]
