# SPDX-License-Identifier: Apache-2.0
"""POST /v1/batch (wire notes §4.7, §1.4)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from calgate.domain.model import Event
from tests.support.application_calendars import make_application_calendar
from tests.support.factories import make_application


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def room(calgate, app):
    return make_application_calendar(calgate, app, "room-101")


def event(event_id: str = "standup", **fields) -> dict:
    body = {"event_id": event_id, "summary": "Stand-up", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T09:15:00Z"}
    body.update(fields)
    return body


def post_batch(calgate, holder, entries) -> httpx.Response:
    return httpx.post(f"{calgate.url}/v1/batch", json={"batch": entries}, headers=holder.headers)


def results(response: httpx.Response) -> list[dict]:
    assert response.status_code == 207, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()["batch"]


def stored(calgate) -> dict[str, Event]:
    with calgate.services.uow() as uow:
        return {e.event_id: e for e in uow.session.scalars(select(Event))}


def test_entries_run_independently_and_answer_in_order(calgate, room):
    url = f"/v1/calendars/{room.calendar_id}/events"
    answer = results(
        post_batch(
            calgate,
            room,
            [
                {"method": "POST", "relative_url": url, "data": event("a")},
                {"method": "POST", "relative_url": url, "data": event("b", summary=None)},
                {"method": "POST", "relative_url": "/v1/calendars/cal_nope/events", "data": event("c")},
                {"method": "POST", "relative_url": url, "data": event("d", start={"time": "2026-12-01T09:00:00Z", "tzid": "Europe/London"})},
                {"method": "DELETE", "relative_url": url, "data": {"event_id": "a"}},
            ],
        )
    )
    assert [r["status"] for r in answer] == [202, 422, 404, 202, 202]
    assert answer[0] == {"status": 202}
    assert answer[1]["data"]["errors"]["summary"][0]["key"] == "errors.required"
    assert answer[2]["data"]["error"] == "not_found"
    events = stored(calgate)
    assert set(events) == {"a", "d"}
    assert events["a"].deleted and not events["d"].deleted
    assert events["d"].start == {"time": "2026-12-01T09:00:00Z", "tzid": "Europe/London"}


def test_unsupported_operations_and_methods(calgate, room):
    url = f"/v1/calendars/{room.calendar_id}/events"
    answer = results(
        post_batch(
            calgate,
            room,
            [
                {"method": "POST", "relative_url": "/v1/smart_invites", "data": {}},
                {"method": "PATCH", "relative_url": url, "data": event()},
                {"method": "POST", "relative_url": url, "data": "not an object"},
                "not an entry",
                {"method": "post", "relative_url": url + "/", "data": event()},
            ],
        )
    )
    assert [r["status"] for r in answer] == [404, 405, 422, 422, 202]
    assert answer[0]["data"]["error"] == "not_found"
    assert answer[1]["data"]["error"] == "method_not_allowed"
    assert answer[2]["data"]["errors"]["data"][0]["key"] == "errors.invalid"


def test_percent_encoded_calendar_ids(calgate, room):
    url = f"/v1/calendars/{room.calendar_id.replace('_', '%5F')}/events"
    assert [r["status"] for r in results(post_batch(calgate, room, [{"method": "POST", "relative_url": url, "data": event()}]))] == [202]


def test_delete_needs_an_event_id(calgate, room):
    url = f"/v1/calendars/{room.calendar_id}/events"
    [answer] = results(post_batch(calgate, room, [{"method": "DELETE", "relative_url": url}]))
    assert answer["status"] == 422
    assert answer["data"]["errors"]["event_id"][0]["key"] == "errors.required"


@pytest.mark.parametrize("entries, key", [(None, "errors.required"), ([], "errors.required"), ("x", "errors.required")])
def test_the_batch_itself_must_be_a_non_empty_list(calgate, room, entries, key):
    response = httpx.post(f"{calgate.url}/v1/batch", json={} if entries is None else {"batch": entries}, headers=room.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]["batch"][0]["key"] == key


def test_at_most_fifty_entries(calgate, room):
    url = f"/v1/calendars/{room.calendar_id}/events"
    entries = [{"method": "POST", "relative_url": url, "data": event(f"e{i}")} for i in range(51)]
    response = post_batch(calgate, room, entries)
    assert response.status_code == 422
    assert stored(calgate) == {}
    assert {r["status"] for r in results(post_batch(calgate, room, entries[:50]))} == {202}
    assert len(stored(calgate)) == 50


def test_needs_a_valid_token(calgate, room):
    response = httpx.post(f"{calgate.url}/v1/batch", json={"batch": []}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_another_accounts_calendar_is_not_found(calgate, app, room):
    other = make_application_calendar(calgate, app, "room-102")
    [answer] = results(
        post_batch(calgate, other, [{"method": "POST", "relative_url": f"/v1/calendars/{room.calendar_id}/events", "data": event()}])
    )
    assert answer["status"] == 404
    assert stored(calgate) == {}
