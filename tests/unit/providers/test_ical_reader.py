"""Reading iCalendar (providers/ical_reader.py): the clients' exports under tests/fixtures/ical,
recurrences, zones, the busy-ness rule, VFREEBUSY answers and what is refused. Plain bytes in,
values out."""

import datetime as dt
from pathlib import Path

import icalendar
import pytest

from calgate.domain.calendar_sources import BusyBlock, EventTimeValue
from calgate.providers import ical_lines, ical_times
from calgate.providers.ical_freebusy import read_freebusy
from calgate.providers.ical_reader import IcalError, busy_blocks, read_resource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ical"
UTC = dt.timezone.utc
ADA = {"ada@example.com"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def at(text: str) -> dt.datetime:
    """An aware UTC datetime from ``2026-03-01T10:00`` or ``2026-03-01``."""
    moment = dt.datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window(first: str, last: str) -> tuple[dt.datetime, dt.datetime]:
    return at(first), at(last)


def ics(*vevents: str, extra: str = "") -> bytes:
    """A VCALENDAR around the given VEVENT bodies (lines separated by newlines)."""
    body = "".join(f"BEGIN:VEVENT\n{v.strip()}\nEND:VEVENT\n" for v in vevents)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//tests//ical reader//EN\n{extra}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def event(*lines: str, uid: str = "evt-1@tests") -> str:
    return "\n".join([f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines])


def times(occurrences):
    return [(o.recurrence_id, o.start.time, o.end.time) for o in occurrences]


def blocks(*triples: tuple[str, str, str]) -> list[BusyBlock]:
    return [BusyBlock(at(start), at(end), status) for start, end, status in triples]


# --- the clients' exports ---------------------------------------------------------------------


def test_apple_weekly_series_skips_the_exdate_and_keeps_its_local_time_across_dst():
    uid, occurrences = read_resource(fixture("apple_weekly_standup.ics"), *window("2026-03-01", "2026-04-14"), {"grace@example.com"})
    assert uid == "6C1F7A2E-93B4-4D0A-8E55-1B2C3D4E5F60"
    # Mondays 09:30-09:45 Berlin: CET (UTC+1) until 29 March, CEST (UTC+2) after; 16 March is an EXDATE.
    assert times(occurrences) == [
        ("2026-03-02T08:30:00Z", "2026-03-02T08:30:00Z", "2026-03-02T08:45:00Z"),
        ("2026-03-09T08:30:00Z", "2026-03-09T08:30:00Z", "2026-03-09T08:45:00Z"),
        ("2026-03-23T08:30:00Z", "2026-03-23T08:30:00Z", "2026-03-23T08:45:00Z"),
        ("2026-03-30T07:30:00Z", "2026-03-30T07:30:00Z", "2026-03-30T07:45:00Z"),
        ("2026-04-06T07:30:00Z", "2026-04-06T07:30:00Z", "2026-04-06T07:45:00Z"),
        ("2026-04-13T07:30:00Z", "2026-04-13T07:30:00Z", "2026-04-13T07:45:00Z"),
    ]
    first = occurrences[0]
    assert first.start == EventTimeValue("2026-03-02T08:30:00Z", "Europe/Berlin")
    assert first.end == EventTimeValue("2026-03-02T08:45:00Z", "Europe/Berlin")
    assert first.start_at == at("2026-03-02T08:30") and first.end_at == at("2026-03-02T08:45")
    assert first.uid == uid and first.summary == "Team stand-up"
    assert first.location == "Raum 4.12\nFriedrichstraße 123\n10117 Berlin\nGermany"
    assert first.description == "" and first.url is None
    assert (first.transparency, first.status, first.participation_status) == ("opaque", "confirmed", "accepted")
    # Apple's server names its own users by urn:uuid: with an EMAIL parameter.
    assert first.organizer_email == "grace@example.com"
    assert first.attendees == [
        {"email": "grace@example.com", "display_name": "Grace Hopper", "status": "accepted"},
        {"email": "alan@example.com", "display_name": "Alan Turing", "status": "accepted"},
    ]


def test_thunderbird_override_moves_one_occurrence_to_its_new_time():
    uid, occurrences = read_resource(fixture("thunderbird_book_club.ics"), *window("2026-01-01", "2026-03-01"), ADA)
    assert uid == "0f5c3a8e-2d4b-4f7a-9c1e-6b8d2a4f0e13"
    # Thursdays 18:00-19:30 New York (EST, UTC-5), six times; the third moved to Friday 19:00.
    assert times(occurrences) == [
        ("2026-01-15T23:00:00Z", "2026-01-15T23:00:00Z", "2026-01-16T00:30:00Z"),
        ("2026-01-22T23:00:00Z", "2026-01-22T23:00:00Z", "2026-01-23T00:30:00Z"),
        ("2026-01-29T23:00:00Z", "2026-01-31T00:00:00Z", "2026-01-31T01:30:00Z"),
        ("2026-02-05T23:00:00Z", "2026-02-05T23:00:00Z", "2026-02-06T00:30:00Z"),
        ("2026-02-12T23:00:00Z", "2026-02-12T23:00:00Z", "2026-02-13T00:30:00Z"),
        ("2026-02-19T23:00:00Z", "2026-02-19T23:00:00Z", "2026-02-20T00:30:00Z"),
    ]
    moved = occurrences[2]
    assert moved.summary == "Book club (Friday this week)" and occurrences[1].summary == "Book club"
    assert moved.start.tzid == moved.end.tzid == "America/New_York"
    assert moved.description == "This month: The Left Hand of Darkness."
    assert all(o.start_at.tzinfo is UTC and o.end_at.tzinfo is UTC for o in occurrences)


@pytest.mark.parametrize(
    "first, last, expected",
    [
        # Around the original time (Thursday 29th): nothing, the occurrence moved away.
        ("2026-01-29T00:00", "2026-01-30T00:00", []),
        # Around the new time (Friday 30th, 19:00 New York): the moved occurrence alone.
        ("2026-01-30T12:00", "2026-01-31T12:00", ["2026-01-29T23:00:00Z"]),
    ],
)
def test_an_override_moves_an_occurrence_out_of_and_into_a_window(first, last, expected):
    _, occurrences = read_resource(fixture("thunderbird_book_club.ics"), *window(first, last), ADA)
    assert [o.recurrence_id for o in occurrences] == expected


def test_outlook_windows_zone_and_free_focus_time():
    data = fixture("outlook_focus_time.ics")
    _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.start == EventTimeValue("2026-03-04T08:00:00Z", "Europe/Berlin")
    assert occurrence.end == EventTimeValue("2026-03-04T11:00:00Z", "Europe/Berlin")
    assert occurrence.recurrence_id is None
    assert occurrence.summary == "Fokuszeit" and occurrence.description == "Keine Besprechungen bitte.\n"
    # X-MICROSOFT-CDO-BUSYSTATUS:FREE comes with TRANSP:TRANSPARENT, which is what is read.
    assert occurrence.transparency == "transparent"
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == []


def test_outlook_unanswered_meeting_request_is_tentative():
    data = fixture("outlook_meeting_request.ics")
    _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.start == EventTimeValue("2026-03-17T13:00:00Z", "Europe/Paris")  # Romance Standard Time
    assert occurrence.end == EventTimeValue("2026-03-17T14:00:00Z", "Europe/Paris")
    assert occurrence.summary == "Point mensuel" and occurrence.location == "Salle Curie"
    assert occurrence.description == "Agenda: roadmap, hiring, budget.\n\n"
    assert occurrence.organizer_email == "marie@example.com"
    # Outlook writes no PARTSTAT for an invitation not answered yet.
    assert occurrence.participation_status == "needs_action"
    assert occurrence.attendees == [
        {"email": "ada@example.com", "display_name": "Ada Lovelace", "status": "needs_action"},
        {"email": "charles@example.com", "display_name": "Charles Babbage", "status": "needs_action"},
    ]
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == blocks(("2026-03-17T13:00", "2026-03-17T14:00", "tentative"))


@pytest.mark.parametrize("order", [("minus3", "plus4"), ("plus4", "minus3")])
def test_outlook_customized_zone_is_read_with_the_resources_own_vtimezone(order):
    """Both files call their zone "Customized Time Zone", with different rules: each is read
    with its own, whichever came first."""
    expected = {"minus3": "2026-03-20T13:00:00Z", "plus4": "2026-03-20T06:00:00Z"}
    for name in order:
        _, [occurrence] = read_resource(fixture(f"outlook_customized_zone_{name}.ics"), *window("2026-03-01", "2026-04-01"), ADA)
        assert occurrence.start == EventTimeValue(expected[name], "Etc/UTC")
        assert occurrence.end_at - occurrence.start_at == dt.timedelta(hours=1)


def test_google_all_day_event_is_dates_at_midnight_utc():
    data = fixture("google_offsite_all_day.ics")
    uid, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert uid == "3hq7u2jv1g0k8r5n9m4c6t2b1a@google.com"
    assert occurrence.start == EventTimeValue("2026-03-10", "Etc/UTC")
    assert occurrence.end == EventTimeValue("2026-03-12", "Etc/UTC")
    assert (occurrence.start_at, occurrence.end_at) == (at("2026-03-10"), at("2026-03-12"))
    assert occurrence.location == "Lisbon" and occurrence.description == "" and occurrence.attendees == []
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == blocks(("2026-03-10", "2026-03-12", "busy"))
    # Clipped to the window.
    assert busy_blocks(data, *window("2026-03-11T06:00", "2026-04-01"), ADA) == blocks(("2026-03-11T06:00", "2026-03-12", "busy"))


def test_google_declined_invitation_is_read_but_free():
    data = fixture("google_declined_invitation.ics")
    _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.start == EventTimeValue("2026-03-05T14:00:00Z", "Etc/UTC")
    assert occurrence.participation_status == "declined" and occurrence.status == "confirmed"
    assert occurrence.organizer_email == "bob@example.com"
    assert occurrence.location is None  # Google writes an empty LOCATION
    assert "Join with Google Meet: https://meet.google.com/abc-defg-hij" in (occurrence.description or "")
    assert {a["email"]: a["status"] for a in occurrence.attendees} == {"bob@example.com": "accepted", "ada@example.com": "declined"}
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == []
    # Someone else's copy (an owner who is not invited) is busy.
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), {"bob@example.com"}) == blocks(("2026-03-05T14:00", "2026-03-05T15:00", "busy"))


