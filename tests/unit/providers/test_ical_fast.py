# SPDX-License-Identifier: Apache-2.0
"""The fast reader (providers/ical_fast.py, series by providers/ical_series.py) against
icalendar and recurring_ical_events: ``read_resource`` and ``busy_blocks`` give the same
values, or the same error, whichever reads the resource. Run over every fixture under
tests/fixtures/ical and over generated resources: the common shape with every variation the
fast reader claims to handle (zones, parameters, escapes, folds, line ends, alarms, plain
RRULEs), and the odd ones it must leave to icalendar (other recurrence, broken values, folds
inside a name or a character, stray bytes)."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note
from hypothesis import strategies as st

from calgate.providers import ical_fast, ical_lines
from calgate.providers.ical_reader import busy_blocks, read_resource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ical"
UTC = dt.timezone.utc
WIDE = (dt.datetime(2025, 6, 1, tzinfo=UTC), dt.datetime(2027, 6, 1, tzinfo=UTC))
OWNERS = [set(), {"ada@example.com"}, {"ADA@Example.com", "bob@example.com"}, {"grace@example.com"}]


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What a reader gives: its value (with its repr, so zones and types count), or its error's type."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            value = call()
    except Exception as exc:  # noqa: BLE001 - the kind of error is what is compared
        return "raised", type(exc)
    return "value", (value, repr(value))


def both_readers(ical: bytes, start: dt.datetime, end: dt.datetime, owners: set[str]) -> tuple[list[Any], list[Any]]:
    """(with the fast reader, with icalendar alone) for read_resource and busy_blocks."""
    def calls(fast: bool) -> list[Callable[[], Any]]:
        return [
            lambda: read_resource(ical, start, end, owners, fast=fast),
            lambda: busy_blocks(ical, start, end, owners, fast=fast),
        ]

    return [outcome(call) for call in calls(True)], [outcome(call) for call in calls(False)]


def assert_same(ical: bytes, start: dt.datetime = WIDE[0], end: dt.datetime = WIDE[1], owners: set[str] | None = None) -> None:
    fast, slow = both_readers(ical, start, end, owners or set())
    assert fast == slow, (ical, start, end, owners, [i for i, (a, b) in enumerate(zip(fast, slow)) if a != b])


# --- the fixtures ------------------------------------------------------------------------------

FIXTURE_FILES = sorted(FIXTURES.glob("*.ics"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
@pytest.mark.parametrize("owners", OWNERS)
@pytest.mark.parametrize(
    "window", [WIDE, (dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 4, 14, tzinfo=UTC)),
               (dt.datetime(2026, 3, 5, 14, 30, tzinfo=UTC), dt.datetime(2026, 3, 5, 14, 45, tzinfo=UTC))],
)
def test_every_fixture_reads_the_same_either_way(path, owners, window):
    assert_same(path.read_bytes(), *window, owners)


def test_the_common_fixtures_take_the_fast_reader():
    """The test above compares something: the plain events of the big clients are read fast."""
    fast = {p.name for p in FIXTURE_FILES if ical_fast.event(p.read_bytes(), ical_lines.READ) is not None}
    assert fast >= {
        "google_declined_invitation.ics", "google_needs_action_invitation.ics", "google_offsite_all_day.ics",
        "outlook_focus_time.ics", "outlook_meeting_request.ics",
    }
    assert "apple_weekly_standup.ics" not in fast and "outlook_customized_zone_plus4.ics" not in fast


# --- generated resources -----------------------------------------------------------------------

BERLIN = (
    "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:DAYLIGHT\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nTZNAME:CEST\n"
    "DTSTART:19700329T020000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\nEND:DAYLIGHT\nBEGIN:STANDARD\n"
    "TZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nTZNAME:CET\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\n"
    "END:STANDARD\nEND:VTIMEZONE"
)
CUSTOM = (
    "BEGIN:VTIMEZONE\nTZID:Customized Time Zone\nBEGIN:STANDARD\nDTSTART:16010101T000000\nTZOFFSETFROM:-0300\n"
    "TZOFFSETTO:-0300\nEND:STANDARD\nEND:VTIMEZONE"
)
BROKEN_ZONE = (
    "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:19701025T030000\nTZOFFSETFROM:soon\nEND:STANDARD\n"
    "END:VTIMEZONE"
)

# Each list: what the fast reader should take, then (after the ``|``) what it may refuse.
TZIDS = [
    "Europe/Berlin", '"Europe/Berlin"', "W. Europe Standard Time", '"Romance Standard Time"', "America/New_York",
    "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Etc/UTC", "GMT", "Z", "Etc/GMT+5", "Europe/Berlin ", "|",
    "Mars/Olympus_Mons", "Customized Time Zone", "", " ", "America", "europe/berlin",
]
DAYS = ["20260304", "20260329", "20261025", "20260101", "20251231", "20270530", "20240229", "|", "20260230", "00010101"]
CLOCKS = ["093000", "023000", "000000", "235959", "|", "250000", "120060"]
DURATIONS = ["PT1H", "P1D", "P2D", "-PT30M", "P1W", "PT0S", "P", "PT", "+P1DT2H", "P1W2D", "PT25H", "|", "p1d", "P1Y", "PT1.5H",
             "20260304T100000Z", "P99999999D"]
ODD_MOMENTS = ["2026-03-04", "20260304T0930", "P1D", "", "20260304t093000z", "20260304T093000 ", "20260304T093000Z/PT1H",
               "２0260304", "20260304T093000+01"]
PARAMETER_VALUES = [
    "ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", "accepted", "DELEGATED", "TRUE", '"a b"', '"x:y;z"', '"Doe, Jane"',
    '"ada@example.com"', "ada@example.com", "Ada Lovelace", "a%2Cb", '""', "",
    "|", " Accepted", '"a","b"', "a,b", "Ada^nL", 'a"b', "x ", "a\\,b",
]
ADDRESSES = [
    "mailto:ada@example.com", "MAILTO:Ada@Example.com", "mailto:bob@example.com", "urn:uuid:1234", "",
    " mailto:grace@example.com ", "mailto:", "mailto:a\\,b@example.com", "|", "mailto:x\\ny@example.com",
]
CALENDAR_LINES = ["CALSCALE:GREGORIAN", "METHOD:PUBLISH", "X-WR-CALNAME:Ada", "X-WR-TIMEZONE:Europe/London", "|", "NAME:Work",
                  "X-FOO;VALUE=DATE:junk", "REFRESH-INTERVAL;VALUE=DURATION:soon"]
EXTRA_LINES = [
    "SEQUENCE:2", "SEQUENCE:soon", "X-MICROSOFT-CDO-BUSYSTATUS:FREE", "CLASS:PUBLIC", "CATEGORIES:a,b", "X-ODD",
    "X-CALGATE-START-TZID:Mars/Olympus", "summary:lower case", "X-ALT-DESC;FMTTYPE=text/html:<b>x</b>",
    "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nDESCRIPTION:Reminder\nEND:VALARM", "BEGIN:VALARM\nX-ODD\nEND:VALARM",
    "BEGIN:VALARM\nBEGIN:X-INNER\nEND:X-INNER\nEND:VALARM", "|",
    "RRULE:FREQ=WEEKLY;COUNT=3", "RRULE;X=1:FREQ=DAILY;COUNT=2", "EXDATE:20260311T093000Z", "RECURRENCE-ID:20260304T093000Z",
    "RDATE:20260320T093000Z",
    "EXRULE:FREQ=DAILY;COUNT=2", "DtStart:20260304T100000Z", "DTSTART:20260304T100000Z", "BEGIN:VALARM\nEND:VEVENT",
]
TEXT = st.text(alphabet=st.sampled_from(list("ab Z,;:\\\"'^%nN\té😀=")), max_size=12)
RULE_PARTS = {
    "FREQ": ["DAILY", "WEEKLY", "WEEKLY", "MONTHLY", "YEARLY", "|", "HOURLY", "MINUTELY", "weekly"],
    "INTERVAL": ["1", "2", "3", "|", "0", "01", "-1"],
    "COUNT": ["1", "3", "10", "|", "0", "-2"],
    "UNTIL": ["20260401", "20260401T000000Z", "20260329T013000Z", "20270101", "20251201T120000Z", "|", "20260401T000000",
              "20260230", "2026"],
    "BYDAY": ["MO", "MO,WE,FR", "SU", "TU,TH", "|", "1MO", "-1SU", "mo"],
    "BYMONTHDAY": ["1", "15", "31", "1,15", "|", "-1", "0"],
    "BYMONTH": ["3", "10", "3,10", "|", "13"],
    "WKST": ["MO", "SU", "|", "XX"],
    "|": [],
    "BYSETPOS": ["1"], "BYHOUR": ["9"], "BYMINUTE": ["0,30"],
}


def one(draw: st.DrawFn, choices: list[str], tidy: bool) -> str:
    """A choice of the list: only its first part when ``tidy``."""
    cut = choices.index("|")
    return draw(st.sampled_from(choices[:cut] if tidy else choices[:cut] + choices[cut + 1 :]))


@st.composite
def moments(draw: st.DrawFn, name: str, tidy: bool) -> str:
    """A DTSTART or DTEND line."""
    day = one(draw, DAYS, tidy)
    kind = draw(st.sampled_from(["utc", "utc", "floating", "zoned", "zoned", "date", "date", *([] if tidy else ["odd"])]))
    params = ""
    if kind == "date":
        value = day
        if draw(st.booleans()):
            odd = [] if tidy else [";VALUE=DATE-TIME", ";VALUE=PERIOD"]
            params += draw(st.sampled_from([";VALUE=DATE", ";VALUE=date", *odd]))
    elif kind == "odd":
        value = draw(st.sampled_from(ODD_MOMENTS))
    else:
        value = f"{day}T{one(draw, CLOCKS, tidy)}" + ("Z" if kind == "utc" else "")
        if draw(st.integers(0, 5)) == 0:
            params += ";VALUE=DATE-TIME"
    if kind == "zoned" or (not tidy and draw(st.integers(0, 9)) == 0):
        params += f";TZID={one(draw, TZIDS, tidy)}"
    return f"{name}{params}:{value}"


@st.composite
def rules(draw: st.DrawFn, tidy: bool) -> str:
    """An RRULE line, mostly of the plain kind ``ical_fast.RULE`` reads."""
    keys = list(RULE_PARTS)
    cut = keys.index("|")
    names = draw(st.lists(st.sampled_from(keys[1:cut] if tidy else [*keys[1:cut], *keys[cut + 1 :]]), max_size=3, unique=True))
    if tidy and "COUNT" in names and "UNTIL" in names:
        names.remove("UNTIL")
    parts = [f"FREQ={one(draw, RULE_PARTS['FREQ'], tidy)}"]
    for name in names:
        choices = RULE_PARTS[name]
        parts.append(f"{name}={one(draw, choices, tidy) if '|' in choices else draw(st.sampled_from(choices))}")
    order = draw(st.permutations(range(len(parts))))
    return "RRULE:" + ";".join(parts[i] for i in order)


@st.composite
def people(draw: st.DrawFn, name: str, tidy: bool) -> str:
    params = []
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(["CN", "PARTSTAT", "EMAIL", "RSVP", "ROLE", "X-NUM-GUESTS", "cn", "partstat", "DELEGATED-TO"]))
        params.append(f";{key}={one(draw, PARAMETER_VALUES, tidy)}")
    return f"{name}{''.join(params)}:{one(draw, ADDRESSES, tidy)}"


@st.composite
def vevents(draw: st.DrawFn, tidy: bool) -> list[str]:
    lines = []
    uid = draw(st.sampled_from(["evt-1@tests", " evt-1@tests ", "a\\,b", "x\\ny", *([] if tidy else ["", "  "])]))
    if tidy or draw(st.integers(0, 9)):
        lines.append(f"UID:{uid}")
    lines.append("DTSTAMP:20260101T000000Z")
    if tidy or draw(st.integers(0, 9)):
        lines.append(draw(moments("DTSTART", tidy)))
    end = draw(st.sampled_from(["dtend", "dtend", "duration", "none", "both"]))
    if end in ("dtend", "both"):
        lines.append(draw(moments("DTEND", tidy)))
    if end in ("duration", "both"):
        params = draw(st.sampled_from(["", "", ";VALUE=DURATION", *([] if tidy else [";VALUE=TEXT"])]))
        lines.append(f"DURATION{params}:{one(draw, DURATIONS, tidy)}")
    for name in ("SUMMARY", "DESCRIPTION", "LOCATION", "URL"):
        for _ in range(draw(st.integers(0, 2))):
            odd = [] if tidy else [";VALUE=TEXT"]
            params = draw(st.sampled_from(["", "", ";LANGUAGE=fr", ';ALTREP="cid:x@y"', ";ENCODING=BASE64", *odd]))
            lines.append(f"{name}{params}:{draw(TEXT)}")
    for name in ("TRANSP", "STATUS"):
        for _ in range(draw(st.integers(0, 1 if tidy else 2))):
            value = draw(st.sampled_from([
                "OPAQUE", "TRANSPARENT", "transparent", " TRANSPARENT ", "CONFIRMED", "TENTATIVE", "CANCELLED", "cancelled", "",
            ]))
            lines.append(f"{name}:{value}")
    lines += draw(st.lists(people("ATTENDEE", tidy), max_size=3))
    lines += draw(st.lists(people("ORGANIZER", tidy), max_size=2))
    for _ in range(draw(st.integers(0, 3))):
        lines.append(one(draw, EXTRA_LINES, tidy))
    if draw(st.integers(0, 2)) == 0:
        lines.append(draw(rules(tidy)))
    order = draw(st.permutations(range(len(lines))))
    return ["BEGIN:VEVENT", *(lines[i] for i in order), "END:VEVENT"]


@st.composite
def resources(draw: st.DrawFn) -> bytes:
    """A calendar object resource: tidy (of the shape the fast reader takes) or not, folded,
    with either line end, perhaps with a stray byte."""
    tidy = draw(st.booleans())
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//fast//EN"]
    for _ in range(draw(st.integers(0, 2))):
        lines.append(one(draw, CALENDAR_LINES, tidy))
    if draw(st.integers(0, 3)) == 0:
        lines.append(draw(st.sampled_from([BERLIN, *([] if tidy else [CUSTOM, BROKEN_ZONE])])))
    lines += draw(vevents(tidy))
    if not tidy and draw(st.integers(0, 5)) == 0:
        lines += draw(st.one_of(vevents(tidy), st.just(["BEGIN:VTODO", "UID:evt-1@tests", "END:VTODO"])))
    if draw(st.integers(0, 9)) == 0:
        lines.insert(draw(st.integers(3, len(lines) - 1)), BERLIN)
    lines.append("END:VCALENDAR")
    physical = [line.encode() for text in lines for line in text.split("\n")]
    if draw(st.integers(0, 2)) == 0:  # fold some lines: after the name as clients do, or anywhere
        folded = []
        for line in physical:
            first = min(line.index(b":") if b":" in line else len(line), line.index(b";") if b";" in line else len(line)) + 1
            lowest = first if tidy or draw(st.booleans()) else 1
            cuts = sorted(set(draw(st.lists(st.integers(lowest, len(line) - 1), max_size=2)))) if lowest < len(line) - 1 else []
            pieces = [line[a:b] for a, b in zip([0, *cuts], [*cuts, len(line)])]
            if tidy and (line.startswith((b"BEGIN", b"END")) or any(p[:1] and 0x80 <= p[0] < 0xC0 for p in pieces[1:])):
                pieces = [line]  # BEGIN and END, or inside a character
            folded.append((b"\r\n" + draw(st.sampled_from([b" ", b"\t"]))).join(pieces))
        physical = folded
    newline = draw(st.sampled_from([b"\r\n", b"\r\n", b"\n"]))
    data = newline.join(physical) + draw(st.sampled_from([newline, b""]))
    if not tidy and draw(st.booleans()):  # a stray byte or line anywhere
        at = draw(st.integers(0, len(data)))
        stray = draw(st.sampled_from([b";", b":", b'"', b"\\", b" ", b"\r", b"\n", b"\r\n ", b",", b"^", b"=", b"\xc3", b"\xff",
                                      b"\r\n\r\n", b"\r\nBEGIN:VALARM\r\n", b"\r\nEND:VEVENT\r\n", b"\xef\xbb\xbf"]))
        data = data[:at] + stray + data[at:]
    return data


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=resources(), owners=st.sampled_from(OWNERS), narrow=st.booleans(), day=st.integers(0, 60), hours=st.integers(1, 72))
def test_generated_resources_read_the_same_either_way(data, owners, narrow, day, hours):
    start, end = WIDE
    if narrow:  # a window that cuts events
        start = dt.datetime(2026, 2, 1, tzinfo=UTC) + dt.timedelta(days=day, hours=hours % 24)
        end = start + dt.timedelta(hours=hours)
    fast = ical_fast.event(data, ical_lines.READ) is not None
    note("fast reader" if fast else "icalendar")
    assert_same(data, start, end, owners)


@pytest.mark.parametrize("body", [
    "DTSTART:20260304T093000Z\nDTEND:20260304T100000Z\nSUMMARY:Plain",
    "DTSTART;TZID=Europe/Berlin:20260304T093000\nDURATION:PT45M\nSUMMARY:Zoned",
    'DTSTART;TZID="W. Europe Standard Time":20261025T023000\nDTEND;TZID="W. Europe Standard Time":20261025T033000',
    "DTSTART;VALUE=DATE:20260304\nDTEND;VALUE=DATE:20260306\nTRANSP:TRANSPARENT",
    "DTSTART:20260304T093000\nSUMMARY:Floating\\, escaped\\nlines\\;and\\\\ more",
    'DTSTART:20260304T093000Z\nORGANIZER;CN="Doe, Jane":mailto:jane@example.com\n'
    "ATTENDEE;CN=Ada Lovelace;PARTSTAT=DECLINED:mailto:ada@example.com\nATTENDEE;EMAIL=bob@example.com:urn:uuid:1",
    "DTSTART:20260304T093000Z\nDESCRIPTION:é😀 long text\nBEGIN:VALARM\nTRIGGER:-PT15M\nEND:VALARM",
    "DTSTART:20260304T093000Z\nDTEND:20260304T100000Z\nRRULE:FREQ=WEEKLY;COUNT=4",
    "DTSTART;TZID=Europe/Berlin:20260316T093000\nDURATION:PT15M\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20260415T000000Z\nSEQUENCE:3",
    "DTSTART;VALUE=DATE:20240229\nRRULE:FREQ=YEARLY;INTERVAL=1;UNTIL=20300101",
    "DTSTART;TZID=America/New_York:20260131T180000\nDTEND;TZID=America/New_York:20260131T190000\nRRULE:FREQ=MONTHLY",
])
def test_the_common_shapes_take_the_fast_reader_and_agree(body):
    event = f"BEGIN:VEVENT\nUID:a@tests\n{body}\nEND:VEVENT"
    data = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nCALSCALE:GREGORIAN\n{event}\nEND:VCALENDAR\n"
    raw = data.replace("\n", "\r\n").encode()
    assert ical_fast.event(raw, ical_lines.READ) is not None
    for owners in OWNERS:
        assert_same(raw, owners=owners)


def test_free_busy_reading_never_decodes_the_texts():
    """In free/busy reading the texts are skipped by name: not even a bad byte in them is seen."""
    data = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a@tests\r\nDTSTART:20260304T093000Z\r\nDTEND:20260304T100000Z\r\n"
        b"SUMMARY:Secret \xff\r\nDESCRIPTION;X=\"\\\":\\q\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    event = ical_fast.event(data, ical_lines.BUSY_READ)
    assert event is not None and event.texts == {}
    assert ical_fast.event(data, ical_lines.READ) is None  # read in full, icalendar judges it
