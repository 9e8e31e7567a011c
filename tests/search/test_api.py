"""GET /api/v1/search: the /search/ page's hits for the token's user, scoped exactly as the
page (nothing outside their subtree), in the page's order, paged."""

import pytest

from luoshi.accounts.tokens import issue_token
from luoshi.rectification import services
from luoshi.search import selectors
from tests.search.test_search import problems  # noqa: F401

pytestmark = pytest.mark.django_db


def _api(client, user, **params):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user)}"}
    response = client.get("/api/v1/search", params, **auth)
    assert response.status_code == 200, response.content
    return response.json()


def _page(user, query) -> list[tuple[str, int]]:
    """What the /search/ page lists, group after group."""
    return [(h.kind, h.object_id) for g in selectors.search(user, query) for h in g.hits]


def test_the_api_finds_what_the_page_finds_and_nothing_outside_the_subtree(
    client,
    problems,  # noqa: F811
    people,
):
    lamp, _, _, foreign = problems
    hits = _api(client, people.branch_a1, q="村口 路灯")
    assert [(h["kind"], h["object_id"]) for h in hits] == [("problem", lamp.pk)]
    assert hits[0]["url"] == f"/problems/{lamp.pk}/" and hits[0]["kind_label"] == "问题"
    assert "乙村" not in str(_api(client, people.branch_a1, q="路灯"))
    assert [h["object_id"] for h in _api(client, people.branch_b1, q="路灯")] == [foreign.pk]
    assert _api(client, people.branch_b1, q="营商 环境") == []  # the county's, above the branch
    office = {h["object_id"] for h in _api(client, people.office, q="路灯", kind="problem")}
    assert office == {lamp.pk, foreign.pk}
    for user in (people.branch_a1, people.branch_b1, people.office, people.county_a):
        for query in ("路灯", "村口 路灯", "营商"):
            api = {(h["kind"], h["object_id"]) for h in _api(client, user, q=query, limit=100)}
            assert api == set(_page(user, query)), (user, query)


def test_pages_follow_the_pages_ranking(client, tree, campaign, people):
    for i in range(7):
        problem = services.create_problem(
            actor=people.branch_a1,
            org=tree.branch_a1,
            campaign=campaign,
            title=f"村口路灯问题{i}",
            description="路灯 " * i,  # more mentions, a better rank
        )
        services.add_measure(
            actor=people.branch_a1, problem=problem, content=f"修路灯{i}", deadline_kind="ongoing"
        )
    ranked = [
        (h["kind"], h["object_id"])
        for h in _api(client, people.branch_a1, q="路灯", kind="problem", limit=100)
    ]
    assert ranked == _page(people.branch_a1, "路灯")[: len(ranked)]
    assert len(ranked) == 7
    paged = []
    for offset in (0, 3, 6):
        hits = _api(client, people.branch_a1, q="路灯", kind="problem", limit=3, offset=offset)
        paged += [(h["kind"], h["object_id"]) for h in hits]
    assert paged == ranked
    ranks = [h["rank"] for h in _api(client, people.branch_a1, q="路灯", kind="problem")]
    assert ranks == sorted(ranks, reverse=True)
    both = {h["kind"] for h in _api(client, people.branch_a1, q="路灯", limit=100)}
    assert both == {"problem", "measure"}


def test_an_empty_or_unknown_query_is_an_empty_list_and_a_bad_kind_is_refused(client, people):
    assert _api(client, people.branch_a1, q="") == []
    assert _api(client, people.branch_a1, q="不存在的词语组合") == []
    for no_words in ("，。！", "\x10/"):  # nothing to look for: an empty list, on the page too
        assert _api(client, people.branch_a1, q=no_words) == []
        client.force_login(people.branch_a1)
        assert client.get("/search/", {"q": no_words}).status_code == 200
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(people.branch_a1)}"}
    assert client.get("/api/v1/search", {"q": "x", "kind": "nope"}, **auth).status_code == 422
    assert client.get("/api/v1/search", {"q": "路灯"}).status_code == 401