def test_google_invitation_not_answered_is_tentative_and_owner_addresses_are_matched_loosely():
    data = fixture("google_needs_action_invitation.ics")
    for owners in (ADA, {"Ada@Example.COM"}, {"mailto:ada@example.com"}):
        _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), owners)
        assert occurrence.participation_status == "needs_action"
        assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), owners) == blocks(("2026-03-06T09:30", "2026-03-06T10:00", "tentative"))


# --- zones ------------------------------------------------------------------------------------


def test_weekly_series_in_berlin_keeps_its_local_time_when_clocks_go_back():
    """No VTIMEZONE at all (RFC 7809 servers may leave it out): the IANA zone is used."""
    data = ics(event("DTSTART;TZID=Europe/Berlin:20261019T100000", "DTEND;TZID=Europe/Berlin:20261019T110000", "RRULE:FREQ=WEEKLY;COUNT=3"))
    _, occurrences = read_resource(data, *window("2026-10-01", "2026-11-30"), ADA)
    assert times(occurrences) == [
        ("2026-10-19T08:00:00Z", "2026-10-19T08:00:00Z", "2026-10-19T09:00:00Z"),  # CEST
        ("2026-10-26T09:00:00Z", "2026-10-26T09:00:00Z", "2026-10-26T10:00:00Z"),  # CET from 25 October
        ("2026-11-02T09:00:00Z", "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z"),
    ]
    assert {o.start.tzid for o in occurrences} == {"Europe/Berlin"}


