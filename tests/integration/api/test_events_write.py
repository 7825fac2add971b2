"""Writing managed events into a hosted (No Access) calendar."""

import httpx
import pytest
from sqlalchemy import select

from calgate.domain.model import Event, Job
from tests.support.api import connect_and_exchange
from tests.support.factories import make_application


@pytest.fixture
def person(calgate):
    connected = connect_and_exchange(calgate, make_application(calgate.services, features={"no_calendar"}))
    calendars = httpx.get(f"{calgate.url}/v1/calendars", headers=connected.headers).json()["calendars"]
    connected.calendar_id = calendars[0]["calendar_id"]
    calgate.services.jobs.run_until_idle()
    return connected


def _upsert(calgate, person, **fields):
    body = {"event_id": "interview-1", "summary": "Interview", "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T16:00:00Z"}
    body.update(fields)
    return httpx.post(f"{calgate.url}/v1/calendars/{person.calendar_id}/events", json=body, headers=person.headers)


def _stored(calgate):
    with calgate.services.uow() as uow:
        return list(uow.session.scalars(select(Event)))


def _invites(calgate):
    with calgate.services.uow() as uow:
        return [j for j in uow.session.scalars(select(Job).order_by(Job.created_at)) if j.kind == "send_invite"]


def test_upsert_stores_the_event_and_queues_an_invitation(calgate, person):
    response = _upsert(calgate, person, tzid="Europe/London", location={"description": "Room 1"})
    assert response.status_code == 202 and response.content == b""
    [event] = _stored(calgate)
    assert event.summary == "Interview" and event.start == {"time": "2026-12-01T15:00:00Z", "tzid": "Europe/London"}
    assert event.sequence == 0 and event.location == {"description": "Room 1"}
    [job] = _invites(calgate)
    assert job.payload["method"] == "REQUEST" and job.payload["to"]["email"] == person.email
    assert job.ordering_key == event.id


def test_a_repeated_upsert_sends_nothing_new_and_a_change_raises_the_sequence(calgate, person):
    _upsert(calgate, person)
    _upsert(calgate, person)
    assert len(_invites(calgate)) == 1
    _upsert(calgate, person, summary="Interview (moved)", start="2026-12-01T17:00:00Z", end="2026-12-01T18:00:00Z")
    [event] = _stored(calgate)
    assert event.sequence == 1
    assert [j.payload["event"]["sequence"] for j in _invites(calgate)] == [0, 1]


def test_delete_marks_deleted_and_queues_a_cancel(calgate, person):
    _upsert(calgate, person)
    response = httpx.request(
        "DELETE", f"{calgate.url}/v1/calendars/{person.calendar_id}/events", json={"event_id": "interview-1"}, headers=person.headers
    )
    assert response.status_code == 202
    [event] = _stored(calgate)
    assert event.deleted and event.sequence == 1
    assert [j.payload["method"] for j in _invites(calgate)] == ["REQUEST", "CANCEL"]


@pytest.mark.parametrize(
    "fields, field, key",
    [
        ({"summary": None}, "summary", "errors.required"),
        ({"start": None}, "start", "errors.required"),
        ({"end": "2026-12-01T14:00:00Z"}, "end", "errors.invalid"),
        ({"start": "2026-12-01T15:00:00.500Z"}, "start", "errors.invalid"),
        ({"start": "2026-12-01", "end": "2026-12-01T16:00:00Z"}, "end", "errors.invalid"),
        ({"tzid": "Mars/Olympus"}, "tzid", "errors.invalid"),
        ({"transparency": "glass"}, "transparency", "errors.invalid"),
        ({"event_id": ""}, "event_id", "errors.required"),
    ],
)
def test_bad_events_get_field_errors(calgate, person, fields, field, key):
    response = _upsert(calgate, person, **fields)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][field][0]["key"] == key


def test_unknown_calendar_is_404(calgate, person):
    response = httpx.post(
        f"{calgate.url}/v1/calendars/cal_nope/events",
        json={"event_id": "x", "summary": "x", "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T16:00:00Z"},
        headers=person.headers,
    )
    assert response.status_code == 404


def test_bulk_delete_by_query_string_as_pycronofy_sends_it(calgate, person):
    _upsert(calgate, person)
    _upsert(calgate, person, event_id="interview-2")
    response = httpx.request("DELETE", f"{calgate.url}/v1/events?delete_all=True", json={}, headers=person.headers)
    assert response.status_code == 202
    assert all(e.deleted for e in _stored(calgate))
    both = httpx.request("DELETE", f"{calgate.url}/v1/events", json={"delete_all": True, "calendar_ids": [person.calendar_id]}, headers=person.headers)
    assert both.status_code == 422
