"""Requests that race over the same new thing never get a 500: the loser sees the winner."""

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import select

from calgate.domain.model import Event
from tests.support.api import connect_and_exchange
from tests.support.factories import make_application


def test_simultaneous_first_calls_for_one_application_calendar(calgate):
    creds = make_application(calgate.services)
    body = {"client_id": creds.client_id, "client_secret": creds.client_secret, "application_calendar_id": "rooms-1"}

    def call(_):
        return httpx.post(f"{calgate.url}/v1/application_calendars", json=body, timeout=30)

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(call, range(6)))
    assert [r.status_code for r in responses] == [200] * 6, [r.text for r in responses if r.status_code != 200]
    assert len({r.json()["sub"] for r in responses}) == 1


def test_simultaneous_upserts_of_one_new_event(calgate):
    person = connect_and_exchange(calgate, make_application(calgate.services, features={"no_calendar"}))
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    body = {"event_id": "race", "summary": "Race", "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T16:00:00Z"}

    def call(_):
        return httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers, timeout=30)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = [r.status_code for r in pool.map(call, range(6))]
    assert statuses == [202] * 6
    with calgate.services.uow() as uow:
        assert len(list(uow.session.scalars(select(Event).where(Event.event_id == "race")))) == 1
