"""CalDavSource against a real Radicale: discovery, calendars, sync, busy time and writes.

The person's own edits (in "their calendar app") go through the Radicale helpers; calgate's
go through the source. Everything is checked on the real server.
"""

import dataclasses
import datetime as dt
import logging
import re

import httpx
import pytest

from calgate.domain.calendar_sources import (
    BusyBlock,
    RemoteCalendar,
    SourceAuthFailed,
    SourceConflict,
    SourceError,
    SourceUnavailable,
    SyncTokenExpired,
)
from calgate.providers.caldav import ICLOUD_URL, CalDavSource, discover
from calgate.providers.http import retry_after
from calgate.providers.caldav.discovery import candidates
from tests.support.radicale import Radicale, RadicaleUser, free_port

UTC = dt.UTC
START = dt.datetime(2031, 3, 1, tzinfo=UTC)
END = dt.datetime(2031, 5, 1, tzinfo=UTC)

NEW_YORK = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
"""


def ics(*components: str) -> str:
    text = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//calgate tests//EN\n" + "".join(components) + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n")


def vevent(uid: str, start: str, end: str, summary: str = "Busy", *extra: str) -> str:
    lines = [f"UID:{uid}", "DTSTAMP:20310101T000000Z", start, end, f"SUMMARY:{summary}", *extra]
    return "BEGIN:VEVENT\n" + "\n".join(lines) + "\nEND:VEVENT\n"


SINGLE = ics(vevent("single", "DTSTART:20310310T090000Z", "DTEND:20310310T100000Z", "Planning"))
ALL_DAY = ics(vevent("all-day", "DTSTART;VALUE=DATE:20310312", "DTEND;VALUE=DATE:20310313", "Offsite"))
WEEKLY = ics(
    vevent(
        "weekly",
        "DTSTART:20310303T140000Z",
        "DTEND:20310303T150000Z",
        "Standup",
        "RRULE:FREQ=WEEKLY;COUNT=5",
        "EXDATE:20310317T140000Z",
    ),
    vevent("weekly", "DTSTART:20310325T160000Z", "DTEND:20310325T170000Z", "Standup (moved)", "RECURRENCE-ID:20310324T140000Z"),
)
IN_NEW_YORK = ics(
    NEW_YORK,
    vevent("new-york", "DTSTART;TZID=America/New_York:20310314T090000", "DTEND;TZID=America/New_York:20310314T100000", "NYC"),
)
TODO = ics("BEGIN:VTODO\nUID:todo\nDTSTAMP:20310101T000000Z\nSUMMARY:Buy milk\nDUE:20310311T120000Z\nEND:VTODO\n")
TRANSPARENT = ics(
    vevent("transparent", "DTSTART:20310311T090000Z", "DTEND:20310311T100000Z", "Reminder", "TRANSP:TRANSPARENT")
)
TENTATIVE = ics(vevent("tentative", "DTSTART:20310313T150000Z", "DTEND:20310313T160000Z", "Maybe", "STATUS:TENTATIVE"))


def at(day: int, hour: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2031, month, day, hour, tzinfo=UTC)


@pytest.fixture
def user(radicale: Radicale) -> RadicaleUser:
    return radicale.new_user()


@pytest.fixture
def source(radicale: Radicale, user: RadicaleUser):
    with CalDavSource(radicale.url, user.username, user.password, timeout=5) as opened:
        yield opened


def calendar_at(source: CalDavSource, url: str) -> RemoteCalendar:
    return next(c for c in source.calendars() if c.remote_id == url)


class RefuseFreeBusy(httpx.BaseTransport):
    """The real transport, except that free-busy-query REPORTs get a 501 (a server without it)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "REPORT" and b"free-busy-query" in request.read():
            self.refused += 1
            return httpx.Response(501)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


# identity and discovery


def test_identity_is_the_username_when_the_server_names_no_address(source, user):
    assert source.identity() == user.username


def test_a_wrong_password_is_refused(radicale, user):
    with CalDavSource(radicale.url, user.username, "not-" + user.password) as source:
        with pytest.raises(SourceAuthFailed, match="refused this username or password"):
            source.identity()


def test_a_server_that_does_not_answer_is_unavailable():
    with CalDavSource(f"http://127.0.0.1:{free_port()}/", "someone", "secret", timeout=2) as source:
        with pytest.raises(SourceUnavailable) as raised:
            source.identity()
    assert raised.value.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limiting_and_overload_are_unavailable_with_retry_after(status):
    """A server shedding load (no Radicale setting does this, so httpx stands in for it)."""
    shedding = httpx.MockTransport(lambda request: httpx.Response(status, headers={"Retry-After": "120"}))
    with CalDavSource("https://dav.example.com/", "someone", "secret", transport=shedding) as source:
        with pytest.raises(SourceUnavailable) as raised:
            source.identity()
    assert raised.value.retry_after == 120


