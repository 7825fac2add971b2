# SPDX-License-Identifier: Apache-2.0
"""The dashboard's insight pages in chromium: connected accounts, an account's week, and the
job queue, with screenshots saved to test-artifacts/. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.dashboard import sign_in
from tests.support.factories import make_developer_application
from tests.support.people import connect_no_access, upsert
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser

DAY = dt.date.today() + dt.timedelta(days=2)


def test_accounts_week_and_jobs_pages(calgate: LiveServer, page: Page, artifacts: Path) -> None:
    email, app = make_developer_application(
        calgate.services, features={"no_calendar"}, redirect_uri="https://acme.example/cb"
    )
    person = connect_no_access(calgate.services, app, "ada@example.com", name="Ada Lovelace")
    upsert(calgate.services, person, event_id="e1", summary="Interview with Grace", start=f"{DAY}T09:00:00Z", end=f"{DAY}T10:30:00Z")
    upsert(calgate.services, person, event_id="e2", summary="Team lunch", start=f"{DAY}T12:00:00Z", end=f"{DAY}T13:00:00Z",
           transparency="transparent")
    sign_in(page, calgate.url, email)

    page.get_by_role("link", name="Acme Scheduling").click()
    page.get_by_role("link", name="Connected accounts").click()
    expect(page.get_by_role("heading", name="Connected accounts")).to_be_visible()
    row = page.locator(f"tr[data-account='{person.caller.account.id}']")
    expect(row).to_contain_text("No Access")
    expect(row).to_contain_text("Hosted by calgate")
    expect(row).to_contain_text("Connected")
    page.get_by_label("Access mode").select_option("free_busy")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("no-accounts")).to_be_visible()
    page.get_by_label("Access mode").select_option("no_calendar")
    page.get_by_role("button", name="Filter").click()
    expect(row).to_be_visible()
    page.screenshot(path=str(artifacts / "dashboard-accounts.png"), full_page=True)

    row.get_by_role("link", name="ada@example.com").click()
    expect(page.get_by_role("heading", name="ada@example.com", exact=True)).to_be_visible()
    page.goto(f"{page.url}?week={DAY}&tzid=Etc/UTC")
    event_bar = page.locator(".bar[data-kind='event']")
    expect(event_bar).to_have_count(1)
    expect(event_bar).to_have_attribute("data-start", f"{DAY}T09:00:00Z")
    expect(event_bar).to_contain_text("Interview with Grace")
    expect(page.locator(".bar[data-kind='free']")).to_have_count(1)
    box = event_bar.bounding_box()
    assert box is not None and box["width"] > 10  # drawn, not just present
    page.screenshot(path=str(artifacts / "dashboard-account-week.png"), full_page=True)

    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(page.get_by_test_id("queue-depth")).to_be_visible()
    page.screenshot(path=str(artifacts / "dashboard-jobs.png"), full_page=True)

    page.goto(f"{calgate.url}/dashboard/apps/{app.application_id}/accounts")
    page.get_by_role("button", name="Revoke ada@example.com").click()
    expect(page.get_by_test_id("notice")).to_contain_text("revoked")
    expect(page.locator(f"tr[data-account='{person.caller.account.id}']")).to_contain_text("Revoked")
