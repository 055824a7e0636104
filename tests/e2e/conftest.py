"""Browser tests: the real service in a subprocess, driven through Debian's Chromium.

The service runs as it does in production (``tessera migrate`` then ``tessera serve``) on a free
127.0.0.1 port, with a fresh SQLite database and cheap argon2. It serves the web app from
``web/dist``, which ``make web`` (and so ``make test``) builds first; without a build the tests
are skipped with that reason. Chromium is Debian's (``make system-deps``); Playwright cannot
download browsers here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.e2e.screens import AXE_RESULTS
from tests.e2e.service import (
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    WEB_DIST,
    LiveService,
    start_service,
    stop_service,
    unique_email,
)
from tests.support.browser import BrowserLog


@contextmanager
def _running_service(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[LiveService]:
    """`tessera serve` (with its in-process worker) on a free port with a fresh SQLite database
    in a new directory ``name``; stopped by its PID at the end."""
    if not (WEB_DIST / "index.html").is_file():
        message = "web/dist is missing: build the web app with `make web` (make test does)"
        if os.environ.get("TESSERA_REQUIRE_WEB"):
            pytest.fail(message)
        pytest.skip(message)
    service = start_service(tmp_path_factory.mktemp(name))
    try:
        yield service
    finally:
        stop_service(service)


def _platform_admin(service: LiveService) -> str:
    email = unique_email("admin")
    service.cli("admin", "create", "--email", email, "--password", ADMIN_PASSWORD)
    return email


@pytest.fixture(scope="session")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """The service the browser tests share (one per pytest process)."""
    with _running_service(tmp_path_factory, "e2e-service") as service:
        yield service


@pytest.fixture(scope="session")
def platform_admin(live_service: LiveService) -> str:
    """The email of a platform admin made with `tessera admin create` (password ADMIN_PASSWORD)."""
    return _platform_admin(live_service)


@pytest.fixture
def own_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """A service of this test's own: its own database, server process and webhook worker, for a
    test that waits on the worker and must not queue behind what the other tests left in the
    shared one (a few seconds to start)."""
    with _running_service(tmp_path_factory, "e2e-own-service") as service:
        yield service


@pytest.fixture
def own_platform_admin(own_service: LiveService) -> str:
    """A platform admin of ``own_service`` (password ADMIN_PASSWORD)."""
    return _platform_admin(own_service)


@pytest.fixture(scope="module")
def browser(live_service: LiveService) -> Iterator[Browser]:
    """Debian's Chromium, headless (needs the service so that a skip skips the browser too).

    One per module, not per session: Playwright's sync API keeps an event loop running on this
    thread until it stops, and a test that runs after the browser tests on the same xdist worker
    could not call ``asyncio.run`` while it did.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(context: BrowserContext, browser_log: BrowserLog) -> Iterator[Page]:
    """A fresh tab; the test fails if the app throws an uncaught error."""
    tab = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        browser_log.console.append(f"{message.type}: {message.text}")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: browser_log.errors.append(str(error)))
    yield tab
    assert browser_log.errors == [], f"uncaught errors in the page: {browser_log.errors}"


@pytest.fixture(autouse=True)
def _axe_findings(request: pytest.FixtureRequest) -> Iterator[None]:
    """Hand the screens this test checked with axe to the run's summary, through the test's
    report (tests/conftest.py prints it; under xdist the tests run in another process)."""
    AXE_RESULTS.clear()
    yield
    if AXE_RESULTS:
        request.node.user_properties.append(("axe", dict(AXE_RESULTS)))
