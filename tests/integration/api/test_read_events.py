"""GET /v1/events against hosted calendars: the event shape, filters, errors (wire notes §4.3)."""

import time

import httpx
import pytest

from tests.integration.api._read_events import (
    connect,
    day,
    delete,
    ok,
    read,
    restrict_scope,
    uids,
    upsert,
)

WINDOW = {"tzid": "Etc/UTC", "from": "2026-12-01", "to": "2026-12-02", "include_managed": "true"}


def test_an_event_as_read_events_shows_it(calgate, person):
    upsert(
        calgate, person, "interview-1", "2026-12-01T15:00:00Z", "2026-12-01T16:00:00Z", tzid="Europe/London",
        description="Second round", location={"description": "Room 1"}, url="https://example.com/i/1",
        reminders=[{"minutes": 10}], color="#49bed8", transparency="opaque",
        attendees={"invite": [{"email": "Grace@Example.com", "display_name": "Grace"}, {"email": "alan@example.com"}]},
    )
    body = ok(read(calgate, person, **WINDOW))
    assert body["pages"] == {"current": 1, "total": 1}
    [event] = body["events"]
    assert event["event_uid"].startswith("evt_") and event["created"].endswith("Z") and event["updated"].endswith("Z")
    del event["event_uid"], event["created"], event["updated"]
    assert event == {
        "calendar_id": person.calendar_id,
        "event_id": "interview-1",
        "summary": "Event interview-1",
        "description": "Second round",
        "start": "2026-12-01T15:00:00Z",
        "end": "2026-12-01T16:00:00Z",
        "deleted": False,
        "location": {"description": "Room 1"},
        "participation_status": "needs_action",  # invited by email, not answered yet
        "attendees": [
            {"email": "grace@example.com", "display_name": "Grace", "status": "needs_action"},
            {"email": "alan@example.com", "display_name": None, "status": "needs_action"},
        ],
        "organizer": {"email": "calendar@calgate.test"},
        "transparency": "opaque",
        "extended_transparency": "opaque",
        "status": "confirmed",
        "categories": [],
        "recurring": False,
        "event_private": False,
        "options": {"delete": True, "update": True, "change_participation_status": True},
        "reminders": [{"minutes": 10}],
        "url": "https://example.com/i/1",
        "color": "#49bed8",
    }
    localized = ok(read(calgate, person, **WINDOW, localized_times="true"))["events"][0]
    assert localized["start"] == {"time": "2026-12-01T15:00:00+00:00", "tzid": "Europe/London"}


def test_the_apps_own_events_need_include_managed_or_only_managed(calgate, person):
    upsert(calgate, person, "mine", "2026-12-01T15:00:00Z", "2026-12-01T16:00:00Z")
    window = {k: v for k, v in WINDOW.items() if k != "include_managed"}
    assert ok(read(calgate, person, **window))["events"] == []  # Cronofy's default: false
    assert ok(read(calgate, person, **window, include_managed="False"))["events"] == []
    assert uids(ok(read(calgate, person, **window, include_managed="True"))) == ["mine"]  # pycronofy's spelling
    assert uids(ok(read(calgate, person, **window, only_managed="TRUE"))) == ["mine"]
    assert uids(ok(read(calgate, person, body={**window, "include_managed": True}))) == ["mine"]  # JSON body


