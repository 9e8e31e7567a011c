"""R9 a wrong CSRF token, R15 session expiry, the password policy on the password page, and the
safe headers every page carries."""

from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from luoshi.core.models import AuditEvent

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-1"  # tests.factories


def _login(client, username="office", password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_every_page_carries_the_safe_headers_and_a_strict_csp(client, users):
    client.force_login(users.office)
    response = client.get(reverse("orgs:tree"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_session_cookie_is_http_only_and_ends_with_the_browser(client, users):
    response = _login(client)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] and not cookie["max-age"] and not cookie["expires"]


def test_session_expires_eight_hours_after_login(client, users):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _login(client)
        clock.shift(timedelta(hours=7, minutes=59))
        assert client.get(reverse("orgs:tree")).status_code == 200
        clock.shift(timedelta(minutes=2))
        response = client.get(reverse("orgs:tree"))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_post_with_a_wrong_csrf_token_is_403_and_the_right_one_passes(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.office)
    page = client.get(reverse("password_change"))
    token = page.context["csrf_token"]
    data = {"old_password": "wrong", "new_password1": "x", "new_password2": "x"}
    wrong = client.post(reverse("password_change"), data | {"csrfmiddlewaretoken": "a" * 64})
    assert wrong.status_code == 403
    right = client.post(reverse("password_change"), data | {"csrfmiddlewaretoken": str(token)})
    assert right.status_code == 200  # the form answers (the old password is wrong)


@pytest.mark.parametrize(
    "weak",
    ["Short-1", "12345678901234", "password123", "office1234"],
    ids=["too-short", "all-digits", "common", "like-the-username"],
)
def test_weak_passwords_are_refused_and_the_old_one_still_works(client, users, weak):
    client.force_login(users.office)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    client.logout()
    assert _login(client, password=weak).status_code == 200  # refused: the form again
    assert _login(Client(), password=PASSWORD).status_code == 302


def test_a_strong_password_replaces_the_old_one_and_keeps_the_session(client, users):
    strong = "Zhenggai-落实-2026!"
    client.force_login(users.office)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )
    assert response.status_code == 302
    assert client.get(reverse("orgs:tree")).status_code == 200  # still signed in
    assert _login(Client(), password=PASSWORD).status_code == 200
    assert _login(Client(), password=strong).status_code == 302


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql", ["UPDATE core_auditevent SET username = 'x'", "DELETE FROM core_auditevent"]
)
def test_audit_log_refuses_raw_update_and_delete_on_postgresql(users, sql):
    """R17 for the audit log: not even SQL typed at the database can rewrite who did what."""
    AuditEvent.objects.create(kind="login", username="office")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.filter(username="office").count() == 1


def test_nul_characters_are_refused_with_400_not_a_database_error(client, tree, users):
    """Found by schemathesis on PostgreSQL (which refuses NUL in text): a search with a NUL was a
    500. Query strings, form fields and JSON bodies with one are answered 400; nothing is
    written."""
    from luoshi.accounts.tokens import issue_token
    from luoshi.rectification.models import Problem

    client.force_login(users.branch_a1)
    assert client.get("/ledger/?q=%E6%95%B4%00%E6%94%B9").status_code == 400
    assert client.get("/orgs/search/?q=a%00").status_code == 400
    assert client.get("/ledger/?q=%E6%95%B4%E6%94%B9").status_code == 200  # 整改 is fine
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(users.branch_a1)}"}
    response = client.get("/api/v1/problems?q=%00", **bearer)
    assert response.status_code == 400 and "NUL" in response.json()["detail"]
    response = client.post(
        "/api/v1/problems",
        {"org_id": tree.branch_a1.pk, "campaign_id": 1, "title": "问题\x00", "measures": []},
        content_type="application/json",
        **bearer,
    )
    assert response.status_code == 400 and not Problem.objects.exists()
    response = client.post(reverse("password_change"), {"old_password": "x\x00"})
    assert response.status_code == 400
