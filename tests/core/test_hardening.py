"""R15 login throttling, R16 deploy checks, R21 forced errors, R9 CSRF."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from luoshi.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _login(client, password):
    return client.post(reverse("login"), {"username": "office", "password": password})


def test_five_failures_lock_the_account_for_the_window_even_with_the_right_password(client, users):
    for _ in range(5):
        assert "账号或密码不正确" in _login(client, "wrong").content.decode()
    locked = _login(client, "secret-pass-1")
    assert locked.status_code == 200 and "登录失败次数过多" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _login(Client(), "secret-pass-1").status_code == 302


def test_failures_from_one_address_lock_other_accounts_too(client, users):
    for i in range(20):
        client.post(reverse("login"), {"username": f"guess{i}", "password": "x"})
    assert "登录失败次数过多" in _login(client, "secret-pass-1").content.decode()
    assert AuditEvent.objects.filter(kind="login_failed", detail__throttled=True).exists()


@override_settings(ROOT_URLCONF="tests.core.urls_boom", DEBUG=False)
def test_a_forced_error_shows_a_plain_page_with_a_request_id_and_logs_it(users, caplog):
    client = Client(raise_request_exception=False)
    client.force_login(users.office)
    response = client.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert response["X-Request-ID"] in body
    for leak in ("Traceback", "SELECT", "SECRET_KEY", "RuntimeError", "settings"):
        assert leak not in body
    assert any(response["X-Request-ID"] in getattr(r, "request_id", "") for r in caplog.records)


def test_post_without_csrf_token_is_403(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.office)
    response = client.post(reverse("logout"))
    assert response.status_code == 403
    response = client.post(reverse("login"), {"username": "office", "password": "secret-pass-1"})
    assert response.status_code == 403


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DEBUG": "0",
        "HTTPS_ONLY": "1",
        "LUOSHI_VAR": str(tmp_path),
        "SECRET_KEY": "k" * 30 + "-production-secret-with-enough-entropy-9f8e7d6c5b4a",
        "ALLOWED_HOSTS": "luoshi.example.org",
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests for the live server
    done = subprocess.run(
        [sys.executable, "-m", "luoshi.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
