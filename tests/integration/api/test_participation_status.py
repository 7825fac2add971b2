# SPDX-License-Identifier: Apache-2.0
"""POST /v1/calendars/{calendar_id}/events/{event_uid}/participation_status (wire notes §4.3)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from calgate.domain.model import Event
from tests.support.api import connect_and_exchange
from tests.support.application_calendars import make_application_calendar
from tests.support.factories import make_application


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def room(calgate, app):
    return make_application_calendar(calgate, app, "room-101")


def upsert(calgate, holder, calendar_id: str, event_id: str = "standup") -> Event:
    body = {"event_id": event_id, "summary": "Stand-up", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T09:15:00Z"}
    response = httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=holder.headers)
    assert response.status_code == 202, response.text
    return stored(calgate, event_id)


def stored(calgate, event_id: str) -> Event:
    with calgate.services.uow() as uow:
        return uow.session.scalars(select(Event).where(Event.event_id == event_id)).one()


def change(calgate, holder, calendar_id: str, event_uid: str, body: object) -> httpx.Response:
    url = f"{calgate.url}/v1/calendars/{calendar_id}/events/{event_uid}/participation_status"
    return httpx.post(url, json=body, headers=holder.headers)


@pytest.mark.parametrize("status", ["accepted", "tentative", "declined"])
def test_changes_the_status(calgate, room, status):
    event = upsert(calgate, room, room.calendar_id)
    response = change(calgate, room, room.calendar_id, event.id, {"status": status})
    assert response.status_code == 202, response.text
    assert response.content == b""
    changed = stored(calgate, "standup")
    assert changed.participation_status == status
    assert changed.sequence == event.sequence  # the person's answer is not a new version of the event


def test_the_applications_event_id_names_its_own_event(calgate, room):
    upsert(calgate, room, room.calendar_id)
    assert change(calgate, room, room.calendar_id, "standup", {"status": "declined"}).status_code == 202
    assert stored(calgate, "standup").participation_status == "declined"


@pytest.mark.parametrize("body", [{"status": "maybe"}, {}, {"status": 1}, {"status": "needs_action"}])
def test_bad_status_is_422(calgate, room, body):
    event = upsert(calgate, room, room.calendar_id)
    response = change(calgate, room, room.calendar_id, event.id, body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]["status"][0]["key"] == "errors.invalid"


def test_unknown_calendars_and_events_are_404(calgate, app, room):
    event = upsert(calgate, room, room.calendar_id)
    other = make_application_calendar(calgate, app, "room-102")
    other_event = upsert(calgate, other, other.calendar_id, "other")
    for calendar_id, uid in [
        ("cal_nope", event.id),
        (room.calendar_id, "evt_nope"),
        (room.calendar_id, other_event.id),  # an event of another calendar
        (other.calendar_id, event.id),  # another account's calendar
    ]:
        response = change(calgate, room, calendar_id, uid, {"status": "accepted"})
        assert response.status_code == 404, (calendar_id, uid, response.text)
        assert response.json()["error"] == "not_found"
    assert stored(calgate, "other").participation_status == "accepted"


def test_deleted_events_are_404(calgate, room):
    event = upsert(calgate, room, room.calendar_id)
    httpx.request("DELETE", f"{calgate.url}/v1/calendars/{room.calendar_id}/events", json={"event_id": "standup"}, headers=room.headers)
    assert change(calgate, room, room.calendar_id, event.id, {"status": "declined"}).status_code == 404


def test_needs_the_change_participation_status_scope(calgate, app):
    person = connect_and_exchange(calgate, app)  # free_busy_write and friends, not this one
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    event = upsert(calgate, person, calendar_id)
    response = change(calgate, person, calendar_id, event.id, {"status": "accepted"})
    assert response.status_code == 403, response.text
    assert response.json()["scope"] == "change_participation_status"


def test_a_person_who_granted_it(calgate, app):
    person = connect_and_exchange(calgate, app, scope="free_busy_write change_participation_status")
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    event = upsert(calgate, person, calendar_id)
    assert change(calgate, person, calendar_id, event.id, {"status": "tentative"}).status_code == 202
    assert stored(calgate, "standup").participation_status == "tentative"
