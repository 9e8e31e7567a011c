"""Browser tests: headless Chromium (Debian's /usr/bin/chromium, never a downloaded one) driven
by Playwright against pytest-django's live server.

The test thread talks to the database while Playwright's sync API keeps an event loop running in
it, so Django's async-safety guard must be switched off before anything touches the ORM."""

import os

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import re  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from playwright.sync_api import (  # noqa: E402
    Browser,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "secret-pass-1"  # what tests.factories.UserFactory sets
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _http_cookies(settings):
    """The live server speaks plain http://localhost, where secure cookies would be dropped."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Session:
    """One browser tab with a console watch, bound to the live server."""

    page: Page
    base_url: str
    errors: list[str] = field(default_factory=list)

    def on_console(self, msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        source = msg.location.get("url", "")
        self.errors.append(f"console.error: {msg.text} @ {source}")

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def login(self, username: str, password: str = PASSWORD) -> None:
        page = self.page
        if "/accounts/login/" not in page.url:
            self.goto("/accounts/login/")
        page.get_by_label("账号", exact=True).fill(username)
        page.get_by_label("密码", exact=True).fill(password)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        expect(page.get_by_role("link", name="账号菜单")).to_be_visible()

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def mark_document(self) -> None:
        """Tag the current document so a later full page load can be told apart from a swap."""
        self.page.evaluate("window.__e2eMark = 'still-here'")

    def assert_same_document(self) -> None:
        assert self.page.evaluate("window.__e2eMark") == "still-here", "the page was reloaded"

    def assert_console_clean(self, *allowed: str) -> None:
        """No console errors or uncaught exceptions (CSP refusals are console errors), except
        messages containing one of `allowed`."""
        unexpected = [e for e in self.errors if not any(a in e for a in allowed)]
        assert not unexpected, "browser console errors:\n" + "\n".join(unexpected)


@pytest.fixture
def open_session(browser, live_server, transactional_db):
    """Open a fresh browser context (no cookies) at a given viewport; closed after the test."""
    contexts = []

    def _open(viewport: dict | None = None) -> Session:
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        contexts.append(context)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        session = Session(page=page, base_url=live_server.url)
        page.on("console", session.on_console)
        page.on("pageerror", lambda exc: session.errors.append(f"pageerror: {exc}"))
        return session

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def session(open_session) -> Session:
    return open_session()
