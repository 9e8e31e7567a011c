"""The client's address of a request, the one place that decides it.

Behind the TLS proxy of the production layout every request comes from the proxy's address.
The proxy appends the address it was connected from to `X-Forwarded-For`, so when REMOTE_ADDR is
one of `TRUSTED_PROXIES` the client is the right-most entry of that header that is not itself a
trusted proxy: everything to its left was written by the client and may be forged. From any other
peer the header is ignored. Login throttling, the public pages' rate limits, the tracking-code
look-ups and the audit log all read the address here."""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request) -> str | None:
    """The address of the client who sent `request` (None without one)."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    peer = _address(remote or "")
    if peer is None or not networks or not _trusted(peer, networks):
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not an address: nothing left of it can be believed
            return remote
        if not _trusted(address, networks):
            return str(address)
    # Only proxies in the chain (or no header): the farthest one is the client we know of.
    return str(_address(hops[0])) if hops else remote
