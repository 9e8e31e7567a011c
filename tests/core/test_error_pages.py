"""404, 403, 500 and 400 are the product's own pages in Chinese with DEBUG off, and the demo
runs with DEBUG off whatever its environment says (Django's English debug pages never show)."""

import json
import os
import subprocess
import sys

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import path, reverse

from luoshi import urls as base


@login_not_required
def denied(request):
    raise PermissionDenied


@login_not_required
def denied_with_reason(request):
    raise PermissionDenied("只有主题教育办公室可以部署关键动作")


@login_not_required
def boom(request):
    raise RuntimeError("boom")


@login_not_required
def suspicious(request):
    raise SuspiciousOperation("bad")


urlpatterns = [
    *base.urlpatterns,
    path("t/denied/", denied),
    path("t/denied-why/", denied_with_reason),
    path("t/boom/", boom),
    path("t/bad/", suspicious),
]
handler400, handler403 = base.handler400, base.handler403
handler404, handler500 = base.handler404, base.handler500

CASES = [
    ("/no-such-page/", 404, "未找到该页面"),
    ("/orgs/999999999/", 404, "未找到该页面"),
    ("/t/denied/", 403, "您没有进行此操作的权限"),
    ("/t/denied-why/", 403, "只有主题教育办公室可以部署关键动作"),
    ("/t/boom/", 500, "出错了，请稍后再试"),
    ("/t/bad/", 400, "请求有误"),
]
# What Django's own pages (debug or not) say, none of which may show.
ENGLISH = ("Page not found", "Forbidden", "Server Error", "Bad Request", "URLconf", "Traceback")


def _assert_chinese(status: int, body: str, want_status: int, want_text: str) -> None:
    assert status == want_status
    assert want_text in body
    assert 'lang="zh-CN"' in body  # the product's layout, not Django's page
    for english in ENGLISH:
        assert english not in body, english


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
@pytest.mark.parametrize(("url", "status", "text"), CASES, ids=[c[0] for c in CASES])
def test_error_pages_are_chinese_with_debug_off(users, url, status, text):
    client = Client(raise_request_exception=False)
    client.force_login(users.branch_a1)
    response = client.get(url)
    _assert_chinese(response.status_code, response.content.decode(), status, text)


@pytest.mark.django_db
def test_a_refused_csrf_check_is_a_chinese_403(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users.office)
    response = client.post(reverse("logout"))
    _assert_chinese(response.status_code, response.content.decode(), 403, "请刷新页面后重新提交")


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_the_api_gets_its_404_in_json():
    response = Client(raise_request_exception=False).get("/api/v1/no-such-operation")
    assert response.status_code == 404 and response.json() == {"detail": "未找到"}


# Run in a process of its own with the demo's environment (DEBUG=1 as `make demo` once set it):
# the settings are the demo's, and every error page is the Chinese one.
DEMO_SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import override_settings
from tests.core.test_error_pages import CASES
pages = []
with override_settings(ROOT_URLCONF="tests.core.test_error_pages"):
    client = Client(raise_request_exception=False)
    for url, _, _ in CASES:
        if url.startswith("/orgs/"):
            continue  # needs a signed-in user (the database's tables), not this empty one
        r = client.get(url)
        pages.append((url, r.status_code, r.content.decode()))
print(json.dumps({
    "debug": settings.DEBUG,
    "tasks": settings.TASKS["default"]["BACKEND"],
    "secure_cookies": settings.SESSION_COOKIE_SECURE or settings.CSRF_COOKIE_SECURE,
    "pages": pages,
}))
"""


def test_the_demo_settings_show_chinese_error_pages_never_debug_ones(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TASKS_BACKEND")}
    env |= {"DEMO": "1", "DEBUG": "1", "LUOSHI_VAR": str(tmp_path)}
    env["DJANGO_SETTINGS_MODULE"] = "luoshi.settings"
    done = subprocess.run(
        [sys.executable, "-c", DEMO_SCRIPT], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["debug"] is False
    assert found["tasks"] == "django_tasks_db.DatabaseBackend"
    assert found["secure_cookies"] is False  # the demo is served over plain HTTP on 127.0.0.1
    wanted = {url: (status, text) for url, status, text in CASES}
    for url, status, body in found["pages"]:
        _assert_chinese(status, body, *wanted[url])
