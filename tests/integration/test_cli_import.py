# SPDX-License-Identifier: Apache-2.0
"""``calgate import ICS_FILE --account …``: the clients' own exports (tests/fixtures/ical) into a
hosted calendar, read back through Read Events and Free/Busy, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from calgate.domain import application_calendars, authorization, channels, free_busy, ids, model, reads, subscriptions
from calgate.domain.authorization import Caller
from calgate.domain.model import Event, Job, utcnow
from tests.support.cli import run_cli
from tests.support.factories import make_application
from tests.support.people import Person, connect_no_access

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ical"
WINDOW = ("--from", "2026-01-01", "--to", "2026-04-30")
UTC = dt.timezone.utc
STANDUP = "6C1F7A2E-93B4-4D0A-8E55-1B2C3D4E5F60"
BOOK_CLUB = "0f5c3a8e-2d4b-4f7a-9c1e-6b8d2a4f0e13"


_run = run_cli


def export(tmp_path: Path, *names: str, text: bytes = b"") -> Path:
    """One file holding the fixtures' VCALENDARs one after another, as `cat *.ics` makes it."""
    path = tmp_path / "export.ics"
    path.write_bytes(b"".join((FIXTURES / name).read_bytes() for name in names) + text)
    return path


@pytest.fixture
def person(services) -> Person:
    app = make_application(services, features={"no_calendar"})
    return connect_no_access(services, app, "ada@example.com")


def read(services, caller: Caller, start: str = "2026-01-01", end: str = "2026-05-01") -> list[reads.EventView]:
    query = reads.Query.parse({"tzid": "Etc/UTC", "from": start, "to": end}, {}, utcnow())
    with services.uow() as uow:
        return reads.read_events(uow, caller, query, 500, utcnow()).items


def busy(services, caller: Caller) -> dict[str, str]:
    """Free/Busy of Jan–Apr 2026: each block's start (UTC wire) → busy or tentative."""
    query = reads.Query.parse({"tzid": "Etc/UTC", "from": "2026-01-01", "to": "2026-05-01"}, {}, utcnow())
    with services.uow() as uow:
        blocks = free_busy.read_free_busy(uow, caller, query, 500, utcnow()).items
    return {b.start.wire(): b.status for b in blocks}


def starts(views: list[reads.EventView], uid: str) -> list[str]:
    return [v.start.wire() for v in views if v.event.remote_uid == uid]


def stored(services, calendar_id: str) -> list[Event]:
    with services.uow() as uow:
        return uow.events.in_calendar(calendar_id)


ALL = sorted(p.name for p in FIXTURES.glob("*.ics"))


def test_import_keeps_recurrences_exdates_and_moved_occurrences(services, tmp_path, person):
    result = _run(services, tmp_path, "import", export(tmp_path, *ALL), "--account", person.caller.account.id, *WINDOW)
    assert result.exit_code == 0, result.output
    assert "imported 9 event(s)" in result.output and "21 occurrence(s) new" in result.output

    views = read(services, person.caller)
    # Apple: Mondays 09:30 Berlin from 2 March, across the DST change, without the EXDATE of 16 March.
    assert starts(views, STANDUP) == [
        "2026-03-02T08:30:00Z", "2026-03-09T08:30:00Z", "2026-03-23T08:30:00Z", "2026-03-30T07:30:00Z",
        "2026-04-06T07:30:00Z", "2026-04-13T07:30:00Z", "2026-04-20T07:30:00Z", "2026-04-27T07:30:00Z",
    ]
    standup = next(v for v in views if v.event.remote_uid == STANDUP)
    assert standup.event.start == {"time": "2026-03-02T08:30:00Z", "tzid": "Europe/Berlin"}
    assert standup.event.recurrence_id == "2026-03-02T08:30:00Z" and not standup.managed
    # Thunderbird: six Thursdays at 18:00 New York; the third moved to Friday 19:00 with its own title.
    club = [v for v in views if v.event.remote_uid == BOOK_CLUB]
    assert [v.start.wire() for v in club] == [
        "2026-01-15T23:00:00Z", "2026-01-22T23:00:00Z", "2026-01-31T00:00:00Z",
        "2026-02-05T23:00:00Z", "2026-02-12T23:00:00Z", "2026-02-19T23:00:00Z",
    ]
    moved = club[2].event
    assert moved.summary == "Book club (Friday this week)" and moved.recurrence_id == "2026-01-29T23:00:00Z"
    # Outlook's two "Customized Time Zone"s keep their own rules (UTC−3 and UTC+4).
    supplier = sorted(v.start.wire() for v in views if v.event.summary == "Supplier call")
    assert supplier == ["2026-03-20T06:00:00Z", "2026-03-20T13:00:00Z"]
    offsite = next(v for v in views if v.event.summary == "Team offsite")
    assert offsite.event.start == {"time": "2026-03-10", "tzid": "Etc/UTC"} and offsite.event.end["time"] == "2026-03-12"

    # They count for availability as the person's own events: free when transparent or declined,
    # tentative while an invitation waits for an answer.
    blocks = busy(services, person.caller)
    assert blocks["2026-03-02T08:30:00Z"] == "busy" and "2026-03-16T08:30:00Z" not in blocks
    assert blocks["2026-03-06T09:30:00Z"] == "tentative"  # Google, NEEDS-ACTION
    assert blocks["2026-03-17T13:00:00Z"] == "tentative"  # Outlook, RSVP without PARTSTAT
    assert "2026-03-05T14:00:00Z" not in blocks  # declined
    assert "2026-03-04T08:00:00Z" not in blocks  # Outlook focus time, TRANSP:TRANSPARENT


