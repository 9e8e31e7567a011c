"""The signed-in user and their assignments are cached per version of the account
(accounts.backends): a page reads neither from the database while nothing changed, and any change
that narrows what a user may do (deactivated, an assignment withdrawn, a new password, the tree
moved under them) takes effect on their very next request, for pages and for the API.

These tests commit (transactional_db): the cache is only read and written outside a transaction
that changed the account, as in production, where every request runs in autocommit."""

import pickle

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from luoshi.accounts import services
from luoshi.accounts.models import Assignment
from luoshi.accounts.tokens import issue_token
from luoshi.core.scoping import SYSTEM
from luoshi.orgs.services import move_subtree

pytestmark = pytest.mark.django_db(transaction=True)


def account_queries(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if '"auth_user"' in q["sql"] or '"accounts_assignment"' in q["sql"]
    ]


def org_page(client, org):
    return client.get(reverse("orgs:detail", args=[org.pk]))


def test_a_second_page_reads_neither_the_user_nor_the_assignments(client, tree, users):
    client.force_login(users.county_a)
    assert org_page(client, tree.town_a).status_code == 200  # read once, cached
    with CaptureQueriesContext(connection) as captured:
        response = org_page(client, tree.town_a)
    assert response.status_code == 200
    assert account_queries(captured) == []


def test_the_cached_user_lives_minutes_not_the_whole_session(client, tree, users):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    client.force_login(users.county_a)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert org_page(client, tree.town_a).status_code == 200  # read once, cached
        clock.shift(timedelta(minutes=4))
        with CaptureQueriesContext(connection) as captured:
            assert org_page(client, tree.town_a).status_code == 200
        assert account_queries(captured) == []
        clock.shift(timedelta(minutes=2))
        with CaptureQueriesContext(connection) as captured:
            assert org_page(client, tree.town_a).status_code == 200
        assert len(account_queries(captured)) == 2


def test_without_a_shared_cache_every_request_reads_the_account(client, tree, users, settings):
    settings.LUOSHI_FIGURES_CACHE = False
    client.force_login(users.county_a)
    org_page(client, tree.town_a)
    with CaptureQueriesContext(connection) as captured:
        assert org_page(client, tree.town_a).status_code == 200
    assert len(account_queries(captured)) == 2


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, tree, users):
    """Saved outside the services (the shell, Django's own paths): accounts.signals marks a
    new password or activity however it is saved."""
    client.force_login(users.county_a)
    assert org_page(client, tree.town_a).status_code == 200
    users.county_a.is_active = False
    users.county_a.save()
    response = org_page(client, tree.town_a)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_withdrawn_assignment_ends_the_scope_at_once(client, tree, users):
    """Withdrawn by the account service (which marks the account; a direct delete would not)."""
    services.add_assignment(
        actor=users.office, user_id=users.county_a.pk, org=tree.county_b, role="liaison"
    )
    client.force_login(users.county_a)
    assert org_page(client, tree.town_a).status_code == 200
    withdrawn = Assignment.objects.get(user=users.county_a, org=tree.county_a)
    services.remove_assignment(
        actor=users.office, user_id=users.county_a.pk, assignment_id=withdrawn.pk
    )
    assert org_page(client, tree.town_a).status_code == 404


def test_a_new_assignment_widens_the_scope_at_once(client, tree, users):
    client.force_login(users.county_a)
    assert org_page(client, tree.town_b).status_code == 404
    services.add_assignment(
        actor=users.office, user_id=users.county_a.pk, org=tree.county_b, role="liaison"
    )
    assert org_page(client, tree.town_b).status_code == 200


def test_a_renamed_or_locked_account_shows_at_once(client, tree, users):
    """The services that change an account mark its version: the next request reads it anew."""
    client.force_login(users.county_a)
    assert org_page(client, tree.town_a).status_code == 200
    services.rename_account(actor=users.office, user_id=users.county_a.pk, name="新名字")
    assert "新名字" in org_page(client, tree.town_a).content.decode()
    services.set_locked(actor=users.office, user_id=users.county_a.pk, locked=True)
    assert org_page(client, tree.town_a).status_code == 302


def test_a_password_reset_by_the_office_ends_the_session(client, tree, users):
    client.force_login(users.county_a)
    assert org_page(client, tree.town_a).status_code == 200
    services.reset_password(actor=users.office, user_id=users.county_a.pk)
    assert org_page(client, tree.town_a).status_code == 302


def test_a_new_password_ends_the_other_sessions(client, tree, users):
    client.force_login(users.county_a)
    assert org_page(client, tree.town_a).status_code == 200
    users.county_a.set_password("另一个足够长的口令2026")
    users.county_a.save()
    response = org_page(client, tree.town_a)
    assert response.status_code == 302


def test_the_scope_follows_a_move_of_the_assigned_organisation(client, tree, users):
    """A move rewrites the paths below it: the cached assignment's path would point at the old
    place, where the branch no longer is."""
    client.force_login(users.branch_a1)
    assert org_page(client, tree.branch_a1).status_code == 200
    move_subtree(actor=SYSTEM, org=tree.branch_a1, new_parent=tree.town_b)
    assert org_page(client, tree.branch_a1).status_code == 200
    assert org_page(client, tree.branch_a2).status_code == 404


def test_the_api_reads_the_same_account_and_refuses_a_deactivated_user(client, tree, users):
    token = issue_token(users.county_a)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/organizations/{tree.town_a.pk}"
    assert client.get(url, **auth).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, **auth).status_code == 200
    assert account_queries(captured) == []
    services.add_assignment(
        actor=users.office, user_id=users.county_a.pk, org=tree.county_b, role="liaison"
    )
    withdrawn = Assignment.objects.get(user=users.county_a, org=tree.county_a)
    services.remove_assignment(
        actor=users.office, user_id=users.county_a.pk, assignment_id=withdrawn.pk
    )
    assert client.get(url, **auth).status_code == 404
    users.county_a.is_active = False
    users.county_a.save()
    assert client.get(url, **auth).status_code == 401


def test_the_cache_holds_no_password_hash_and_a_password_change_keeps_the_session(
    client, tree, users
):
    """The cached user carries only the session's hash of the password; changing the password
    on the password page (which checks the old one) works on a cached user and keeps its own
    session, and the old password stops working."""
    client.force_login(users.county_a)
    assert org_page(client, tree.town_a).status_code == 200
    entry = cache.get(f"account:{users.county_a.pk}")
    assert entry is not None, "the account was cached"
    assert users.county_a.password.encode() not in pickle.dumps(entry)
    strong = "整改落实要见实效2026"
    changed = client.post(
        reverse("password_change"),
        {"old_password": "secret-pass-1", "new_password1": strong, "new_password2": strong},
    )
    assert changed.status_code == 302, "the old password was checked and accepted"
    assert org_page(client, tree.town_a).status_code == 200, "this session goes on"
    assert Client().login(username="county_a", password=strong)
    assert not Client().login(username="county_a", password="secret-pass-1")