def test_retry_after_is_read_as_seconds_or_an_http_date():
    now = dt.datetime(2031, 3, 1, 12, tzinfo=UTC)
    assert retry_after("120", now) == 120
    assert retry_after("Sat, 01 Mar 2031 12:02:00 GMT", now) == 120
    assert retry_after("Sat, 01 Mar 2031 11:00:00 GMT", now) == 0
    assert retry_after("soon", now) is None
    assert retry_after(None, now) is None


def test_users_added_while_radicale_runs_can_log_in_at_once(radicale):
    for _ in range(2):
        fresh = radicale.new_user()
        with CalDavSource(radicale.url, fresh.username, fresh.password) as source:
            assert source.identity() == fresh.username


def test_a_changed_password_stops_the_old_one_at_once(radicale, user):
    new_password = radicale.change_password(user)
    with CalDavSource(radicale.url, user.username, user.password) as old, CalDavSource(radicale.url, user.username, new_password) as new:
        with pytest.raises(SourceAuthFailed):
            old.identity()
        assert new.identity() == user.username


@pytest.mark.parametrize("path", ["", ".well-known/caldav"])
def test_discovery_from_the_server_url_or_its_well_known_path(radicale, user, path):
    cal = radicale.make_calendar(user, "work", "Work")
    with discover(radicale.url + path, user.username, user.password) as source:
        assert source.server_url == radicale.url
        assert source.identity() == user.username
        assert [c.remote_id for c in source.calendars()] == [cal]


def test_discovery_with_a_wrong_password_is_refused(radicale, user):
    with pytest.raises(SourceAuthFailed):
        discover(radicale.url, user.username, "wrong")


def test_discovery_from_a_bare_host_tries_https_only(radicale, user):
    host = radicale.url.removeprefix("http://").rstrip("/")
    assert candidates(host) == [f"https://{host}/.well-known/caldav", f"https://{host}/"]
    with pytest.raises(SourceUnavailable):
        discover(host, user.username, user.password, timeout=2)


def test_discovery_candidates():
    assert candidates("alice@Example.com") == ["https://example.com/.well-known/caldav", "https://example.com/"]
    assert candidates("bob@icloud.com") == [ICLOUD_URL]
    assert candidates("bob@example.com", provider_name="apple") == [ICLOUD_URL]
    assert candidates("https://dav.example.com/dav/") == ["https://dav.example.com/dav/", "https://dav.example.com/.well-known/caldav"]
    assert candidates("https://dav.example.com") == ["https://dav.example.com/", "https://dav.example.com/.well-known/caldav"]
    with pytest.raises(SourceError):
        candidates("ftp://dav.example.com/")


# calendars


def test_calendars_lists_event_calendars_with_name_color_and_sync(radicale, user, source):
    work = radicale.make_calendar(user, "work", "Work", color="#FF8800FF")
    home = radicale.make_calendar(user, "home", "Home", color="#00AA00")
    radicale.make_calendar(user, "tasks", "Tasks", components=("VTODO",))
    plain = radicale.make_calendar(user, "plain", None)

    found = {c.remote_id: c for c in source.calendars()}

    assert set(found) == {work, home, plain}
    assert (found[work].name, found[work].color) == ("Work", "#FF8800")
    assert (found[home].name, found[home].color) == ("Home", "#00AA00")
    assert (found[plain].name, found[plain].color) == (f"{user.username}/plain", None)  # Radicale names it by its path
    for calendar in found.values():
        assert calendar.supports_sync and not calendar.readonly


# changes


def fill(radicale: Radicale, url: str) -> dict[str, str]:
    urls = {}
    for name, text in [("single", SINGLE), ("all-day", ALL_DAY), ("weekly", WEEKLY), ("new-york", IN_NEW_YORK), ("todo", TODO)]:
        urls[name] = f"{url}{name}.ics"
        radicale.put(urls[name], text)
    return urls


