"""The client's address behind the TLS proxy (core/clients.py): the right-most X-Forwarded-For
entry that is not a trusted proxy, only when the peer is a trusted proxy."""

import pytest
from django.test import RequestFactory

from luoshi.core.clients import client_address

PROXY = "10.0.0.2"


def _request(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "127.0.0.1"]


def test_the_proxys_peer_is_the_right_most_untrusted_forwarded_entry(behind_proxy):
    assert client_address(_request(PROXY, "203.0.113.7")) == "203.0.113.7"
    # A forged entry on the left, then the client, then a second proxy of ours.
    forged = "1.2.3.4, 203.0.113.7, 10.0.0.9"
    assert client_address(_request(PROXY, forged)) == "203.0.113.7"
    assert client_address(_request("127.0.0.1", "2001:db8::5")) == "2001:db8::5"


def test_a_forwarded_header_from_an_untrusted_peer_is_ignored(behind_proxy):
    assert client_address(_request("198.51.100.9", "203.0.113.7")) == "198.51.100.9"


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(_request(PROXY, "203.0.113.7")) == PROXY


def test_garbage_in_the_header_falls_back_to_the_proxy_not_to_what_the_client_wrote(
    behind_proxy,
):
    assert client_address(_request(PROXY, "203.0.113.7, not-an-address")) == PROXY
    assert client_address(_request(PROXY)) == PROXY