@pytest.mark.parametrize(
    "tzid, tz, instant",
    [
        ('"W. Europe Standard Time"', "Europe/Berlin", "2026-03-04T08:00:00Z"),
        ('"Romance Standard Time"', "Europe/Paris", "2026-03-04T08:00:00Z"),
        ('"Central Europe Standard Time"', "Europe/Budapest", "2026-03-04T08:00:00Z"),
        ('"GMT Standard Time"', "Europe/London", "2026-03-04T09:00:00Z"),
        ('"Eastern Standard Time"', "America/New_York", "2026-03-04T14:00:00Z"),
        ('"Pacific Standard Time"', "America/Los_Angeles", "2026-03-04T17:00:00Z"),
        ('"Tokyo Standard Time"', "Asia/Tokyo", "2026-03-04T00:00:00Z"),
        ("Europe/Lisbon", "Europe/Lisbon", "2026-03-04T09:00:00Z"),
        ("UTC", "Etc/UTC", "2026-03-04T09:00:00Z"),
        ("Etc/UTC", "Etc/UTC", "2026-03-04T09:00:00Z"),
        ("GMT", "Etc/UTC", "2026-03-04T09:00:00Z"),
        ("Mars/Olympus_Mons", "Etc/UTC", "2026-03-04T09:00:00Z"),  # unknown, no VTIMEZONE: read as UTC
    ],
)
def test_tzid_parameters_become_iana_zones(tzid, tz, instant):
    data = ics(event(f"DTSTART;TZID={tzid}:20260304T090000", f"DTEND;TZID={tzid}:20260304T100000"))
    _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.start == EventTimeValue(instant, tz)
    assert occurrence.end.tzid == tz


