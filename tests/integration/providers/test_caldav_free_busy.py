# SPDX-License-Identifier: Apache-2.0
"""free_busy mode over CalDAV, against a real Radicale.

The privacy test: the person's events carry a unique marker in their summary, description,
location, attendees and UID. After connecting in free_busy mode and syncing, neither a full
dump of calgate's database (every row of every table, and for SQLite the database files' raw
bytes) nor the log output contains the marker anywhere, while Free/Busy and Availability
still answer correctly from the busy blocks. Events the application creates go out as email
invitations, and an edit made in Radicale reaches a channel as a signed change notification.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import secrets

import httpx
import pytest

from tests.support.api import bearer
from tests.support.caldav import connect_caldav
from tests.support.caldav import private_event as caldav_event
from tests.support.factories import make_application
from tests.support.mail import mail_to
from tests.support.stored import stored_text
from tests.support.syncing import eventually, sync_and_wait
from tests.support.webhooks import Receiver

DAY = dt.date.today() + dt.timedelta(days=3)


def private_event(uid: str, marker: str, start: str, end: str, extra: str = "") -> str:
    return caldav_event(DAY, uid, marker, start, end, extra)




@pytest.fixture
def app(calgate):  # type: ignore[no-untyped-def]
    return make_application(calgate.services, features={"free_busy"})


def test_free_busy_mode_keeps_no_event_detail_and_still_answers(calgate, radicale, app, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    marker = "zq" + secrets.token_hex(8)
    user = radicale.new_user()
    collection = radicale.make_calendar(user, "private", "Private")
    radicale.put(f"{collection}a.ics", private_event("a", marker, "100000", "110000"))
    radicale.put(f"{collection}b.ics", private_event("b", marker, "130000", "133000", "STATUS:TENTATIVE\r\n"))
    radicale.put(f"{collection}c.ics", private_event("c", marker, "150000", "160000", "TRANSP:TRANSPARENT\r\n"))
    person = connect_caldav(calgate, app, radicale.url, user, access_mode="free_busy")
    assert person.tokens["access_mode"] == "free_busy"
    sync_and_wait(calgate, person.account_id)

    window = {"tzid": "Etc/UTC", "from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat()}
    blocks = httpx.get(f"{calgate.url}/v1/free_busy", params=window, headers=person.headers).json()["free_busy"]
    assert [(b["start"], b["end"], b["free_busy_status"]) for b in blocks] == [
        (f"{DAY}T10:00:00Z", f"{DAY}T11:00:00Z", "busy"),
        (f"{DAY}T13:00:00Z", f"{DAY}T13:30:00Z", "tentative"),
    ]
    assert httpx.get(f"{calgate.url}/v1/events", params=window, headers=person.headers).json()["events"] == []

    body = {
        "participants": [{"members": [{"sub": person.account_id}], "required": "all"}],
        "required_duration": {"minutes": 60},
        "query_periods": [{"start": f"{DAY}T09:00:00Z", "end": f"{DAY}T17:00:00Z"}],
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(app.client_secret))
    assert response.status_code == 200, response.text
    assert [(p["start"], p["end"]) for p in response.json()["available_periods"]] == [
        (f"{DAY}T09:00:00Z", f"{DAY}T10:00:00Z"),
        (f"{DAY}T11:00:00Z", f"{DAY}T13:00:00Z"),
        (f"{DAY}T13:30:00Z", f"{DAY}T17:00:00Z"),
    ]

    everything = stored_text(calgate)
    assert marker not in everything
    assert user.password not in everything  # the credentials are sealed
    assert marker not in caplog.text


def test_writes_become_invitations_and_edits_in_the_calendar_notify_the_channel(calgate, radicale, app):  # type: ignore[no-untyped-def]
    user = radicale.new_user()
    collection = radicale.make_calendar(user, "private", "Private")
    radicale.put(f"{collection}a.ics", private_event("a", "m", "100000", "110000"))
    person = connect_caldav(calgate, app, radicale.url, user, access_mode="free_busy")
    sync_and_wait(calgate, person.account_id)
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]

    event = {"event_id": "call-1", "summary": "Intro call", "start": f"{DAY}T16:00:00Z", "end": f"{DAY}T16:30:00Z"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=event, headers=person.headers).status_code == 202
    invitation = eventually(lambda: mail_to(calgate.mail_dir, person.email))[0]
    calendar_part = next(part for part in invitation.walk() if part.get_content_type() == "text/calendar")
    assert "METHOD:REQUEST" in calendar_part.get_content()
    assert radicale.list_hrefs(collection) == [f"{collection}a.ics"]  # nothing written into the calendar

    receiver = Receiver().start()
    try:
        created = httpx.post(f"{calgate.url}/v1/channels", json={"callback_url": receiver.url}, headers=person.headers)
        assert created.status_code == 200, created.text
        receiver.wait_for(1)  # verification
        radicale.put(f"{collection}b.ics", private_event("b", "m", "120000", "123000"))
        sync_and_wait(calgate, person.account_id)
        change = receiver.wait_for(2)[1]
    finally:
        receiver.stop()
    assert change.json["notification"]["type"] == "change"
    assert "changes_since" in change.json["notification"]
    expected = base64.b64encode(hmac.new(app.client_secret.encode(), change.body, hashlib.sha256).digest()).decode()
    assert change.headers["cronofy-hmac-sha256"] == expected
