# SPDX-License-Identifier: Apache-2.0
"""Every request field the OpenAPI document (``src/calgate/api/openapi.json``) documents for
writing and deleting events is read by the code: each, given a value it cannot take, is
answered 422 naming it. A field the schema accepted and the code ignored would be answered
202 (accepted and dropped) and fail here. A field added to the document without a case in
``WRONG`` fails too, so the walk stays complete."""

from __future__ import annotations

import json
from importlib import resources

import httpx
import pytest

DOCUMENT = json.loads(resources.files("calgate.api").joinpath("openapi.json").read_text())
UPSERT = DOCUMENT["components"]["schemas"]["EventUpsert"]["properties"]
DELETE = DOCUMENT["paths"]["/v1/calendars/{calendar_id}/events"]["delete"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
BASE = {"event_id": "walk-1", "summary": "Walk", "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T16:00:00Z"}

# For each documented field, a value the code must refuse (so it must have read the field).
WRONG = {
    "event_id": 42, "event_uid": "evt_also", "summary": ["no"], "description": 7, "start": "soon", "end": "later",
    "tzid": "Mars/Olympus", "location": "here", "url": 1, "reminders": 1, "transparency": "misty", "color": 3,
    "attendees": "everyone", "tags": "x", "extended_transparency": "napping", "event_private": "maybe",
    "reminders_create_only": "maybe", "recurrence": {"rules": [{"frequency": "hourly"}]},
    "conferencing": {"profile_id": "integrated"}, "locale": "fr", "attachments": [{"attachment_id": "a"}],
    "subscriptions": [{"type": "webhook", "uri": "https://x.example"}],
}


def test_the_walk_covers_every_documented_field():
    assert set(UPSERT) == set(WRONG)
    assert set(DELETE) == {"event_id", "event_uid"}


@pytest.mark.parametrize("name", sorted(UPSERT))
def test_each_upsert_field_is_read(calgate, person, name):
    response = httpx.post(
        f"{calgate.url}/v1/calendars/{person.calendar_id}/events", json={**BASE, name: WRONG[name]}, headers=person.headers
    )
    assert response.status_code == 422, response.text
    assert name in response.json()["errors"]


@pytest.mark.parametrize("name", sorted(DELETE))
def test_each_delete_field_is_read(calgate, person, name):
    body = {"event_id": ["not", "text"]} if name == "event_id" else {"event_uid": "evt_external_1"}
    response = httpx.request(
        "DELETE", f"{calgate.url}/v1/calendars/{person.calendar_id}/events", json=body, headers=person.headers
    )
    assert response.status_code == 422, response.text
    assert name in response.json()["errors"]
