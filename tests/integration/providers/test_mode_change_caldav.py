# SPDX-License-Identifier: Apache-2.0
"""Changing the access mode of a connected CalDAV calendar, against a real Radicale, as a person
does it: through the connect flow again, for the same calendar and the same application.

- free_busy → read_write: the very next Read Events has the person's events (the recurring
  one as its occurrences), the calendar keeps its id, Free/Busy and Availability stay right,
  and the invitation the person accepted while in free_busy is not counted twice; the
  application's event stays an invitation (nothing is written into the calendar).
- read_write → free_busy: the moment the person is sent back, no summary, description,
  location or attendee of their events is left in the database (rows and the SQLite files'
  bytes), the mail folder or the logs, while their busy time still counts; the application's
  event written into the calendar is handed over: its update and deletion go by email.
- Relinking another person, or the same person in another application, mixes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

import httpx
import pytest

from tests.integration.store._timelines import assert_consistent
from tests.support.api import bearer, connect_and_exchange
from tests.support.caldav import connect_caldav, private_event
from tests.support.factories import make_application
from tests.support.mode_change import calendar_ids, events, invitation_methods, profiles
from tests.support.stored import stored_text
from tests.support.syncing import eventually, sync_and_wait

DAY = dt.date.today() + dt.timedelta(days=3)
WINDOW = {"tzid": "Etc/UTC", "from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=4)).isoformat()}
ONE_DAY = {"tzid": "Etc/UTC", "from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat()}


@pytest.fixture
def app(calgate):  # type: ignore[no-untyped-def]
    return make_application(calgate.services, features={"free_busy"})


def person_with_events(radicale, marker: str):  # type: ignore[no-untyped-def]
    """A Radicale user with three events: one busy, one recurring (three days), one tentative."""
    user = radicale.new_user()
    collection = radicale.make_calendar(user, "private", "Private")
    radicale.put(f"{collection}a.ics", private_event(DAY, "a", marker, "100000", "110000"))
    radicale.put(f"{collection}b.ics", private_event(DAY, "b", marker, "130000", "133000", "RRULE:FREQ=DAILY;COUNT=3\r\n"))
    radicale.put(f"{collection}c.ics", private_event(DAY, "c", marker, "150000", "160000", "STATUS:TENTATIVE\r\n"))
    return user, collection


def free_periods(calgate, app, account_id: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    body = {
        "participants": [{"members": [{"sub": account_id}], "required": "all"}],
        "required_duration": {"minutes": 30},
        "query_periods": [{"start": f"{DAY}T09:00:00Z", "end": f"{DAY}T18:00:00Z"}],
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(app.client_secret))
    assert response.status_code == 200, response.text
    return [(p["start"][11:16], p["end"][11:16]) for p in response.json()["available_periods"]]


def busy(calgate, person) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{calgate.url}/v1/free_busy", params=ONE_DAY, headers=person.headers)
    assert response.status_code == 200, response.text
    return [(b["start"][11:16], b["end"][11:16], b["free_busy_status"]) for b in response.json()["free_busy"]]


PERSON_BUSY = [("10:00", "11:00", "busy"), ("13:00", "13:30", "busy"), ("15:00", "16:00", "tentative")]


def test_free_busy_to_read_write_reads_the_whole_calendar_at_once(calgate, radicale, app):  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(6)
    user, collection = person_with_events(radicale, marker)
    before = connect_caldav(calgate, app, radicale.url, user, access_mode="free_busy")
    sync_and_wait(calgate, before.account_id)
    [calendar_id] = calendar_ids(calgate, before)
    call = {"event_id": "call-1", "summary": "Intro call", "start": f"{DAY}T16:30:00Z", "end": f"{DAY}T17:00:00Z"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=call, headers=before.headers).status_code == 202
    eventually(lambda: invitation_methods(calgate, before.email) == ["REQUEST"])
    [own] = events(calgate, before, ONE_DAY, include_managed="true")
    # The person accepts the invitation: their calendar app files it under the invitation's UID.
    accepted = private_event(DAY, "x", "accepted", "163000", "170000").replace("UID:x-accepted", f"UID:{own['event_uid']}@calgate")
    radicale.put(f"{collection}accepted.ics", accepted.replace("Divorce lawyer accepted", "Intro call"))
    sync_and_wait(calgate, before.account_id)
    assert [e["event_id"] for e in events(calgate, before, WINDOW)] == ["call-1"]  # free_busy: the app's own only
    assert busy(calgate, before) == [*PERSON_BUSY, ("16:30", "17:00", "busy")]

    after = connect_caldav(calgate, app, radicale.url, user, access_mode="read_write")
    assert after.account_id == before.account_id and after.tokens["access_mode"] == "read_write"
    # No sync awaited: the very next answer has the whole calendar.
    found = events(calgate, after, WINDOW, include_managed="true")
    summaries = sorted(e["summary"] for e in found)
    assert summaries == sorted([f"Divorce lawyer {marker}"] * 5 + ["Intro call"]), summaries
    assert [e["recurring"] for e in found if e["summary"].endswith(marker)].count(True) == 3
    [managed] = [e for e in found if e["summary"] == "Intro call"]
    assert managed["event_id"] == "call-1"  # the application's, not the person's copy of it
    assert calendar_ids(calgate, after) == [calendar_id]
    assert profiles(calgate, after.account_id) == [("caldav", "read_write")]
    assert busy(calgate, after) == PERSON_BUSY  # the person's copy of the invitation is not theirs twice
    assert free_periods(calgate, app, after.account_id) == [("09:00", "10:00"), ("11:00", "13:00"), ("13:30", "15:00"), ("16:00", "16:30"), ("17:00", "18:00")]
    assert len(events(calgate, before, WINDOW)) == 5  # the older token follows the person's choice
    assert_consistent(calgate.services)

    # The invitation stays an invitation: its update is mailed, never written beside the copy.
    hrefs = radicale.list_hrefs(collection)
    call["summary"] = "Intro call (moved)"
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=call, headers=after.headers).status_code == 202
    eventually(lambda: invitation_methods(calgate, after.email) == ["REQUEST", "REQUEST"])
    sync_and_wait(calgate, after.account_id)
    assert radicale.list_hrefs(collection) == hrefs
    assert sorted(e["summary"] for e in events(calgate, after, ONE_DAY, include_managed="true")) == sorted(
        [f"Divorce lawyer {marker}"] * 3 + ["Intro call (moved)"]
    )
    assert_consistent(calgate.services)


def test_read_write_to_free_busy_erases_every_detail_at_once(calgate, radicale, app, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    marker = "zq" + secrets.token_hex(6)
    user, collection = person_with_events(radicale, marker)
    before = connect_caldav(calgate, app, radicale.url, user, access_mode="read_write")
    sync_and_wait(calgate, before.account_id)
    assert len(events(calgate, before, WINDOW)) == 5
    assert marker in stored_text(calgate)  # the scan below can find it
    [calendar_id] = calendar_ids(calgate, before)
    call = {"event_id": "call-1", "summary": "Intro call", "start": f"{DAY}T16:30:00Z", "end": f"{DAY}T17:00:00Z"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=call, headers=before.headers).status_code == 202
    written = eventually(lambda: [h for h in radicale.list_hrefs(collection) if h.rsplit("/", 1)[1] not in ("a.ics", "b.ics", "c.ics")])
    _, etag = radicale.get(written[0])

    after = connect_caldav(calgate, app, radicale.url, user, access_mode="free_busy")
    assert after.account_id == before.account_id and after.tokens["access_mode"] == "free_busy"
    assert marker not in stored_text(calgate)  # at once: no sync awaited
    assert marker not in caplog.text
    assert [e["event_id"] for e in events(calgate, after, WINDOW, include_managed="true")] == ["call-1"]
    assert [e["event_id"] for e in events(calgate, before, WINDOW)] == ["call-1"]  # nor through the older token
    assert calendar_ids(calgate, after) == [calendar_id]
    assert profiles(calgate, after.account_id) == [("caldav", "free_busy")]
    # Their busy time still counts (and, once the sync queued at once has run in free_busy,
    # the application's copy that stays in the calendar is a busy block too).
    assert busy(calgate, after) in (PERSON_BUSY, [*PERSON_BUSY, ("16:30", "17:00", "busy")])
    assert free_periods(calgate, app, after.account_id) == [("09:00", "10:00"), ("11:00", "13:00"), ("13:30", "15:00"), ("16:00", "16:30"), ("17:00", "18:00")]
    assert_consistent(calgate.services)

    # Handed over: the application's event stays manageable, by invitation.
    call["summary"] = "Intro call (moved)"
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=call, headers=after.headers).status_code == 202
    eventually(lambda: invitation_methods(calgate, after.email) == ["REQUEST"])
    response = httpx.request("DELETE", f"{calgate.url}/v1/calendars/{calendar_id}/events", json={"event_id": "call-1"}, headers=after.headers)
    assert response.status_code == 202
    eventually(lambda: invitation_methods(calgate, after.email) == ["REQUEST", "CANCEL"])
    assert radicale.get(written[0])[1] == etag  # nothing written into the calendar any more

    sync_and_wait(calgate, after.account_id)  # later syncs read busy time only
    assert busy(calgate, after) == [*PERSON_BUSY, ("16:30", "17:00", "busy")]  # the copy that stayed in the calendar
    assert marker not in stored_text(calgate) and marker not in caplog.text
    assert_consistent(calgate.services)


def test_no_calendar_to_a_provider_reads_the_calendar_at_once(calgate, radicale):  # type: ignore[no-untyped-def]
    app = make_application(calgate.services, features={"free_busy", "no_calendar"})
    marker = "zq" + secrets.token_hex(6)
    user, collection = person_with_events(radicale, marker)
    hosted = connect_and_exchange(calgate, app, email=f"{user.username}@example.com")
    [hosted_calendar] = calendar_ids(calgate, hosted)
    call = {"event_id": "call-1", "summary": "Intro call", "start": f"{DAY}T16:30:00Z", "end": f"{DAY}T17:00:00Z"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{hosted_calendar}/events", json=call, headers=hosted.headers).status_code == 202
    [own] = events(calgate, hosted, ONE_DAY, include_managed="true")
    accepted = private_event(DAY, "x", "accepted", "163000", "170000").replace("UID:x-accepted", f"UID:{own['event_uid']}@calgate")
    radicale.put(f"{collection}accepted.ics", accepted)

    connected = connect_caldav(calgate, app, radicale.url, user, access_mode="read_write")
    assert connected.account_id == hosted.account_id
    found = events(calgate, connected, WINDOW, include_managed="true")  # no sync awaited
    assert sorted(e["summary"] for e in found) == sorted([f"Divorce lawyer {marker}"] * 5 + ["Intro call"])
    assert busy(calgate, connected) == PERSON_BUSY  # the accepted copy is not the person's own
    assert free_periods(calgate, app, connected.account_id) == [
        ("09:00", "10:00"), ("11:00", "13:00"), ("13:30", "15:00"), ("16:00", "16:30"), ("17:00", "18:00"),
    ]
    assert hosted_calendar in calendar_ids(calgate, connected)
    assert_consistent(calgate.services)


def test_another_person_or_another_application_never_mixes_accounts(calgate, radicale, app):  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(6)
    ada, _ = person_with_events(radicale, marker)
    bob, _ = person_with_events(radicale, "other")
    first = connect_caldav(calgate, app, radicale.url, ada, access_mode="read_write")
    sync_and_wait(calgate, first.account_id)
    other_person = connect_caldav(calgate, app, radicale.url, bob, access_mode="free_busy")
    assert other_person.account_id != first.account_id
    other_app = make_application(calgate.services, features={"free_busy"})
    elsewhere = connect_caldav(calgate, other_app, radicale.url, ada, access_mode="free_busy")
    assert elsewhere.account_id != first.account_id
    sync_and_wait(calgate, first.account_id)
    # Ada stays in read_write for the first application, with her details; nothing of Bob's.
    assert profiles(calgate, first.account_id) == [("caldav", "read_write")]
    assert sorted({e["summary"] for e in events(calgate, first, WINDOW)}) == [f"Divorce lawyer {marker}"]
    assert len(events(calgate, first, WINDOW)) == 5
    assert profiles(calgate, elsewhere.account_id) == [("caldav", "free_busy")]
    assert events(calgate, elsewhere, WINDOW) == []  # (free_busy: the application's own only, and it has none)
    assert profiles(calgate, other_person.account_id) == [("caldav", "free_busy")]
