# SPDX-License-Identifier: Apache-2.0
"""CalDAV end to end against a real Radicale: connect through the OAuth flow from a deep link,
the background sync, Read Events, writes by the application, a change made in the person's own
calendar, wrong passwords, lost access and relinking."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.support.api import bearer
from tests.support.caldav import connect_caldav, open_credentials_form
from tests.support.syncing import eventually, sync_and_wait, sync_now
from tests.support.connect import csrf
from tests.support.factories import make_application
from tests.support.itip import parsed
from tests.support.mail import mail_to, wait_for_mail
from tests.support.radicale import Radicale, RadicaleUser

DAY = dt.date.today() + dt.timedelta(days=7)
D = DAY.strftime("%Y%m%d")


def vevent(uid: str, body: str) -> str:
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{body}END:VEVENT\r\nEND:VCALENDAR\r\n"


def seed(radicale: Radicale, user: RadicaleUser) -> str:
    calendar = radicale.make_calendar(user, "work", "Work", "#2456D6FF")
    radicale.put(f"{calendar}single.ics", vevent("single-1", f"DTSTART:{D}T090000Z\r\nDTEND:{D}T100000Z\r\nSUMMARY:Planning\r\n"))
    radicale.put(
        f"{calendar}weekly.ics",
        vevent("weekly-1", f"DTSTART:{D}T140000Z\r\nDTEND:{D}T143000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Standup\r\n"),
    )
    radicale.put(f"{calendar}allday.ics", vevent("allday-1", f"DTSTART;VALUE=DATE:{D}\r\nDTEND;VALUE=DATE:{(DAY + dt.timedelta(days=1)).strftime('%Y%m%d')}\r\nSUMMARY:Offsite\r\n"))
    return calendar


def events(calgate, token: str, **flags: str) -> list[dict]:  # type: ignore[no-untyped-def]
    params = {"tzid": "Etc/UTC", "from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=30)).isoformat(), **flags}
    response = httpx.get(f"{calgate.url}/v1/events", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()["events"]


def free_hours(calgate, app, sub: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Availability between 08:00 and 13:00 UTC on DAY, for an hour, from the synced events."""
    body = {
        "participants": [{"members": [{"sub": sub}], "required": "all"}],
        "required_duration": {"minutes": 60},
        "query_periods": [{"start": f"{DAY.isoformat()}T08:00:00Z", "end": f"{DAY.isoformat()}T13:00:00Z"}],
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(app.client_secret))
    assert response.status_code == 200, response.text
    return [(p["start"][11:16], p["end"][11:16]) for p in response.json()["available_periods"]]


@pytest.fixture
def app(calgate):  # type: ignore[no-untyped-def]
    return make_application(calgate.services, features={"free_busy"})


