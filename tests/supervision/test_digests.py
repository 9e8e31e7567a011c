"""Digests: one message a day per person grouping all their reminders, through a real SMTP
conversation with a local server and a webhook POSTed to a local receiver; nothing is sent twice
when the sweep runs again, and a channel that failed is tried again."""

import pytest

from luoshi.rectification import services as ledger_services
from luoshi.supervision import services
from luoshi.supervision.models import Delivery, Notification
from tests.supervision.conftest import days
from tests.supervision.receivers import HookServer, SMTPServer, serve

pytestmark = pytest.mark.django_db


@pytest.fixture
def hook(settings):
    server = serve(HookServer())
    settings.WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/robot/send"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp(settings):
    server = serve(SMTPServer())
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.server_address[1], "timeout": 5},
        }
    }
    settings.LUOSHI_EMAIL_DIGESTS = True
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def two_overdue(ledger, people):
    """Branch a1's measure and a second one, both overdue on the same day."""
    second = ledger_services.add_measure(
        actor=people.branch_a1,
        problem=ledger.problem,
        content="完善便民服务窗口",
        due_on=ledger.measure.due_on,
    )
    for user in (people.branch_a1, people.branch_office_a1, people.county_office_a):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return ledger.measure, second


def test_each_person_gets_one_digest_a_day_by_mail_and_webhook_never_twice(
    clock, two_overdue, people, hook, smtp
):
    clock.to(two_overdue[0].due_on + days(1))
    result = services.sweep()
    assert result.issued["yellow"] == 2  # two 督办单 …
    # … and one message per person, listing both
    by_user = {p["user"]: p for p in hook.posts}
    assert sorted(by_user) == ["branch_a1", "branch_office_a1"]
    assert all(len(p["items"]) == 2 and p["msgtype"] == "text" for p in hook.posts)
    assert "黄色督办" in by_user["branch_a1"]["text"]["content"]
    mails = {m["to"][0]: m["message"] for m in smtp.messages}
    assert sorted(mails) == ["branch_a1@example.org", "branch_office_a1@example.org"]
    body = mails["branch_a1@example.org"].get_content()
    assert (
        body.count("黄色督办") == 2
        and "督办提醒（2条）" in mails["branch_a1@example.org"]["Subject"]
    )
    services.sweep()
    services.send_digests(two_overdue[0].due_on + days(1))
    assert len(hook.posts) == 2 and len(smtp.messages) == 2
    assert Delivery.objects.filter(state="sent").count() == 4


def test_a_later_rung_is_a_new_days_digest(clock, two_overdue, people, hook):
    due = two_overdue[0].due_on
    clock.to(due + days(1))
    services.sweep()
    clock.to(due + days(7))
    services.sweep()  # orange: the owner's second digest, on another day
    owner_posts = [p for p in hook.posts if p["user"] == "branch_a1"]
    assert [p["day"] for p in owner_posts] == [str(due + days(1)), str(due + days(7))]
    assert Notification.objects.filter(user=people.branch_a1).count() == 4


def test_a_failed_webhook_is_tried_again_by_the_next_sweep_and_sent_once(
    clock, two_overdue, people, hook
):
    clock.to(two_overdue[0].due_on + days(1))
    hook.status = 500
    result = services.sweep()
    assert result.failed == 2 and set(Delivery.objects.values_list("state", flat=True)) == {
        "failed"
    }
    hook.status = 200
    again = services.sweep()
    assert again.sent["webhook"] == 2
    services.sweep()
    assert len([p for p in hook.posts if p["user"] == "branch_a1"]) == 2  # one failed, one sent


def test_the_command_runs_the_sweep_for_a_given_day(two_overdue):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    day = (two_overdue[0].due_on + days(1)).isoformat()
    call_command("sweep-reminders", "--date", day, stdout=out)
    assert "黄色督办 2" in out.getvalue()
    out = io.StringIO()
    call_command("sweep-reminders", "--date", day, stdout=out)
    assert "新下发：无" in out.getvalue()


def test_the_task_on_the_queue_runs_the_sweep(two_overdue):
    from luoshi.supervision.tasks import sweep_reminders

    result = sweep_reminders.enqueue((two_overdue[0].due_on + days(1)).isoformat())
    assert "黄色督办 2" in result.return_value
