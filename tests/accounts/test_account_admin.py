"""账号管理: an office manages the accounts of its subtree, never beyond it nor above its own
role; one-time passwords must be changed first; a locked account stops at once; every change
is in the audit log with its actor."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from luoshi.accounts import services
from luoshi.accounts.models import Assignment, Role
from luoshi.accounts.permissions import (
    grant_refusal,
    may_keep_ledger,
    may_report,
    verifier_role,
)
from luoshi.accounts.tokens import issue_token
from luoshi.core.errors import Invalid, NotAllowed
from luoshi.core.models import AuditEvent
from tests.factories import user_with

pytestmark = pytest.mark.django_db
User = get_user_model()

# Who may grant what, written out: only an office or an administrator grants, within its own
# subtree, and never a role above its own (admin > office > the others).
EVERY_ROLE = {r.value for r in Role}
MAY_GRANT = {"admin": EVERY_ROLE, "office": EVERY_ROLE - {"admin"}}
ACTORS = [  # (role, organisation of the assignment)
    ("office", "city"),
    ("office", "county_a"),
    ("admin", "county_a"),
    ("liaison", "county_a"),
    ("leader", "county_a"),
    ("guidance", "county_a"),
    ("viewer", "county_a"),
]
# target organisation -> inside the subtree of an actor at (city, county_a)?
TARGETS = {
    "city": {"city": True, "county_a": False},
    "county_a": {"city": True, "county_a": True},
    "town_a": {"city": True, "county_a": True},
    "county_b": {"city": True, "county_a": False},
}
COMBINATIONS = [
    (actor_role, actor_org, target, role)
    for actor_role, actor_org in ACTORS
    for target in TARGETS
    for role in sorted(EVERY_ROLE)
]


def _expected(actor_role, actor_org, target, role) -> bool:
    return TARGETS[target][actor_org] and role in MAY_GRANT.get(actor_role, set())


@pytest.mark.parametrize("actor_role,actor_org,target,role", COMBINATIONS)
def test_grant_rule_every_combination(tree, actor_role, actor_org, target, role):
    actor = user_with(getattr(tree, actor_org), actor_role)
    refusal = grant_refusal(actor, getattr(tree, target).path, role)
    assert (refusal is None) == _expected(actor_role, actor_org, target, role), refusal


@pytest.mark.parametrize("actor_role,actor_org,target,role", COMBINATIONS)
def test_create_page_grants_only_what_the_rule_allows(
    client, tree, actor_role, actor_org, target, role
):
    actor = user_with(getattr(tree, actor_org), actor_role)
    client.force_login(actor)
    org = getattr(tree, target)
    response = client.post(
        reverse("accounts:create"),
        {"username": "new_person", "name": "新同志", "org": [org.code, ""], "role": [role, role]},
    )
    created = Assignment.objects.filter(user__username="new_person", org=org, role=role).exists()
    if _expected(actor_role, actor_org, target, role):
        assert response.status_code == 200 and created
        assert "一次性密码" in response.content.decode()
    else:
        # 403 for a role it may not grant; 400 for an organisation outside its subtrees (found
        # only inside them: "找不到组织"); the page says why, and nothing is stored
        assert response.status_code in (400, 403)
        text = response.content.decode()
        assert any(
            w in text for w in ("找不到组织", "不能分配", "只能在本级", "只有主题教育办公室")
        )
        assert not User.objects.filter(username="new_person").exists()
        assert not created


def test_assign_page_refuses_a_role_above_the_office_and_stores_nothing(client, tree):
    office = user_with(tree.county_a, "office")
    person = user_with(tree.town_a, "liaison", username="person")
    client.force_login(office)
    for org, role in ((tree.town_a, "admin"), (tree.county_b, "liaison"), (tree.city, "viewer")):
        response = client.post(
            reverse("accounts:assign", args=[person.pk]), {"org": org.code, "role": role}
        )
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "不能分配高于本人岗位的角色" in page or "找不到组织" in page
    assert list(Assignment.objects.filter(user=person).values_list("role", flat=True)) == [
        "liaison"
    ]


def test_county_office_cannot_see_or_lock_the_city_office_account(client, tree):
    city_office = user_with(tree.city, "office", username="city_office", first_name="市委办")
    county_office = user_with(tree.county_a, "office", username="county_office")
    user_with(tree.town_a, "liaison", username="town_liaison", first_name="街道联络员")
    client.force_login(county_office)
    page = client.get(reverse("accounts:list")).content.decode()
    assert "街道联络员" in page and "市委办" not in page and "city_office" not in page
    assert client.get(reverse("accounts:detail", args=[city_office.pk])).status_code == 404
    response = client.post(reverse("accounts:lock", args=[city_office.pk]), {"action": "lock"})
    assert response.status_code == 404
    city_office.refresh_from_db()
    assert city_office.is_active
    with pytest.raises(NotAllowed):
        services.set_locked(actor=county_office, user_id=city_office.pk, locked=True)


def test_an_account_also_held_outside_the_subtree_cannot_be_changed_by_the_county(client, tree):
    county_office = user_with(tree.county_a, "office")
    guidance = user_with(tree.county_a, "guidance", username="guide", first_name="指导组成员")
    Assignment.objects.create(user=guidance, org=tree.county_b, role="guidance")
    client.force_login(county_office)
    page = client.get(reverse("accounts:list")).content.decode()
    assert "指导组成员" in page and "另有 1 个岗位在本级范围以外" in page
    client.post(reverse("accounts:lock", args=[guidance.pk]), {"action": "lock"})
    client.post(reverse("accounts:reset", args=[guidance.pk]))
    guidance.refresh_from_db()
    assert guidance.is_active and guidance.check_password("secret-pass-1")


def test_list_searches_by_name_and_username(client, tree):
    office = user_with(tree.city, "office")
    user_with(tree.town_a, "liaison", username="zhang_san", first_name="张三")
    user_with(tree.town_b, "liaison", username="li_si", first_name="李四")
    client.force_login(office)
    page = client.get(reverse("accounts:list"), {"q": "张"}).content.decode()
    assert "zhang_san" in page and "li_si" not in page
    page = client.get(reverse("accounts:list"), {"q": "LI_S"}).content.decode()
    assert "li_si" in page and "zhang_san" not in page


def test_list_shows_assignments_last_login_and_state(client, tree):
    office = user_with(tree.city, "office")
    locked = user_with(tree.town_a, "viewer", username="locked_one", is_active=False)
    client.force_login(office)
    page = client.get(reverse("accounts:list")).content.decode()
    row = page[page.index(locked.username) - 400 :]
    assert "甲一街道党工委 · 只读" in row and "已锁定" in row and "从未登录" in row


def test_visit_only_cadre_accounts_are_folded_behind_a_count(client, tree):
    """The monthly cycle's visiting cadres (no password, only 只读) are thousands at city
    scale: the list shows the accounts people sign in with, those behind a count and a link."""
    office = user_with(tree.city, "office")
    for n in range(3):
        cadre = user_with(tree.branch_a1, "viewer", username=f"cadre-x-{n}", first_name="走访员")
        cadre.set_unusable_password()
        cadre.save()
    user_with(tree.branch_a1, "viewer", username="reader_with_password")
    double = user_with(tree.branch_a1, "viewer", username="cadre-and-liaison")
    double.set_unusable_password()
    double.save()
    Assignment.objects.create(user=double, org=tree.branch_a2, role="liaison")
    client.force_login(office)
    page = client.get(reverse("accounts:list")).content.decode()
    assert "cadre-x-0" not in page and "reader_with_password" in page
    assert "cadre-and-liaison" in page  # it holds a post beyond 只读
    assert "另有 3 个仅用于登记走访的账号" in page
    shown = client.get(reverse("accounts:list"), {"kind": "visit_only"}).content.decode()
    assert all(f"cadre-x-{n}" in shown for n in range(3))
    assert "reader_with_password" not in shown and "另有" not in shown
    searched = client.get(reverse("accounts:list"), {"q": "走访员"}).content.decode()
    assert "另有 3 个" in searched and "kind=visit_only" in searched
    every = client.get(reverse("accounts:list"), {"kind": "all"}).content.decode()
    assert "cadre-x-1" in every and "reader_with_password" in every


def test_a_liaison_gets_no_account_page(client, tree, users):
    client.force_login(users.county_a)
    response = client.get(reverse("accounts:list"))
    assert response.status_code == 403
    assert "只有主题教育办公室和系统管理员可以管理账号" in response.content.decode()


def test_account_menu_entry_only_for_those_who_manage_accounts(client, tree, users):
    manage = f'href="{reverse("accounts:list")}"'
    client.force_login(users.county_a)
    page = client.get(reverse("rectification:ledger")).content.decode()
    assert manage not in page
    denied = client.get(reverse("accounts:list")).content.decode()
    assert 'href="/"' in denied and "返回首页" in denied
    client.force_login(user_with(tree.county_a, "office", username="county_office"))
    assert manage in client.get(reverse("rectification:ledger")).content.decode()


def _one_time_password(response) -> str:
    return re.search(r'fs-3">([^<]+)</code>', response.content.decode()).group(1)


def test_one_time_password_must_be_changed_at_first_login(client, tree):
    office = user_with(tree.city, "office")
    client.force_login(office)
    response = client.post(
        reverse("accounts:create"),
        {"username": "newbie", "name": "新人", "org": tree.county_a.code, "role": "liaison"},
    )
    password = _one_time_password(response)
    newbie = Client()
    assert newbie.login(username="newbie", password=password)
    for url in (reverse("home"), reverse("orgs:detail", args=[tree.county_a.pk])):
        response = newbie.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("password_change")
    page = newbie.get(reverse("password_change"))
    assert page.status_code == 200 and "一次性密码" in page.content.decode()
    token = issue_token(User.objects.get(username="newbie"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert newbie.get(f"/api/v1/organizations/{tree.county_a.pk}", **auth).status_code == 401
    same = newbie.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": password, "new_password2": password},
    )
    assert same.status_code == 200 and "新密码不能与原密码相同" in same.content.decode()
    own = "我自己的新口令2026"
    response = newbie.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": own, "new_password2": own},
    )
    assert response.status_code == 302
    assert newbie.get(reverse("orgs:detail", args=[tree.county_a.pk])).status_code == 200
    token = issue_token(User.objects.get(username="newbie"))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert newbie.get(f"/api/v1/organizations/{tree.county_a.pk}", **auth).status_code == 200
    assert AuditEvent.objects.filter(kind="password_changed", username="newbie").exists()


def test_a_reset_password_must_be_changed_again_and_ends_the_old_one(client, tree):
    office = user_with(tree.city, "office")
    person = user_with(tree.town_a, "liaison", username="person")
    client.force_login(office)
    response = client.post(reverse("accounts:reset", args=[person.pk]))
    password = _one_time_password(response)
    other = Client()
    assert not other.login(username="person", password="secret-pass-1")
    assert other.login(username="person", password=password)
    assert other.get(reverse("home"))["Location"] == reverse("password_change")


def test_every_account_change_names_its_actor(tree):
    office = user_with(tree.city, "office", username="the_office")
    user, _ = services.create_account(
        actor=office, username="p1", name="某人", assignments=[(tree.town_a, "liaison")]
    )
    extra = services.add_assignment(actor=office, user_id=user.pk, org=tree.county_b, role="viewer")
    services.remove_assignment(actor=office, user_id=user.pk, assignment_id=extra.pk)
    services.rename_account(actor=office, user_id=user.pk, name="某某人")
    services.reset_password(actor=office, user_id=user.pk)
    services.set_locked(actor=office, user_id=user.pk, locked=True)
    services.set_locked(actor=office, user_id=user.pk, locked=False)
    events = AuditEvent.objects.filter(target="p1").order_by("id")
    assert [e.kind for e in events] == [
        "account_created",
        "assignment_added",
        "assignment_removed",
        "account_edited",
        "password_reset",
        "account_locked",
        "account_unlocked",
    ]
    assert {e.actor_id for e in events} == {office.pk}
    assert {e.username for e in events} == {"the_office"}
    assert events[1].detail["org"] == "乙县委" and events[1].detail["role_label"] == "只读"


def test_the_last_assignment_stays_and_nobody_manages_their_own_account(tree):
    office = user_with(tree.city, "office")
    person = user_with(tree.town_a, "liaison")
    only = Assignment.objects.get(user=person)
    with pytest.raises(Invalid, match="至少保留一个岗位"):
        services.remove_assignment(actor=office, user_id=person.pk, assignment_id=only.pk)
    with pytest.raises(NotAllowed):
        services.set_locked(actor=office, user_id=office.pk, locked=True)
    assert Assignment.objects.filter(user=person).exists()


def test_create_refuses_a_taken_username_and_an_unknown_organisation(client, tree):
    office = user_with(tree.city, "office")
    user_with(tree.town_a, "liaison", username="taken")
    client.force_login(office)
    response = client.post(
        reverse("accounts:create"),
        {"username": "TAKEN", "name": "某人", "org": tree.town_a.code, "role": "liaison"},
    )
    assert response.status_code == 400 and "已被使用" in response.content.decode()
    response = client.post(
        reverse("accounts:create"),
        {"username": "fresh", "name": "某人", "org": "不存在的组织", "role": "liaison"},
    )
    assert response.status_code == 400 and "找不到组织" in response.content.decode()
    assert not User.objects.filter(username="fresh").exists()


def test_organisation_suggestions_stay_in_the_subtree(client, tree):
    office = user_with(tree.county_a, "office")
    client.force_login(office)
    body = client.get(reverse("accounts:org_options"), {"q": "一"}).content.decode()
    assert "甲一社区党支部" in body and "乙一村党支部" not in body


def test_a_viewer_sees_its_subtree_and_may_change_nothing(client, tree):
    viewer = user_with(tree.county_a, "viewer")
    for org in (tree.county_a, tree.town_a, tree.branch_a1):
        assert not may_keep_ledger(viewer, org.path)
        assert not may_report(viewer, org.path, on_behalf=True)
        assert verifier_role(viewer, org.path) is None
    client.force_login(viewer)
    assert client.get(reverse("orgs:detail", args=[tree.branch_a1.pk])).status_code == 200
    assert client.get(reverse("orgs:detail", args=[tree.branch_b1.pk])).status_code == 404


ACCOUNT_PAGES = ["detail", "rename", "assign", "unassign", "lock", "reset"]


def test_an_office_gets_404_for_another_branch_account_on_every_account_page(client, tree):
    office = user_with(tree.county_a, "office")
    foreign = user_with(tree.branch_b1, "liaison", username="foreign", first_name="乙村联络员")
    client.force_login(office)
    for name in ACCOUNT_PAGES:
        for method in ("get", "post"):
            response = getattr(client, method)(
                reverse(f"accounts:{name}", args=[foreign.pk]),
                {"name": "x", "org": tree.town_a.code, "role": "viewer", "action": "lock"},
            )
            assert response.status_code in (404, 405), (name, method)
            assert "乙村联络员" not in response.content.decode()
    foreign.refresh_from_db()
    assert foreign.is_active and foreign.first_name == "乙村联络员"
    assert list(Assignment.objects.filter(user=foreign).values_list("org", flat=True)) == [
        tree.branch_b1.pk
    ]


def test_the_api_creates_locks_and_lists_accounts_within_the_subtree(client, tree):
    import json

    office = user_with(tree.county_a, "office")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(office)}"}
    body = {"username": "api_person", "name": "接口建的", "assignments": []}

    def post(url, data):
        return client.post(url, json.dumps(data), content_type="application/json", **auth)

    refused = post(
        "/api/v1/accounts",
        {**body, "assignments": [{"org_code": tree.town_a.code, "role": "admin"}]},
    )
    assert refused.status_code == 403 and "不能分配" in refused.json()["detail"]
    outside = post(
        "/api/v1/accounts",
        {**body, "assignments": [{"org_code": tree.county_b.code, "role": "viewer"}]},
    )
    assert outside.status_code == 400
    assert not User.objects.filter(username="api_person").exists()
    created = post(
        "/api/v1/accounts",
        {**body, "assignments": [{"org_code": tree.town_a.code, "role": "viewer"}]},
    )
    assert created.status_code == 201 and created.json()["one_time_password"]
    account_id = created.json()["account"]["id"]
    locked = post(f"/api/v1/accounts/{account_id}/lock", {"locked": True})
    assert locked.status_code == 200 and locked.json()["is_active"] is False
    assert not User.objects.get(pk=account_id).is_active
    city_office = user_with(tree.city, "office", username="city_office")
    listed = client.get("/api/v1/accounts", **auth).json()
    assert "api_person" in [a["username"] for a in listed]
    assert "city_office" not in [a["username"] for a in listed]
    assert client.get(f"/api/v1/accounts/{city_office.pk}", **auth).status_code == 404
    liaison = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user_with(tree.town_a, 'liaison'))}"}
    assert client.get("/api/v1/accounts", **liaison).status_code == 403


def test_stats_count_the_active_accounts_of_the_subtree_by_role(tree):
    import json
    from io import StringIO

    from django.core.management import call_command

    user_with(tree.city, "office")
    user_with(tree.county_a, "office")
    user_with(tree.town_a, "viewer")
    user_with(tree.branch_a1, "liaison", is_active=False)
    user_with(tree.county_b, "liaison")
    out = StringIO()
    call_command("stats", org=tree.county_a.code, json=True, stdout=out)
    counts = json.loads(out.getvalue())["accounts_by_role"]
    assert counts == {r.value: 0 for r in Role} | {"office": 1, "viewer": 1}
