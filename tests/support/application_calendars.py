# SPDX-License-Identifier: Apache-2.0
"""Application calendars over HTTP: what an application holds after POST /v1/application_calendars."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.api import bearer
from tests.support.factories import AppCredentials
from tests.support.server import LiveServer


def application_calendar_request(server: LiveServer, creds: AppCredentials, application_calendar_id: Any, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "application_calendar_id": application_calendar_id,
    }
    body.update(overrides)
    return httpx.post(f"{server.url}/v1/application_calendars", json={k: v for k, v in body.items() if v is not None})


@dataclass
class AppCalendar:
    creds: AppCredentials
    application_calendar_id: str
    tokens: dict[str, Any]
    calendar_id: str

    @property
    def access_token(self) -> str:
        return str(self.tokens["access_token"])

    @property
    def sub(self) -> str:
        return str(self.tokens["sub"])

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


def make_application_calendar(server: LiveServer, creds: AppCredentials, application_calendar_id: str | None = None) -> AppCalendar:
    """Create (or fetch) an application calendar and find its primary calendar."""
    application_calendar_id = application_calendar_id or f"room-{secrets.token_hex(4)}"
    response = application_calendar_request(server, creds, application_calendar_id)
    assert response.status_code == 200, response.text
    tokens = response.json()
    calendars = httpx.get(f"{server.url}/v1/calendars", headers=bearer(tokens["access_token"])).json()["calendars"]
    return AppCalendar(creds, application_calendar_id, tokens, calendars[0]["calendar_id"])
