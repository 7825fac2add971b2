# SPDX-License-Identifier: Apache-2.0
"""pycronofy drives an application calendar end to end: authorization, managed events in every
time form the SDK accepts, batch, participation status, Read Events across pages and
Free/Busy (wire notes §2.7, §4.3, §4.7, §5, §9.1)."""

from __future__ import annotations

import datetime as dt

import pytest
from pycronofy.batch import BatchBuilder
from pycronofy.exceptions import PyCronofyPartialSuccessError, PyCronofyRequestError

from tests.support.factories import make_application

UTC = dt.timezone.utc
WINDOW = {"from_date": "2026-06-01", "to_date": "2027-01-31", "tzid": "Etc/UTC"}


@pytest.fixture
def app(calgate):
    return make_application(calgate.services)


@pytest.fixture
def client(sdk, app):
    """A client holding an application calendar's tokens."""
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    client.application_calendar("room-101")
    return client


@pytest.fixture
def calendar_id(client) -> str:
    [calendar] = client.list_calendars()
    return str(calendar["calendar_id"])


def event(event_id: str, summary: str = "Stand-up", start: object = "2026-12-01T09:00:00Z", end: object = "2026-12-01T09:15:00Z", **fields) -> dict:
    return {"event_id": event_id, "summary": summary, "start": start, "end": end, **fields}


def managed(client, **options) -> dict[str, dict]:
    """Our events by event_id, through Read Events."""
    return {e["event_id"]: e for e in client.read_events(**{**WINDOW, **options}) if "event_id" in e}


def test_application_calendar_lifecycle(calgate, sdk, app):
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    auth = client.application_calendar("room-101")
    assert auth["sub"].startswith("apc_")
    assert auth["application_calendar_id"] == "room-101"
    assert len(auth["access_token"]) == 32 and auth["refresh_token"] and auth["token_expiration"]

    again = client.application_calendar("room-101")
    assert again["sub"] == auth["sub"]
    assert again["access_token"] != auth["access_token"]

    [calendar] = client.list_calendars()
    assert calendar["calendar_primary"] is True
    assert calendar["provider_name"] == "cronofy"
    assert calendar["profile_name"] == "room-101"
    userinfo = client.userinfo()
    assert userinfo["cronofy.type"] == "application_calendar"
    assert userinfo["application_calendar_id"] == "room-101"
    assert userinfo["sub"] == auth["sub"]

    refreshed = client.refresh_authorization()
    assert refreshed["access_token"] != again["access_token"]
    assert client.list_calendars() == [calendar]

    old = client.auth.access_token
    client.revoke_authorization()
    stale = sdk.Client(client_id=app.client_id, client_secret=app.client_secret, access_token=old)
    with pytest.raises(PyCronofyRequestError) as raised:
        stale.list_calendars()
    assert raised.value.response.status_code == 401
    # asking again authorizes the same calendar anew
    assert client.application_calendar("room-101")["sub"] == auth["sub"]
    assert client.list_calendars() == [calendar]


def test_bad_client_credentials(sdk, app):
    client = sdk.Client(client_id=app.client_id, client_secret="wrong")
    with pytest.raises(PyCronofyRequestError) as raised:
        client.application_calendar("room-101")
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == "invalid_client"


def test_upsert_in_every_time_form_and_delete(client, calendar_id):
    client.upsert_event(calendar_id, event("string", "String times"))
    client.upsert_event(
        calendar_id,
        event("datetimes", "Datetimes", dt.datetime(2026, 12, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))), dt.datetime(2026, 12, 2, 10, 30, tzinfo=UTC)),
    )
    client.upsert_event(
        calendar_id,
        event(
            "zoned", "Zoned",
            {"time": dt.datetime(2026, 7, 1, 14, tzinfo=UTC), "tzid": "Europe/London"},
            {"time": "2026-07-01T15:00:00Z", "tzid": "Europe/London"},
            description="Summer", location={"description": "Room 1"},
        ),
    )
    client.upsert_event(calendar_id, event("all-day", "Retreat", dt.date(2026, 9, 6), dt.date(2026, 9, 8)))
    client.upsert_event(calendar_id, event("string", "String times (moved)", "2026-12-01T11:00:00Z", "2026-12-01T12:00:00Z"))

    events = managed(client, localized_times=True)
    assert set(events) == {"string", "datetimes", "zoned", "all-day"}
    assert events["string"]["summary"] == "String times (moved)"
    assert events["string"]["start"] == {"time": "2026-12-01T11:00:00+00:00", "tzid": "Etc/UTC"}
    assert events["datetimes"]["start"]["time"] == "2026-12-02T09:00:00+00:00"
    assert events["zoned"]["start"] == {"time": "2026-07-01T15:00:00+01:00", "tzid": "Europe/London"}
    assert events["zoned"]["description"] == "Summer"
    assert events["zoned"]["location"] == {"description": "Room 1"}
    assert events["all-day"]["start"]["time"] == "2026-09-06"
    assert events["all-day"]["end"]["time"] == "2026-09-08"
    plain = managed(client)
    assert plain["zoned"]["start"] == "2026-07-01T14:00:00Z"
    assert plain["all-day"]["start"] == "2026-09-06"
    assert all(e["calendar_id"] == calendar_id for e in plain.values())

    client.delete_event(calendar_id, "string")
    assert set(managed(client)) == {"datetimes", "zoned", "all-day"}
    assert managed(client, include_deleted=True)["string"]["deleted"] is True

    client.delete_all_events(calendar_ids=[calendar_id])  # ?calendar_ids[]=…
    assert managed(client) == {}
    client.upsert_event(calendar_id, event("again"))
    client.delete_all_events()  # ?delete_all=True
    assert managed(client) == {}


