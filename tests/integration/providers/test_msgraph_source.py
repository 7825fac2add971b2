"""GraphSource and the Microsoft identity platform flow against the Graph stand-in
(``tests/support/graph_standin.py``): OAuth with PKCE, calendars in both access modes,
calendarView delta (full, incremental, expired), getSchedule with the privacy rule, writes
with If-Match, throttling. Every test ends with zero recorded request-shape violations."""

import dataclasses
import datetime as dt
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from calgate.domain.calendar_sources import (
    RemoteCalendar,
    SourceAuthFailed,
    SourceConflict,
    SourceError,
    SourceUnavailable,
    SyncTokenExpired,
)
from calgate.providers.msgraph import GraphConfig, GraphSource, events, oauth
from calgate.providers.msgraph import source as source_module
from tests.support.graph_standin import CLIENT_ID, CLIENT_SECRET, GraphStandin
from tests.support.graph_standin_events import GraphUser

UTC = dt.UTC
START = dt.datetime(2031, 3, 1, tzinfo=UTC)
END = dt.datetime(2031, 5, 1, tzinfo=UTC)
ADA = "ada@contoso.test"
REDIRECT = "https://calgate.test/oauth/microsoft/callback"
SECRET_SUBJECT, SECRET_PLACE = "Secret merger talks", "Room Confidential"


OPENED: list[GraphSource] = []


@pytest.fixture
def graph(graph_standin: GraphStandin) -> Iterator[GraphStandin]:
    graph_standin.reset()
    yield graph_standin
    while OPENED:
        OPENED.pop().close()
    assert graph_standin.violations == []


def opened(connected: GraphSource) -> GraphSource:
    OPENED.append(connected)
    return connected


@pytest.fixture
def config(graph: GraphStandin) -> GraphConfig:
    return GraphConfig(CLIENT_ID, CLIENT_SECRET, authority=graph.url, graph_base=f"{graph.url}/v1.0")


@pytest.fixture
def ada(graph: GraphStandin) -> GraphUser:
    return graph.add_user(ADA)


def source(graph: GraphStandin, config: GraphConfig, *, details: bool = True, **kwargs: object) -> GraphSource:
    credentials = graph.credentials(ADA, oauth.scopes_for(details))
    return opened(GraphSource(credentials, config, stores_event_details=details, **kwargs))  # type: ignore[arg-type]


def authorize(config: GraphConfig, verifier: str, *, details: bool = True) -> dict[str, list[str]]:
    url = oauth.authorization_url(config, redirect_uri=REDIRECT, state="st-1", code_verifier=verifier,
                                  stores_event_details=details, login_hint=ADA)
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return parse_qs(urlsplit(location).query)


# --- OAuth -----------------------------------------------------------------------------------


