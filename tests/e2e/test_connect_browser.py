# SPDX-License-Identifier: Apache-2.0
"""Individual Connect in No Access mode, as a person sees it in chromium.

The application's redirect_uri (http://localhost:9999/callback) has no server behind it: the
``callback`` fixture intercepts it in the browser and records the URL calgate redirected to.
Every test runs against the live server on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Route, expect

from calgate.domain import scopes
from tests.support.factories import AppCredentials, make_application
from tests.support.mail import verification_code, wait_for_mail
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser

APP_NAME = "Acme Scheduling"
CALLBACK = re.compile(r"^http://localhost:9999/")
# What free_busy_write amounts to in No Access mode: the bundle plus Read Events, because
# calgate holds the events of the hosted calendar (spec: "Read Events API" is available).
NO_ACCESS_SCOPES = {"read_account", "list_calendars", "read_events", "read_free_busy", "create_event", "delete_event"}
MODE_LABELS = {"read_write": "Read-Write", "free_busy": "Free/Busy", "no_calendar": "No Access"}


class Callback:
    """Stands in for the application's redirect_uri and remembers where calgate sent the browser."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def handle(self, route: Route) -> None:
        self.urls.append(route.request.url)
        route.fulfill(
            status=200,
            content_type="text/html",
            body="<!doctype html><title>Acme callback</title><p>Back at the application.</p>",
        )

    @property
    def params(self) -> dict[str, list[str]]:
        assert len(self.urls) == 1, f"expected exactly one redirect to the application, got {self.urls}"
        return parse_qs(urlsplit(self.urls[0]).query)


@pytest.fixture
def callback(context: BrowserContext) -> Callback:
    catcher = Callback()
    context.route("http://localhost:9999/**", catcher.handle)
    return catcher


def authorize_url(server: LiveServer, creds: AppCredentials, state: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": creds.client_id,
        "redirect_uri": creds.redirect_uri,
        "scope": "free_busy_write",
        "state": state,
    }
    params.update(extra)
    return f"{server.url}/oauth/authorize?{urlencode(params)}"


def new_state() -> str:
    return "st-" + secrets.token_hex(6)


def new_email() -> str:
    return f"person-{secrets.token_hex(4)}@example.com"


# -- page steps -------------------------------------------------------------------------------


def expect_details_form(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect without a calendar")
    expect(page.get_by_label("Your name")).to_be_visible()
    expect(page.get_by_label("Your email address")).to_be_visible()


def send_code(page: Page, server: LiveServer, name: str, email: str) -> str:
    """Fill the name/email form, submit, and return the code calgate emailed."""
    expect_details_form(page)
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text(f"We sent a 6-digit code to {email}")).to_be_visible()
    return verification_code(wait_for_mail(server.mail_dir, email))


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()


