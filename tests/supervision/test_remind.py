"""批量提醒: a level above ticks overdue or soon-due measures of units below and reminds their
owners; each person responsible gets one inbox message naming their measures, nothing outside
the reminder's subtree is touched, and a measure reminded today is not reminded again that day
(and the page says so)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from luoshi.rectification import services as ledger_services
from luoshi.rectification.models import today
from luoshi.supervision import services
from luoshi.supervision.models import Notification, Reminder
from tests.supervision.conftest import at

pytestmark = pytest.mark.django_db


def _overdue(actor, org, campaign, title, days_late=3):
    problem = ledger_services.create_problem(actor=actor, org=org, campaign=campaign, title=title)
    return ledger_services.add_measure(
        actor=actor,
        problem=problem,
        content=f"{title}的整改措施",
        due_on=today() - timedelta(days=days_late),
    )


@pytest.fixture
def late(tree, campaign, people):
    """Two overdue measures of branch a1, one of branch b1 (another county)."""
    return (
        _overdue(people.branch_a1, tree.branch_a1, campaign, "村口路灯不亮"),
        _overdue(people.branch_a1, tree.branch_a1, campaign, "便民服务站长期关门"),
        _overdue(people.branch_b1, tree.branch_b1, campaign, "乙村的秘密问题"),
    )


def _inbox(user):
    return list(Notification.objects.filter(user=user))


def test_each_responsible_person_gets_one_message_naming_all_their_measures(late, people):
    lamp, station, _ = late
    result = services.remind_measures(
        actor=people.county_office_a, measure_ids=[lamp.pk, station.pk]
    )
    assert [m.pk for m in result.reminded] == [lamp.pk, station.pk] and not result.refused
    # the branch's liaison and its office: one message each, both measures named in it
    for person in (people.branch_a1, people.branch_office_a1):
        (message,) = _inbox(person)
        assert "请抓紧办理 2 条整改措施" in message.title
        assert "“村口路灯不亮”措施 1（已逾期 3 天）" in message.body
        assert "“便民服务站长期关门”措施 1" in message.body
        assert message.url == reverse("rectification:ledger") + "?work=to_update"
    assert result.people == 2
    assert not _inbox(people.county_office_a)  # the one who reminds is not told


def test_nothing_outside_the_subtree_is_reminded(late, people):
    lamp, _, other_county = late
    result = services.remind_measures(
        actor=people.county_office_a, measure_ids=[other_county.pk, lamp.pk]
    )
    assert [m.pk for m in result.reminded] == [lamp.pk]
    assert result.refused == ["没有找到所选的一条措施，或您无权查看"]  # never its title
    assert not _inbox(people.branch_b1)
    assert not Reminder.objects.filter(measure=other_county).exists()


def test_a_measure_reminded_today_is_not_reminded_again_that_day(late, people, tree):
    lamp, station, _ = late
    services.remind_measures(actor=people.county_office_a, measure_ids=[lamp.pk])
    # the guidance group over the county tries the same measure the same day, and another one
    again = services.remind_measures(actor=people.guidance_a, measure_ids=[lamp.pk, station.pk])
    assert again.refused == ["“村口路灯不亮”措施 1：今天已提醒过，同一措施一天只提醒一次"]
    assert [m.pk for m in again.reminded] == [station.pk]
    (first, second) = sorted(_inbox(people.branch_a1), key=lambda n: n.pk)
    assert "村口路灯不亮" in first.body and "村口路灯不亮" not in second.body
    with time_machine.travel(at(today() + timedelta(days=1)), tick=False):
        tomorrow = services.remind_measures(actor=people.county_office_a, measure_ids=[lamp.pk])
    assert not tomorrow.refused and len(_inbox(people.branch_a1)) == 3


def test_only_a_level_above_reminds_and_done_work_is_not_reminded(late, people):
    lamp, station, _ = late
    own = services.remind_measures(actor=people.branch_a1, measure_ids=[lamp.pk])
    assert own.refused == ["“村口路灯不亮”措施 1：只有上级组织或指导组可以提醒该单位"]
    from tests.rectification.conftest import act, progress

    act(people.branch_a1, progress(people.branch_a1, station), "submit")
    waiting = services.remind_measures(actor=people.county_office_a, measure_ids=[station.pk])
    assert waiting.refused == ["“便民服务站长期关门”措施 1：已申请销号，正等待核验，无需提醒"]
    assert not Notification.objects.exists() and not Reminder.objects.exists()


def _said(response) -> list[str]:
    """The messages the page after the redirect shows (each post shows its own)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_work_page_offers_批量提醒_and_the_post_says_each_refusal(client, late, people):
    lamp, station, _ = late
    client.force_login(people.county_office_a)
    page = client.get(reverse("rectification:my_work")).content.decode()
    assert 'data-testid="remind-many"' in page
    assert f'value="{lamp.pk}" form="bulk-overdue"' in page
    url = reverse("supervision:remind")
    response = client.post(url, {"measure": [lamp.pk, station.pk], "next": "/my-work/"})
    assert response.status_code == 302 and response["Location"] == "/my-work/"
    assert _said(response) == ["已提醒 2 条整改措施，2 位责任人收到站内消息"]
    client.get("/my-work/")  # the messages are shown, and gone
    response = client.post(url, {"measure": [lamp.pk]})
    assert _said(response) == ["未提醒：“村口路灯不亮”措施 1：今天已提醒过，同一措施一天只提醒一次"]
    client.get("/my-work/")
    assert _said(client.post(url, {})) == ["请先勾选要提醒的整改措施"]
    assert len(_inbox(people.branch_a1)) == 1


def test_the_ledger_filtered_to_overdue_offers_批量提醒_only_to_a_level_above(client, late, people):
    url = reverse("rectification:ledger") + "?work=overdue"
    client.force_login(people.county_office_a)
    assert 'data-testid="remind-many"' in client.get(url).content.decode()
    client.force_login(people.branch_a1)  # its own measures: nothing to remind
    assert 'data-testid="remind-many"' not in client.get(url).content.decode()
    page = client.get(reverse("rectification:my_work")).content.decode()
    assert 'data-testid="remind-many"' not in page


def test_the_api_reminds_as_the_page_does_and_says_each_refusal(client, late, people):
    from luoshi.accounts.tokens import issue_token

    lamp, station, other_county = late
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.county_office_a)}"}

    def post(ids):
        return client.post(
            "/api/v1/reminders", {"measure_ids": ids}, content_type="application/json", **auth
        )

    response = post([lamp.pk, other_county.pk])
    assert response.status_code == 200
    assert response.json() == {
        "reminded": [lamp.pk],
        "refused": ["没有找到所选的一条措施，或您无权查看"],
        "people": 2,
    }
    (message,) = _inbox(people.branch_a1)
    assert "村口路灯不亮" in message.body
    # nothing left to remind: refused as a whole, with every reason, and nothing written
    again = post([lamp.pk])
    assert again.status_code == 400
    assert again.json()["detail"] == (
        "未提醒：“村口路灯不亮”措施 1：今天已提醒过，同一措施一天只提醒一次"
    )
    assert post([]).json()["detail"] == "请先选择要提醒的整改措施"
    assert len(_inbox(people.branch_a1)) == 1 and Reminder.objects.count() == 1
    assert not Reminder.objects.filter(measure=station).exists()