def test_a_globally_unique_tzid_with_its_vtimezone_first_reads_without_warnings():
    """Evolution writes libical's "globally unique" TZIDs, with the VTIMEZONE before the event."""
    tzid = "/freeassociation.sourceforge.net/Europe/Berlin"
    zone = (
        f"BEGIN:VTIMEZONE\nTZID:{tzid}\nX-LIC-LOCATION:Europe/Berlin\nBEGIN:STANDARD\nTZNAME:CET\n"
        "DTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\n"
        "END:STANDARD\nBEGIN:DAYLIGHT\nTZNAME:CEST\nDTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\n"
        "TZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
    )
    data = ics(event(f"DTSTART;TZID={tzid}:20260704T090000", f"DTEND;TZID={tzid}:20260704T100000"), extra=zone)
    _, [occurrence] = read_resource(data, *window("2026-07-01", "2026-08-01"), ADA)
    assert occurrence.start == EventTimeValue("2026-07-04T07:00:00Z", "Europe/Berlin")


def test_a_globally_unique_tzid_without_its_vtimezone_is_guessed_with_icalendars_warning():
    tzid = "/freeassociation.sourceforge.net/Tzfile/Europe/Vienna"
    data = ics(event(f"DTSTART;TZID={tzid}:20260304T090000", f"DTEND;TZID={tzid}:20260304T100000"))
    with pytest.warns(icalendar.GloballyUniqueTZIDGuessed):
        _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.start == EventTimeValue("2026-03-04T08:00:00Z", "Europe/Vienna")


def test_floating_times_are_read_as_utc():
    data = ics(event("DTSTART:20260304T090000", "DTEND:20260304T100000", "RRULE:FREQ=DAILY;UNTIL=20260305T090000"))
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert [(o.start, o.recurrence_id) for o in occurrences] == [
        (EventTimeValue("2026-03-04T09:00:00Z", "Etc/UTC"), "2026-03-04T09:00:00Z"),
        (EventTimeValue("2026-03-05T09:00:00Z", "Etc/UTC"), "2026-03-05T09:00:00Z"),
    ]


def test_start_and_end_may_have_different_zones_in_every_occurrence():
    data = ics(event(
        "DTSTART;TZID=Europe/London:20260304T090000", "DTEND;TZID=America/New_York:20260304T100000", "RRULE:FREQ=DAILY;COUNT=2",
    ))
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert [(o.start, o.end) for o in occurrences] == [
        (EventTimeValue("2026-03-04T09:00:00Z", "Europe/London"), EventTimeValue("2026-03-04T15:00:00Z", "America/New_York")),
        (EventTimeValue("2026-03-05T09:00:00Z", "Europe/London"), EventTimeValue("2026-03-05T15:00:00Z", "America/New_York")),
    ]


# --- lengths and the window -------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines, start, end",
    [
        (["DTSTART:20260304T090000Z", "DURATION:PT45M"], "2026-03-04T09:00:00Z", "2026-03-04T09:45:00Z"),
        (["DTSTART;VALUE=DATE:20260304"], "2026-03-04", "2026-03-05"),
        (["DTSTART;VALUE=DATE:20260304", "DURATION:P2D"], "2026-03-04", "2026-03-06"),
        (["DTSTART;VALUE=DATE:20260304", "DTEND;VALUE=DATE:20260304"], "2026-03-04", "2026-03-05"),
        (["DTSTART:20260304T090000Z"], "2026-03-04T09:00:00Z", "2026-03-04T09:00:00Z"),
    ],
)
def test_the_end_without_dtend(lines, start, end):
    _, [occurrence] = read_resource(ics(event(*lines)), *window("2026-03-01", "2026-04-01"), ADA)
    assert (occurrence.start.time, occurrence.end.time) == (start, end)


