"""Headless Chromium (Debian's package) driven by Playwright against a live server.

`playwright install` cannot download browsers here, so we launch the system
Chromium. Screenshots of the main pages go to artifacts/screenshots/.

What these fixtures change is changed only while they are active:
- the browser lives for one test module: Playwright's sync API keeps an event
  loop running in the main thread while it lives, and a session-wide browser
  makes every later `asyncio.run()` (the probe tests) fail with "cannot be
  called from a running event loop";
- DJANGO_ALLOW_ASYNC_UNSAFE is set while that browser lives (Django's ORM
  refuses to run in a thread with a running event loop unless told), then
  restored, so subprocesses started by later tests do not inherit it;
- the live server speaks plain HTTP: no redirect to https (read once, when its
  middleware loads) and no `Secure` cookies (read per response, set per test).
"""

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    saved = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            yield browser
            browser.close()
    finally:
        if saved is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = saved


@pytest.fixture(scope="session")
def _plain_http_while_the_server_starts():
    """SECURE_SSL_REDIRECT off until the live server has loaded its middleware (which reads it once)."""
    from django.conf import settings

    saved = settings.SECURE_SSL_REDIRECT
    settings.SECURE_SSL_REDIRECT = False
    return lambda: setattr(settings, "SECURE_SSL_REDIRECT", saved)


@pytest.fixture(scope="session")
def live_server(_plain_http_while_the_server_starts, live_server):
    """pytest-django's live server, started with plain-HTTP settings; then the setting is restored."""
    _plain_http_while_the_server_starts()
    return live_server


@pytest.fixture
def plain_http_cookies(settings):
    """Session and CSRF cookies without `Secure`: the browser talks to the live server over http."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def page(browser, live_server, plain_http_cookies):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under artifacts/screenshots/NAME.png."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(page, live_server):
    """Log in through the real login form as `username`.

    Fields are found by name: the labels' wording ("User name") is the login page's business.
    """

    def do_login(username: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/login/")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("networkidle")

    return do_login
