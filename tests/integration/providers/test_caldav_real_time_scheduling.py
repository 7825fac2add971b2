"""Real-Time Scheduling into CalDAV calendars on a real Radicale: the page offers only what the
person's synced calendar leaves free; a booking goes straight into a Read-Write calendar (the
visitor invited by email), and reaches a Free/Busy person as an invitation, never as a write
into their calendar."""

from __future__ import annotations

import datetime as dt

import httpx
import pycronofy
import pycronofy.settings
import pytest

from tests.support.caldav import connect_caldav
from tests.support.connect import csrf
from tests.support.factories import make_application
from tests.support.itip import parsed
from tests.support.mail import wait_for_mail
from tests.support.syncing import eventually, sync_and_wait

DAY = dt.date.today() + dt.timedelta(days=6)
D = DAY.strftime("%Y%m%d")


def at(hour: int) -> str:
    return f"{DAY.isoformat()}T{hour:02d}:00:00Z"


@pytest.fixture
def app(calgate):  # type: ignore[no-untyped-def]
    return make_application(calgate.services, features={"free_busy"})


@pytest.fixture
def client(calgate, app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    return pycronofy.Client(client_id=app.client_id, client_secret=app.client_secret)


def busy_at_nine(radicale, user) -> str:  # type: ignore[no-untyped-def]
    collection = radicale.make_calendar(user, "work", "Work")
    radicale.put(
        f"{collection}standup.ics",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:standup-1\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART:{D}T090000Z\r\nDTEND:{D}T100000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    )
    return collection


def book_first(calgate, client, person) -> tuple[list[str], httpx.Response]:  # type: ignore[no-untyped-def]
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    link = client.real_time_scheduling(
        {"participants": [{"members": [person.account_id]}], "required_duration": 60,
         "available_periods": [{"start": at(9), "end": at(12)}]},
        {"redirect_uri": "https://app.example.test/done"},
        {"event_id": "rts-caldav", "summary": "Intro call", "tzid": "Etc/UTC"},
        [{"sub": person.account_id, "calendar_id": calendar_id}],
    )["real_time_scheduling"]
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        page = browser.get(link["url"], params={"tzid": "Etc/UTC"})
        offered = [p.split('"', 1)[0] for p in page.text.split('name="slot" value="')[1:]]
        booked = browser.post(link["url"], data={
            "csrf_token": csrf(page.text), "slot": offered[0], "tzid": "Etc/UTC", "email": "visitor@example.com", "display_name": "Vi Sitor",
        })
    return offered, booked


@pytest.mark.parametrize("mode", ["read_write", "free_busy"])
def test_a_booking_reaches_a_caldav_calendar_as_its_mode_says(calgate, radicale, app, client, mode):  # type: ignore[no-untyped-def]
    user = radicale.new_user()
    collection = busy_at_nine(radicale, user)
    person = connect_caldav(calgate, app, radicale.url, user, access_mode=mode)
    sync_and_wait(calgate, person.account_id)

    offered, booked = book_first(calgate, client, person)
    assert offered == [at(10), at(11)]  # the synced standup keeps 09:00 busy
    assert booked.status_code == 303, booked.text

    visitor = parsed(wait_for_mail(calgate.mail_dir, "visitor@example.com"))
    assert str(visitor["METHOD"]) == "REQUEST"
    written = lambda: [h for h in radicale.list_hrefs(collection) if h.startswith(f"{collection}evt_")]  # noqa: E731
    if mode == "read_write":
        [href] = eventually(written)
        ics = radicale.get(href)[0]
        assert "SUMMARY:Intro call" in ics and f"DTSTART:{D}T100000Z" in ics
    else:
        invitation = parsed(wait_for_mail(calgate.mail_dir, person.email))
        assert str(invitation["METHOD"]) == "REQUEST"
        sync_and_wait(calgate, person.account_id)
        assert written() == []  # Free/Busy never writes into the person's calendar
