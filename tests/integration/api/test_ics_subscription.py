# SPDX-License-Identifier: Apache-2.0
"""ICS subscription URLs of hosted calendars (calgate's extension; README "ICS subscriptions")."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select

from calgate.domain.model import CalendarSubscription, Event
from tests.support.api import connect_and_exchange, revoke_request
from tests.support.application_calendars import make_application_calendar
from tests.support.factories import make_application


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def room(calgate, app):
    return make_application_calendar(calgate, app, "Room 101")


def upsert(calgate, holder, calendar_id: str, event_id: str, **fields) -> None:
    body = {"event_id": event_id, "summary": "Stand-up", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T09:15:00Z"}
    body.update(fields)
    response = httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=holder.headers)
    assert response.status_code == 202, response.text


def subscribe(calgate, holder, calendar_id: str) -> str:
    response = httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/ics_subscription", headers=holder.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    url = response.json()["ics_subscription"]["url"]
    assert re.fullmatch(re.escape(calgate.url) + r"/ics/[A-Za-z0-9]{32}\.ics", url), url
    return str(url)


def feed(url: str) -> Calendar:
    response = httpx.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events_by_summary(calendar: Calendar) -> dict[str, object]:
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def stored(calgate) -> dict[str, Event]:
    with calgate.services.uow() as uow:
        return {e.event_id: e for e in uow.session.scalars(select(Event))}


def test_the_feed_has_every_live_event(calgate, room):
    upsert(
        calgate, room, room.calendar_id, "a",
        summary="Interview", description="Bring the CV", location={"description": "Room 1"},
        start={"time": "2026-12-01T15:00:00Z", "tzid": "Europe/London"},
        end={"time": "2026-12-01T16:00:00Z", "tzid": "Europe/London"},
    )
    upsert(calgate, room, room.calendar_id, "b", summary="Utc call", start="2026-07-01T15:00:00Z", end="2026-07-01T15:30:00Z")
    upsert(calgate, room, room.calendar_id, "c", summary="Retreat", start="2026-09-06", end="2026-09-08", tzid="America/New_York")
    upsert(calgate, room, room.calendar_id, "gone", summary="Cancelled")
    upsert(calgate, room, room.calendar_id, "a", summary="Interview", description="Bring the CV and a pen",
           location={"description": "Room 1"},
           start={"time": "2026-12-01T15:00:00Z", "tzid": "Europe/London"},
           end={"time": "2026-12-01T16:00:00Z", "tzid": "Europe/London"})
    httpx.request("DELETE", f"{calgate.url}/v1/calendars/{room.calendar_id}/events", json={"event_id": "gone"}, headers=room.headers)
    ids = stored(calgate)

    calendar = feed(subscribe(calgate, room, room.calendar_id))
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Room 101"
    events = events_by_summary(calendar)
    assert set(events) == {"Interview", "Utc call", "Retreat"}

    interview = events["Interview"]
    assert str(interview["UID"]) == f"{ids['a'].id}@calgate"
    assert int(interview["SEQUENCE"]) == 1
    assert str(interview["DESCRIPTION"]) == "Bring the CV and a pen"
    assert str(interview["LOCATION"]) == "Room 1"
    assert interview["DTSTART"].params["TZID"] == "Europe/London"
    start = interview["DTSTART"].dt
    assert start == dt.datetime(2026, 12, 1, 15, tzinfo=dt.timezone.utc)
    assert start.utcoffset() == dt.timedelta(0)  # London in winter
    assert interview["DTEND"].dt == dt.datetime(2026, 12, 1, 16, tzinfo=dt.timezone.utc)

    utc = events["Utc call"]
    assert "TZID" not in utc["DTSTART"].params
    assert utc["DTSTART"].to_ical() == b"20260701T150000Z"

    retreat = events["Retreat"]
    assert retreat["DTSTART"].dt == dt.date(2026, 9, 6)
    assert retreat["DTEND"].dt == dt.date(2026, 9, 8)

    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert calendar.get_missing_tzids() == set()


def test_zones_are_kept(calgate, room):
    upsert(calgate, room, room.calendar_id, "a", summary="Call", start={"time": "2026-07-01T15:00:00Z", "tzid": "America/New_York"},
           end={"time": "2026-07-01T16:00:00Z", "tzid": "America/New_York"})
    [event] = feed(subscribe(calgate, room, room.calendar_id)).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["DTSTART"].dt.astimezone(ZoneInfo("America/New_York")).hour == 11
    assert event["DTSTART"].to_ical() == b"20260701T110000"


def test_an_empty_calendar(calgate, room):
    calendar = feed(subscribe(calgate, room, room.calendar_id))
    assert calendar.walk("VEVENT") == []


def test_head_works(calgate, room):
    url = subscribe(calgate, room, room.calendar_id)
    response = httpx.head(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"


def test_only_the_digest_is_stored(calgate, room):
    url = subscribe(calgate, room, room.calendar_id)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    with calgate.services.uow() as uow:
        [subscription] = uow.session.scalars(select(CalendarSubscription)).all()
    assert subscription.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert subscription.calendar_id == room.calendar_id


def test_a_new_url_revokes_the_old_one(calgate, room):
    old = subscribe(calgate, room, room.calendar_id)
    new = subscribe(calgate, room, room.calendar_id)
    assert old != new
    assert httpx.get(old).status_code == 404
    assert httpx.get(new).status_code == 200


def test_delete_revokes(calgate, room):
    url = subscribe(calgate, room, room.calendar_id)
    for _ in range(2):  # idempotent
        response = httpx.delete(f"{calgate.url}/v1/calendars/{room.calendar_id}/ics_subscription", headers=room.headers)
        assert response.status_code == 202, response.text
        assert response.content == b""
    response = httpx.get(url)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("path", ["/ics/nope.ics", "/ics/" + "A" * 32 + ".ics", "/ics/.ics"])
def test_unknown_tokens_are_404(calgate, room, path):
    assert httpx.get(f"{calgate.url}{path}").status_code == 404


def test_revoking_the_grant_ends_the_url(calgate, app, room):
    url = subscribe(calgate, room, room.calendar_id)
    assert revoke_request(calgate, app, sub=room.sub).status_code == 200
    assert httpx.get(url).status_code == 404
    again = make_application_calendar(calgate, app, "Room 101")  # a new grant: the old URL stays dead
    assert httpx.get(url).status_code == 404
    assert httpx.get(subscribe(calgate, again, again.calendar_id)).status_code == 200


def test_revoking_the_profile_ends_the_url(calgate, room):
    url = subscribe(calgate, room, room.calendar_id)
    profile_id = room.tokens["linking_profile"]["profile_id"]
    assert httpx.post(f"{calgate.url}/v1/profiles/{profile_id}/revoke", headers=room.headers).status_code == 202
    assert httpx.get(url).status_code == 404


def test_only_the_accounts_own_calendars(calgate, app, room):
    other = make_application_calendar(calgate, app, "Room 102")
    for method in ("POST", "DELETE"):
        response = httpx.request(method, f"{calgate.url}/v1/calendars/{room.calendar_id}/ics_subscription", headers=other.headers)
        assert response.status_code == 404, response.text
    response = httpx.post(f"{calgate.url}/v1/calendars/cal_nope/ics_subscription", headers=room.headers)
    assert response.status_code == 404
    assert httpx.post(f"{calgate.url}/v1/calendars/{room.calendar_id}/ics_subscription").status_code == 401


def test_a_no_access_persons_calendar(calgate, app):
    person = connect_and_exchange(calgate, app)
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    upsert(calgate, person, calendar_id, "a", summary="Interview")
    assert set(events_by_summary(feed(subscribe(calgate, person, calendar_id)))) == {"Interview"}
