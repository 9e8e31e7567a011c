import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from luoshi.accounts.backends import AccountBackend
from luoshi.accounts.models import ApiToken

LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user) -> str:
    """Create a token for the user and return it; it cannot be read back later."""
    key = "ls_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, prefix=key[:8], key_hash=_digest(key))
    return key


def user_for_token(key: str):
    token = ApiToken.objects.filter(key_hash=_digest(key or "")).first()
    if token is None:
        return None
    # The user and their assignments as a signed-in page reads them (cached per account version).
    user = AccountBackend().get_user(token.user_id)
    if user is None:  # deactivated (or deleted)
        return None
    now = timezone.now()
    # "Last used" to the minute: an integration calling every second writes once a minute,
    # not on every read.
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user
