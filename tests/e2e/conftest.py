# SPDX-License-Identifier: Apache-2.0
"""End-to-end fixtures: one Debian chromium for the session with a fresh context (cookies,
storage) per test, and pycronofy pointed at the live server.

Playwright drives /usr/bin/chromium; never run `playwright install`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pycronofy
import pycronofy.settings
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support.factories import make_application

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile for each test: no cookies or sessions carried over."""
    ctx = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def sdk(calgate, monkeypatch):  # type: ignore[no-untyped-def]
    """pycronofy pointed at the live server; its settings are restored after the test."""
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    monkeypatch.setattr(pycronofy.settings, "APP_BASE_URL", calgate.url)
    return pycronofy


@pytest.fixture
def client(calgate, sdk):  # type: ignore[no-untyped-def]
    """A pycronofy client holding an application calendar's tokens."""
    app = make_application(calgate.services)
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    client.application_calendar("room-101")
    return client