def test_importing_again_duplicates_nothing_and_applies_what_changed(services, tmp_path, person):
    account = person.caller.account.id
    path = export(tmp_path, "thunderbird_book_club.ics", "google_offsite_all_day.ics")
    assert _run(services, tmp_path, "import", path, "--account", account, *WINDOW).exit_code == 0
    first = {e.id: e.updated_at for e in stored(services, person.calendar_id)}
    assert len(first) == 7

    again = _run(services, tmp_path, "import", path, "--account", account, *WINDOW)
    assert again.exit_code == 0, again.output
    assert "0 occurrence(s) new, 0 updated, 7 unchanged, 0 removed" in again.output
    assert {e.id: e.updated_at for e in stored(services, person.calendar_id)} == first

    # The series loses 5 February (EXDATE) and is renamed; the offsite is not in the new file.
    text = (FIXTURES / "thunderbird_book_club.ics").read_bytes()
    text = text.replace(b"RRULE:FREQ=WEEKLY;COUNT=6\r\n", b"RRULE:FREQ=WEEKLY;COUNT=6\r\nEXDATE;TZID=America/New_York:20260205T180000\r\n")
    text = text.replace(b"SUMMARY:Book club\r\n", b"SUMMARY:Reading circle\r\n")
    path.write_bytes(text)
    changed = _run(services, tmp_path, "import", path, "--account", account, *WINDOW)
    assert changed.exit_code == 0, changed.output
    assert "0 occurrence(s) new, 4 updated, 1 unchanged, 1 removed" in changed.output
    club = [v for v in read(services, person.caller) if v.event.remote_uid == BOOK_CLUB]
    assert [v.start.wire()[:10] for v in club] == ["2026-01-15", "2026-01-22", "2026-01-31", "2026-02-12", "2026-02-19"]
    assert {v.event.summary for v in club} == {"Reading circle", "Book club (Friday this week)"}
    assert any(v.event.summary == "Team offsite" for v in read(services, person.caller))  # not in the file: kept
    assert len(stored(services, person.calendar_id)) == 7  # the removed occurrence is marked deleted, not duplicated


def test_an_import_tells_the_accounts_channels(services, tmp_path, person):
    command = channels.ChannelInput("https://example.com/hook", {})
    channel = services.run(lambda uow: channels.create(uow, person.caller, command, utcnow()))
    path = export(tmp_path, "google_offsite_all_day.ics")
    assert _run(services, tmp_path, "import", path, "--account", person.caller.account.id).exit_code == 0
    with services.uow() as uow:
        jobs = uow.session.scalars(select(Job).where(Job.kind == "push_notification")).all()
    changes = [j.payload for j in jobs if j.payload["body"]["notification"]["type"] == "change"]
    assert [c["channel_id"] for c in changes] == [channel.id]
    assert _run(services, tmp_path, "import", path, "--account", person.caller.account.id).exit_code == 0
    with services.uow() as uow:  # nothing changed the second time: nothing to tell
        assert len([j for j in uow.session.scalars(select(Job).where(Job.kind == "push_notification"))
                    if j.payload["body"]["notification"]["type"] == "change"]) == 1


def test_an_application_calendar_takes_imports_too(services, tmp_path):
    app = make_application(services)
    now = utcnow()
    with services.uow() as uow:
        made = application_calendars.authorize(uow, app.client_id, app.client_secret, "room-1", now, 3600)
        uow.commit()
    with services.uow() as uow:
        caller = authorization.authenticate(uow, made.tokens.access_token, now)
    path = export(tmp_path, "apple_weekly_standup.ics")
    result = _run(services, tmp_path, "import", path, "--account", made.account.id, "--from", "2026-03-01", "--to", "2026-03-31")
    assert result.exit_code == 0, result.output
    assert starts(read(services, caller), STANDUP) == [
        "2026-03-02T08:30:00Z", "2026-03-09T08:30:00Z", "2026-03-23T08:30:00Z", "2026-03-30T07:30:00Z",
    ]