def test_a_zero_length_event_is_read_but_blocks_nothing():
    data = ics(event("DTSTART:20260304T090000Z"))
    _, [occurrence] = read_resource(data, *window("2026-03-04T09:00", "2026-03-05"), ADA)
    assert occurrence.start_at == occurrence.end_at == at("2026-03-04T09:00")
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == []
    assert read_resource(data, *window("2026-03-04", "2026-03-04T09:00"), ADA)[1] == []


@pytest.mark.parametrize(
    "first, last, found",
    [
        ("2026-03-04T09:30", "2026-03-05", True),  # started before the window, ends inside it
        ("2026-03-04T08:00", "2026-03-04T09:01", True),
        ("2026-03-04T10:00", "2026-03-05", False),  # ended exactly when the window starts
        ("2026-03-04T08:00", "2026-03-04T09:00", False),  # starts exactly when the window ends
    ],
)
def test_occurrences_overlapping_the_window_are_returned(first, last, found):
    data = ics(event("DTSTART:20260304T090000Z", "DTEND:20260304T100000Z"))
    assert bool(read_resource(data, *window(first, last), ADA)[1]) is found


def test_a_naive_window_is_refused():
    with pytest.raises(ValueError):
        read_resource(ics(event("DTSTART:20260304T090000Z")), dt.datetime(2026, 3, 1), dt.datetime(2026, 4, 1), ADA)


# --- recurrence -------------------------------------------------------------------------------


def test_rdate_exdate_and_periods():
    data = ics(event(
        "DTSTART;TZID=Europe/Berlin:20260302T100000",
        "DTEND;TZID=Europe/Berlin:20260302T110000",
        "RRULE:FREQ=DAILY;COUNT=3",
        "EXDATE;TZID=Europe/Berlin:20260303T100000",
        "RDATE;TZID=Europe/Berlin:20260310T150000,20260311T150000",
        "RDATE;VALUE=PERIOD:20260320T120000Z/PT2H",
    ))
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert times(occurrences) == [
        ("2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z", "2026-03-02T10:00:00Z"),
        ("2026-03-04T09:00:00Z", "2026-03-04T09:00:00Z", "2026-03-04T10:00:00Z"),
        ("2026-03-10T14:00:00Z", "2026-03-10T14:00:00Z", "2026-03-10T15:00:00Z"),
        ("2026-03-11T14:00:00Z", "2026-03-11T14:00:00Z", "2026-03-11T15:00:00Z"),
        ("2026-03-20T12:00:00Z", "2026-03-20T12:00:00Z", "2026-03-20T14:00:00Z"),
    ]


def test_an_all_day_series_has_date_recurrence_ids():
    data = ics(event("DTSTART;VALUE=DATE:20260302", "DTEND;VALUE=DATE:20260303", "RRULE:FREQ=WEEKLY;COUNT=3"))
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert times(occurrences) == [
        ("2026-03-02", "2026-03-02", "2026-03-03"),
        ("2026-03-09", "2026-03-09", "2026-03-10"),
        ("2026-03-16", "2026-03-16", "2026-03-17"),
    ]


def test_a_lone_override_is_one_occurrence_with_its_recurrence_id():
    """Invited to one occurrence only: the server holds the override without its series."""
    data = ics(event("RECURRENCE-ID:20260310T090000Z", "DTSTART:20260310T100000Z", "DTEND:20260310T110000Z"))
    _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.recurrence_id == "2026-03-10T09:00:00Z" and occurrence.start.time == "2026-03-10T10:00:00Z"