def test_code_exchange_with_pkce_then_identity(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.authorize_as = ADA
    verifier = oauth.new_code_verifier()
    url = oauth.authorization_url(config, redirect_uri=REDIRECT, state="st-1", code_verifier=verifier,
                                  stores_event_details=True, login_hint=ADA)
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["prompt"] == ["select_account"]
    assert query["scope"] == ["offline_access openid email User.Read Calendars.ReadWrite"]
    back = authorize(config, verifier)
    assert back["state"] == ["st-1"]
    assert graph.codes[back["code"][0]]["login_hint"] == ADA
    credentials = oauth.exchange_code(config, code=back["code"][0], redirect_uri=REDIRECT, code_verifier=verifier,
                                      stores_event_details=True)
    assert set(credentials) == {"access_token", "refresh_token", "expires_at", "scope"}
    assert "Calendars.ReadWrite" in credentials["scope"].split()
    assert dt.datetime.fromisoformat(credentials["expires_at"]) > dt.datetime.now(UTC)
    with GraphSource(credentials, config, stores_event_details=True) as connected:
        assert connected.identity() == ADA


def test_free_busy_mode_asks_read_basic_only() -> None:
    assert oauth.scopes_for(False) == "offline_access openid email User.Read Calendars.ReadBasic"


def test_wrong_code_verifier_is_refused(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.authorize_as = ADA
    back = authorize(config, oauth.new_code_verifier())
    with pytest.raises(SourceAuthFailed):
        oauth.exchange_code(config, code=back["code"][0], redirect_uri=REDIRECT, code_verifier=oauth.new_code_verifier(),
                            stores_event_details=True)
    assert graph.violations == ["token: code_verifier does not match the S256 challenge"]
    graph.violations.clear()  # provoked on purpose


def test_declined_consent_comes_back_as_access_denied(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.decline = True
    back = authorize(config, oauth.new_code_verifier())
    assert back["error"] == ["access_denied"] and back["state"] == ["st-1"] and "code" not in back


def test_expired_access_token_is_refreshed(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    connected = source(graph, config)
    before = dict(connected.credentials)
    graph.expire_access_tokens()  # the server says 401; calgate still thinks the token is fresh
    assert connected.identity() == ADA
    assert connected.credentials["access_token"] != before["access_token"]
    assert connected.credentials["refresh_token"] != before["refresh_token"]  # rotated: callers persist it
    connected.credentials["expires_at"] = (dt.datetime.now(UTC) - dt.timedelta(minutes=5)).isoformat()
    refreshed_before = sum(1 for r in graph.requests if r[2] == "token")
    assert connected.identity() == ADA  # expired by the clock: refreshed before asking
    assert sum(1 for r in graph.requests if r[2] == "token") == refreshed_before + 1


def test_revoked_refresh_token_is_auth_failed(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    connected = source(graph, config)
    graph.revoke_refresh_tokens()
    with pytest.raises(SourceAuthFailed):
        oauth.refresh(config, connected.credentials)
    graph.expire_access_tokens()
    with pytest.raises(SourceAuthFailed):
        connected.identity()


# --- calendars -------------------------------------------------------------------------------


def test_calendars_in_read_write_mode(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    shared = graph.add_calendar(ada, "Team (shared)", can_edit=False, color="#AA00FF")
    found = {c.name: c for c in source(graph, config).calendars()}
    assert set(found) == {"Calendar", "Team (shared)"}
    assert found["Team (shared)"] == RemoteCalendar(shared, "Team (shared)", "#AA00FF", readonly=True, supports_sync=True)
    assert found["Calendar"].readonly is False


def test_calendars_in_free_busy_mode_are_the_own_schedule(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    found = source(graph, config, details=False).calendars()
    assert found == [RemoteCalendar(ADA, ADA, readonly=True)]
    assert {r[2] for r in graph.requests} == {"me"}


# --- reading events ----------------------------------------------------------------------------


def seed(graph: GraphStandin, ada: GraphUser) -> dict[str, object]:
    berlin = dt.datetime(2031, 3, 12, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    return {
        "standup": graph.add_event(ada, subject="Standup", start=dt.datetime(2031, 3, 3, 9, tzinfo=UTC),
                                   end=dt.datetime(2031, 3, 3, 9, 15, tzinfo=UTC), repeat=("weekly", 4)),
        "offsite": graph.add_event(ada, subject="Offsite", start=dt.date(2031, 3, 10), end=dt.date(2031, 3, 12)),
        "declined": graph.add_event(ada, subject="Vendor pitch", start=dt.datetime(2031, 3, 4, 14, tzinfo=UTC),
                                    end=dt.datetime(2031, 3, 4, 15, tzinfo=UTC), response="declined",
                                    organizer="boss@contoso.test",
                                    attendees=[{"address": ADA, "response": "declined"},
                                               {"address": "boss@contoso.test", "name": "Boss", "response": "organizer"}]),
        "focus": graph.add_event(ada, subject="Focus time", show_as="free", start=dt.datetime(2031, 3, 5, 8, tzinfo=UTC),
                                 end=dt.datetime(2031, 3, 5, 10, tzinfo=UTC)),
        "berlin": graph.add_event(ada, subject="Berlin review", start=berlin.astimezone(UTC),
                                  end=(berlin + dt.timedelta(hours=1)).astimezone(UTC), time_zone="W. Europe Standard Time",
                                  location="Alexanderplatz", body="Agenda"),
    }


def test_full_read_expands_series_and_maps_fields(graph: GraphStandin, config: GraphConfig, ada: GraphUser,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_module, "PAGE_SIZE", 3)
    seed(graph, ada)
    connected = source(graph, config)
    calendar = connected.calendars()[0]
    changes = connected.changes(calendar, None, START, END)
    assert changes.full and changes.removed == []
    assert changes.sync_state and "$deltatoken=" in changes.sync_state
    assert sum(1 for r in graph.requests if r[2] == "delta") == 3  # 8 instances, pages of 3
    by_summary: dict[str, list] = {}
    for resource in changes.changed:
        assert len(resource.occurrences) == 1
        by_summary.setdefault(resource.occurrences[0].summary, []).append(resource)
    standups = sorted(r.occurrences[0].recurrence_id for r in by_summary["Standup"])
    assert standups == ["2031-03-03T09:00:00Z", "2031-03-10T09:00:00Z", "2031-03-17T09:00:00Z", "2031-03-24T09:00:00Z"]
    assert len({r.uid for r in by_summary["Standup"]}) == 1
    offsite = by_summary["Offsite"][0].occurrences[0]
    assert (offsite.start.time, offsite.end.time, offsite.recurrence_id) == ("2031-03-10", "2031-03-12", None)
    assert offsite.start_at == dt.datetime(2031, 3, 10, tzinfo=UTC)
    declined = by_summary["Vendor pitch"][0].occurrences[0]
    assert declined.participation_status == "declined" and declined.organizer_email == "boss@contoso.test"
    assert {"email": "boss@contoso.test", "display_name": "Boss", "status": "accepted"} in declined.attendees
    assert by_summary["Focus time"][0].occurrences[0].transparency == "transparent"
    berlin = by_summary["Berlin review"][0]
    occurrence = berlin.occurrences[0]
    assert (occurrence.start.time, occurrence.start.tzid) == ("2031-03-12T08:00:00Z", "Europe/Berlin")
    assert (occurrence.location, occurrence.description, occurrence.participation_status) == ("Alexanderplatz", "Agenda", "accepted")
    assert berlin.etag and berlin.etag.startswith('W/"')


def test_incremental_delta_sees_update_and_deletion(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    seeded = seed(graph, ada)
    connected = source(graph, config)
    calendar = connected.calendars()[0]
    first = connected.changes(calendar, None, START, END)
    quiet = connected.changes(calendar, first.sync_state, START, END)
    assert (quiet.changed, quiet.removed, quiet.full) == ([], [], False)
    graph.update_event(ada, seeded["berlin"], subject="Berlin review (moved)")  # type: ignore[arg-type]
    graph.delete_event(ada, seeded["focus"])  # type: ignore[arg-type]
    graph.delete_event(ada, seeded["standup"])  # type: ignore[arg-type]
    second = connected.changes(calendar, quiet.sync_state, START, END)
    assert not second.full
    assert [r.occurrences[0].summary for r in second.changed] == ["Berlin review (moved)"]
    assert seeded["focus"].id in second.removed  # type: ignore[attr-defined]
    assert len(second.removed) == 5  # the focus block and the series' four occurrences
    assert second.sync_state != quiet.sync_state


def test_expired_delta_link_is_sync_token_expired(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    seed(graph, ada)
    connected = source(graph, config)
    calendar = connected.calendars()[0]
    state = connected.changes(calendar, None, START, END).sync_state
    graph.expire_delta_tokens()
    with pytest.raises(SyncTokenExpired):
        connected.changes(calendar, state, START, END)
    with pytest.raises(SyncTokenExpired):
        connected.changes(calendar, "https://elsewhere.test/v1.0/me/calendarView/delta?$deltatoken=x", START, END)
    assert connected.changes(calendar, None, START, END).full


def test_exception_of_a_series_keeps_its_original_start() -> None:
    """An exception (a moved occurrence) as Graph sends it: recurrence_id is where it was."""
    item = {
        "id": "AAMkExc", "@odata.etag": 'W/"x1"', "type": "exception", "seriesMasterId": "AAMkMaster",
        "originalStart": "2031-03-17T09:00:00Z", "originalStartTimeZone": "Pacific Standard Time",
        "start": {"dateTime": "2031-03-18T16:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2031-03-18T16:30:00.0000000", "timeZone": "UTC"},
        "subject": "Standup (moved)", "isAllDay": False, "isCancelled": False, "showAs": "tentative",
        "responseStatus": {"response": "notResponded"}, "body": {"contentType": "html", "content": "<p>Hi &amp; bye</p>"},
    }
    resource = events.resource(item)
    occurrence = resource.occurrences[0]
    assert (resource.remote_id, resource.uid, occurrence.recurrence_id) == ("AAMkExc", "AAMkMaster", "2031-03-17T09:00:00Z")
    assert (occurrence.start.time, occurrence.start.tzid) == ("2031-03-18T16:00:00Z", "America/Los_Angeles")
    assert (occurrence.status, occurrence.participation_status, occurrence.description) == ("tentative", "needs_action", "Hi & bye")


# --- free/busy ---------------------------------------------------------------------------------


def test_busy_chunks_get_schedule_and_drops_details(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    start = dt.datetime(2031, 1, 1, tzinfo=UTC)
    at = lambda days, hours=9: start + dt.timedelta(days=days, hours=hours)  # noqa: E731
    graph.add_event(ada, subject=SECRET_SUBJECT, location=SECRET_PLACE, start=at(1), end=at(1, 10))
    graph.add_event(ada, subject=f"{SECRET_SUBJECT} 2", location=SECRET_PLACE, show_as="tentative", start=at(70), end=at(70, 11))
    graph.add_event(ada, subject="Lunch", show_as="free", start=at(2, 12), end=at(2, 13))
    graph.add_event(ada, subject="Holiday", show_as="oof", start=at(100, 0), end=at(103, 0))
    graph.add_event(ada, subject="Client site", show_as="workingElsewhere", start=at(140), end=at(140, 17))
    graph.add_event(ada, subject="Across the chunk edge", start=at(60, 20), end=at(61, 4))
    graph.add_event(ada, subject="Cancelled", is_cancelled=True, start=at(3), end=at(3, 10))
    connected = source(graph, config, details=False)
    calendar = connected.calendars()[0]
    blocks = connected.busy(calendar, start, start + dt.timedelta(days=150))
    assert [(b.start, b.end, b.status) for b in blocks] == [
        (at(1), at(1, 10), "busy"),
        (at(60, 20), at(61, 4), "busy"),  # split by the chunks, joined again
        (at(70), at(70, 11), "tentative"),
        (at(100, 0), at(103, 0), "busy"),
        (at(140), at(140, 17), "busy"),
    ]
    windows = graph.schedule_windows
    assert len(windows) == 3 and all(e - s < dt.timedelta(days=62) for s, e in windows)
    assert windows[0][0] == start and windows[-1][1] == start + dt.timedelta(days=150)
    assert graph.details_sent >= 2  # the stand-in did send subjects and locations...
    text = repr(blocks) + repr(connected.__dict__)
    assert SECRET_SUBJECT not in text and SECRET_PLACE not in text  # ...and none got past the adapter
    assert {r[2] for r in graph.requests} == {"me", "getSchedule"}


def test_free_busy_scope_cannot_read_events(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    credentials = graph.credentials(ADA, oauth.scopes_for(False))
    calendar_id = ada.default_calendar()
    answer = httpx.get(f"{graph.url}/v1.0/me/calendars/{calendar_id}/calendarView/delta",
                       params={"startDateTime": "2031-03-01T00:00:00Z", "endDateTime": "2031-04-01T00:00:00Z"},
                       headers={"Authorization": f"Bearer {credentials['access_token']}"})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "ErrorAccessDenied"
    connected = opened(GraphSource(credentials, config, stores_event_details=False))
    requests_before = len(graph.requests)
    with pytest.raises(SourceError):
        connected.changes(RemoteCalendar(calendar_id, "Calendar"), None, START, END)
    with pytest.raises(SourceError):
        connected.put(RemoteCalendar(calendar_id, "Calendar"), "evt_x.ics", b"", None)
    assert len(graph.requests) == requests_before  # the adapter never tried
    wrong_mode = opened(GraphSource(credentials, config, stores_event_details=True))
    with pytest.raises(SourceAuthFailed):
        wrong_mode.calendars()


# --- writes ------------------------------------------------------------------------------------


def ics(summary: str, start: str = "20310312T100000", end: str = "20310312T110000", *extra: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calgate//EN", "BEGIN:VEVENT", "UID:evt_abc@calgate.test",
             "DTSTAMP:20310101T000000Z", f"DTSTART;TZID=Europe/Berlin:{start}", f"DTEND;TZID=Europe/Berlin:{end}",
             f"SUMMARY:{summary}", "DESCRIPTION:Bring slides", "LOCATION:Room 4", *extra, "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def test_put_update_delete_round_trip(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    connected = source(graph, config)
    calendar = connected.calendars()[0]
    created = connected.put(calendar, "evt_abc.ics", ics("Planning"), None)
    again = connected.put(calendar, "evt_abc.ics", ics("Planning"), None)  # a retried create
    assert again == created and len(ada.events) == 1
    stored = ada.events[created.remote_id]
    assert (stored.subject, stored.body, stored.location, stored.time_zone) == ("Planning", "Bring slides", "Room 4", "Europe/Berlin")
    assert stored.start == dt.datetime(2031, 3, 12, 9, tzinfo=UTC) and stored.show_as == "busy"
    updated = connected.put(calendar, created.remote_id, ics("Planning v2", "20310312T140000", "20310312T150000", "TRANSP:TRANSPARENT"), created.etag)
    assert updated.remote_id == created.remote_id and updated.etag != created.etag
    assert (stored.subject, stored.show_as, stored.start) == ("Planning v2", "free", dt.datetime(2031, 3, 12, 13, tzinfo=UTC))
    with pytest.raises(SourceConflict):
        connected.put(calendar, created.remote_id, ics("Lost race"), created.etag)
    forced = connected.put(calendar, created.remote_id, ics("Planning v3"), "*")
    assert stored.subject == "Planning v3"
    read = connected.changes(calendar, None, START, END).changed
    assert [(r.remote_id, r.etag, r.occurrences[0].start.tzid) for r in read] == [(created.remote_id, forced.etag, "Europe/Berlin")]
    with pytest.raises(SourceConflict):
        connected.delete(created.remote_id, updated.etag)
    connected.delete(created.remote_id, forced.etag)
    assert ada.events == {}
    connected.delete(created.remote_id, forced.etag)  # already gone: silent
    with pytest.raises(SourceConflict):  # gone: an update's precondition fails, the caller creates again
        connected.put(calendar, created.remote_id, ics("Planning"), forced.etag)


def test_all_day_event_is_written_as_all_day(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    connected = source(graph, config)
    calendar = connected.calendars()[0]
    body = ics("Offsite").replace(b"DTSTART;TZID=Europe/Berlin:20310312T100000", b"DTSTART;VALUE=DATE:20310320")
    body = body.replace(b"DTEND;TZID=Europe/Berlin:20310312T110000", b"DTEND;VALUE=DATE:20310322")
    written = connected.put(calendar, "evt_offsite.ics", body, None)
    stored = ada.events[written.remote_id]
    assert (stored.start, stored.end, stored.all_day) == (dt.date(2031, 3, 20), dt.date(2031, 3, 22), True)


# --- throttling --------------------------------------------------------------------------------


def test_429_then_success_honours_retry_after(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    slept: list[float] = []
    connected = source(graph, config, sleep=slept.append)
    graph.fail("me", times=2, status=429, retry_after=3)
    assert connected.identity() == ADA
    assert slept == [3.0, 3.0]


def test_persistent_503_is_unavailable_with_retry_after(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    slept: list[float] = []
    connected = source(graph, config, sleep=slept.append)
    graph.fail("getSchedule", times=3, status=503, retry_after=2)
    with pytest.raises(SourceUnavailable) as caught:
        connected.busy(RemoteCalendar(ADA, ADA), START, START + dt.timedelta(days=1))
    assert caught.value.retry_after == 2 and slept == [2.0, 2.0]
    graph.fail("me", times=1, status=429, retry_after=60)  # longer than calgate waits: give up at once
    with pytest.raises(SourceUnavailable) as caught:
        connected.identity()
    assert caught.value.retry_after == 60 and slept == [2.0, 2.0]


# --- the stand-in's own checks -----------------------------------------------------------------


def test_standin_refuses_what_graph_refuses(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    token = graph.credentials(ADA, oauth.scopes_for(True))["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    window = {"startTime": {"dateTime": "2031-01-01T00:00:00", "timeZone": "UTC"},
              "endTime": {"dateTime": "2031-03-05T00:00:00", "timeZone": "UTC"}}
    too_long = httpx.post(f"{graph.url}/v1.0/me/calendar/getSchedule", json={"schedules": [ADA], **window}, headers=headers)
    too_many = httpx.post(f"{graph.url}/v1.0/me/calendar/getSchedule",
                          json={"schedules": [f"u{i}@contoso.test" for i in range(21)], **window}, headers=headers)
    no_window = httpx.get(f"{graph.url}/v1.0/me/calendars/{ada.default_calendar()}/calendarView/delta", headers=headers)
    anonymous = httpx.get(f"{graph.url}/v1.0/me")
    assert [r.status_code for r in (too_long, too_many, no_window, anonymous)] == [400, 400, 400, 401]
    assert len(graph.violations) == 3
    graph.violations.clear()  # provoked on purpose


def test_credentials_are_a_copy_and_config_hides_the_secret(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    credentials = graph.credentials(ADA, oauth.scopes_for(True))
    connected = opened(GraphSource(credentials, config, stores_event_details=True))
    assert connected.credentials == credentials and connected.credentials is not credentials
    assert CLIENT_SECRET not in repr(config) and dataclasses.replace(config, tenant="organizations").token_endpoint.endswith(
        "/organizations/oauth2/v2.0/token")