def test_bad_event_raises(client, calendar_id):
    with pytest.raises(PyCronofyRequestError) as raised:
        client.upsert_event(calendar_id, event("bad", summary=""))
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["errors"]["summary"][0]["key"] == "errors.required"


def test_batch(client, calendar_id):
    builder = BatchBuilder()
    builder.upsert_event(calendar_id, event("one", "One"))
    builder.upsert_event(calendar_id, event("two", "Two", {"time": dt.datetime(2026, 7, 1, 14, tzinfo=UTC), "tzid": "Europe/London"}, dt.datetime(2026, 7, 1, 15, tzinfo=UTC)))
    builder.upsert_event(calendar_id, event("three", "Three", dt.date(2026, 9, 6), dt.date(2026, 9, 7)))
    builder.delete_event(calendar_id, "one")
    result = client.batch(builder)
    assert [entry.status() for entry in result.entries] == [202, 202, 202, 202]
    assert not result.has_errors()
    assert set(managed(client)) == {"two", "three"}

    failing = BatchBuilder()
    failing.upsert_event(calendar_id, event("four", "Four"))
    failing.upsert_event(calendar_id, event("five", summary=""))
    failing.delete_event("cal_nope", "two")
    with pytest.raises(PyCronofyPartialSuccessError) as raised:
        client.batch(failing)
    entries = raised.value.batch_response.entries
    assert [entry.status() for entry in entries] == [202, 422, 404]
    assert entries[1].response["data"]["errors"]["summary"][0]["key"] == "errors.required"
    [error, missing] = raised.value.batch_response.errors()
    assert error.request["data"]["event_id"] == "five"
    assert missing.request["relative_url"] == "/v1/calendars/cal_nope/events"
    assert set(managed(client)) == {"two", "three", "four"}


def test_change_participation_status(client, calendar_id):
    client.upsert_event(calendar_id, event("standup"))
    uid = managed(client)["standup"]["event_uid"]
    assert managed(client)["standup"]["participation_status"] == "accepted"
    client.change_participation_status(calendar_id, uid, "tentative")
    assert managed(client)["standup"]["participation_status"] == "tentative"
    client.change_participation_status(calendar_id, "standup", "declined")  # the app's own event_id
    assert managed(client)["standup"]["participation_status"] == "declined"
    with pytest.raises(PyCronofyRequestError) as raised:
        client.change_participation_status(calendar_id, uid, "maybe")
    assert raised.value.response.status_code == 422
    with pytest.raises(PyCronofyRequestError) as raised:
        client.change_participation_status(calendar_id, "evt_nope", "accepted")
    assert raised.value.response.status_code == 404


def test_read_events_across_pages(calgate, client, calendar_id):
    count = calgate.settings.page_size + 20
    start = dt.datetime(2026, 8, 1, 9, tzinfo=UTC)
    for first in range(0, count, 50):
        builder = BatchBuilder()
        for n in range(first, min(first + 50, count)):
            at = start + dt.timedelta(hours=n)
            builder.upsert_event(calendar_id, event(f"e{n:03}", f"Event {n}", at, at + dt.timedelta(minutes=30)))
        client.batch(builder)

    pages = client.read_events(**WINDOW)
    assert pages.total == 2 and len(pages.current_page()) == calgate.settings.page_size
    events = list(pages)  # automatic pagination fetches the next page
    assert sorted(e["event_id"] for e in events) == [f"e{n:03}" for n in range(count)]
    assert len(client.read_events(**WINDOW).all()) == count
    assert [e["start"] for e in events[:2]] == ["2026-08-01T09:00:00Z", "2026-08-01T10:00:00Z"]


def test_read_free_busy(client, calendar_id):
    client.upsert_event(calendar_id, event("busy", start="2026-12-01T09:00:00Z", end="2026-12-01T10:00:00Z"))
    client.upsert_event(calendar_id, event("free", start="2026-12-01T11:00:00Z", end="2026-12-01T12:00:00Z", transparency="transparent"))
    client.upsert_event(calendar_id, event("maybe", start="2026-12-01T13:00:00Z", end="2026-12-01T14:00:00Z"))
    client.change_participation_status(calendar_id, "maybe", "tentative")
    blocks = list(client.read_free_busy(from_date="2026-12-01", to_date="2026-12-02", tzid="Etc/UTC"))
    assert [(b["start"], b["end"], b["free_busy_status"]) for b in blocks] == [
        ("2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z", "busy"),
        ("2026-12-01T13:00:00Z", "2026-12-01T14:00:00Z", "tentative"),
    ]
    assert all(b["calendar_id"] == calendar_id for b in blocks)
    assert all("summary" not in b for b in blocks)
