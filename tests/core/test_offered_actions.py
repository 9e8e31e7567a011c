"""No action a role cannot take is offered: crawl each role's pages from its work page, collect
every offered button link and every form that posts, and check each: a button link opens (no
403/404) without a choice list left empty; a form posted as offered (its own values) is not
refused for the role (no 403/404, no "无权")."""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from luoshi.opinions import services as opinions
from luoshi.rectification.models import MeasureState
from tests.factories import user_with
from tests.rectification.conftest import (  # noqa: F401
    _media,
    act,
    campaign,
    ledger,
    people,
    progress,
)

pytestmark = pytest.mark.django_db

CHANNEL, TOPIC = "form", "service"
START = ["/my-work/", "/ledger/", "/opinions/", "/study/", "/research/", "/campaigns/"]
SKIP = ("/accounts/logout/", "/api/", "/static/", "/media/", "/evidence/", "/export")
MAX_PAGES = 70


class Page(HTMLParser):
    """Links, button links and forms (with their fields' values) of one page."""

    def __init__(self):
        super().__init__()
        self.links, self.buttons, self.forms = [], [], []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if "btn" in (a.get("class") or "").split():
                self.buttons.append(a["href"])
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action")}
            self._form["data"], self._form["selects"] = {}, {}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea") and a.get("name"):
            kind = a.get("type", "text")
            if kind not in ("checkbox", "radio", "file", "submit") or "checked" in a:
                self._form["data"].setdefault(a["name"], a.get("value") or "")
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["selects"][self._select] = []
        elif self._form is not None and tag == "option" and self._select:
            value = a.get("value", "")
            self._form["selects"][self._select].append(value)
            if "selected" in a or self._select not in self._form["data"]:
                self._form["data"][self._select] = value
        elif tag == "button" and self._form is not None and a.get("name"):
            self._form["data"].setdefault(a["name"], a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def _parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def _ours(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.netloc and url.startswith("/") and not any(s in url for s in SKIP)


def _empty_choices(page: Page) -> list[str]:
    """The posting forms' organisation (or campaign) lists with nothing to choose."""
    return [
        name
        for form in page.forms
        if form["method"] == "post"
        for name, options in form["selects"].items()
        if name in ("org", "campaign") and not [o for o in options if o]
    ]


def _crawl(client):
    """Every page reachable from START (at most MAX_PAGES), parsed."""
    seen, queue, pages = set(), list(START), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0).split("#")[0]
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        pages[url] = page = _parse(response.content.decode())
        queue += [urljoin(url, h) for h in page.links if _ours(urljoin(url, h))]
    return pages


@pytest.fixture
def world(tree, campaign, people, ledger):  # noqa: F811
    """A measure waiting for 销号, one under way, an opinion: something to act on everywhere."""
    m = progress(people.branch_a1, ledger.measure)
    act(people.branch_a1, m, "submit")
    opinions.record_opinion(
        actor=people.branch_a1,
        org=tree.branch_a1,
        channel=CHANNEL,
        topic=TOPIC,
        text="村口路灯不亮",
    )
    return ledger


ROLES = {
    "office": lambda p, t: p.office,
    "leader": lambda p, t: p.leader,
    "liaison": lambda p, t: p.branch_a1,
    "guidance": lambda p, t: p.guidance_a,
    "viewer": lambda p, t: p.viewer,
    "county_liaison": lambda p, t: user_with(t.county_a, "liaison", username="county_l"),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_offered_button_and_form_is_allowed_for_the_role(client, world, people, tree, role):  # noqa: F811, E501
    user = ROLES[role](people, tree)
    client.force_login(user)
    pages = _crawl(client)
    assert "/my-work/" in pages and "/ledger/" in pages
    problems = []
    for url, page in pages.items():
        for href in {urljoin(url, h) for h in page.buttons if _ours(urljoin(url, h))}:
            response = client.get(href)
            if response.status_code in (403, 404):
                problems.append(f"{url}: button {href} answers {response.status_code}")
            elif response.status_code == 200 and "text/html" in response["Content-Type"]:
                empty = _empty_choices(_parse(response.content.decode()))
                if empty:
                    problems.append(f"{url}: button {href} opens a form with empty {empty}")
        for form in page.forms:
            if form["method"] != "post":
                continue
            action = urljoin(url, form["action"] or url)
            if not _ours(action) or action.startswith("/accounts/"):
                continue
            response = client.post(action, form["data"])
            text = response.content.decode() if response.status_code != 302 else ""
            if response.status_code in (403, 404) or "无权" in text:
                problems.append(f"{url}: form {action} refused ({response.status_code})")
    assert not problems, "\n".join(problems)


def test_leader_and_viewer_see_no_entry_buttons(client, world, people):  # noqa: F811
    for user in (people.leader, people.viewer, people.guidance_a):
        client.force_login(user)
        html = client.get(reverse("rectification:ledger")).content.decode()
        for label in ("录入问题", "导入台账", "登记立查立改"):
            assert label not in html, (user.username, label)
        assert "登记意见" not in client.get(reverse("opinions:list")).content.decode()
    assert world.measure.state != MeasureState.CLOSED