def test_a_first_read_is_full_and_expands_what_it_reads(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    urls = fill(radicale, url)

    changes = source.changes(calendar_at(source, url), None, START, END)

    assert changes.full and changes.removed == [] and changes.sync_state
    by_url = {r.remote_id: r for r in changes.changed}
    assert set(by_url) == {urls["single"], urls["all-day"], urls["weekly"], urls["new-york"]}
    for name in ["single", "all-day", "weekly", "new-york"]:
        resource = by_url[urls[name]]
        assert (resource.uid, resource.etag) == (name, radicale.get(urls[name])[1])
        assert all(o.uid == name for o in resource.occurrences)

    [single] = by_url[urls["single"]].occurrences
    assert (single.summary, single.recurrence_id, single.start_at, single.end_at) == ("Planning", None, at(10, 9), at(10, 10))
    assert single.start.time == "2031-03-10T09:00:00Z"

    [all_day] = by_url[urls["all-day"]].occurrences
    assert (all_day.start.time, all_day.end.time) == ("2031-03-12", "2031-03-13")
    assert (all_day.start_at, all_day.end_at) == (at(12, 0), at(13, 0))

    weekly = sorted(by_url[urls["weekly"]].occurrences, key=lambda o: o.start_at)
    assert [o.start_at for o in weekly] == [at(3, 14), at(10, 14), at(25, 16), at(31, 14)]
    assert all(o.recurrence_id for o in weekly)
    assert [o.summary for o in weekly] == ["Standup", "Standup", "Standup (moved)", "Standup"]

    [new_york] = by_url[urls["new-york"]].occurrences
    assert (new_york.start_at, new_york.end_at) == (at(14, 13), at(14, 14))
    assert new_york.start.tzid == "America/New_York"


def test_the_next_read_lists_exactly_what_the_person_changed(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    urls = fill(radicale, url)
    first = source.changes(calendar_at(source, url), None, START, END)

    radicale.put(urls["single"], SINGLE.replace("Planning", "Planning (edited)"))
    radicale.delete(urls["all-day"])
    added = url + "added.ics"
    radicale.put(added, ics(vevent("added", "DTSTART:20310320T110000Z", "DTEND:20310320T113000Z", "Lunch")))
    radicale.put(urls["todo"], TODO.replace("Buy milk", "Buy bread"))

    changes = source.changes(calendar_at(source, url), first.sync_state, START, END)

    assert not changes.full
    assert sorted(r.remote_id for r in changes.changed) == sorted([urls["single"], added])
    assert changes.removed == [urls["all-day"]]
    edited = next(r for r in changes.changed if r.remote_id == urls["single"])
    assert edited.etag == radicale.get(urls["single"])[1]
    assert edited.occurrences[0].summary == "Planning (edited)"

    again = source.changes(calendar_at(source, url), changes.sync_state, START, END)
    assert (again.changed, again.removed, again.full) == ([], [], False)


class RefuseCalendarQuery(httpx.BaseTransport):
    """The real transport, except that calendar-query REPORTs get ``status`` (or, for 207, an
    answer truncated by the server, RFC 4918 §13 with a 507 for the collection)."""

    def __init__(self, status: int) -> None:
        self.inner, self.status, self.refused = httpx.HTTPTransport(), status, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "REPORT" and b"calendar-query" in request.read():
            self.refused += 1
            if self.status != 207:
                return httpx.Response(self.status)
            truncated = (
                f'<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>{request.url.path}</href>'
                "<status>HTTP/1.1 507 Insufficient Storage</status></response></multistatus>"
            )
            return httpx.Response(207, content=truncated.encode(), headers={"Content-Type": "application/xml"})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_first_read_leaves_out_what_lies_wholly_outside_the_window(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    urls = fill(radicale, url)
    radicale.put(url + "last-year.ics", ics(vevent("last-year", "DTSTART:20300310T090000Z", "DTEND:20300310T100000Z")))
    radicale.put(url + "edge.ics", ics(vevent("edge", "DTSTART:20310228T233000Z", "DTEND:20310301T003000Z")))

    changes = source.changes(calendar_at(source, url), None, START, END)

    assert {r.uid for r in changes.changed} == {"single", "all-day", "weekly", "new-york", "edge"}
    [edge] = next(r for r in changes.changed if r.uid == "edge").occurrences
    assert (edge.start_at, edge.end_at) == (dt.datetime(2031, 2, 28, 23, 30, tzinfo=UTC), at(1, 0, 3).replace(minute=30))
    # The token was taken before the data: the next read sees only later changes.
    radicale.put(url + "last-year.ics", ics(vevent("last-year", "DTSTART:20310311T090000Z", "DTEND:20310311T100000Z")))
    later = source.changes(calendar_at(source, url), changes.sync_state, START, END)
    assert [r.uid for r in later.changed] == ["last-year"] and later.removed == []


@pytest.mark.parametrize("status", [400, 403, 501, 207])
def test_a_server_that_refuses_or_truncates_the_query_is_read_with_sync_collection(radicale, user, status):
    url = radicale.make_calendar(user, "work", "Work")
    urls = fill(radicale, url)
    transport = RefuseCalendarQuery(status)
    with CalDavSource(radicale.url, user.username, user.password, transport=transport) as source:
        changes = source.changes(calendar_at(source, url), None, START, END)
    assert transport.refused == 1 and changes.full and changes.sync_state.startswith("sync:")
    assert {r.remote_id for r in changes.changed} == {urls[n] for n in ("single", "all-day", "weekly", "new-york")}


def test_a_token_the_server_does_not_know_has_expired(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    calendar = calendar_at(source, url)
    with pytest.raises(SyncTokenExpired):
        source.changes(calendar, "sync:http://radicale.org/ns/sync/" + "0" * 64, START, END)
    with pytest.raises(SyncTokenExpired):
        source.changes(calendar, "ctag:whatever", START, END)


def test_a_resource_that_cannot_be_read_is_skipped_and_logged_by_its_url_only(radicale, user, source, caplog):
    url = radicale.make_calendar(user, "work", "Work")
    radicale.put(url + "single.ics", SINGLE)
    minutely = "RRULE:FREQ=MINUTELY;COUNT=3"  # valid iCalendar that ical_reader refuses to expand
    radicale.put(url + "odd.ics", ics(vevent("odd", "DTSTART:20310310T090000Z", "DTEND:20310310T091000Z", "Secret", minutely)))

    with caplog.at_level(logging.WARNING, logger="calgate.providers.caldav"):
        changes = source.changes(calendar_at(source, url), None, START, END)

    assert [r.remote_id for r in changes.changed] == [url + "single.ics"]
    [record] = [r for r in caplog.records if r.name.startswith("calgate.providers.caldav")]
    assert url + "odd.ics" in record.getMessage() and "Secret" not in record.getMessage() and not record.exc_info


def test_without_sync_support_the_ctag_decides(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    urls = fill(radicale, url)
    calendar = dataclasses.replace(calendar_at(source, url), supports_sync=False)

    first = source.changes(calendar, None, START, END)
    assert first.full and first.sync_state and first.sync_state.startswith("ctag:")
    assert {r.remote_id for r in first.changed} == {urls["single"], urls["all-day"], urls["weekly"], urls["new-york"]}

    unchanged = source.changes(calendar, first.sync_state, START, END)
    assert (unchanged.changed, unchanged.removed, unchanged.full, unchanged.sync_state) == ([], [], False, first.sync_state)

    radicale.delete(urls["all-day"])
    after = source.changes(calendar, first.sync_state, START, END)
    assert after.full and after.sync_state != first.sync_state
    assert {r.remote_id for r in after.changed} == {urls["single"], urls["weekly"], urls["new-york"]}


# busy


def fill_for_busy(radicale: Radicale, url: str) -> None:
    for name, text in [
        ("single", SINGLE),
        ("all-day", ALL_DAY),
        ("weekly", WEEKLY),
        ("new-york", IN_NEW_YORK),
        ("todo", TODO),
        ("transparent", TRANSPARENT),
        ("tentative", TENTATIVE),
    ]:
        radicale.put(f"{url}{name}.ics", text)


EXPECTED_BUSY = [
    BusyBlock(at(3, 14), at(3, 15), "busy"),
    BusyBlock(at(10, 9), at(10, 10), "busy"),
    BusyBlock(at(10, 14), at(10, 15), "busy"),
    BusyBlock(at(12, 0), at(13, 0), "busy"),
    BusyBlock(at(13, 15), at(13, 16), "tentative"),
    BusyBlock(at(14, 13), at(14, 14), "busy"),
    BusyBlock(at(25, 16), at(25, 17), "busy"),
    BusyBlock(at(31, 14), at(31, 15), "busy"),
]


def test_busy_is_read_from_the_events_by_the_one_rule(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    fill_for_busy(radicale, url)
    transport = RefuseFreeBusy()  # the server's free-busy-query is never needed
    with CalDavSource(radicale.url, user.username, user.password, transport=transport) as source:
        assert source.busy(calendar_at(source, url), START, END) == EXPECTED_BUSY
    assert transport.refused == 0


INVITED = "ATTENDEE;PARTSTAT={}:mailto:ada@example.com", "ORGANIZER:mailto:boss@example.com"


def test_the_persons_answers_count_with_the_address_they_gave(radicale, user):
    """Radicale names no address of its own: the one the person gave at connect tells which
    ATTENDEE they are, so a declined invitation is free and an unanswered one tentative."""
    url = radicale.make_calendar(user, "work", "Work")
    for name, partstat, hour in [("declined", "DECLINED", 9), ("unanswered", "NEEDS-ACTION", 10), ("accepted", "ACCEPTED", 11)]:
        attendee, organizer = INVITED
        radicale.put(f"{url}{name}.ics", ics(vevent(name, f"DTSTART:20310310T{hour:02d}0000Z", f"DTEND:20310310T{hour:02d}3000Z",
                                                    "Invite", attendee.format(partstat), organizer)))
    with CalDavSource(radicale.url, user.username, user.password, email="Ada@Example.com") as source:
        assert source.busy(calendar_at(source, url), START, END) == [
            BusyBlock(at(10, 10), at(10, 10).replace(minute=30), "tentative"),
            BusyBlock(at(10, 11), at(10, 11).replace(minute=30), "busy"),
        ]


def test_a_calendar_that_refuses_the_query_is_read_with_free_busy_query(radicale, user):
    """A calendar shared for free/busy only (RFC 4791 §6.1.1) answers free-busy-query alone."""
    url = radicale.make_calendar(user, "work", "Work")
    fill_for_busy(radicale, url)
    transport = RefuseCalendarQuery(403)
    with CalDavSource(radicale.url, user.username, user.password, transport=transport) as source:
        calendar = calendar_at(source, url)
        assert source.busy(calendar, START, END) == EXPECTED_BUSY
        assert source.busy(calendar, START, END) == EXPECTED_BUSY
    assert transport.refused == 1  # remembered: the second read went straight to free-busy-query


def test_busy_over_long_windows_is_read_in_parts_and_joined(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    radicale.put(url + "long.ics", ics(vevent("long", "DTSTART:20310101T000000Z", "DTEND:20310601T000000Z", "Sabbatical")))
    blocks = source.busy(calendar_at(source, url), dt.datetime(2030, 12, 1, tzinfo=UTC), dt.datetime(2031, 12, 1, tzinfo=UTC))
    assert blocks == [BusyBlock(dt.datetime(2031, 1, 1, tzinfo=UTC), dt.datetime(2031, 6, 1, tzinfo=UTC), "busy")]


# put and delete


def summary_and_etag(radicale: Radicale, url: str) -> tuple[str, str]:
    """What the server holds (Radicale stores a re-serialized copy, not the bytes sent)."""
    text, etag = radicale.get(url)
    return re.search(r"^SUMMARY:(.*?)\r?$", text, re.MULTILINE).group(1), etag


def test_put_creates_replaces_and_deletes_conditionally(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    calendar = calendar_at(source, url)

    created = source.put(calendar, "evt_1.ics", SINGLE.encode(), None)
    assert created.remote_id == url + "evt_1.ics"
    assert summary_and_etag(radicale, created.remote_id) == ("Planning", created.etag)

    with pytest.raises(SourceConflict):
        source.put(calendar, "evt_1.ics", SINGLE.encode(), None)

    edited = SINGLE.replace("Planning", "Planning v2")
    updated = source.put(calendar, created.remote_id, edited.encode(), created.etag)
    assert updated.remote_id == created.remote_id and updated.etag != created.etag
    assert summary_and_etag(radicale, created.remote_id) == ("Planning v2", updated.etag)

    with pytest.raises(SourceConflict):
        source.put(calendar, "evt_1.ics", SINGLE.encode(), created.etag)
    assert summary_and_etag(radicale, created.remote_id) == ("Planning v2", updated.etag)

    forced = source.put(calendar, "evt_1.ics", SINGLE.encode(), "*")
    assert summary_and_etag(radicale, created.remote_id) == ("Planning", forced.etag)

    with pytest.raises(SourceConflict):
        source.delete(created.remote_id, updated.etag)
    assert radicale.exists(created.remote_id)

    source.delete(created.remote_id, forced.etag)
    assert not radicale.exists(created.remote_id)
    assert radicale.list_hrefs(url) == []
    source.delete(created.remote_id, forced.etag)
    source.delete(created.remote_id, None)


def test_put_with_if_match_star_needs_the_resource_to_exist(radicale, user, source):
    url = radicale.make_calendar(user, "work", "Work")
    with pytest.raises(SourceConflict):
        source.put(calendar_at(source, url), "missing.ics", SINGLE.encode(), "*")
    assert radicale.list_hrefs(url) == []
