"""R15 login throttling per account and address (accounts/forms.py): a guesser slows himself
with growing delays; nobody can lock an account out of where it is used, also behind the
proxy, where every request comes from the proxy's address."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from luoshi.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
RIGHT = "secret-pass-1"


def _login(client, password, ip="198.51.100.1", username="office", **extra):
    data = {"username": username, "password": password}
    return client.post(reverse("login"), data, REMOTE_ADDR=ip, **extra)


def _via_proxy(client, password, client_ip, username="office"):
    return _login(client, password, PROXY, username, HTTP_X_FORWARDED_FOR=client_ip)


def _signed_in(response) -> bool:
    return response.status_code == 302


def test_five_wrong_passwords_from_an_attacker_do_not_stop_the_owner_from_their_address(users):
    owner, attacker = Client(), Client()
    assert _signed_in(_login(owner, RIGHT, ip="198.51.100.1"))
    owner.post(reverse("logout"))
    for _ in range(5):
        _login(attacker, "wrong", ip="203.0.113.66")
    refused = _login(attacker, RIGHT, ip="203.0.113.66")
    assert not _signed_in(refused) and "登录失败次数过多" in refused.content.decode()
    assert _signed_in(_login(owner, RIGHT, ip="198.51.100.1"))
    # Not even a new address of the owner's is held up by five failures elsewhere.
    assert _signed_in(_login(Client(), RIGHT, ip="198.51.100.200"))


def test_the_delay_doubles_with_each_failure_and_says_how_long_in_chinese(users):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(5):
            assert "账号或密码不正确" in _login(client, "wrong").content.decode()
        assert "请 32 秒后再试" in _login(client, RIGHT).content.decode()
        clock.shift(33)
        assert "账号或密码不正确" in _login(client, "wrong").content.decode()  # the 6th
        clock.shift(33)
        assert "请 31 秒后再试" in _login(client, RIGHT).content.decode()  # 64 s after it
        clock.shift(31)
        assert "账号或密码不正确" in _login(client, "wrong").content.decode()  # the 7th
        assert "请 3 分钟后再试" in _login(client, RIGHT).content.decode()  # 128 s
        for _ in range(5):  # waiting out each delay, failing again
            clock.shift(901)
            _login(client, "wrong")
        assert "请 15 分钟后再试" in _login(client, RIGHT).content.decode()  # at most
        clock.shift(901)
        assert _signed_in(_login(client, RIGHT))
    assert AuditEvent.objects.filter(kind="login_failed", detail__throttled=True).exists()


def test_two_clients_behind_the_trusted_proxy_are_throttled_apart(users, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for i in range(25):  # one client spraying accounts, and office's password
        _via_proxy(Client(), "wrong", "203.0.113.66", username=f"guess{i}")
        _via_proxy(Client(), "wrong", "203.0.113.66")
    refused = _via_proxy(Client(), RIGHT, "203.0.113.66")
    assert "登录失败次数过多" in refused.content.decode()
    assert _signed_in(_via_proxy(Client(), RIGHT, "198.51.100.1", username="county_a"))
    events = AuditEvent.objects.filter(kind="login_failed")
    assert set(events.values_list("ip", flat=True)) == {"203.0.113.66"}


def test_an_untrusted_forwarded_header_does_not_escape_the_throttle(users, settings):
    settings.TRUSTED_PROXIES = [PROXY]
    for i in range(5):
        _login(Client(), "wrong", ip="203.0.113.66", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    refused = _login(Client(), RIGHT, ip="203.0.113.66", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert "登录失败次数过多" in refused.content.decode()


def test_failures_from_many_addresses_slow_new_addresses_moderately_but_not_known_ones(users):
    assert _signed_in(_login(Client(), RIGHT, ip="198.51.100.1"))
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False) as clock:
        for i in range(20):  # a botnet, one guess per address
            _login(Client(), "wrong", ip=f"203.0.113.{i}")
        slowed = _login(Client(), RIGHT, ip="198.51.100.77").content.decode()
        assert "请 2 分钟后再试" in slowed
        assert _signed_in(_login(Client(), RIGHT, ip="198.51.100.1"))
        clock.shift(121)
        assert _signed_in(_login(Client(), RIGHT, ip="198.51.100.77"))


def test_failures_from_one_address_slow_other_accounts_there_that_never_signed_in(users):
    for i in range(20):
        _login(Client(), "x", ip="203.0.113.66", username=f"guess{i}")
    assert "登录失败次数过多" in _login(Client(), RIGHT, ip="203.0.113.66").content.decode()