def expect_consent(page: Page, name: str, email: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Allow {APP_NAME} access?")
    expect(page.locator(".card")).to_contain_text(f"You are connecting as {name} ({email}) in No Access mode.")
    expect(page.get_by_text(f"{APP_NAME} will be able to:")).to_be_visible()
    items = page.locator("ul.scopes li")
    listed = {items.nth(i).get_attribute("data-scope"): items.nth(i).inner_text() for i in range(items.count())}
    assert set(listed) == NO_ACCESS_SCOPES
    for scope, text in listed.items():
        assert text == scopes.INDIVIDUAL[str(scope)].description
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    expect(page.get_by_role("button", name="Deny")).to_be_visible()


def to_consent(page: Page, server: LiveServer, name: str = "Ada Lovelace", email: str | None = None) -> str:
    """From the name/email form to the consent screen; returns the email used."""
    email = email or new_email()
    code = send_code(page, server, name, email)
    enter_code(page, code)
    expect_consent(page, name, email)
    return email


def decide(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_url(CALLBACK)


def exchange(server: LiveServer, creds: AppCredentials, code: str) -> dict[str, object]:
    response = httpx.post(
        f"{server.url}/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "code": code,
            "redirect_uri": creds.redirect_uri,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def assert_no_access_tokens(server: LiveServer, creds: AppCredentials, callback: Callback, state: str) -> None:
    params = callback.params
    assert params["state"] == [state]
    assert "error" not in params
    (code,) = params["code"]
    body = exchange(server, creds, code)
    assert body["access_mode"] == "no_calendar"
    profile = body["linking_profile"]
    assert isinstance(profile, dict)
    assert profile["provider_name"] == "cronofy"
    assert profile["access_mode"] == "no_calendar"


def mode_buttons(page: Page) -> list[str]:
    return [str(b.get_attribute("data-mode")) for b in page.locator("button[data-mode]").all()]


def expect_chooser(page: Page, modes: list[str]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"How should {APP_NAME} see your calendar?")
    assert mode_buttons(page) == modes
    for mode in modes:
        button = page.locator(f'button[data-mode="{mode}"]')
        expect(button.locator("strong")).to_have_text(MODE_LABELS[mode])
        explanation = button.locator("span").inner_text().strip()
        assert len(explanation) > 40, f"{mode} has no real explanation: {explanation!r}"


def back_link(page: Page) -> Locator:
    return page.get_by_role("button", name="Choose a different option")


# -- 1. deep link -----------------------------------------------------------------------------


@pytest.mark.parametrize("features", [{"no_calendar"}, {"no_calendar", "free_busy"}], ids=["no_calendar", "both"])
def test_deep_link_no_access_allow(calgate: LiveServer, page: Page, callback: Callback, features: set[str]) -> None:
    creds = make_application(calgate.services, features=features, name=APP_NAME)
    state = new_state()

    page.goto(authorize_url(calgate, creds, state, access_mode="no_calendar"))

    expect_details_form(page)
    assert mode_buttons(page) == []
    # The application chose the mode: the person is not offered the chooser behind its back.
    expect(back_link(page)).to_have_count(0)
    to_consent(page, calgate)
    decide(page, "Allow")

    expect(page.get_by_text("Back at the application.")).to_be_visible()
    assert_no_access_tokens(calgate, creds, callback, state)


# -- 2. from the chooser ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("features", "modes"),
    [
        ({"free_busy", "no_calendar"}, ["read_write", "free_busy", "no_calendar"]),
        ({"no_calendar"}, ["read_write", "no_calendar"]),
    ],
    ids=["three_modes", "two_modes"],
)
def test_chooser_no_access_allow(
    calgate: LiveServer, page: Page, callback: Callback, artifacts: Path, features: set[str], modes: list[str]
) -> None:
    creds = make_application(calgate.services, features=features, name=APP_NAME)
    state = new_state()
    suffix = "" if len(modes) == 3 else "-two-modes"

    page.goto(authorize_url(calgate, creds, state))

    expect_chooser(page, modes)
    expect(back_link(page)).to_have_count(0)
    page.screenshot(path=artifacts / f"connect-chooser{suffix}.png", full_page=True)
    page.locator('button[data-mode="no_calendar"]').click()

    expect_details_form(page)
    expect(back_link(page)).to_be_visible()  # the person chose, so they may change their mind
    to_consent(page, calgate)
    page.screenshot(path=artifacts / f"connect-consent{suffix}.png", full_page=True)
    decide(page, "Allow")

    assert_no_access_tokens(calgate, creds, callback, state)


# -- 3. deny ----------------------------------------------------------------------------------


def test_deny_redirects_with_access_denied(calgate: LiveServer, page: Page, callback: Callback) -> None:
    creds = make_application(calgate.services, features={"no_calendar"}, name=APP_NAME)
    state = new_state()

    page.goto(authorize_url(calgate, creds, state, access_mode="no_calendar"))
    to_consent(page, calgate)
    decide(page, "Deny")

    params = callback.params
    assert params["error"] == ["access_denied"]
    assert params["state"] == [state]
    assert "code" not in params


# -- 4. wrong code ----------------------------------------------------------------------------


def test_wrong_code_shows_error_and_allows_retry(
    calgate: LiveServer, page: Page, callback: Callback, artifacts: Path
) -> None:
    creds = make_application(calgate.services, features={"no_calendar"}, name=APP_NAME)
    state = new_state()
    email = new_email()

    page.goto(authorize_url(calgate, creds, state, access_mode="no_calendar"))
    expect_details_form(page)
    page.screenshot(path=artifacts / "connect-details.png", full_page=True)
    code = send_code(page, calgate, "Grace Hopper", email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    enter_code(page, wrong)

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_role("alert")).to_have_text("That code is not right; check the email and try again")
    expect(page.get_by_label("Code")).to_be_visible()
    page.screenshot(path=artifacts / "connect-wrong-code.png", full_page=True)

    enter_code(page, code)

    expect_consent(page, "Grace Hopper", email)
    decide(page, "Allow")
    assert_no_access_tokens(calgate, creds, callback, state)


# -- 5. a provider mode from the chooser ------------------------------------------------------


@pytest.mark.parametrize("mode", ["read_write", "free_busy"])
def test_provider_not_configured_from_chooser(
    calgate: LiveServer, page: Page, callback: Callback, artifacts: Path, mode: str
) -> None:
    creds = make_application(calgate.services, features={"free_busy", "no_calendar"}, name=APP_NAME)
    state = new_state()

    page.goto(authorize_url(calgate, creds, state))
    expect_chooser(page, ["read_write", "free_busy", "no_calendar"])
    page.locator(f'button[data-mode="{mode}"]').click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Which calendar do you use?")
    expect(page.locator(".card")).to_contain_text(f"Access: {MODE_LABELS[mode]}")
    page.screenshot(path=artifacts / f"connect-providers-{mode}.png", full_page=True)
    for label in ("Google", "Microsoft 365 / Outlook.com", "iCloud", "Other CalDAV server"):
        expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()
    with page.expect_response(lambda r: r.request.method == "GET" and "/oauth/connect/" in r.url) as shown:
        page.get_by_role("button", name="Google", exact=True).click()

    assert shown.value.status == 501
    expect(page.get_by_role("heading", level=1)).to_have_text("Google is not available here")
    expect(page.get_by_role("alert")).to_contain_text("This provider is not configured on this server.")
    page.screenshot(path=artifacts / "connect-provider-unavailable.png", full_page=True)

    back_link(page).click()

    expect_chooser(page, ["read_write", "free_busy", "no_calendar"])
    page.locator('button[data-mode="no_calendar"]').click()
    expect_details_form(page)
    assert callback.urls == []


# -- 6. deep links with a provider ------------------------------------------------------------


def test_deep_link_free_busy_google_not_configured(
    calgate: LiveServer, page: Page, callback: Callback, artifacts: Path
) -> None:
    creds = make_application(calgate.services, features={"free_busy"}, name=APP_NAME)

    response = page.goto(authorize_url(calgate, creds, new_state(), access_mode="free_busy", provider_name="google"))

    assert response is not None and response.status == 501
    expect(page.get_by_role("heading", level=1)).to_have_text("Google is not available here")
    expect(page.get_by_role("alert")).to_contain_text("This provider is not configured on this server.")
    assert mode_buttons(page) == []
    expect(back_link(page)).to_have_count(0)  # the application pre-selected mode and provider
    page.screenshot(path=artifacts / "connect-provider-unavailable-deep-link.png", full_page=True)
    assert callback.urls == []


def test_deep_link_provider_cronofy_goes_to_details(calgate: LiveServer, page: Page, callback: Callback) -> None:
    creds = make_application(calgate.services, features={"no_calendar", "free_busy"}, name=APP_NAME)
    state = new_state()

    page.goto(authorize_url(calgate, creds, state, provider_name="cronofy"))

    expect_details_form(page)
    assert mode_buttons(page) == []
    expect(back_link(page)).to_have_count(0)
    to_consent(page, calgate)
    decide(page, "Allow")
    assert_no_access_tokens(calgate, creds, callback, state)


# -- the chooser only when the request leaves the choice to the person -------------------------


def test_without_free_busy_write_no_way_to_no_access(calgate: LiveServer, page: Page, callback: Callback) -> None:
    """No Access needs free_busy_write (spec): a request without it goes to Read-Write, with no
    way round to the chooser."""
    creds = make_application(calgate.services, features={"no_calendar", "free_busy"}, name=APP_NAME)

    page.goto(authorize_url(calgate, creds, new_state(), scope="read_events create_event"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Which calendar do you use?")
    expect(page.locator(".card")).to_contain_text("Access: Read-Write")
    expect(back_link(page)).to_have_count(0)
    assert callback.urls == []