def test_a_synced_calendar_is_refused(services, tmp_path):
    app = make_application(services)
    with services.uow() as uow:
        account = model.Account(id=ids.new_id("acc"), application_id=app.application_id, email="ada@example.com", name="Ada")
        profile = model.Profile(id=ids.new_id("pro"), account_id=account.id, provider="caldav", access_mode="read_write",
                                name="ada@example.com", credentials_sealed=services.box.seal(json.dumps({})))
        calendar = model.Calendar(id=f"cal_{profile.id[4:]}_x", account_id=account.id, profile_id=profile.id, name="Home",
                                  primary=True, remote_id="http://dav.example/ada/home/")
        uow.accounts.add(account)
        uow.profiles.add(profile)
        uow.calendars.add(calendar)
        uow.commit()
    path = export(tmp_path, "google_offsite_all_day.ics")
    result = _run(services, tmp_path, "import", path, "--account", account.id, "--calendar", calendar.id)
    assert result.exit_code == 2 and "synced from caldav" in result.output, result.output
    result = _run(services, tmp_path, "import", path, "--account", account.id)
    assert result.exit_code == 2 and "no calendar calgate hosts" in result.output, result.output
    assert stored(services, calendar.id) == []


def test_unknown_accounts_and_files_that_are_not_icalendar_say_so(services, tmp_path, person):
    path = export(tmp_path, "google_offsite_all_day.ics")
    result = _run(services, tmp_path, "import", path, "--account", "acc_nobody")
    assert result.exit_code == 2 and "no account acc_nobody" in result.output
    result = _run(services, tmp_path, "import", path, "--account", person.caller.account.id, "--calendar", "cal_nowhere")
    assert result.exit_code == 2 and "no calendar cal_nowhere" in result.output
    not_ical = tmp_path / "notes.ics"
    not_ical.write_text("Dear diary,\nnothing happened today.\n")
    result = _run(services, tmp_path, "import", not_ical, "--account", person.caller.account.id)
    assert result.exit_code == 2 and "not iCalendar" in result.output, result.output
    result = _run(services, tmp_path, "import", path, "--account", person.caller.account.id, "--from", "2026-05-01", "--to", "2026-01-01")
    assert result.exit_code == 2 and "--from/--to" in result.output, result.output
    assert stored(services, person.calendar_id) == []


def test_the_file_may_come_from_standard_input(services, tmp_path, person):
    data = (FIXTURES / "google_offsite_all_day.ics").read_bytes()
    result = run_cli(services, tmp_path, "import", "-", "--account", person.caller.account.id, input=data)
    assert result.exit_code == 0, result.output
    assert [e.summary for e in stored(services, person.calendar_id)] == ["Team offsite"]


BROKEN = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    b"BEGIN:VEVENT\r\nUID:broken-1@example.com\r\nDTSTART:not-a-time\r\nSUMMARY:Broken\r\nEND:VEVENT\r\n"
    b"BEGIN:VEVENT\r\nUID:too-often@example.com\r\nDTSTART:20260301T090000Z\r\nDTEND:20260301T091000Z\r\n"
    b"RRULE:FREQ=MINUTELY\r\nSUMMARY:Every minute\r\nEND:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)


def test_a_file_with_broken_events_imports_nothing_unless_told_to_skip_them(services, tmp_path, person):
    path = export(tmp_path, "google_offsite_all_day.ics", "thunderbird_book_club.ics", text=BROKEN)
    account = person.caller.account.id
    result = _run(services, tmp_path, "import", path, "--account", account, *WINDOW)
    assert result.exit_code == 1, result.output
    assert "nothing imported: 2 event(s) cannot be read" in result.output
    assert "broken-1@example.com" in result.output and "too-often@example.com: an RRULE repeats more often than hourly" in result.output
    assert "not-a-time" not in result.output  # the file's data is never quoted
    assert stored(services, person.calendar_id) == []

    result = _run(services, tmp_path, "import", path, "--account", account, "--skip-broken", *WINDOW)
    assert result.exit_code == 0, result.output
    assert "imported 2 event(s)" in result.output and "2 broken event(s) skipped" in result.output
    assert len(stored(services, person.calendar_id)) == 7


def test_an_imported_series_appears_in_the_calendars_ics_feed_once_per_occurrence(services, tmp_path, person):
    import icalendar

    from calgate.web.ics import render

    path = export(tmp_path, "apple_weekly_standup.ics")
    assert _run(services, tmp_path, "import", path, "--account", person.caller.account.id, *WINDOW).exit_code == 0
    with services.uow() as uow:
        calendar = uow.calendars.get(person.calendar_id)
        events = [e for e in uow.events.in_calendar(person.calendar_id) if not e.deleted]
    feed = icalendar.Calendar.from_ical(render(subscriptions.Feed(calendar, sorted(events, key=lambda e: e.start_at))))
    vevents = [c for c in feed.walk("VEVENT")]
    uids = [str(v["UID"]) for v in vevents]
    assert len(vevents) == len(events) > 1
    assert len(set(uids)) == len(uids)  # a feed reader sees each occurrence, none hides another
    assert all(uid.startswith(STANDUP) for uid in uids)
