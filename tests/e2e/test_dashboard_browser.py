# SPDX-License-Identifier: Apache-2.0
"""The developer dashboard in chromium: sign up, register an application, turn on No Access.

Uses the shared ``page`` fixture (tests/e2e/conftest.py); runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.server import LiveServer

pytestmark = pytest.mark.browser


def test_enable_no_calendar_access_mode(calgate: LiveServer, page: Page, artifacts: Path) -> None:
    page.goto(calgate.url)
    expect(page).to_have_url(f"{calgate.url}/dashboard/sign-in")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email address").fill(f"dev-{secrets.token_hex(4)}@example.com")
    page.get_by_label("Password", exact=True).fill("correct horse battery staple")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    page.get_by_role("link", name="Create application").click()
    page.get_by_label("Name").fill("Acme Scheduling")
    page.get_by_label("Redirect URIs").fill("https://acme.example/oauth/callback")
    page.get_by_role("button", name="Create application").click()

    expect(page.get_by_role("heading", name="Acme Scheduling")).to_be_visible()
    expect(page.get_by_test_id("client-secret")).not_to_be_empty()
    toggle = page.get_by_label("No Calendar Access mode", exact=True)
    expect(toggle).not_to_be_checked()
    expect(page.get_by_label("Free/Busy access mode", exact=True)).not_to_be_checked()
    toggle.check()
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_test_id("notice")).to_have_text("Saved.")
    expect(page.get_by_label("No Calendar Access mode", exact=True)).to_be_checked()
    expect(page.get_by_test_id("deep-link-no_calendar")).to_contain_text("access_mode=no_calendar")
    page.get_by_role("heading", name="Features", exact=True).scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "dashboard-features.png"), full_page=True)
