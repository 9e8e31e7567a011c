"""API tokens: they expire, are listed and revoked (command and page), and a new password or a
deactivated account ends them all, at once, also with the signed-in user cached."""

import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from luoshi.accounts.models import ApiToken
from luoshi.accounts.tokens import issue_token

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"ls_[A-Za-z0-9_-]{20,}")


def _api(token):
    return Client().get("/api/v1/campaigns", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def _command(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_a_token_works_until_its_days_are_over(users):
    default = issue_token(users.county_a)
    week = issue_token(users.county_a, days=7)
    assert _api(default) == 200 and _api(week) == 200
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert _api(week) == 401 and _api(default) == 200
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert _api(default) == 401


def test_the_command_issues_for_n_days_lists_and_revokes(users):
    token = _command("county_a", "--days", "30", "--label", "台账同步").strip()
    assert _api(token) == 200
    stored = ApiToken.objects.get(user=users.county_a)
    assert timedelta(days=29) < stored.expires_at - timezone.now() <= timedelta(days=30)
    listing = _command("--list", "county_a")
    assert token[:8] in listing and "台账同步" in listing and "有效" in listing
    assert token not in listing  # only the prefix is ever shown again
    assert "已撤销" in _command("--revoke", str(stored.pk))
    assert _api(token) == 401
    assert "已撤销" in _command("--list", "county_a")
    with pytest.raises(CommandError, match="没有编号为"):
        _command("--revoke", "999999")
    with pytest.raises(CommandError, match="有效期应为"):
        _command("county_a", "--days", "0")


def test_a_token_revoked_on_the_page_stops_at_once_with_the_account_cached(users, settings):
    settings.LUOSHI_FIGURES_CACHE = True  # the signed-in user is cached per account version
    client = Client()
    client.force_login(users.county_a)
    created = client.post(reverse("tokens"), {"label": "脚本", "days": "90"})
    body = created.content.decode()
    token = TOKEN_RE.search(body).group(0)
    assert "请立即复制保存" in body
    assert _api(token) == 200 and _api(token) == 200  # the second one from the cache
    listing = client.get(reverse("tokens")).content.decode()
    assert token not in listing and token[:8] in listing and "有效" in listing
    stored = ApiToken.objects.get(user=users.county_a)
    client.post(reverse("token_revoke", args=[stored.pk]))
    assert _api(token) == 401
    assert "已撤销" in client.get(reverse("tokens")).content.decode()


def test_nobody_revokes_or_sees_another_users_token(users):
    token = issue_token(users.county_a, label="区里的脚本")
    stored = ApiToken.objects.get(user=users.county_a)
    client = Client()
    client.force_login(users.office)
    assert "区里的脚本" not in client.get(reverse("tokens")).content.decode()
    assert client.post(reverse("token_revoke", args=[stored.pk])).status_code == 404
    assert _api(token) == 200


def test_bad_days_on_the_page_are_refused_in_chinese_and_nothing_is_issued(users):
    client = Client()
    client.force_login(users.county_a)
    response = client.post(reverse("tokens"), {"days": "1000"})
    assert response.status_code == 400 and "366" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_changing_the_password_on_the_page_revokes_every_token(users, settings):
    settings.LUOSHI_FIGURES_CACHE = True
    tokens = [issue_token(users.office) for _ in range(2)]
    other = issue_token(users.county_a)
    assert all(_api(t) == 200 for t in tokens)
    client = Client()
    client.force_login(users.office)
    changed = client.post(
        reverse("password_change"),
        {
            "old_password": "secret-pass-1",
            "new_password1": "a-much-longer-pass-7",
            "new_password2": "a-much-longer-pass-7",
        },
    )
    assert changed.status_code == 302
    assert "接口令牌已全部撤销" in client.get(changed["Location"]).content.decode()
    assert [_api(t) for t in tokens] == [401, 401]
    assert _api(other) == 200
    assert _api(issue_token(users.office)) == 200  # a new one after the change works


def test_a_password_set_elsewhere_or_a_deactivation_revokes_the_tokens(users, settings):
    settings.LUOSHI_FIGURES_CACHE = True
    first = issue_token(users.county_a)
    assert _api(first) == 200
    users.county_a.set_password("another-pass-123")  # `changepassword`, the shell
    users.county_a.save()
    assert _api(first) == 401
    second = issue_token(users.county_a)
    assert _api(second) == 200
    users.county_a.is_active = False
    users.county_a.save()
    users.county_a.is_active = True
    users.county_a.save()
    assert _api(second) == 401  # still revoked once the account is back


def test_signing_in_keeps_the_tokens(users):
    token = issue_token(users.office)
    response = Client().post(reverse("login"), {"username": "office", "password": "secret-pass-1"})
    assert response.status_code == 302
    assert _api(token) == 200