def test_window_edges(calgate, person):
    upsert(calgate, person, "ten", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    base = {"tzid": "Etc/UTC", "include_managed": "true"}

    def returned(frm, to):
        return uids(ok(read(calgate, person, **base, **{"from": frm, "to": to}))) == ["ten"]

    assert returned("2026-12-01T11:00:00Z", "2026-12-02")  # ends exactly at from
    assert not returned("2026-12-01T11:00:01Z", "2026-12-02")
    assert not returned("2026-11-30", "2026-12-01T10:00:00Z")  # to is exclusive
    assert returned("2026-11-30", "2026-12-01T10:00:01Z")
    assert returned("2026-12-01", "2026-12-02")
    assert not returned("2026-12-02", "2026-12-03")


def test_without_from_and_to_the_apps_own_events_ignore_the_default_window(calgate, person):
    for name, offset in (("past", -100), ("soon", 30), ("far", 300)):
        start = day(offset).isoformat() + "T09:00:00Z"
        upsert(calgate, person, name, start, start.replace("T09", "T10"))
    assert sorted(uids(ok(read(calgate, person, tzid="Etc/UTC", include_managed="true")))) == ["far", "past", "soon"]
    # with a bound given, the default for the other applies (42 days back, 201 ahead)
    assert uids(ok(read(calgate, person, tzid="Etc/UTC", include_managed="true", **{"from": day(-10).isoformat()}))) == ["soon"]
    assert uids(ok(read(calgate, person, tzid="Etc/UTC", include_managed="true", to=day(60).isoformat()))) == ["soon"]


def test_include_deleted_shows_cancelled_events(calgate, person):
    upsert(calgate, person, "kept", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    upsert(calgate, person, "gone", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
    delete(calgate, person, "gone")
    assert uids(ok(read(calgate, person, **WINDOW))) == ["kept"]
    events = ok(read(calgate, person, **WINDOW, include_deleted="True"))["events"]
    assert [(e["event_id"], e["deleted"], e["status"]) for e in events] == [("kept", False, "confirmed"), ("gone", True, "cancelled")]


def test_last_modified_returns_events_updated_at_or_after_it(calgate, person):
    upsert(calgate, person, "old", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    time.sleep(1.05 - time.time() % 1)  # into the next whole second: last_modified has no fraction
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    upsert(calgate, person, "new", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")
    assert uids(ok(read(calgate, person, **WINDOW, last_modified=since))) == ["new"]
    upsert(calgate, person, "old", "2026-12-01T10:00:00Z", "2026-12-01T11:30:00Z")  # a change
    assert uids(ok(read(calgate, person, **WINDOW, last_modified=since))) == ["old", "new"]


def test_calendar_ids_in_every_spelling(calgate, person):
    created = httpx.post(f"{calgate.url}/v1/calendars", json={"profile_id": person.profile_id, "name": "Interviews"}, headers=person.headers)
    second = created.json()["calendar"]["calendar_id"]
    upsert(calgate, person, "a", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    upsert(calgate, person, "b", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z", calendar_id=second)
    assert sorted(uids(ok(read(calgate, person, **WINDOW)))) == ["a", "b"]
    assert uids(ok(read(calgate, person, **WINDOW, **{"calendar_ids[]": [second]}))) == ["b"]
    assert uids(ok(read(calgate, person, **WINDOW, calendar_ids=second))) == ["b"]
    assert sorted(uids(ok(read(calgate, person, **WINDOW, calendar_ids=[second, person.calendar_id])))) == ["a", "b"]
    assert uids(ok(read(calgate, person, body={**WINDOW, "calendar_ids": [person.calendar_id]}))) == ["a"]
    assert {e["calendar_id"] for e in ok(read(calgate, person, **WINDOW))["events"]} == {person.calendar_id, second}


def test_unknown_and_other_peoples_calendars_are_not_found(calgate, person):
    other = connect(calgate)
    upsert(calgate, other, "theirs", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    for calendar_id in ("cal_nope", other.calendar_id):
        response = read(calgate, person, **WINDOW, **{"calendar_ids[]": [person.calendar_id, calendar_id]})
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert ok(read(calgate, person, **WINDOW))["events"] == []  # their events never show up


@pytest.mark.parametrize("path", ["/v1/events", "/v1/free_busy"])
def test_tzid_is_required(calgate, person, path):
    response = read(calgate, person, path, body={}, **{"from": "2026-12-01", "to": "2026-12-02"})
    assert response.status_code == 422
    [error] = response.json()["errors"]["tzid"]
    assert error["key"] == "errors.required" and "tzid" in error["description"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"tzid": "Mars/Olympus"}, "tzid"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-12-01T10:00:00.5Z"}, "from"),
        ({"from": "2026-12-02", "to": "2026-12-01"}, "to"),
        ({"from": "2026-12-01", "to": "2026-12-01"}, "to"),
        ({"from": "2026-01-01", "to": "2027-06-01"}, "to"),
        ({"last_modified": "2026-12-01"}, "last_modified"),
        ({"last_modified": "last week"}, "last_modified"),
        ({"include_deleted": "perhaps"}, "include_deleted"),
    ],
)
@pytest.mark.parametrize("path", ["/v1/events", "/v1/free_busy"])
def test_bad_parameters_are_422_with_a_description(calgate, person, path, params, field):
    response = read(calgate, person, path, **{"tzid": "Etc/UTC", **params})
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"][field]
    assert error["key"].startswith("errors.") and error["description"]


@pytest.mark.parametrize("path", ["/v1/events", "/v1/free_busy", "/v1/events/pages/abc", "/v1/free_busy/pages/abc"])
def test_without_a_valid_token_401(calgate, path):
    assert read(calgate, None, path, tzid="Etc/UTC").status_code == 401
    response = httpx.get(f"{calgate.url}{path}", params={"tzid": "Etc/UTC"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_missing_scopes_are_403(calgate, person):
    restrict_scope(calgate, person, "read_account read_free_busy")
    response = read(calgate, person, **WINDOW)
    assert response.status_code == 403 and response.json()["scope"] == "read_events"
    assert read(calgate, person, "/v1/free_busy", **WINDOW).status_code == 200
    restrict_scope(calgate, person, "read_account")
    response = read(calgate, person, "/v1/free_busy", **WINDOW)
    assert response.status_code == 403 and response.json()["scope"] == "read_free_busy"
