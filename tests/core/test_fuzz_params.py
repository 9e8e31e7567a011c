"""Issue 23, finding 6: every page and every API read, with query strings an attacker would send
(Unicode digits, huge integers, impossible dates, empty and repeated parameters), answers
without a server error; the API answers its errors in JSON.

The URLs are discovered as the sweep (test_sweep.py) discovers them, with the ids of its
objects, so a new page or API operation is fuzzed without anyone adding it here."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from luoshi.accounts.tokens import issue_token
from tests.core.test_sweep import API, PAGES, PUBLIC, TOKEN_URLS, _media, _patterns, foreign  # noqa: F401
from tests.factories import user_with
from tests.rectification.conftest import campaign  # noqa: F401

pytestmark = pytest.mark.django_db

# Every parameter a page or the API reads from the query string (and a few it does not).
NAMES = [
    *("page", "org", "campaign", "action", "as_of", "after", "source", "category", "parent"),
    *("status", "sort", "order", "symposium", "q", "state", "kind", "team", "scope", "overdue"),
    *("immediate", "level", "leader", "channel", "topic", "stay", "limit", "offset", "next"),
]
ODD_DIGITS = ["²", "١٢", "１２", "①", "Ⅻ", "𝟗", "߁", "٣"]
BAD_DATES = ["2026-13-45", "2026-02-30", "0000-00-00", "0001-01-01", "9999-12-31", "2026-1-1x"]
VALUES = st.one_of(
    st.sampled_from(ODD_DIGITS + BAD_DATES + ["", " ", "0", "-1", "1e9", "1_0", "null", "|"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=2**31, max_value=2**70).map(str),
    st.text(
        alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8
    ),
    st.dates().map(str),
)
# Every parameter at once with one of these (and, for the API, each alone), then random mixes:
# a view that reads any of them without care fails on the first request.
EVERY = ["²", "99999999999999999999", "2026-13-45"]
EXAMPLES = 6  # random queries per URL: ~70 pages and API reads in about a minute


def queries(names):
    return st.dictionaries(
        st.sampled_from(names), st.lists(VALUES, min_size=1, max_size=2), min_size=1, max_size=4
    )


def _page_urls(ids) -> list[str]:
    urls = []
    for name, pattern in _patterns():
        if name.startswith("api:") or name in TOKEN_URLS or name in ("logout", "healthz"):
            continue
        if name in PAGES:
            urls.append(reverse(name, args=[ids[PAGES[name]]]))
        elif name in PUBLIC:
            urls.append(reverse(name, args=[ids["org_code"]]))
        elif not pattern.pattern.converters and "<" not in str(pattern.pattern):
            urls.append(reverse(name))
    return urls


def _api_urls(ids) -> list[tuple[str, list[str]]]:
    """Every GET operation of the API with its query parameters, its path ids filled in (the ids
    of test_sweep's objects)."""
    from luoshi.api import api

    by_param = {param: ids[kind] for param, kind, _ in API.values()}
    urls = []
    for path, operations in api.get_openapi_schema()["paths"].items():
        if "get" not in operations:
            continue
        params = operations["get"].get("parameters", [])
        names = [p["name"] for p in params if p["in"] == "query"]
        for param, value in by_param.items():
            path = path.replace("{" + param + "}", str(value))
        assert "{" not in path, f"no id for {path}: add its operation to test_sweep.API"
        urls.append((path, names + ["page", "x"]))
    return urls


def _fuzz(client, url, names, *, api: bool, **headers):
    def check(query):
        response = client.get(f"{url}?{urlencode(query, doseq=True)}", **headers)
        assert response.status_code < 500, (url, query, response.status_code)
        if api and response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), (url, query)

    for value in EVERY:
        check(dict.fromkeys(names, value))
        if api:  # an operation's own parameters are few: each alone too (none masks another)
            for name in names:
                check({name: value})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(query=queries(names))
    def run(query):
        check(query)

    run()


def test_no_page_answers_a_server_error_to_odd_query_strings(client, tree, foreign):  # noqa: F811
    client.force_login(user_with(tree.city, "office", username="fuzz_office"))
    urls = _page_urls(foreign)
    assert len(urls) > 40
    for url in urls:
        _fuzz(client, url, NAMES, api=False)


def test_no_api_read_answers_a_server_error_to_odd_query_strings(client, tree, foreign):  # noqa: F811
    token = issue_token(user_with(tree.city, "office", username="fuzz_api"))
    urls = _api_urls(foreign)
    assert len(urls) > 10
    for url, names in urls:
        _fuzz(client, url, names, api=True, HTTP_AUTHORIZATION=f"Bearer {token}")
