"""The signed-in user of a page, read once per change of their account instead of once per
request.

Every page needs the user and their assignments (their scope and roles): two queries, about a
millisecond of a web worker's CPU, a tenth of an average page under load (W8). With a cache every
process shares (production: Redis), they are kept there per *account version* (core.versions):
a token of the user's own, marked after the commit of any save or delete of the user or of one of
their assignments (accounts.signals), together with the token every node's figures share, which
a renamed or moved organisation marks (the paths of assignments change with it). A reader reads
the version before the database, so what it stores from a state older than a commit is stored
under a version that commit has already replaced: a deactivated user, a withdrawn assignment or
a changed password takes effect on the next request, as it does without the cache."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from luoshi.core import versions
from luoshi.core.scoping import assigned


def _key(user_id) -> str:
    return f"account:{user_id}"


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        key = _key(user_id)
        version, found = versions.account_version(user_id, key)
        entry = found.get(key)
        if version is not None and entry is not None and entry[0] == version:
            user = entry[1]
        else:
            user = super().get_user(user_id)  # None for an inactive or deleted user
            if user is None:
                return None
            if version is not None:
                assigned(user)  # read now, kept on the object and with it in the cache
                cache.set(key, (version, user), timeout=settings.SESSION_COOKIE_AGE)
        return user if self.user_can_authenticate(user) else None
