"""Bearer tokens of the HTTP API: issued for a number of days, listed, revoked.

A token is looked up in the database on every request (never cached), so a revoked or expired
one stops working on the next request; its user is read as a signed-in page reads them (cached
per account version). A change of the user's password and their deactivation revoke every token
of theirs (accounts.signals), whichever way they are made (the password page, `changepassword`,
the shell)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from luoshi.accounts.backends import AccountBackend
from luoshi.accounts.models import ApiToken, must_change_password
from luoshi.core.errors import Invalid

LAST_USED_PRECISION = timedelta(minutes=1)
MAX_DAYS = 366


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user, *, days: int | None = None, label: str = "") -> str:
    """Create a token for the user, valid for `days` (API_TOKEN_DAYS by default), and return it;
    it cannot be read back later."""
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"有效期应为 1 至 {MAX_DAYS} 天")
    label = " ".join(label.split())
    if len(label) > 60:
        raise Invalid("用途最多 60 个字")
    key = "ls_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        prefix=key[:8],
        key_hash=_digest(key),
        label=label,
        expires_at=timezone.now() + timedelta(days=days),
    )
    return key


def live_tokens(user):
    """The user's tokens that still work, newest first."""
    return ApiToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def revoke_token(*, actor, token_id: int) -> ApiToken:
    """Revoke one token: its owner's own (404 for anyone else's), or any token for the system
    actor of the command line (actor None). Revoking a revoked token changes nothing; the time
    it was revoked is kept on the row."""
    tokens = ApiToken.objects.select_related("user")
    if actor is not None:
        tokens = tokens.filter(user=actor)
    with transaction.atomic():
        token = tokens.select_for_update().filter(pk=token_id).first()
        if token is None:
            raise Http404
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def revoke_all(user) -> int:
    """Revoke every working token of the user (a new password, a deactivated account)."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def user_for_token(key: str):
    now = timezone.now()
    token = (
        ApiToken.objects.filter(key_hash=_digest(key or ""), revoked_at__isnull=True)
        .filter(expires_at__gt=now)
        .first()
    )
    if token is None:
        return None
    # The user and their assignments as a signed-in page reads them (cached per account version).
    user = AccountBackend().get_user(token.user_id)
    if user is None:  # deactivated (or deleted)
        return None
    if must_change_password(user):  # a one-time password, not yet changed
        return None
    # "Last used" to the minute: an integration calling every second writes once a minute,
    # not on every read.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user
