"""The first administrator of a new installation: `luoshi createsuperuser` on an empty database
gives the 系统管理员 of the whole installation, who can open every page before any organisation
exists, is told the next step, creates the top organisation and then the city office's account."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from luoshi.accounts.models import Assignment, Role
from luoshi.accounts.permissions import grant_refusal, role_paths
from luoshi.accounts.tokens import issue_token
from luoshi.core.scoping import can_see_path, scope_paths
from luoshi.orgs.models import Organization
from luoshi.orgs.selectors import scope_roots
from luoshi.orgs.services import create_organization
from tests.factories import make_org, user_with

pytestmark = pytest.mark.django_db
User = get_user_model()
PASSWORD = "第一位管理员的口令"


@pytest.fixture
def root_admin(monkeypatch):
    """The administrator made as the README says, by Django's own createsuperuser."""
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, username="root", email="root@example.cn")
    return User.objects.get(username="root")


def _signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_superuser_is_admin_over_the_whole_installation_before_any_organisation(root_admin):
    assert not Organization.objects.exists()
    assert role_paths(root_admin) == [("/", Role.ADMIN)]
    assert scope_paths(root_admin) == ("/",)
    top = create_organization(
        actor=root_admin, parent=None, code="C01", name="某市委", kind="committee", level=2
    )
    other = make_org(name="另一市委")
    assert list(scope_roots(root_admin)) == [top, other]
    assert can_see_path(root_admin, other.path)
    assert all(grant_refusal(root_admin, other.path, r) is None for r in Role.values)


def test_a_locked_superuser_holds_nothing_and_a_plain_account_no_whole_tree(root_admin, db):
    root_admin.is_active = False
    root_admin.save()
    root_admin = User.objects.get(pk=root_admin.pk)
    assert role_paths(root_admin) == [] and scope_paths(root_admin) == ()
    city = make_org(name="某市委")
    office = user_with(city, "office")
    assert role_paths(office) == [(city.path, "office")]
    other = make_org(name="另一市委")
    assert not can_see_path(office, other.path)
    assert grant_refusal(office, other.path, "viewer") is not None


def _pages_without_arguments(resolver=None, prefix="", ns=""):
    """(name, url) of every named page that takes no argument."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from _pages_without_arguments(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.regex.groups:
            if "<" not in str(entry.pattern) and not ns.startswith("api"):
                yield f"{ns}{entry.name}", reverse(f"{ns}{entry.name}")


def test_every_page_opens_for_the_first_admin_on_an_empty_database(root_admin):
    client = _signed_in(root_admin)
    opened = []
    for name, url in _pages_without_arguments():
        if name == "logout" or name.startswith("registers:"):
            continue  # the restricted registers: 404 to an admin without their role (by design)
        response = client.get(url)
        assert response.status_code < 500, (name, url, response.status_code)
        if response.status_code == 404:  # a page of one organisation: says why, and where to go
            text = response.content.decode()
            assert "尚未建立任何党组织" in text and 'href="/"' in text, url
        opened.append(name)
    assert {"home", "orgs:tree", "accounts:list", "dashboards:home"} <= set(opened)
    city = make_org(name="某市委")
    make_org(city, name="某区委", kind="committee", level=3)
    for name, url in _pages_without_arguments():
        if name != "logout" and not name.startswith("registers:"):  # with a tree: every page
            assert client.get(url).status_code in (200, 302, 405), (name, url)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(root_admin)}"}
    for url in ("/api/v1/organizations", "/api/v1/accounts"):
        assert client.get(url, **auth).status_code == 200, url


def test_the_home_page_tells_the_first_admin_the_next_step(root_admin):
    client = _signed_in(root_admin)
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "下一步" in page and "新建顶级党组织" in page
    assert "尚未分配岗位" not in page
    assert "创建办公室账号" not in page
    nav = f'href="{reverse("accounts:list")}"'
    assert nav in page


def test_once_the_city_exists_the_admin_creates_the_city_office_account(root_admin):
    city = create_organization(
        actor=root_admin, parent=None, code="C01", name="某市委", kind="committee", level=2
    )
    create_organization(
        actor=root_admin, parent=city, code="C0101", name="某区委", kind="committee", level=3
    )
    client = _signed_in(root_admin)
    page = client.get(reverse("home")).content.decode()
    assert "某市委" in page and "为某市委创建主题教育办公室账号" in page
    assert f'href="{reverse("accounts:create")}"' in page
    form = client.get(reverse("accounts:create")).content.decode()
    assert 'value="admin"' in form and 'value="office"' in form
    options = client.get(reverse("accounts:org_options"), {"q": "某"}).content.decode()
    assert "某市委" in options and "某区委" in options
    response = client.post(
        reverse("accounts:create"),
        {"username": "city_office", "name": "市委主题教育办", "org": "C01", "role": "office"},
    )
    assert response.status_code == 200
    password = re.search(r'fs-3">([^<]+)</code>', response.content.decode()).group(1)
    office = User.objects.get(username="city_office")
    assert list(Assignment.objects.filter(user=office).values_list("org__code", "role")) == [
        ("C01", "office")
    ]
    page = client.get(reverse("home")).content.decode()
    assert "已为某市委创建主题教育办公室账号" in page
    assert "city_office" in client.get(reverse("accounts:list")).content.decode()
    newcomer = Client()
    assert newcomer.login(username="city_office", password=password)
    assert newcomer.get(reverse("home"))["Location"] == reverse("password_change")


def test_an_office_cannot_create_a_top_organisation_nor_see_the_root_admin(root_admin):
    city = make_org(name="某市委")
    office = user_with(city, "office")
    client = Client()
    client.force_login(office)
    assert "root" not in client.get(reverse("accounts:list")).content.decode()
    assert client.get(reverse("accounts:detail", args=[root_admin.pk])).status_code == 404
    page = client.get(reverse("home"), {"stay": 1}).content.decode()
    assert "新建顶级党组织" not in page
