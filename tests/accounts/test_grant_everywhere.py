"""An office cannot grant a role outside its subtree or above its own: every combination of
(actor's role and organisation) x (role granted) x (organisation inside or outside the actor's
subtree), through every way in: the services, the pages and the API, creating an account and
adding an assignment to one. (The rule itself, and the create page, are checked combination by
combination in test_account_admin.py; this file runs the same table through the other ways.)

One test per actor and way in (each builds the tree once), looping over the 24 (target
organisation, role) pairs: a failure names the pair."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from luoshi.accounts import services
from luoshi.accounts.models import Assignment
from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import Invalid, NotAllowed
from tests.accounts.test_account_admin import ACTORS, EVERY_ROLE, TARGETS, _expected
from tests.factories import UserFactory, user_with

pytestmark = pytest.mark.django_db
User = get_user_model()

# Besides the table's actors: an administrator of the city, and the first administrator of the
# installation (a superuser without any assignment), who may grant everything everywhere.
EVERY_ACTOR = [*ACTORS, ("admin", "city"), ("superuser", "")]
WAYS = ["service_create", "service_assign", "page_assign", "api_create", "api_assign"]
PAIRS = [(target, role) for target in TARGETS for role in sorted(EVERY_ROLE)]


def _actor(tree, role, org_name):
    if role == "superuser":
        return UserFactory(username="root", is_superuser=True, is_staff=True)
    return user_with(getattr(tree, org_name), role, username=f"actor_{role}")


def _allowed(actor_role, actor_org, target, role) -> bool:
    if actor_role == "superuser":
        return True
    return _expected(actor_role, actor_org, target, role)


def _person(tree, n: int):
    """An account the managers among the actors may change: a viewer of a branch inside both
    the city's and county A's subtrees (never one of the target organisations)."""
    return user_with(tree.branch_a1, "viewer", username=f"person{n}")


def _grant(way: str, actor, tree, org, role: str, n: int, client: Client, auth: dict):
    """Try the grant one way; (True, "") when stored, else (False, why)."""
    if way.startswith("service"):
        try:
            if way == "service_create":
                services.create_account(
                    actor=actor, username=f"new{n}", name="新同志", assignments=[(org, role)]
                )
            else:
                person = _person(tree, n)
                services.add_assignment(actor=actor, user_id=person.pk, org=org, role=role)
        except (NotAllowed, Invalid) as refusal:
            return False, str(refusal)
        return True, ""
    if way == "page_assign":
        person = _person(tree, n)
        response = client.post(
            reverse("accounts:assign", args=[person.pk]), {"org": org.code, "role": role}
        )
        shown = (
            client.get(response["Location"]).content.decode() if response.status_code == 302 else ""
        )
        ok = "岗位已分配" in shown
        return ok, response.status_code if not ok else ""
    pair = {"org_code": org.code, "role": role}
    if way == "api_create":
        url, body = "/api/v1/accounts", {"username": f"new{n}", "name": "新", "assignments": [pair]}
    else:
        url, body = f"/api/v1/accounts/{_person(tree, n).pk}/assignments", pair
    response = client.post(url, json.dumps(body), content_type="application/json", **auth)
    if response.status_code in (200, 201):
        return True, ""
    assert response.status_code in (400, 403, 404), response.status_code
    assert response.json()["detail"], "a refusal says why"
    return False, response.status_code


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("actor_role,actor_org", EVERY_ACTOR)
def test_every_grant_through_every_way_in(tree, way, actor_role, actor_org):
    actor = _actor(tree, actor_role, actor_org)
    client = Client()
    auth = {}
    if way.startswith("page"):
        client.force_login(actor)
    elif way.startswith("api"):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(actor)}"}
    for n, (target, role) in enumerate(PAIRS):
        org = getattr(tree, target)
        before = Assignment.objects.count()
        stored, why = _grant(way, actor, tree, org, role, n, client, auth)
        expected = _allowed(actor_role, actor_org, target, role)
        where = (actor_role, actor_org, target, role, why)
        assert stored == expected, where
        granted = Assignment.objects.filter(org=org, role=role, user__username__endswith=str(n))
        assert granted.filter(user__username__in=[f"new{n}", f"person{n}"]).exists() == expected
        if not expected:  # nothing stored: no account, no assignment beyond the person's own
            assert not User.objects.filter(username=f"new{n}").exists(), where
            made = 1 if way.endswith("assign") else 0  # the person's own viewer assignment
            assert Assignment.objects.count() == before + made, where
