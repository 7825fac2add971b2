# SPDX-License-Identifier: Apache-2.0
"""Connecting a Google, Microsoft or CalDAV calendar in chromium, from the application's deep
link with access_mode and provider_name, through the provider's consent (the stand-ins approve
at once) or the CalDAV form (a real Radicale), to calgate's consent and back to the
application with a code. Screenshots go to test-artifacts/."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.conftest import BACKENDS
from tests.standins.google import Consent, GoogleStandin
from tests.support.api import token_request
from tests.support.factories import make_application
from tests.support.graph_standin import GraphStandin
from tests.support.providers import calgate_with_providers
from tests.support.radicale import Radicale
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory, google_standin: GoogleStandin, graph_standin: GraphStandin) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    directory = Path(tmp_path_factory.mktemp(f"calgate-browser-{request.param}"))
    with calgate_with_providers(request.param, directory, google_standin, graph_standin) as live:
        yield live


@pytest.fixture
def returned(context: BrowserContext) -> list[str]:
    """The application's redirect_uri, caught in the browser: where calgate sent the person."""
    urls: list[str] = []

    def handle(route: Route) -> None:
        urls.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>Acme</title><p>Back at the application.</p>")

    context.route("http://localhost:9999/**", handle)
    return urls


def deep_link(server: LiveServer, client_id: str, access_mode: str, provider: str, state: str) -> str:
    params = {
        "response_type": "code", "client_id": client_id, "redirect_uri": "http://localhost:9999/callback",
        "scope": "free_busy_write", "state": state, "access_mode": access_mode, "provider_name": provider,
    }
    return f"{server.url}/oauth/authorize?{urlencode(params)}"


def allow_and_exchange(server: LiveServer, page: Page, creds, returned: list[str], state: str, shot: Path) -> dict:  # type: ignore[no-untyped-def]
    expect(page.get_by_role("heading", level=1)).to_contain_text("access?")
    page.screenshot(path=shot, full_page=True)
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_text("Back at the application.")).to_be_visible()
    query = parse_qs(urlsplit(returned[-1]).query)
    assert query["state"] == [state]
    response = token_request(server, creds, query["code"][0])
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(("provider", "access_mode"), [("google", "free_busy"), ("google", "read_write"), ("ms_graph", "read_write"), ("ms_graph", "free_busy")])
def test_oauth_provider_from_a_deep_link(server, page, returned, artifacts, google_standin, graph_standin, provider, access_mode):  # type: ignore[no-untyped-def]
    email = f"ada-{secrets.token_hex(3)}@example.test"
    google_standin.reset()
    graph_standin.reset()
    google_standin.add_user(email)
    google_standin.consent = Consent(email=email)
    graph_standin.add_user(email)
    graph_standin.authorize_as = email
    creds = make_application(server.services, features={"free_busy"})
    state = "st-" + secrets.token_hex(4)

    page.goto(deep_link(server, creds.client_id, access_mode, provider, state))
    button = page.get_by_role("button", name="Continue to")
    expect(button).to_be_visible()
    page.screenshot(path=artifacts / f"connect-{provider}-{access_mode}-start.png", full_page=True)
    button.click()
    tokens = allow_and_exchange(server, page, creds, returned, state, artifacts / f"connect-{provider}-{access_mode}-consent.png")
    assert tokens["access_mode"] == access_mode
    suffix = "" if access_mode == "read_write" else "_free_busy"
    assert tokens["linking_profile"]["provider_name"] == f"{provider}{suffix}"


def test_caldav_from_a_deep_link(server, page, returned, artifacts, radicale: Radicale):  # type: ignore[no-untyped-def]
    user = radicale.new_user()
    radicale.make_calendar(user, "work", "Work")
    creds = make_application(server.services, features={"free_busy"})
    state = "st-" + secrets.token_hex(4)

    page.goto(deep_link(server, creds.client_id, "read_write", "caldav", state))
    page.locator("#server_url").fill(radicale.url)
    page.get_by_label("Username", exact=True).fill(user.username)
    page.get_by_label("App-specific password").fill("wrong")
    page.locator("#email").fill(f"{user.username}@example.test")
    page.get_by_role("button", name="Check and continue").click()
    expect(page.get_by_role("alert").first).to_contain_text("refused this username or password")
    page.screenshot(path=artifacts / "connect-caldav-wrong-password.png", full_page=True)
    page.get_by_label("App-specific password").fill(user.password)
    page.get_by_role("button", name="Check and continue").click()
    tokens = allow_and_exchange(server, page, creds, returned, state, artifacts / "connect-caldav-consent.png")
    assert tokens["linking_profile"]["provider_name"] == "caldav"
