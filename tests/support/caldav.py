# SPDX-License-Identifier: Apache-2.0
"""Connect a Radicale user through calgate's OAuth flow over plain HTTP, as a person would from
an application's deep link (``access_mode`` + ``provider_name``)."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.support.api import Connected, token_request
from tests.support.connect import authorize_params, csrf, redirect_params
from tests.support.factories import AppCredentials
from tests.support.radicale import RadicaleUser
from tests.support.server import LiveServer

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


def private_event(day: dt.date, uid: str, marker: str, start: str, end: str, extra: str = "") -> str:
    """An event on ``day`` (UTC times ``HHMMSS``) whose summary, description, location,
    organizer, attendee and UID all carry ``marker``: for the free_busy privacy tests."""
    d = day.strftime("%Y%m%d")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}-{marker}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{d}T{start}Z\r\nDTEND:{d}T{end}Z\r\n"
        f"SUMMARY:Divorce lawyer {marker}\r\nDESCRIPTION:Bring papers {marker}\r\nLOCATION:Room {marker}\r\n"
        f"ORGANIZER:mailto:boss-{marker}@example.com\r\nATTENDEE;CN=Guest {marker}:mailto:{marker}@example.com\r\n"
        f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