def test_read_write_connects_syncs_and_writes_into_the_calendar(calgate, radicale, app):  # type: ignore[no-untyped-def]
    user = radicale.new_user()
    collection = seed(radicale, user)
    person = connect_caldav(calgate, app, radicale.url, user)

    calendars = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"]
    assert [(c["calendar_name"], c["provider_name"], c.get("calendar_color")) for c in calendars] == [("Work", "caldav", "#2456D6")]
    calendar_id = calendars[0]["calendar_id"]
    found = eventually(lambda: events(calgate, person.access_token) if len(events(calgate, person.access_token)) == 5 else None)
    assert free_hours(calgate, app, person.account_id) == []  # the all-day event keeps the whole day busy
    assert sorted(e["summary"] for e in found) == ["Offsite", "Planning", "Standup", "Standup", "Standup"]
    assert {e["start"] for e in found if e["summary"] == "Offsite"} == {DAY.isoformat()}
    standups = [e for e in found if e["summary"] == "Standup"]
    assert all(e["recurring"] for e in standups) and {e["series_identifier"] for e in standups} == {"weekly-1"}
    assert not any(e["recurring"] or "series_identifier" in e for e in found if e["summary"] != "Standup")
    profile = httpx.get(f"{calgate.url}/v1/profiles", headers=person.headers).json()["profiles"][0]
    assert profile["profile_connected"] is True and profile["profile_initial_sync_required"] is False

    # The person edits and deletes in their own calendar app; the next sync sees it.
    radicale.put(f"{collection}single.ics", vevent("single-1", f"DTSTART:{D}T110000Z\r\nDTEND:{D}T120000Z\r\nSUMMARY:Planning (moved)\r\n"))
    radicale.delete(f"{collection}allday.ics")
    sync_and_wait(calgate, person.account_id)
    after = events(calgate, person.access_token)
    assert sorted(e["summary"] for e in after) == ["Planning (moved)", "Standup", "Standup", "Standup"]
    gone = [e for e in events(calgate, person.access_token, include_deleted="true") if e["deleted"]]
    assert [e["summary"] for e in gone] == ["Offsite"]  # deleted in the calendar: shown as deleted
    moved = next(e for e in after if e["summary"] == "Planning (moved)")
    assert moved["start"] == f"{DAY.isoformat()}T11:00:00Z"
    assert moved["event_uid"] == next(e for e in found if e["summary"] == "Planning")["event_uid"]
    assert free_hours(calgate, app, person.account_id) == [("08:00", "11:00"), ("12:00", "13:00")]
    where_it_was = {"tzid": "Etc/UTC", "from": f"{DAY.isoformat()}T09:00:00Z", "to": f"{DAY.isoformat()}T10:00:00Z"}
    for flags, expected in (({}, []), ({"include_moved": "true"}, ["Planning (moved)"])):
        response = httpx.get(f"{calgate.url}/v1/events", params={**where_it_was, **flags}, headers=person.headers)
        assert [e["summary"] for e in response.json()["events"]] == expected

    # The application's own event goes straight into the calendar, then is updated and deleted.
    body = {"event_id": "booking-1", "summary": "Interview", "start": f"{DAY.isoformat()}T15:00:00Z", "end": f"{DAY.isoformat()}T16:00:00Z", "tzid": "Europe/London"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    written = eventually(lambda: [h for h in radicale.list_hrefs(collection) if h.startswith(f"{collection}evt_")])
    assert "SUMMARY:Interview" in radicale.get(written[0])[0]
    body["summary"] = "Interview (panel)"
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: "SUMMARY:Interview (panel)" in radicale.get(written[0])[0])
    assert radicale.list_hrefs(collection).count(written[0]) == 1  # replaced, not added
    sync_and_wait(calgate, person.account_id)  # the app's event read back is not a second event
    assert [e["summary"] for e in events(calgate, person.access_token, include_managed="true")].count("Interview (panel)") == 1
    response = httpx.request("DELETE", f"{calgate.url}/v1/calendars/{calendar_id}/events", json={"event_id": "booking-1"}, headers=person.headers)
    assert response.status_code == 202
    eventually(lambda: not radicale.exists(written[0]))
    assert sorted(radicale.list_hrefs(collection)) == [f"{collection}single.ics", f"{collection}weekly.ics"]


def test_a_wrong_password_is_told_on_the_form_and_nothing_is_kept(calgate, radicale, app):  # type: ignore[no-untyped-def]
    user = radicale.new_user()
    radicale.make_calendar(user, "work", "Work")
    with httpx.Client(base_url=calgate.url, follow_redirects=False, timeout=30) as browser:
        flow, page = open_credentials_form(browser, app, "read_write")
        form = {"csrf_token": csrf(page.text), "server_url": radicale.url, "username": user.username, "password": "not-it"}
        response = browser.post(f"{flow}/caldav", data=form)
        assert response.status_code == 422
        assert "refused this username or password" in response.text
        form["server_url"] = "http://127.0.0.1:9/"
        response = browser.post(f"{flow}/caldav", data=form)
        assert response.status_code == 422 and "Could not reach a calendar server" in response.text
    with calgate.services.uow() as uow:
        assert uow.accounts.by_email(app.application_id, user.username) is None


