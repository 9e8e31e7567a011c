"""The signed-in user of a page, read once per change of their account instead of once per
request.

Every page needs the user and their assignments (their scope and roles): two queries, about a
millisecond of a web worker's CPU, a tenth of an average page under load (W8). With a cache every
process shares (production: Redis), they are kept there per *account version* (core.versions):
a token of the user's own, marked after the commit of any change the account services make to the
user, their profile or their assignments (accounts.services; a password or activity changed by
Django's own paths, accounts.signals), together with the token every node's figures share, which
a renamed or moved organisation marks (the paths of assignments change with it). A reader reads
the version before the database, so what it stores from a state older than a commit is stored
under a version that commit has already replaced: a deactivated user, a withdrawn assignment or
a changed password takes effect on the next request, as it does without the cache. The cached
user carries no password hash (only the session's hash of it, which the session in the same
cache holds anyway)."""

import copy

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from luoshi.core import versions
from luoshi.core.scoping import assigned


def _key(user_id) -> str:
    return f"account:{user_id}"


def _without_password(user):
    """A copy of the user to cache, without the password hash: the cache never holds one. The
    copy reads it from the database if something asks (changing the password checks the old
    one); the session check uses the hash of it kept beside (what the session itself holds)."""
    kept = copy.copy(user)
    kept.__dict__.pop("password", None)  # a deferred field from now on
    return kept


def _session_hash(user, cached_hash: str):
    """The session auth hash of a cached user: the cached one while the password was neither
    read nor set on this object, computed as usual otherwise (after a change of password in this
    request, the session must keep the new one)."""

    def get_session_auth_hash():
        if "password" in user.__dict__:
            return type(user).get_session_auth_hash(user)
        return cached_hash

    return get_session_auth_hash


class AccountBackend(ModelBackend):
    @staticmethod
    def _read(user_id):
        """The user with their profile (must they change their password?) in one query."""
        User = get_user_model()
        try:
            return User._default_manager.select_related("luoshi_profile").get(pk=user_id)
        except User.DoesNotExist:
            return None

    def get_user(self, user_id):
        key = _key(user_id)
        version, entry = versions.account_cached(user_id, key)
        if entry is not None:
            user, cached_hash = entry
            user.get_session_auth_hash = _session_hash(user, cached_hash)
        else:
            user = self._read(user_id)  # None for a deleted user
            if user is None:
                return None
            if version is not None:
                assigned(user)  # read now, kept on the object and with it in the cache
                entry = (_without_password(user), user.get_session_auth_hash())
                versions.store(key, version, entry, timeout=settings.ACCOUNT_CACHE_SECONDS)
        return user if self.user_can_authenticate(user) else None
