# SPDX-License-Identifier: Apache-2.0
"""A NUL character (which PostgreSQL cannot store or look up) in a body, a query string or a
path is a 422 or a 404, never a 500, on both backends."""

import httpx

from tests.integration.api._read_events import connect
from tests.support.factories import make_application


def test_nul_characters_are_refused_cleanly(calgate):
    app = make_application(calgate.services, features={"no_calendar"})
    ada = connect(calgate, app)
    url = f"{calgate.url}/v1/calendars/{ada.calendar_id}/events"
    body = {"event_id": "a\u0000b", "summary": "x", "start": "2027-01-11T09:00:00Z", "end": "2027-01-11T10:00:00Z"}
    response = httpx.post(url, json=body, headers=ada.headers)
    assert response.status_code == 422 and "NUL" in response.json()["errors"]["body"][0]["description"]
    assert httpx.get(f"{calgate.url}/v1/events", params={"tzid": "Etc/UTC\u0000"}, headers=ada.headers).status_code == 422
    assert httpx.delete(f"{calgate.url}/v1/channels/chn_%00x", headers=ada.headers).status_code == 404
    # A lone surrogate (valid JSON escape, no valid UTF-8) is refused the same way.
    raw = '{"event_id":"e2","summary":"x\\ud800","start":"2027-01-11T09:00:00Z","end":"2027-01-11T10:00:00Z"}'
    response = httpx.post(url, content=raw, headers={**ada.headers, "Content-Type": "application/json"})
    assert response.status_code == 422 and "surrogate" in response.json()["errors"]["body"][0]["description"]
