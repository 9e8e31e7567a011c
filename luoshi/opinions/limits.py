"""Rate limits for the public pages, counted in Django's cache (Redis in production, local memory
in the demo and the tests): fixed windows, one counter per (what, who, window).

A refused request costs one cache round trip and no database work, so a flood from one address
is cut off before it reaches the database; other senders keep their own counters."""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int


def limits() -> dict[str, Limit]:
    configured = getattr(settings, "OPINION_LIMITS", {})
    defaults = {
        # One person writes a few opinions, not dozens.
        "submit_ip": (5, 600),
        "submit_ip_day": (30, 86400),
        # A whole organisation rarely gets more than this in an hour, even on a symposium day.
        "submit_org": (120, 3600),
        # Looking up codes: enough for a family sharing one address, too few to guess.
        "lookup_ip": (20, 600),
        "rate_ip": (10, 600),
    }
    return {k: Limit(k, *configured.get(k, v)) for k, v in defaults.items()}


def _key(limit: Limit, who: str) -> str:
    window = int(time.time()) // limit.seconds
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{who}".encode()).hexdigest()[:24]
    return f"luoshi:rl:{limit.name}:{digest}:{window}"


def over_limit(name: str, who: str) -> bool:
    """True when `who` has used up `name`'s allowance in this window (without counting a hit)."""
    limit = limits()[name]
    return (cache.get(_key(limit, who)) or 0) >= limit.count


def hit(name: str, who: str) -> bool:
    """Count one use; True when it is still within the allowance."""
    limit = limits()[name]
    key = _key(limit, who)
    cache.add(key, 0, timeout=limit.seconds + 5)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds + 5)
        used = 1
    return used <= limit.count


def retry_after(name: str) -> int:
    limit = limits()[name]
    return limit.seconds - int(time.time()) % limit.seconds
