"""Versions of the figures of a subtree, for caches of what is computed from them (the
dashboards' figures, rendered once and served to everyone who opens the same node until a row
under it changes).

A version is a random token per organisation at or above the tally depth, kept in the shared
cache (Redis in production): the figures of a node at or above the depth change with its own
token, those of a node below it with its anchor's (the anchor's subtree holds it). A write marks
the anchors of what it changed and every ancestor of them, and the writer marks them itself, in
its transaction: `core.tallies` does so for every recount (every writer of a tallied figure
recounts its anchors); a service that writes rows the figures count directly (research, the
ledger's wording, the submitted figures) calls `changed(paths)`; one that changes what can touch
any node (the tree itself, campaigns, categories, sources and key actions) calls
`changed_everywhere()`. No signal marks anything: `.update()`, bulk inserts and raw SQL write
as the ORM's saves do, and each app declares the tables that what is cached reads
(`read_from`), so that a request that writes one of them without marking is caught
(`checking_marks`: in the tests, and logged with DEBUG).

A transaction's marks are written once, after its commit, together. That is what makes the cache
exact: a reader who read a version and then computed figures from the data as it stood before
the commit may store them under that version, which is no longer current once the commit's mark
is written. Inside the writing transaction itself (and in the tests, which never commit) a
subtree it marked has a version of that transaction's own, which changes with each of its marks
and which no other transaction ever reads. Tokens are never reused: an entry evicted from the
cache comes back under a new token, so a version never names two states of the data. A version
also names the release (a digest of the code and templates): what one release cached, the next
never reads.

Accounts have versions of the same kind (`account_cached`): a user's own token, marked by the
account services (accounts.services) whenever they change the user, their profile or their
assignments (and, for a new password or a deactivation made by Django's own paths, by
accounts.signals), together with the token of every node (an organisation renamed or moved
changes the paths of its assignments). The signed-in user and their assignments are cached per
that version (accounts.backends)."""

import hashlib
import logging
import re
import secrets
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache as cache_once
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from luoshi.core.paths import ancestor_paths
from luoshi.core.tallies import anchor_of, is_deferred

_PREFIX = "figures:v:"
_PACKAGE = Path(__file__).resolve().parents[1]
_EVERY = _PREFIX + "*"
_ACCOUNT = "account:v:"