def test_this_and_future_override_moves_the_rest_and_keeps_their_original_starts():
    data = ics(
        event("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "RRULE:FREQ=DAILY;COUNT=4", "SUMMARY:Early"),
        event(
            "RECURRENCE-ID;RANGE=THISANDFUTURE:20260303T090000Z", "DTSTART:20260303T110000Z", "DTEND:20260303T120000Z",
            "SUMMARY:Later",
        ),
    )
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert [(o.recurrence_id, o.start.time, o.summary) for o in occurrences] == [
        ("2026-03-02T09:00:00Z", "2026-03-02T09:00:00Z", "Early"),
        ("2026-03-03T09:00:00Z", "2026-03-03T11:00:00Z", "Later"),
        ("2026-03-04T09:00:00Z", "2026-03-04T11:00:00Z", "Later"),
        ("2026-03-05T09:00:00Z", "2026-03-05T11:00:00Z", "Later"),
    ]


def test_the_readers_own_notes_in_the_data_are_ignored():
    data = ics(event(
        "DTSTART;TZID=Europe/Berlin:20260302T100000", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=2",
        "X-CALGATE-SHIFT:soon", "X-CALGATE-START-TZID:Mars/Olympus",
    ))
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert [(o.recurrence_id, o.start.tzid) for o in occurrences] == [
        ("2026-03-02T09:00:00Z", "Europe/Berlin"), ("2026-03-03T09:00:00Z", "Europe/Berlin"),
    ]


def test_an_override_can_cancel_or_decline_one_occurrence():
    data = ics(
        event(
            "DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", "RRULE:FREQ=DAILY;COUNT=3",
            "ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.com",
        ),
        event("RECURRENCE-ID:20260303T090000Z", "DTSTART:20260303T090000Z", "DTEND:20260303T100000Z", "STATUS:CANCELLED"),
        event(
            "RECURRENCE-ID:20260304T090000Z", "DTSTART:20260304T090000Z", "DTEND:20260304T100000Z",
            "ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=DECLINED:mailto:ada@example.com",
        ),
    )
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert [(o.status, o.participation_status) for o in occurrences] == [
        ("confirmed", "accepted"), ("cancelled", "accepted"), ("confirmed", "declined"),
    ]
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == blocks(("2026-03-02T09:00", "2026-03-02T10:00", "busy"))


def test_an_endless_series_is_expanded_within_the_window_only():
    data = ics(event("DTSTART:20200106T090000Z", "DTEND:20200106T100000Z", "RRULE:FREQ=WEEKLY"))
    _, occurrences = read_resource(data, *window("2026-03-01", "2026-03-15"), ADA)
    assert [o.recurrence_id for o in occurrences] == ["2026-03-02T09:00:00Z", "2026-03-09T09:00:00Z"]


# --- busy-ness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines, expected",
    [
        ([], "busy"),
        (["TRANSP:OPAQUE", "STATUS:CONFIRMED"], "busy"),
        (["TRANSP:TRANSPARENT"], None),
        (["STATUS:CANCELLED"], None),
        (["STATUS:TENTATIVE"], "tentative"),
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.com"], "busy"),
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=DECLINED:mailto:ada@example.com"], None),
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=TENTATIVE:mailto:ada@example.com"], "tentative"),
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:ada@example.com"], "tentative"),
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE:mailto:ada@example.com"], "tentative"),  # no PARTSTAT
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=DECLINED:mailto:carol@example.com"], "busy"),  # not invited
        (["ORGANIZER:mailto:ada@example.com", "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:ada@example.com"], "busy"),  # organizes it
        (["ORGANIZER:mailto:ada@example.com", "STATUS:TENTATIVE"], "tentative"),
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.com", "STATUS:TENTATIVE"], "tentative"),
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.com", "TRANSP:TRANSPARENT"], None),
        # two of the owner's addresses invited: the most committed answer counts
        (["ORGANIZER:mailto:bob@example.com", "ATTENDEE;PARTSTAT=DECLINED:mailto:ada@example.com",
          "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@work.example"], "busy"),
    ],
)
def test_the_busy_rule(lines, expected):
    data = ics(event("DTSTART:20260304T090000Z", "DTEND:20260304T100000Z", *lines))
    found = busy_blocks(data, *window("2026-03-01", "2026-04-01"), {"ada@example.com", "ada@work.example"})
    assert found == ([] if expected is None else blocks(("2026-03-04T09:00", "2026-03-04T10:00", expected)))


def test_participation_values_of_read_resource():
    data = ics(event(
        "DTSTART:20260304T090000Z", "DTEND:20260304T100000Z", "ORGANIZER:mailto:bob@example.com",
        "ATTENDEE;PARTSTAT=TENTATIVE;CN=Ada:MAILTO:Ada@Example.com", "ATTENDEE;PARTSTAT=DELEGATED:mailto:carol@example.com",
        "ATTENDEE;CUTYPE=RESOURCE;CN=Room 1:urn:uuid:0000-1111",
    ))
    _, [occurrence] = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.participation_status == "tentative"
    # An address without an email (a room by urn:uuid:) cannot be an attendee in calgate.
    assert occurrence.attendees == [
        {"email": "ada@example.com", "display_name": "Ada", "status": "tentative"},
        {"email": "carol@example.com", "status": "needs_action"},
    ]
    assert read_resource(data, *window("2026-03-01", "2026-04-01"), set())[1][0].participation_status == "accepted"


