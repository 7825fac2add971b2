# SPDX-License-Identifier: Apache-2.0
"""Connect a Radicale user through calgate's OAuth flow over plain HTTP, as a person would from
an application's deep link (``access_mode`` + ``provider_name``), and wait for what the
background sync brings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from calgate.domain import sync
from calgate.domain.model import Job, utcnow
from tests.support.api import Connected, token_request
from tests.support.connect import authorize_params, csrf, redirect_params
from tests.support.factories import AppCredentials
from tests.support.radicale import RadicaleUser
from tests.support.server import LiveServer

T = TypeVar("T")


def open_credentials_form(browser: httpx.Client, creds: AppCredentials, access_mode: str, provider: str = "caldav") -> tuple[str, httpx.Response]:
    start = browser.get("/oauth/authorize", params=authorize_params(creds, access_mode=access_mode, provider_name=provider))
    assert start.status_code in (302, 303), start.text
    flow = start.headers["location"]
    return flow, browser.get(flow)


def connect_caldav(
    server: LiveServer, creds: AppCredentials, address: str, user: RadicaleUser, access_mode: str = "read_write", password: str | None = None
) -> Connected:
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=30) as browser:
        flow, page = open_credentials_form(browser, creds, access_mode)
        assert page.status_code == 200 and 'name="password"' in page.text, page.text
        email = f"{user.username}@example.com"
        form = {
            "csrf_token": csrf(page.text), "server_url": address, "username": user.username,
            "password": password or user.password, "email": email,
        }
        response = browser.post(f"{flow}/caldav", data=form)
        assert response.status_code == 303, response.text
        page = browser.get(flow)
        assert "Allow" in page.text and user.username in page.text, page.text
        result = redirect_params(browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": "allow"}))
    assert "code" in result, result
    response = token_request(server, creds, result["code"])
    assert response.status_code == 200, response.text
    return Connected(creds=creds, email=email, tokens=response.json())


def sync_now(server: LiveServer, account_id: str) -> None:
    """Bring every connected profile's next sync forward to now (as the interval passing would)."""
    with server.services.uow() as uow:
        for profile in uow.profiles.of_account(account_id):
            if profile.credentials_sealed is not None and profile.revoked_at is None:
                sync.request_sync(uow, profile, utcnow())
        uow.commit()


def synced_at(server: LiveServer, account_id: str) -> Any:
    with server.services.uow() as uow:
        return [p.last_synced_at for p in uow.profiles.of_account(account_id)]


def sync_and_wait(server: LiveServer, account_id: str, timeout: float = 30) -> None:
    """Ask for a sync and wait until it has run (every profile synced after the request)."""
    before = utcnow()
    sync_now(server, account_id)
    try:
        eventually(lambda: all(t is not None and t >= before for t in synced_at(server, account_id)) or None, timeout)
    except AssertionError:
        with server.services.uow() as uow:  # say what the queue looked like
            jobs = [(j.kind, j.status, j.run_after, j.locked_until, j.last_error) for j in uow.session.query(Job)]
            profiles = [(p.last_synced_at, p.sync_error, p.connected) for p in uow.profiles.of_account(account_id)]
        raise AssertionError(f"no sync after {before}: jobs {jobs}, profiles {profiles}") from None


def eventually(probe: Callable[[], T | None], timeout: float = 30) -> T:
    """Poll ``probe`` until it gives something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.05)
