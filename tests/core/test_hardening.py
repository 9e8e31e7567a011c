"""R16 deploy checks, R21 forced errors, R9 CSRF."""

import os
import subprocess
import sys

import pytest
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


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
