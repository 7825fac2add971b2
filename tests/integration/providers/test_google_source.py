"""GoogleSource and the OAuth helpers against the Google stand-in, which checks every Calendar
request against the v3 discovery document shipped in google-api-python-client.

The person's own edits (in "their Google Calendar") go straight into the stand-in's state;
calgate's go through the adapter. The last test asserts that no request of this module failed
the discovery validation (the stand-in's self-tests clear the failures they cause on purpose).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from calgate.domain.calendar_sources import (
    BusyBlock,
    RemoteCalendar,
    SourceAuthFailed,
    SourceConflict,
    SourceUnavailable,
    SyncTokenExpired,
)
from calgate.providers.google import GoogleConfig, GoogleSource, oauth
from calgate.providers.google.source import event_id_for, resource_id
from tests.standins.google import CLIENT_ID, CLIENT_SECRET, Consent, GoogleStandin

UTC = dt.UTC
USER = "ada@example.test"
START = dt.datetime(2031, 3, 1, tzinfo=UTC)
END = dt.datetime(2031, 5, 1, tzinfo=UTC)
READ_WRITE = oauth.scopes_for(True)
FREE_BUSY = oauth.scopes_for(False)
REDIRECT = "http://127.0.0.1:9/oauth/google/callback"
SEEN_FAILURES: list[str] = []
CALLS: list[str] = []
OPEN: list[GoogleSource] = []


@pytest.fixture
def google(google_standin: GoogleStandin) -> Iterator[GoogleStandin]:
    google_standin.reset()
    google_standin.add_user(USER, time_zone="Europe/Berlin")
    yield google_standin
    while OPEN:
        OPEN.pop().close()
    SEEN_FAILURES.extend(google_standin.failures)
    CALLS.extend(google_standin.calls)


def config(standin: GoogleStandin) -> GoogleConfig:
    return GoogleConfig(
        CLIENT_ID,
        CLIENT_SECRET,
        auth_url=standin.auth_url,
        token_url=standin.url + "/token",
        revoke_url=standin.url + "/revoke",
        api_base=standin.url + "/calendar/v3",
        userinfo_url=standin.url + "/oauth2/v3/userinfo",
    )


def connect(standin: GoogleStandin, *, read_write: bool = True, sleeps: list[float] | None = None) -> GoogleSource:
    scopes = READ_WRITE if read_write else FREE_BUSY
    credentials = oauth.exchange_code(config(standin), *_authorize(standin, scopes))
    sleep = sleeps.append if sleeps is not None else _no_sleep
    OPEN.append(GoogleSource(credentials, config(standin), stores_event_details=read_write, sleep=sleep))
    return OPEN[-1]


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"unexpected wait of {seconds}s")


def _authorize(standin: GoogleStandin, scopes: list[str]) -> tuple[str, str, str]:
    """Through the consent screen: (code, redirect_uri, code_verifier)."""
    standin.consent = Consent(email=USER)
    verifier, challenge = oauth.pkce_pair()
    url = oauth.authorization_url(config(standin), REDIRECT, "st4te", challenge, scopes, login_hint=USER)
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["st4te"]
    return query["code"][0], REDIRECT, verifier


def timed(summary: str, start: str, end: str, zone: str = "Europe/Berlin", **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "start": {"dateTime": start, "timeZone": zone}, "end": {"dateTime": end, "timeZone": zone}, **extra}


# --- OAuth ---------------------------------------------------------------------------------------


def test_scopes_are_only_what_the_mode_needs() -> None:
    assert READ_WRITE == ["https://www.googleapis.com/auth/calendar", "openid", "email"]
    assert FREE_BUSY == ["https://www.googleapis.com/auth/calendar.freebusy", "openid", "email"]


def test_authorization_url_asks_for_offline_access_with_pkce(google: GoogleStandin) -> None:
    url = oauth.authorization_url(config(google), REDIRECT, "s", "c" * 43, FREE_BUSY, login_hint=USER)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["include_granted_scopes"] == "false" and query["code_challenge_method"] == "S256"
    assert query["scope"] == " ".join(FREE_BUSY) and query["login_hint"] == USER


def test_code_exchange_with_pkce(google: GoogleStandin) -> None:
    code, redirect, verifier = _authorize(google, READ_WRITE)
    credentials = oauth.exchange_code(config(google), code, redirect, verifier)
    assert credentials["access_token"] and credentials["refresh_token"]
    assert set(credentials["scope"].split()) == set(READ_WRITE)
    assert dt.datetime.fromisoformat(credentials["expires_at"]) > dt.datetime.now(UTC)
    with GoogleSource(credentials, config(google), stores_event_details=True) as source:
        assert source.identity() == USER
        assert not source.credentials_changed


def test_code_exchange_refuses_a_wrong_verifier_and_a_reused_code(google: GoogleStandin) -> None:
    code, redirect, _ = _authorize(google, READ_WRITE)
    with pytest.raises(SourceAuthFailed):
        oauth.exchange_code(config(google), code, redirect, oauth.pkce_pair()[0])
    code, redirect, verifier = _authorize(google, READ_WRITE)
    oauth.exchange_code(config(google), code, redirect, verifier)
    with pytest.raises(SourceAuthFailed):
        oauth.exchange_code(config(google), code, redirect, verifier)


def test_a_declined_consent_redirects_with_access_denied(google: GoogleStandin) -> None:
    google.consent = Consent(email=USER, decline=True)
    url = oauth.authorization_url(config(google), REDIRECT, "s1", oauth.pkce_pair()[1], READ_WRITE)
    query = parse_qs(urlsplit(httpx.get(url).headers["location"]).query)
    assert query == {"error": ["access_denied"], "state": ["s1"]}


def test_an_expired_token_is_refreshed_before_use(google: GoogleStandin) -> None:
    source = connect(google)
    old = dict(source.credentials)
    source._client.credentials["expires_at"] = "2020-01-01T00:00:00Z"
    assert source.identity() == USER
    assert source.credentials_changed
    assert source.credentials["access_token"] != old["access_token"]
    assert source.credentials["refresh_token"] == old["refresh_token"]


def test_a_refused_token_is_refreshed_once_on_401(google: GoogleStandin) -> None:
    source = connect(google)
    google.expire_access_tokens()  # the credentials still say it is valid
    assert [c.remote_id for c in source.calendars()] == [USER]
    assert source.credentials_changed


def test_a_revoked_refresh_token_fails_auth(google: GoogleStandin) -> None:
    source = connect(google)
    oauth.revoke(config(google), source.credentials["refresh_token"])
    with pytest.raises(SourceAuthFailed):
        source.identity()
    with pytest.raises(SourceAuthFailed):
        oauth.refresh(config(google), source.credentials)


# --- calendars -------------------------------------------------------------------------------------


def test_calendars_in_read_write_mode(google: GoogleStandin) -> None:
    google.state.add_calendar(USER, "team@group.calendar.google.com", "Team", access_role="reader")
    google.state.add_calendar(USER, "boss@example.test", "Boss", access_role="freeBusyReader")
    calendars = {c.remote_id: c for c in connect(google).calendars()}
    assert set(calendars) == {USER, "team@group.calendar.google.com"}
    assert not calendars[USER].readonly and calendars[USER].supports_sync
    assert calendars["team@group.calendar.google.com"].readonly
    assert calendars["team@group.calendar.google.com"].name == "Team"


def test_calendars_in_free_busy_mode_are_the_primary_only(google: GoogleStandin) -> None:
    google.state.add_calendar(USER, "team@group.calendar.google.com", "Team")
    source = connect(google, read_write=False)
    assert source.calendars() == [RemoteCalendar(remote_id=USER, name=USER)]
    assert "calendarList.list" not in google.calls


# --- reading -------------------------------------------------------------------------------------


def test_full_read(google: GoogleStandin) -> None:
    state = google.state
    weekly = state.create(USER, USER, timed("Standup", "2031-03-03T09:00:00-05:00", "2031-03-03T09:30:00-05:00",
                                            zone="America/New_York", recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]))
    state.create(USER, USER, {"summary": "Holiday", "start": {"date": "2031-03-10"}, "end": {"date": "2031-03-12"}})
    declined = state.create(USER, USER, timed("Pitch", "2031-03-04T10:00:00+01:00", "2031-03-04T11:00:00+01:00",
                                              organizer={"email": "bob@example.test"},
                                              attendees=[{"email": USER, "self": True, "responseStatus": "declined"},
                                                         {"email": "bob@example.test", "displayName": "Bob", "organizer": True, "responseStatus": "accepted"}]))
    state.create(USER, USER, timed("Focus", "2031-03-05T10:00:00+01:00", "2031-03-05T12:00:00+01:00", transparency="transparent"))
    state.create(USER, USER, timed("Long ago", "2030-01-05T10:00:00+01:00", "2030-01-05T12:00:00+01:00"))
    gone = state.create(USER, USER, timed("Gone", "2031-03-06T10:00:00+01:00", "2031-03-06T12:00:00+01:00"))
    state.remove(USER, USER, gone["id"])

    changes = connect(google).changes(RemoteCalendar(USER, USER, supports_sync=True), None, START, END)
    assert changes.full and changes.sync_state and changes.removed == []
    by_summary: dict[str, list[Any]] = {}
    for resource in changes.changed:
        assert len(resource.occurrences) == 1
        by_summary.setdefault(resource.occurrences[0].summary, []).append(resource)
    assert sorted(by_summary) == ["Focus", "Holiday", "Pitch", "Standup"]

    standups = by_summary["Standup"]
    assert [r.remote_id for r in standups] == [
        resource_id(USER, f"{weekly['id']}_{when}") for when in ("20310303T140000Z", "20310310T130000Z", "20310317T130000Z")
    ]
    first = standups[0].occurrences[0]
    assert first.uid == weekly["iCalUID"] and first.recurrence_id == "2031-03-03T14:00:00Z"
    assert (first.start.time, first.start.tzid) == ("2031-03-03T14:00:00Z", "America/New_York")
    assert standups[1].occurrences[0].start.time == "2031-03-10T13:00:00Z"  # New York's DST began on March 9
    assert standups[0].etag == weekly["etag"]

    holiday = by_summary["Holiday"][0].occurrences[0]
    assert (holiday.start.time, holiday.end.time, holiday.start.tzid) == ("2031-03-10", "2031-03-12", "Etc/UTC")
    assert holiday.start_at == dt.datetime(2031, 3, 10, tzinfo=UTC) and holiday.recurrence_id is None

    pitch = by_summary["Pitch"][0].occurrences[0]
    assert pitch.participation_status == "declined" and pitch.organizer_email == "bob@example.test"
    assert {"email": "bob@example.test", "display_name": "Bob", "status": "accepted"} in pitch.attendees
    assert pitch.start.tzid == "Europe/Berlin" and by_summary["Pitch"][0].uid == declined["iCalUID"]
    assert by_summary["Focus"][0].occurrences[0].transparency == "transparent"


def test_incremental_sync_sees_updates_and_deletions_across_pages(google: GoogleStandin) -> None:
    state = google.state
    google.state.page_size = 2
    events = [state.create(USER, USER, timed(f"E{i}", f"2031-03-0{i}T10:00:00Z", f"2031-03-0{i}T11:00:00Z")) for i in range(1, 6)]
    source = connect(google)
    calendar = RemoteCalendar(USER, USER, supports_sync=True)
    first = source.changes(calendar, None, START, END)
    assert len(first.changed) == 5 and google.calls.count("events.list") == 3

    state.change(USER, USER, events[0]["id"], {"summary": "Renamed"})
    state.change(USER, USER, events[1]["id"], timed("Moved away", "2032-01-01T10:00:00Z", "2032-01-01T11:00:00Z"))
    state.remove(USER, USER, events[2]["id"])
    second = source.changes(calendar, first.sync_state, START, END)
    assert not second.full and second.sync_state not in (None, first.sync_state)
    assert second.removed == [resource_id(USER, events[2]["id"])]
    changed = {r.remote_id: r for r in second.changed}
    renamed = changed[resource_id(USER, events[0]["id"])]
    assert renamed.occurrences[0].summary == "Renamed" and renamed.etag != events[0]["etag"]
    assert changed[resource_id(USER, events[1]["id"])].occurrences == []  # moved out of the window

    third = source.changes(calendar, second.sync_state, START, END)
    assert third.changed == [] and third.removed == []


def test_an_expired_sync_token_raises_sync_token_expired(google: GoogleStandin) -> None:
    source = connect(google)
    calendar = RemoteCalendar(USER, USER, supports_sync=True)
    token = source.changes(calendar, None, START, END).sync_state
    google.state.expire_sync_tokens()
    with pytest.raises(SyncTokenExpired):
        source.changes(calendar, token, START, END)


# --- busy time -------------------------------------------------------------------------------------


def test_busy_in_chunks_with_only_busy_time(google: GoogleStandin) -> None:
    state = google.state
    state.create(USER, USER, timed("Busy", "2031-03-03T10:00:00+01:00", "2031-03-03T11:00:00+01:00"))
    state.create(USER, USER, timed("Free", "2031-03-04T10:00:00+01:00", "2031-03-04T11:00:00+01:00", transparency="transparent"))
    state.create(USER, USER, timed("No", "2031-03-05T10:00:00+01:00", "2031-03-05T11:00:00+01:00",
                                   attendees=[{"email": USER, "self": True, "responseStatus": "declined"}]))
    state.create(USER, USER, timed("Maybe", "2031-03-06T10:00:00+01:00", "2031-03-06T11:00:00+01:00",
                                   attendees=[{"email": USER, "self": True, "responseStatus": "tentative"}]))
    state.create(USER, USER, timed("Across", "2031-04-30T22:00:00Z", "2031-05-01T02:00:00Z"))  # over a chunk edge
    state.create(USER, USER, timed("Late", "2031-07-20T10:00:00Z", "2031-07-20T11:00:00Z"))
    source = connect(google, read_write=False)
    calendar = source.calendars()[0]
    blocks = source.busy(calendar, START, dt.datetime(2031, 7, 29, tzinfo=UTC))
    assert blocks == [
        BusyBlock(dt.datetime(2031, 3, 3, 9, tzinfo=UTC), dt.datetime(2031, 3, 3, 10, tzinfo=UTC), "busy"),
        BusyBlock(dt.datetime(2031, 3, 6, 9, tzinfo=UTC), dt.datetime(2031, 3, 6, 10, tzinfo=UTC), "busy"),  # no tentative at Google
        BusyBlock(dt.datetime(2031, 4, 30, 22, tzinfo=UTC), dt.datetime(2031, 5, 1, 2, tzinfo=UTC), "busy"),
        BusyBlock(dt.datetime(2031, 7, 20, 10, tzinfo=UTC), dt.datetime(2031, 7, 20, 11, tzinfo=UTC), "busy"),
    ]
    assert google.calls.count("freebusy.query") == 3  # 150 days in windows of at most 60
    assert "events.list" not in google.calls and "calendarList.list" not in google.calls


def test_an_error_inside_the_freebusy_answer_is_never_free(google: GoogleStandin) -> None:
    google.state.freebusy_errors[USER] = "backendError"
    source = connect(google, read_write=False)
    with pytest.raises(SourceUnavailable):
        source.busy(source.calendars()[0], START, END)
    with pytest.raises(SourceUnavailable):
        source.busy(RemoteCalendar("nobody@example.test", "x"), START, END)  # notFound inside the 200


def test_the_freebusy_scope_cannot_list_events(google: GoogleStandin) -> None:
    token = connect(google, read_write=False).credentials["access_token"]
    answer = httpx.get(f"{google.url}/calendar/v3/calendars/{USER}/events", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert answer.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


# --- writing -------------------------------------------------------------------------------------


def ics(uid: str, summary: str, *extra: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calgate//EN", "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20310101T000000Z",
             "DTSTART;TZID=Europe/Berlin:20310303T100000", "DTEND;TZID=Europe/Berlin:20310303T110000", f"SUMMARY:{summary}",
             *extra, "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_put_update_and_delete_round_trip(google: GoogleStandin) -> None:
    source = connect(google)
    calendar = RemoteCalendar(USER, USER, supports_sync=True)
    name = "evt_123.ics"
    written = source.put(calendar, name, ics("uid-1@calgate", "Lunch", "LOCATION:Cafe", "TRANSP:TRANSPARENT"), None)
    assert written.remote_id == resource_id(USER, event_id_for(name))
    stored = google.state.calendars[USER][USER].events[event_id_for(name)]
    assert stored["iCalUID"] == "uid-1@calgate" and stored["location"] == "Cafe" and stored["transparency"] == "transparent"
    assert stored["start"] == {"dateTime": "2031-03-03T09:00:00Z", "timeZone": "Europe/Berlin"}
    with pytest.raises(SourceConflict):  # a retried insert finds the first one
        source.put(calendar, name, ics("uid-1@calgate", "Lunch"), None)

    updated = source.put(calendar, name, ics("uid-1@calgate", "Long lunch"), written.etag)
    assert updated.remote_id == written.remote_id and updated.etag != written.etag
    with pytest.raises(SourceConflict):
        source.put(calendar, written.remote_id, ics("uid-1@calgate", "Stale"), written.etag)
    forced = source.put(calendar, written.remote_id, ics("uid-1@calgate", "Forced"), "*")

    [resource] = source.changes(calendar, None, START, END).changed
    assert resource.occurrences[0].summary == "Forced" and resource.etag == forced.etag
    assert resource.occurrences[0].uid == "uid-1@calgate"

    with pytest.raises(SourceConflict):
        source.delete(written.remote_id, updated.etag)
    source.delete(written.remote_id, forced.etag)
    source.delete(written.remote_id, forced.etag)  # already gone: silent
    assert source.changes(calendar, None, START, END).changed == []


def test_put_writes_all_day_and_recurring_events(google: GoogleStandin) -> None:
    source = connect(google)
    calendar = RemoteCalendar(USER, USER, supports_sync=True)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calgate//EN", "BEGIN:VEVENT", "UID:allday@calgate", "DTSTAMP:20310101T000000Z",
             "DTSTART;VALUE=DATE:20310310", "DTEND;VALUE=DATE:20310311", "SUMMARY:Off", "RRULE:FREQ=DAILY;COUNT=2", "END:VEVENT", "END:VCALENDAR"]
    source.put(calendar, "evt_allday.ics", ("\r\n".join(lines) + "\r\n").encode(), None)
    changed = source.changes(calendar, None, START, END).changed
    assert [(r.occurrences[0].start.time, r.occurrences[0].recurrence_id) for r in changed] == [
        ("2031-03-10", "2031-03-10"), ("2031-03-11", "2031-03-11")]


# --- rate limits -------------------------------------------------------------------------------------


def test_a_rate_limit_is_waited_out_honouring_retry_after(google: GoogleStandin) -> None:
    sleeps: list[float] = []
    source = connect(google, sleeps=sleeps)
    google.fail_next("calendarList.list", 1, status=429, retry_after=2)
    assert [c.remote_id for c in source.calendars()] == [USER]
    assert sleeps == [2.0]
    google.fail_next("events.list", 2, status=503, retry_after=None)
    source.changes(RemoteCalendar(USER, USER), None, START, END)
    assert sleeps == [2.0, 0.5, 1.0]


def test_a_lasting_rate_limit_becomes_source_unavailable(google: GoogleStandin) -> None:
    sleeps: list[float] = []
    source = connect(google, sleeps=sleeps)
    google.fail_next("calendarList.list", 5, status=429, retry_after=3)
    with pytest.raises(SourceUnavailable) as raised:
        source.calendars()
    assert raised.value.retry_after == 3.0 and sleeps == [3.0, 3.0]
    google.fail_next("calendarList.list", 5, status=429, retry_after=30)
    with pytest.raises(SourceUnavailable):  # more than the 10 s bound: not waited at all
        source.calendars()
    assert sleeps == [3.0, 3.0]


# --- the stand-in itself -----------------------------------------------------------------------------


def test_the_standin_refuses_requests_outside_the_discovery_document(google: GoogleStandin) -> None:
    headers = {"Authorization": "Bearer " + google.grant(USER, READ_WRITE)["access_token"]}
    events = f"{google.url}/calendar/v3/calendars/{USER}/events"
    bad = [
        httpx.get(events, params={"singleEvents": "yes"}, headers=headers),
        httpx.get(events, params={"timeMin": "2031-03-01"}, headers=headers),
        httpx.get(events, params={"orderBy": "title"}, headers=headers),
        httpx.get(events, params={"colour": "red"}, headers=headers),
        httpx.get(events, params={"syncToken": "x", "timeMin": "2031-03-01T00:00:00Z"}, headers=headers),
        httpx.post(events, json={"summary": "x", "colour": "red"}, headers=headers),
        httpx.post(events, json={"start": {"dateTime": "2031-03-01T10:00:00Z", "zone": "UTC"}}, headers=headers),
        httpx.request("PROPFIND", events, headers=headers),
        httpx.get(f"{google.url}/calendar/v3/calendars/{USER}/tasks", headers=headers),
    ]
    assert [r.status_code for r in bad] == [400] * 7 + [405, 400]  # Starlette routes no PROPFIND
    assert all(r.json()["error"]["code"] == 400 and r.json()["error"]["errors"] for r in bad if r.status_code == 400)
    assert len(google.failures) == 8
    google.failures.clear()  # on purpose: not counted against the module


def test_no_request_of_this_module_failed_discovery_validation() -> None:
    if not CALLS:
        pytest.skip("run with the rest of the module: it checks what the tests above sent")
    assert SEEN_FAILURES == []