@cache_once
def release() -> str:
    """A digest of the package's code and templates, the same in every process of a release."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in (".py", ".html") and "migrations" not in path.parts:
            digest.update(str(path.relative_to(_PACKAGE)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _key(path: str) -> str:
    return _PREFIX + path


def _marked(paths: Iterable[str | None]) -> set[str]:
    """The version keys a change at these organisations' paths marks: each one's anchor and
    every ancestor of it."""
    return {_key(a) for p in paths if p for a in ancestor_paths(anchor_of(p))}


def _mark(keys: set[str]) -> None:
    cache.set_many(dict.fromkeys(keys, secrets.token_hex(8)), timeout=None)


class _Marks:
    """The keys the current transaction marked, written after its commit, and how often each
    was marked so far (the transaction's own versions)."""

    def __init__(self):
        self.id = secrets.token_hex(8)
        self.counts: Counter[str] = Counter()

    def __call__(self):
        _mark(set(self.counts))


def _pending() -> _Marks | None:
    """This transaction's marks (rolled back with it: Django drops the commit hooks of what it
    rolls back, savepoints included)."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    return next((f for _, f, _ in connection.run_on_commit if isinstance(f, _Marks)), None)


def _changed(keys: set[str]) -> None:
    _note_marks(keys)
    if not settings.LUOSHI_FIGURES_CACHE or is_deferred() or not keys:
        return  # (a bulk load marks everything at its end)
    if not transaction.get_connection().in_atomic_block:
        _mark(keys)  # already committed
        return
    marks = _pending()
    if marks is None:
        marks = _Marks()
        transaction.on_commit(marks)
    marks.counts.update(keys)


def changed(paths: Iterable[str | None]) -> None:
    """The figures of the subtrees holding these organisations are new once the current
    transaction commits."""
    _changed(_marked(paths))


def changed_everywhere(**_) -> None:
    """Every node's figures may be new (a move, a renamed organisation, an edited campaign)."""
    _changed({_EVERY})


def account_changed(user_id) -> None:
    """The user's account or assignments are new once the current transaction commits."""
    _changed({_ACCOUNT + str(user_id)})


# --- which tables are read by what is cached, and the check that their writers mark ----------
ROWS, EVERYWHERE, ACCOUNT = "rows", "everywhere", "account"
READ: dict[str, str] = {}  # database table -> the mark its writers make (ROWS, EVERYWHERE, ACCOUNT)
_check: ContextVar["_Check | None"] = ContextVar("versions_check", default=None)
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_LAST_LOGIN_ONLY = re.compile(r'^\s*UPDATE\s+"?auth_user"?\s+SET\s+"?last_login"?\s*=\s*%s\s+WHERE')
log = logging.getLogger(__name__)


def read_from(mark: str, *models) -> None:
    """Declare that what is cached reads these models' rows: every writer of them marks, with
    `changed(paths)` (ROWS), `changed_everywhere()` (EVERYWHERE) or `account_changed` (ACCOUNT);
    `changed_everywhere()` stands for any of them."""
    for model in models:
        READ[model._meta.db_table] = mark


class _Write:
    """A write to a declared table inside a transaction: counted once it commits (a refused
    change rolled back needs no mark; Django drops the commit hooks of what it rolls back), or
    while it is still pending when the check ends (the tests never commit)."""

    def __init__(self, check: "_Check", table: str):
        self.check, self.table = check, table

    def __call__(self):
        self.check.written[self.table] = READ[self.table]


class _Check:
    def __init__(self):
        self.written: dict[str, str] = {}  # table -> its mark
        self.marked: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if isinstance(sql, str) and (m := _WRITE.match(sql)) and m[1] in READ:
            # a login's time: nothing cached shows it; an update or delete that matched no row
            # (a stale version) wrote nothing (an INSERT's count may come only with its RETURNING)
            missed = m[0].lstrip()[0] in "UuDd" and context["cursor"].rowcount == 0
            if not _LAST_LOGIN_ONLY.match(sql) and not missed:
                self.wrote(m[1])
        return result

    def wrote(self, table: str) -> None:
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(_Write(self, table))
        else:
            self.written[table] = READ[table]

    def unmarked(self) -> list[str]:
        pending = transaction.get_connection().run_on_commit
        for _, write, _ in pending:
            if isinstance(write, _Write) and write.check is self:
                write()
        if EVERYWHERE in self.marked:
            return []
        return sorted(t for t, mark in self.written.items() if mark not in self.marked)


def _note_marks(keys: set[str]) -> None:
    check = _check.get()
    if check is None:
        return
    if is_deferred() or _EVERY in keys:
        check.marked.add(EVERYWHERE)
    check.marked.update(ACCOUNT if k.startswith(_ACCOUNT) else ROWS for k in keys if k != _EVERY)


def wrote(model) -> None:
    """A write that bypasses the database wrapper (PostgreSQL's COPY in core.bulk) to `model`'s
    table, for the check."""
    check = _check.get()
    if check is not None and model._meta.db_table in READ:
        check.wrote(model._meta.db_table)


@contextmanager
def checking_marks(what: str, fail: bool = True):
    """Within the block, every write to a table declared with `read_from` must be marked with
    its kind of mark (or everywhere), else an AssertionError (with `fail`) or a logged error names
    the tables and `what` wrote them. For the tests and DEBUG: it watches every statement."""
    from django.db import connection

    check = _Check()
    token = _check.set(check)
    try:
        with connection.execute_wrapper(check):
            yield check
    finally:
        _check.reset(token)
    if missed := check.unmarked():
        message = (
            f"{what} wrote {', '.join(missed)} and marked no version of what is cached from it:"
            " the service must call versions.changed(paths), changed_everywhere() or"
            " account_changed(user_id) (core/versions.py)"
        )
        if fail:
            raise AssertionError(message)
        log.error(message)


def _tokens(keys: list[str], also: list[str]) -> dict | None:
    """The current tokens of `keys` with the entries `also`, read in one round trip (None if a
    token is missing and cannot be made)."""
    found = cache.get_many([*keys, *also])
    for key in keys:
        if key not in found:
            cache.add(key, secrets.token_hex(8), timeout=None)
            found[key] = cache.get(key)
    if any(found[key] is None for key in keys):
        return None
    return found


def _lookup(token_keys: list[str], key: str) -> tuple[str | None, object]:
    """The version these tokens name now, and the value cached at `key` if it was stored under
    that version (else None), in one round trip. (None, None) where nothing may be cached: no
    shared cache, or the current transaction changed what the tokens stand for and has not
    committed (it reads the database)."""
    if not settings.LUOSHI_FIGURES_CACHE:
        return None, None
    marks = _pending()
    if marks is not None and any(k in marks.counts for k in token_keys):
        return None, None
    found = _tokens(token_keys, [key])
    if found is None:
        return None, None
    version = ".".join([release(), *(found[k] for k in token_keys)])
    entry = found.get(key)
    return version, entry[1] if entry is not None and entry[0] == version else None


def store(key: str, version: str, value, timeout: int) -> None:
    """Cache `value` at `key` under the version `_lookup` read before computing it."""
    cache.set(key, (version, value), timeout=timeout)


def account_cached(user_id, key: str) -> tuple[str | None, object]:
    """The version of the user's account and assignments, and the value cached at `key` under
    it (`_lookup`): the user's own token with the token for everything."""
    return _lookup([_EVERY, _ACCOUNT + str(user_id)], key)


def everywhere_cached(key: str, compute, timeout: int = 3600):
    """`compute()`, cached until a change that marks every version (the tree, campaigns, their
    sources and categories): for what every page reads of them, such as the campaigns a scope
    sees. Computed, and not stored, where nothing may be cached."""
    version, value = _lookup([_EVERY], key)
    if value is None:
        value = compute()
        if version is not None:
            store(key, version, value, timeout)
    return value


def version(path: str) -> str | None:
    """The version of the figures of the subtree at `path` (None if the cache cannot say, in
    which case nothing may be cached): never without a cache all processes share
    (`LUOSHI_FIGURES_CACHE`), where another process's writes would not be seen."""
    if not settings.LUOSHI_FIGURES_CACHE:
        return None
    own = anchor_of(path)  # the node itself at or above the tally depth
    keys = [_EVERY, _key(own)]
    marks = _pending()
    own_marks = ""
    if marks is not None and any(key in marks.counts for key in keys):
        # changed by this transaction, not yet committed: a version only it reads
        own_marks = f".{marks.id}:{marks.counts[_EVERY]}:{marks.counts[_key(own)]}"
    found = _tokens(keys, [])
    if found is None:
        return None
    return f"{release()}.{found[_EVERY]}.{found[_key(own)]}{own_marks}"