def test_busy_blocks_keep_nothing_of_the_event():
    marker = "ZQXJ-private-marker"
    data = ics(event(
        "DTSTART:20260304T090000Z",
        "DTEND:20260304T100000Z",
        f"SUMMARY:{marker} summary",
        f"DESCRIPTION:{marker} description",
        f"LOCATION:{marker} location",
        f"URL:https://example.com/{marker}",
        f"ORGANIZER;CN={marker}:mailto:{marker}@example.com",
        f"ATTENDEE;CN={marker};PARTSTAT=ACCEPTED:mailto:ada@example.com",
        f"ATTENDEE;CN={marker}:mailto:{marker.lower()}@example.com",
        f"X-{marker}:x",
        uid=f"{marker}@example.com",
    ))
    found = busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert found == blocks(("2026-03-04T09:00", "2026-03-04T10:00", "busy"))
    assert marker.lower() not in repr(found).lower()
    assert all(vars(block).keys() == {"start", "end", "status"} for block in found)
    # Nor do the errors about data that cannot be read.
    for broken in (data.replace(b"DTSTART:20260304T090000Z", b"DTSTART:" + marker.encode()), marker.encode(), data + data):
        with pytest.raises(IcalError) as caught:
            busy_blocks(broken, *window("2026-03-01", "2026-04-01"), ADA)
        assert marker.lower() not in str(caught.value).lower()
        error = caught.value  # nor chains icalendar's error, which quotes the data, to be logged with it
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


# --- free-busy answers ------------------------------------------------------------------------

