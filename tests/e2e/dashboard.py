# SPDX-License-Identifier: Apache-2.0
"""Signing in to the dashboard in chromium, as a developer made by ``make_developer_application``."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.factories import DEVELOPER_PASSWORD


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/dashboard/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEVELOPER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Applications")).to_be_visible()
