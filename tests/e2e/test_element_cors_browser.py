"""A UI Element's page on the application's own origin reads calgate's answer from chromium:
the browser enforces CORS for real, so a missing or wrong header would make the fetch fail.

The application's page is served by a real server on another loopback port (a page Playwright
fulfils itself counts as public, and chromium's Local Network Access rules would then stop any
fetch to loopback, CORS or not)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from tests.support.api import connect_and_exchange
from tests.support.factories import make_application

pytestmark = pytest.mark.browser


class _AppPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>the application's page</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def element_origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AppPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _token(calgate, app, sub: str, origin: str) -> str:  # type: ignore[no-untyped-def]
    body = {"version": "1", "permissions": ["agenda"], "subs": [sub], "origin": origin}
    response = httpx.post(f"{calgate.url}/v1/element_tokens", json=body, headers={"Authorization": f"Bearer {app.client_secret}"})
    assert response.status_code == 200, response.text
    return str(response.json()["element_token"]["token"])


def _fetch(page: Page, origin: str, url: str) -> dict:
    page.goto(f"{origin}/")
    return page.evaluate(
        """async (url) => {
            try {
                const r = await fetch(url, {headers: {"Cronofy-Element": "v1.67.7, agenda"}});
                return {status: r.status, body: await r.json()};
            } catch (e) { return {error: String(e)}; }
        }""",
        url,
    )


def test_an_element_page_reads_free_busy_across_origins(calgate, page, element_origin):  # type: ignore[no-untyped-def]
    app = make_application(calgate.services, features={"no_calendar"})
    person = connect_and_exchange(calgate, app)
    token = _token(calgate, app, person.account_id, element_origin)
    found = _fetch(page, element_origin, f"{calgate.url}/v1/free_busy?from=2027-01-10&to=2027-01-12&tzid=Etc/UTC&et={token}")
    assert found.get("status") == 200, found
    assert found["body"]["free_busy"] == []


def test_a_token_for_another_origin_is_refused_in_the_browser(calgate, page, element_origin):  # type: ignore[no-untyped-def]
    app = make_application(calgate.services, features={"no_calendar"})
    person = connect_and_exchange(calgate, app)
    token = _token(calgate, app, person.account_id, "https://somewhere-else.test")
    found = _fetch(page, element_origin, f"{calgate.url}/v1/free_busy?from=2027-01-10&to=2027-01-12&tzid=Etc/UTC&et={token}")
    assert found.get("status") == 403, found
