# SPDX-License-Identifier: Apache-2.0
"""Write a connected person's events over the API, as an application does."""

from __future__ import annotations

import httpx

from tests.support.api import Connected
from tests.support.server import LiveServer


def upsert(calgate: LiveServer, person: Connected, **fields: object) -> None:
    body: dict[str, object] = {
        "event_id": "interview-1", "summary": "Interview", "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T16:00:00Z",
        "tzid": "Europe/London",
    }
    body.update(fields)
    url = f"{calgate.url}/v1/calendars/{person.calendar_id}/events"  # type: ignore[attr-defined]
    response = httpx.post(url, json=body, headers=person.headers)
    assert response.status_code == 202, response.text


def delete(calgate: LiveServer, person: Connected, event_id: str = "interview-1") -> None:
    url = f"{calgate.url}/v1/calendars/{person.calendar_id}/events"  # type: ignore[attr-defined]
    response = httpx.request("DELETE", url, json={"event_id": event_id}, headers=person.headers)
    assert response.status_code == 202, response.text
