"""A locked account stops at once, with the account cache on (as in production: these tests
commit, tests/core/test_account_cache.py): its session is sent to login on the next request
and its API token answers 401."""

import pytest
from django.test import Client
from django.urls import reverse

from luoshi.accounts.models import ApiToken, Assignment
from luoshi.accounts.tokens import issue_token
from tests.factories import user_with

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_locked_account_session_and_token_stop_on_the_next_request(client, tree):
    office = user_with(tree.city, "office")
    person = user_with(tree.county_a, "liaison", username="person")
    token = issue_token(person)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    api = f"/api/v1/organizations/{tree.town_a.pk}"
    page = reverse("orgs:detail", args=[tree.town_a.pk])
    session = Client()
    session.force_login(person)
    for _ in range(2):  # the second reads the cached account
        assert session.get(page).status_code == 200
        assert session.get(api, **auth).status_code == 200
    client.force_login(office)
    response = client.post(reverse("accounts:lock", args=[person.pk]), {"action": "lock"})
    assert response.status_code == 302
    response = session.get(page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert session.get(api, **auth).status_code == 401
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()
    page_text = client.get(reverse("accounts:list")).content.decode()
    assert "已锁定" in page_text
    client.post(reverse("accounts:lock", args=[person.pk]), {"action": "unlock"})
    assert not Client().login(username="person", password="wrong") and Client().login(
        username="person", password="secret-pass-1"
    )


def test_the_must_change_flag_is_read_with_the_cached_account(client, tree):
    """The one-time-password check costs no query of its own on a page (cached with the user)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = user_with(tree.county_a, "liaison")
    client.force_login(person)
    page = reverse("orgs:detail", args=[tree.town_a.pk])
    assert client.get(page).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(page).status_code == 200
    assert not [q for q in captured.captured_queries if "accounts_profile" in q["sql"]]


def _signed_in_twice(person, page: str, api: str, auth: dict) -> Client:
    """A session of the person that has opened the page and the API twice: the second time
    from the cached account (what a lock or removal must not let through)."""
    session = Client()
    session.force_login(person)
    for _ in range(2):
        assert session.get(page).status_code == 200
        assert session.get(api, **auth).status_code == 200
    return session


@pytest.mark.parametrize("how", ["api_lock", "deactivated"])
def test_a_locked_through_the_api_or_deactivated_account_stops_on_the_next_request(tree, how):
    """Locked through the API, or deactivated around the services (the shell): both end the
    session and the token. (An account is never deleted once it has a history: on PostgreSQL
    the append-only audit log refuses to lose its actor; removing an account is locking it.)"""
    import json

    office = user_with(tree.city, "office")
    person = user_with(tree.county_a, "liaison", username="person")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(person)}"}
    api = f"/api/v1/organizations/{tree.town_a.pk}"
    page = reverse("orgs:detail", args=[tree.town_a.pk])
    session = _signed_in_twice(person, page, api, auth)
    if how == "api_lock":
        office_auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(office)}"}
        response = Client().post(
            f"/api/v1/accounts/{person.pk}/lock",
            json.dumps({"locked": True}),
            content_type="application/json",
            **office_auth,
        )
        assert response.status_code == 200 and response.json()["is_active"] is False
    else:
        person.is_active = False
        person.save()
    response = session.get(page)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert session.get(api, **auth).status_code == 401
    assert not Client().login(username="person", password="secret-pass-1")


def test_a_withdrawn_assignment_ends_its_scope_on_the_next_request(client, tree):
    office = user_with(tree.city, "office")
    person = user_with(tree.county_b, "liaison", username="person")
    withdrawn = Assignment.objects.create(user=person, org=tree.county_a, role="liaison")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(person)}"}
    api = f"/api/v1/organizations/{tree.town_a.pk}"
    page = reverse("orgs:detail", args=[tree.town_a.pk])
    session = _signed_in_twice(person, page, api, auth)
    client.force_login(office)
    client.post(reverse("accounts:unassign", args=[person.pk]), {"assignment": withdrawn.pk})
    assert not Assignment.objects.filter(pk=withdrawn.pk).exists()
    assert session.get(page).status_code == 404
    assert session.get(api, **auth).status_code == 404
    assert session.get(reverse("orgs:detail", args=[tree.town_b.pk])).status_code == 200
