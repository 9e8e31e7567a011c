import fcntl
import os
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.factories import MemberFactory, make_org, user_with


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test starts with an empty cache: the database is rolled back between tests, so
    nothing cached from another test's rows may answer (ids are reused). The dashboards' figures
    are cached as in production (one process: its cache is shared by everything the test does)."""
    from django.core.cache import cache

    settings.LUOSHI_FIGURES_CACHE = True
    settings.LUOSHI_CHECK_MARKS = "raise"  # a request that writes what is cached marks it
    cache.clear()


@pytest.fixture
def tree(db):
    """A city with two counties, each with a township and two branches, members in each branch.

    Ids are created in an order where one county's id is a prefix of the other's branch ids'
    digits often enough to catch string-prefix mistakes; the tests below check that directly."""
    city = make_org(name="测试市委", level=2)
    county_a = make_org(city, name="甲区委", kind="committee", level=3)
    county_b = make_org(city, name="乙县委", kind="committee", level=3)
    town_a = make_org(county_a, name="甲一街道党工委", kind="working_committee", level=4)
    town_b = make_org(county_b, name="乙一镇党委", kind="committee", level=4)
    branch_a1 = make_org(town_a, name="甲一社区党支部")
    branch_a2 = make_org(town_a, name="甲二社区党支部")
    branch_b1 = make_org(town_b, name="乙一村党支部")
    branch_b2 = make_org(town_b, name="乙二村党支部")
    members = {}
    for branch, count in ((branch_a1, 3), (branch_a2, 2), (branch_b1, 4), (branch_b2, 1)):
        members[branch.pk] = [MemberFactory(org=branch) for _ in range(count)]
    return SimpleNamespace(
        city=city,
        county_a=county_a,
        county_b=county_b,
        town_a=town_a,
        town_b=town_b,
        branch_a1=branch_a1,
        branch_a2=branch_a2,
        branch_b1=branch_b1,
        branch_b2=branch_b2,
        members=members,
    )


@pytest.fixture
def users(tree):
    return SimpleNamespace(
        office=user_with(tree.city, "office", username="office"),
        county_a=user_with(tree.county_a, "liaison", username="county_a"),
        branch_a1=user_with(tree.branch_a1, "liaison", username="branch_a1"),
        branch_b1=user_with(tree.branch_b1, "liaison", username="branch_b1"),
    )


def pytest_collection_modifyitems(config, items):
    """The bench smokes first: their module starts every bench's run at once (minutes on a
    tiny seed), and `make test`'s two processes (pytest-xdist, by file) then share out the
    rest of the suite around them instead of waiting for them at the end."""
    items.sort(key=lambda item: item.get_closest_marker("bench") is None)


@pytest.fixture(autouse=True, scope="session")
def _one_flush_at_a_time():
    """Under `make test`'s two processes, one test database is emptied at a time. Django empties
    it after a transactional test with one `TRUNCATE` of every table (1,132 locks on
    PostgreSQL); two at once, one per worker, ran the server out of lock slots ("out of shared
    memory", max_locks_per_transaction 64, the default). The few such tests wait for each other
    on a file lock named by the run; everything else runs side by side."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:
        yield
        return
    from django.test import TransactionTestCase

    lock = Path(tempfile.gettempdir()) / f"luoshi-flush-{run}.lock"
    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        with lock.open("a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # let go when the file closes
            original(self)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original