FREEBUSY = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example Corp.//CalDAV Server//EN\r
BEGIN:VFREEBUSY\r
DTSTAMP:20260301T120000Z\r
DTSTART:20260302T000000Z\r
DTEND:20260309T000000Z\r
FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260302T170000Z/20260303T080000Z\r
FREEBUSY;FBTYPE=FREE:20260303T080000Z/20260303T090000Z\r
FREEBUSY:20260303T090000Z/PT1H,20260303T140000Z/20260303T153000Z\r
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260303T120000Z/PT30M\r
FREEBUSY;FBTYPE=BUSY:20260308T230000Z/20260309T010000Z\r
END:VFREEBUSY\r
END:VCALENDAR\r
"""


def test_read_freebusy_sorts_and_clips_and_skips_free_time():
    assert read_freebusy(FREEBUSY, *window("2026-03-03T00:00", "2026-03-09T00:00")) == blocks(
        ("2026-03-03T00:00", "2026-03-03T08:00", "busy"),
        ("2026-03-03T09:00", "2026-03-03T10:00", "busy"),
        ("2026-03-03T12:00", "2026-03-03T12:30", "tentative"),
        ("2026-03-03T14:00", "2026-03-03T15:30", "busy"),
        ("2026-03-08T23:00", "2026-03-09T00:00", "busy"),
    )


def test_read_freebusy_without_busy_time():
    empty = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VFREEBUSY\r\nDTSTAMP:20260301T120000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    assert read_freebusy(empty, *window("2026-03-01", "2026-04-01")) == []
    with pytest.raises(IcalError):
        read_freebusy(b"<html>Not Found</html>", *window("2026-03-01", "2026-04-01"))


# --- what is refused, and what is ignored -----------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is not a calendar",
        b"\xff\xfe\x00garbage",
        b"BEGIN:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",  # no component, no UID
        ics(event("DTSTART:20260304T090000Z").replace("UID:evt-1@tests\n", "")),
        ics(event("DTSTART:20260304T090000Z"), event("DTSTART:20260305T090000Z", uid="other@tests")),
        ics(event("DTEND:20260304T090000Z")),  # no DTSTART
        ics(event("DTSTART:tomorrow")),
        ics(event("DTSTART:20260304T090000Z", "DURATION:an hour")),
        ics(event("DTSTART:20260304T090000Z", "RRULE:FREQ=SOMETIMES")),
        ics(event("DTSTART:20260304T090000Z", "RRULE:FREQ=MINUTELY")),
        ics(event("DTSTART:20260304T090000Z", "RRULE:FREQ=DAILY;BYHOUR=9;BYMINUTE=0,1,2,3")),
        ics(event("DTSTART:20260304T090000Z")) + ics(event("DTSTART:20260304T090000Z")),  # two VCALENDARs
        b"BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260304T090000Z\r\nEND:VEVENT\r\n",  # not in a VCALENDAR
    ],
)
def test_unreadable_data_raises_ical_error(data):
    with pytest.raises(IcalError):
        read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    with pytest.raises(IcalError):
        busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA)


def test_a_todo_is_a_resource_without_occurrences():
    data = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VTODO\r\nUID:todo-1@tests\r\nDTSTAMP:20260301T120000Z\r\nSUMMARY:Buy milk\r\nDUE:20260304T090000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    assert read_resource(data, *window("2026-03-01", "2026-04-01"), ADA) == ("todo-1@tests", [])
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == []


def test_a_resource_outside_the_window_has_its_uid_and_no_occurrences():
    assert read_resource(fixture("google_offsite_all_day.ics"), *window("2027-01-01", "2027-02-01"), ADA) == (
        "3hq7u2jv1g0k8r5n9m4c6t2b1a@google.com", [],
    )


def test_a_windows_zone_name_resolves_without_per_call_work():
    """The name → zone resolution is cached across calls (5,000 resources in a sync)."""
    ical_times.iana.cache_clear()
    for _ in range(3):
        read_resource(fixture("outlook_focus_time.ics"), *window("2026-03-01", "2026-04-01"), ADA)
    info = ical_times.iana.cache_info()
    assert info.misses == 1 and info.hits >= 2


# --- what is parsed -----------------------------------------------------------------------------


def test_only_the_properties_read_reach_the_parser_folded_lines_whole():
    data = ics(
        event(
            "DTSTART;TZID=Europe/Berlin:20260304T090000",
            "DTEND;TZID=Europe/Berlin:20260304T100000",
            "SUMMARY:Planning with a title long enough that it is folded",
            "  over two lines",
            "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC",
            " SUMMARY:not a property but the continuation of an unread one",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT15M",
            "DESCRIPTION:Reminder",
            "END:VALARM",
            "LOCATION:Room 1",
        ),
        extra="X-WR-TIMEZONE:Europe/Berlin\n",
    )
    narrowed = ical_lines.narrowed(data, ical_lines.READ).decode()
    assert "DTSTAMP" not in narrowed and "VALARM" not in narrowed and "Reminder" not in narrowed
    assert "PRODID" not in narrowed and "X-APPLE" not in narrowed and "not a property" not in narrowed
    assert "X-WR-TIMEZONE:Europe/Berlin" in narrowed and "LOCATION:Room 1" in narrowed
    _, (occurrence,) = read_resource(data, *window("2026-03-01", "2026-04-01"), ADA)
    assert occurrence.summary == "Planning with a title long enough that it is folded over two lines"
    assert occurrence.location == "Room 1" and occurrence.start.tzid == "Europe/Berlin"


def test_busy_blocks_never_parse_the_texts_of_an_event():
    data = ics(event("DTSTART:20260304T090000Z", "DTEND:20260304T100000Z", "SUMMARY:Secret", "DESCRIPTION:Secret",
                     "LOCATION:Secret", "URL:https://secret.example/", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ada@example.com"))
    narrowed = ical_lines.narrowed(data, ical_lines.BUSY_READ).decode()
    assert "Secret" not in narrowed and "secret.example" not in narrowed and "ATTENDEE" in narrowed
    assert busy_blocks(data, *window("2026-03-01", "2026-04-01"), ADA) == blocks(("2026-03-04T09:00", "2026-03-04T10:00", "busy"))


def test_a_vtimezone_is_kept_whole_for_the_zone_it_defines():
    data = fixture("outlook_focus_time.ics")
    narrowed = ical_lines.narrowed(data, ical_lines.READ)
    original, kept = icalendar.Calendar.from_ical(data), icalendar.Calendar.from_ical(narrowed)
    assert [z.to_ical() for z in kept.walk("VTIMEZONE")] == [z.to_ical() for z in original.walk("VTIMEZONE")]