def test_lost_access_disconnects_the_profile_until_the_person_relinks(calgate, radicale, app):  # type: ignore[no-untyped-def]
    user = radicale.new_user()
    seed(radicale, user)
    person = connect_caldav(calgate, app, radicale.url, user)
    eventually(lambda: len(events(calgate, person.access_token)) == 5)
    new_password = radicale.change_password(user)

    def sync() -> dict:  # type: ignore[type-arg]
        return httpx.get(f"{calgate.url}/v1/profiles", headers=person.headers).json()["profiles"][0]

    sync_now(calgate, person.account_id)
    profile = eventually(lambda: next((p for p in [sync()] if not p["profile_connected"]), None))
    relink = profile["profile_relink_url"]
    assert relink.startswith(f"{calgate.url}/oauth/relink/")
    assert len(events(calgate, person.access_token)) == 5  # what was read stays readable
    statuses, periods = availability(calgate, app, person.account_id)
    assert periods == [] and statuses[0]["status"] == "needs_relink"  # never read as free meanwhile
    assert statuses[0]["sync_status"] == "disconnected"  # Cronofy's word for it

    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        page = browser.get(relink)
        assert page.status_code == 200 and user.username in page.text
        wrong = browser.post(relink, data={"csrf_token": csrf(page.text), "password": "still-wrong"})
        assert wrong.status_code == 422 and "refused" in wrong.text
        done = browser.post(relink, data={"csrf_token": csrf(wrong.text), "password": new_password})
        assert done.status_code == 200 and "is connected" in done.text
    assert sync()["profile_connected"] is True
    assert "profile_relink_url" not in sync()
    sync_and_wait(calgate, person.account_id)
    statuses, periods = availability(calgate, app, person.account_id)
    assert (statuses[0]["status"], statuses[0]["sync_status"]) == ("fresh", "active") and periods


def availability(calgate, app, sub):  # type: ignore[no-untyped-def]
    """(member_statuses, available periods) for the next week's working hours of ``sub``."""
    day = dt.date.today() + dt.timedelta(days=1)
    body = {
        "participants": [{"members": [{"sub": sub}]}], "required_duration": {"minutes": 30}, "include_member_statuses": True,
        "query_periods": [{"start": f"{day}T06:00:00Z", "end": f"{day}T20:00:00Z"}],
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(app.client_secret))
    assert response.status_code == 200, response.text
    return response.json()["member_statuses"], response.json()["available_periods"]



def test_read_write_events_invite_their_attendees_by_email(calgate, radicale, app):  # type: ignore[no-untyped-def]
    """The provider's copy carries no attendee the server would mail (SCHEDULE-AGENT=CLIENT), so
    calgate invites them itself: a REQUEST on each change, a CANCEL to whoever is removed or
    when the event is deleted; the person, whose calendar holds the event, gets no mail."""
    user = radicale.new_user()
    collection = seed(radicale, user)
    person = connect_caldav(calgate, app, radicale.url, user)
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    url = f"{calgate.url}/v1/calendars/{calendar_id}/events"
    body = {
        "event_id": "booking-2", "summary": "Interview", "start": f"{DAY.isoformat()}T15:00:00Z",
        "end": f"{DAY.isoformat()}T16:00:00Z",
        "attendees": {"invite": [{"email": "grace@example.com", "display_name": "Grace"}, {"email": "alan@example.com"}]},
    }
    assert httpx.post(url, json=body, headers=person.headers).status_code == 202
    for guest in ("grace@example.com", "alan@example.com"):
        invitation = wait_for_mail(calgate.mail_dir, guest)
        sent = parsed(invitation)
        [event] = sent.walk("VEVENT")
        assert str(sent["METHOD"]) == "REQUEST" and str(event["SUMMARY"]) == "Interview"
        assert event["DTSTART"].dt == dt.datetime.combine(DAY, dt.time(15), dt.timezone.utc)
    eventually(lambda: [h for h in radicale.list_hrefs(collection) if h.startswith(f"{collection}evt_")])

    body["attendees"] = {"remove": [{"email": "alan@example.com"}]}
    seen = {guest: len(mail_to(calgate.mail_dir, guest)) for guest in ("grace@example.com", "alan@example.com")}
    assert httpx.post(url, json=body, headers=person.headers).status_code == 202
    assert str(parsed(wait_for_mail(calgate.mail_dir, "alan@example.com", skip=seen["alan@example.com"]))["METHOD"]) == "CANCEL"
    assert str(parsed(wait_for_mail(calgate.mail_dir, "grace@example.com", skip=seen["grace@example.com"]))["METHOD"]) == "REQUEST"

    seen = len(mail_to(calgate.mail_dir, "grace@example.com"))
    response = httpx.request("DELETE", url, json={"event_id": "booking-2"}, headers=person.headers)
    assert response.status_code == 202
    assert str(parsed(wait_for_mail(calgate.mail_dir, "grace@example.com", skip=seen))["METHOD"]) == "CANCEL"
    assert mail_to(calgate.mail_dir, person.email) == []
