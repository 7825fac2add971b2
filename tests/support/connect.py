# SPDX-License-Identifier: Apache-2.0
"""Drive the No Access connect flow over plain HTTP (the browser tests do it with chromium)."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.factories import AppCredentials
from tests.support.mail import mail_to, verification_code, wait_for_mail
from tests.support.server import LiveServer

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def redirect_params(response: httpx.Response) -> dict[str, str]:
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {k: v[0] for k, v in query.items()}


def authorize_params(creds: AppCredentials, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": creds.client_id,
        "redirect_uri": creds.redirect_uri,
        "scope": "read_account list_calendars create_calendar read_events create_event delete_event free_busy_write",
        "state": "st-" + secrets.token_hex(4),
        "access_mode": "no_calendar",
    }
    params.update(extra)
    return params


def connect_hosted(
    server: LiveServer,
    creds: AppCredentials,
    email: str | None = None,
    name: str = "Ada Lovelace",
    decision: str = "allow",
    **extra: str,
) -> dict[str, str]:
    """Run the whole No Access flow; returns the redirect's query (code and state, or error)."""
    email = email or f"person-{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        start = browser.get("/oauth/authorize", params=authorize_params(creds, **extra))
        assert start.status_code in (302, 303), start.text
        flow = start.headers["location"]
        page = browser.get(flow)
        already = len(mail_to(server.mail_dir, email))
        response = browser.post(f"{flow}/email", data={"csrf_token": csrf(page.text), "name": name, "email": email})
        assert response.status_code == 303, response.text
        page = browser.get(flow)
        code = verification_code(wait_for_mail(server.mail_dir, email, skip=already))
        response = browser.post(f"{flow}/code", data={"csrf_token": csrf(page.text), "code": code})
        assert response.status_code == 303, response.text
        page = browser.get(flow)
        assert "Allow" in page.text, page.text
        return redirect_params(browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": decision}))
