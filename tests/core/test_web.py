import pytest
from django.urls import reverse

from luoshi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_pages_carry_a_content_security_policy(client, tree, users):
    client.force_login(users.office)
    response = client.get(reverse("orgs:tree"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_login_rotates_session_and_is_audited_and_logout_ends_it(client, tree, users):
    client.get(reverse("login"))
    before = client.session.session_key
    response = client.post(reverse("login"), {"username": "office", "password": "secret-pass-1"})
    assert response.status_code == 302
    assert client.session.session_key != before
    assert AuditEvent.objects.filter(kind="login", actor=users.office).exists()
    client.post(reverse("logout"))
    assert client.get(reverse("orgs:tree")).status_code == 302
    assert AuditEvent.objects.filter(kind="logout", actor=users.office).exists()


def test_failed_login_is_audited_and_says_so_in_chinese(client, tree, users):
    response = client.post(reverse("login"), {"username": "office", "password": "wrong"})
    assert "账号或密码不正确" in response.content.decode()
    assert AuditEvent.objects.filter(kind="login_failed", username="office").exists()


def test_audit_events_cannot_be_edited_or_deleted(tree, users):
    event = AuditEvent.objects.create(kind="login", username="office")
    event.username = "someone-else"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_logout_by_get_is_refused(client, users):
    client.force_login(users.office)
    assert client.get(reverse("logout")).status_code == 405
