"""Shared by the Read Events and Free/Busy tests: a connected person with a hosted calendar,
events written over HTTP, reads over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from calgate.domain import events, ids
from calgate.domain.model import utcnow
from tests.support.api import Connected, connect_and_exchange
from tests.support.factories import make_application


def connect(calgate: Any, app: Any = None) -> Connected:
    app = app or make_application(calgate.services, features={"no_calendar"})
    connected = connect_and_exchange(calgate, app)
    calendars = httpx.get(f"{calgate.url}/v1/calendars", headers=connected.headers).json()["calendars"]
    connected.calendar_id = calendars[0]["calendar_id"]  # type: ignore[attr-defined]
    connected.profile_id = calendars[0]["profile_id"]  # type: ignore[attr-defined]
    return connected


def upsert(calgate: Any, person: Connected, event_id: str, start: Any, end: Any, calendar_id: str | None = None, client: Any = httpx, **fields: Any) -> None:
    body = {"event_id": event_id, "summary": f"Event {event_id}", "start": start, "end": end, **fields}
    calendar_id = calendar_id or person.calendar_id  # type: ignore[attr-defined]
    response = client.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers)
    assert response.status_code == 202, response.text


def delete(calgate: Any, person: Connected, event_id: str) -> None:
    url = f"{calgate.url}/v1/calendars/{person.calendar_id}/events"  # type: ignore[attr-defined]
    response = httpx.request("DELETE", url, json={"event_id": event_id}, headers=person.headers)
    assert response.status_code == 202, response.text


def read(calgate: Any, person: Connected | None, path: str = "/v1/events", body: Any = None, **params: Any) -> httpx.Response:
    """GET with ``params`` in the query string (and ``body`` as JSON, as pycronofy sends {})."""
    headers = person.headers if person is not None else {}
    return httpx.request("GET", f"{calgate.url}{path}", params=params, json=body, headers=headers)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()  # type: ignore[no-any-return]


def uids(body: dict[str, Any], key: str = "events") -> list[str]:
    return [e["event_id"] for e in body[key]]


def set_participation(calgate: Any, person: Connected, event_id: str, status: str) -> None:
    """The person's answer, as an iTIP REPLY or the participation status endpoint sets it."""
    with calgate.services.uow() as uow:
        event = uow.events.by_event_id(person.calendar_id, event_id)  # type: ignore[attr-defined]
        events.set_participation_status(uow, person.account_id, event.id, status, utcnow())
        uow.commit()


def restrict_scope(calgate: Any, person: Connected, scope: str) -> None:
    """Narrow the person's grant. Every way to connect today (No Access) needs free_busy_write,
    which brings read_events; this stands in for a narrower authorization."""
    with calgate.services.uow() as uow:
        token = uow.tokens.get(ids.digest(person.access_token))
        uow.grants.get(token.grant_id).scope = scope
        uow.commit()


def day(offset: int) -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=offset)
