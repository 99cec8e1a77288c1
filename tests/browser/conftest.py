"""Browser harness: Debian's Chromium, driven by Playwright, against a real daphne.

Tests here are synchronous and use `transactional_db`, so the server sees
their data; the browser runs on its own thread (see BrowserThread).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from tests.browser.pages import PHONE
from tests.conftest import needs
from tests.servers import DaphneServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class BrowserThread:
    """Playwright's sync API on a thread of its own.

    The sync API keeps an event loop running in the thread that uses it, and
    Django refuses database work in a thread with a running loop; so the
    browser lives here and the test's thread stays free for the database.
    """

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="playwright")
        self.call(self._start)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def _stop(self) -> None:
        self.browser.close()
        self.playwright.stop()

    def call(self, fn, *args):
        return self.executor.submit(fn, *args).result(timeout=180)

    def close(self) -> None:
        try:
            self.call(self._stop)
        finally:
            self.executor.shutdown()


@pytest.fixture(scope="session")
def browser_thread():
    if not Path(CHROMIUM).exists():
        needs(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        needs("needs Playwright for Python (pip install -e '.[dev]')")
    thread = BrowserThread()
    yield thread
    thread.close()


@pytest.fixture(scope="session")
def village_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One daphne for the browser tests, on the test database.

    One per test worker (pytest-xdist): each has its own test database,
    Redis prefix, free port and temporary folder, so its own mail folder.
    """
    base = tmp_path_factory.mktemp("village-server")
    (base / "mail").mkdir()
    server = DaphneServer(mail_dir=base / "mail", log_path=base / "daphne.log").start()
    yield server
    server.stop()
    assert "Exception inside application" not in server.logs(), server.logs()


@pytest.fixture
def open_browser(browser_thread, village_server, transactional_db):
    """`open_browser()` gives a new browser (its own cookies) as a `browse` function.

    `browse(fn)` runs `fn(page)` on the browser thread. The page keeps its
    state between calls, so a test can do database work in its own thread
    between two steps in the browser, or drive several people in turn.
    """
    contexts = []

    def open_page(viewport):
        context = browser_thread.browser.new_context(viewport=viewport, base_url=village_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    def open_one(viewport=PHONE):
        page = browser_thread.call(open_page, viewport)
        return lambda fn: browser_thread.call(fn, page)

    yield open_one
    for context in contexts:
        browser_thread.call(context.close)
    # Let the server finish what the closed pages started (disconnects, emails)
    # before the test database is flushed: a TRUNCATE racing them deadlocks.
    time.sleep(1.0)


@pytest.fixture
def browse(open_browser):
    """One phone-sized browser for the test (see open_browser)."""
    return open_browser()


@pytest.fixture
def log_in_as(village_server):
    """Mint a session for a user and give the browser its cookie.

    No password and no MFA: allauth throttles logins and hashing is slow;
    the login flow itself has its own test.
    """

    def log_in(browse, user) -> None:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookie = {
            "name": settings.SESSION_COOKIE_NAME,
            "value": session.session_key,
            "url": village_server.url,
        }
        browse(lambda page: page.context.add_cookies([cookie]))

    return log_in


@pytest.fixture
def four_in_the_group(open_browser, log_in_as, mum, other_mum, volunteer, coordinator, open_room):
    """Amy, Beth and Val in the open group room, Cora on an empty Flags page:
    a browser each, in that order."""
    from playwright.sync_api import expect

    amy, beth, val, cora = (open_browser() for _ in range(4))
    for browse, person in ((amy, mum), (beth, other_mum), (val, volunteer), (cora, coordinator)):
        log_in_as(browse, person)
    cora(lambda page: page.goto("/staff/queue/"))
    cora(lambda page: expect(page.get_by_text("No open flags")).to_be_visible())
    for browse in (amy, beth, val):
        browse(lambda page: page.goto(f"/rooms/{open_room.pk}/"))
        browse(lambda page: expect(page.locator("#session-banner")).to_contain_text("open"))
    return amy, beth, val, cora
