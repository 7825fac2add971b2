"""iTIP objects (domain/itip.py): what calgate sends, and the replies it can read. Plain objects."""

import datetime as dt

import icalendar
import pytest

from calgate.domain import itip, model

UTC = dt.timezone.utc
STAMP = dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ORGANIZER = "calendar@calgate.test"
ADA = itip.Attendee("ada@example.com", "Ada Lovelace", "accepted")
BOB = itip.Attendee("bob@example.com", "Bob", "needs_action")


def event(start="2026-12-01T15:00:00Z", end="2026-12-01T16:00:00Z", tzid="Europe/London", end_tzid=None, **fields):
    values = dict(
        id="evt_0123", calendar_id="cal_1", account_id="acc_1", application_id="app_1", event_id="interview-1",
        summary="Interview", start={"time": start, "tzid": tzid}, end={"time": end, "tzid": end_tzid or tzid},
        start_at=STAMP, end_at=STAMP, created_at=STAMP, updated_at=STAMP,
    )
    values.update(fields)
    return model.Event(**values)


def build(evt, method="REQUEST", attendees=(ADA, BOB), **kwargs):
    return icalendar.Calendar.from_ical(itip.build(evt, method, ORGANIZER, list(attendees), **kwargs))


def the_event(calendar):
    [vevent] = calendar.walk("VEVENT")
    return vevent


def own_zone(calendar, tzid):
    """The VTIMEZONE calgate sent, as a tzinfo built from its rules alone (not the IANA data)."""
    [vtimezone] = [tz for tz in calendar.walk("VTIMEZONE") if str(tz["tzid"]) == tzid]
    return vtimezone.to_tz(lookup_tzid=False)


def test_a_request_names_the_event_and_everyone_in_it():
    calendar = build(event(sequence=3, url="https://acme.example/i/1", location={"description": "Room 1"}))
    vevent = the_event(calendar)
    assert str(calendar["method"]) == "REQUEST" and str(calendar["version"]) == "2.0" and "calgate" in str(calendar["prodid"])
    assert str(vevent["uid"]) == "evt_0123@calgate"
    assert int(vevent["sequence"]) == 3
    assert vevent.decoded("dtstamp") == STAMP
    assert str(vevent["summary"]) == "Interview"
    assert str(vevent["location"]) == "Room 1" and str(vevent["url"]) == "https://acme.example/i/1"
    assert str(vevent["status"]) == "CONFIRMED" and str(vevent["transp"]) == "OPAQUE"
    assert str(vevent["organizer"]) == f"mailto:{ORGANIZER}"
    attendees = {str(a): a.params for a in vevent["attendee"]}
    assert attendees["mailto:ada@example.com"]["PARTSTAT"] == "ACCEPTED"
    assert attendees["mailto:ada@example.com"]["CN"] == "Ada Lovelace"
    assert attendees["mailto:bob@example.com"]["PARTSTAT"] == "NEEDS-ACTION"
    assert all(params["RSVP"] == "TRUE" for params in attendees.values())


@pytest.mark.parametrize(
    "tzid, local",
    [
        ("Europe/London", dt.datetime(2026, 12, 1, 15, 0)),  # GMT in winter
        ("America/New_York", dt.datetime(2026, 12, 1, 10, 0)),  # EST
        ("Asia/Kolkata", dt.datetime(2026, 12, 1, 20, 30)),  # a half-hour offset
    ],
)
def test_times_keep_their_zone_with_a_vtimezone_that_agrees_with_the_instant(tzid, local):
    calendar = build(event(tzid=tzid))
    vevent = the_event(calendar)
    assert vevent["dtstart"].params["TZID"] == tzid and vevent["dtend"].params["TZID"] == tzid
    assert vevent["dtstart"].to_ical().decode() == local.strftime("%Y%m%dT%H%M%S")
    zone = own_zone(calendar, tzid)
    assert local.replace(tzinfo=zone).astimezone(UTC) == dt.datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "instant, written",
    [
        # London springs forward at 01:00 UTC on 29 March 2026: 00:30 GMT, then 02:30 BST.
        ("2026-03-29T00:30:00Z", "20260329T003000"),
        ("2026-03-29T01:30:00Z", "20260329T023000"),
        # and falls back at 01:00 UTC on 25 October: 01:30 local happens twice. A local time
        # means its first occurrence (RFC 5545 §3.3.5), so the second is written in UTC.
        ("2026-10-25T00:30:00Z", "20261025T013000"),
        ("2026-10-25T01:30:00Z", "20261025T013000Z"),
        ("2026-10-25T02:30:00Z", "20261025T023000"),
    ],
)
def test_dst_transitions_in_london(instant, written):
    utc = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    end = (utc + dt.timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    calendar = build(event(start=instant, end=end))
    dtstart = the_event(calendar)["dtstart"]
    assert dtstart.to_ical().decode() == written
    if not written.endswith("Z"):
        # A calendar app reads the local time with the VTIMEZONE's own rules: the same instant.
        local = dt.datetime.strptime(written, "%Y%m%dT%H%M%S")
        assert local.replace(tzinfo=own_zone(calendar, "Europe/London")).astimezone(UTC) == utc


def test_utc_events_are_written_in_utc_without_a_vtimezone():
    calendar = build(event(tzid="Etc/UTC"))
    assert the_event(calendar)["dtstart"].to_ical().decode() == "20261201T150000Z"
    assert calendar.walk("VTIMEZONE") == []


def test_all_day_events_are_dates_with_an_exclusive_end():
    vevent = the_event(build(event(start="2026-12-01", end="2026-12-03")))
    assert vevent["dtstart"].params.get("VALUE") == "DATE" and vevent.decoded("dtstart") == dt.date(2026, 12, 1)
    assert vevent.decoded("dtend") == dt.date(2026, 12, 3)


def test_different_start_and_end_zones_each_get_a_vtimezone():
    calendar = build(event(tzid="Europe/London", end_tzid="America/New_York", end="2026-12-01T23:00:00Z"))
    assert {str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")} == {"Europe/London", "America/New_York"}


def test_cancelling_the_whole_event():
    vevent = the_event(build(event(sequence=2, deleted=True), method="CANCEL"))
    assert str(vevent["status"]) == "CANCELLED" and int(vevent["sequence"]) == 2
    assert len(vevent["attendee"]) == 2
    assert all("RSVP" not in a.params for a in vevent["attendee"])


def test_uninviting_one_attendee_names_only_them_and_carries_no_status():
    calendar = build(event(sequence=1), method="CANCEL", attendees=[BOB], whole_event=False)
    vevent = the_event(calendar)
    assert str(calendar["method"]) == "CANCEL" and "status" not in vevent
    assert str(vevent["attendee"]) == "mailto:bob@example.com"


def test_text_is_escaped_and_round_trips():
    summary = "Lunch; with Ada, Bob\\Carol and 日本"
    description = "Line one\nLine two, with; punctuation"
    vevent = the_event(build(event(summary=summary, description=description)))
    assert str(vevent["summary"]) == summary
    assert str(vevent["description"]) == description


def test_reminders_become_display_alarms_and_transparency_is_kept():
    vevent = the_event(build(event(reminders=[{"minutes": 10}, {"minutes": 0}], transparency="transparent")))
    triggers = sorted(alarm.decoded("trigger") for alarm in vevent.walk("VALARM"))
    assert triggers == [dt.timedelta(minutes=-10), dt.timedelta(0)]
    assert str(vevent["transp"]) == "TRANSPARENT"


def test_the_same_event_builds_the_same_bytes():
    """A retried job sends exactly what the failed attempt would have."""
    assert itip.build(event(), "REQUEST", ORGANIZER, [ADA]) == itip.build(event(), "REQUEST", ORGANIZER, [ADA])


def test_only_request_and_cancel_are_sent():
    with pytest.raises(ValueError):
        itip.build(event(), "REPLY", ORGANIZER, [ADA])


def a_reply(attendees="ATTENDEE;PARTSTAT=DECLINED:mailto:Ada@Example.com\r\n", method="REPLY", extra="SEQUENCE:2\r\n"):
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
        f"METHOD:{method}\r\nBEGIN:VEVENT\r\nUID:evt_0123@calgate\r\n{extra}"
        "DTSTAMP:20261121T100000Z\r\n"
        f"{attendees}END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_reading_a_reply():
    [answer] = itip.parse_reply(a_reply())
    assert answer == itip.Reply(uid="evt_0123@calgate", sequence=2, attendee="ada@example.com", partstat="DECLINED")
    assert answer.answer == "declined"


@pytest.mark.parametrize("partstat, answer", [("ACCEPTED", "accepted"), ("TENTATIVE", "tentative"), ("DECLINED", "declined"), ("DELEGATED", None), ("NEEDS-ACTION", None)])
def test_partstats_map_to_cronofy_answers(partstat, answer):
    [reply] = itip.parse_reply(a_reply(attendees=f"ATTENDEE;PARTSTAT={partstat}:mailto:ada@example.com\r\n"))
    assert reply.answer == answer


def test_a_reply_without_sequence_answers_sequence_zero():
    [reply] = itip.parse_reply(a_reply(extra=""))
    assert reply.sequence == 0


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is not a calendar",
        b"\xff\xfe\x00garbage",
        a_reply(method="REQUEST"),
        a_reply(method="COUNTER"),
        a_reply(attendees=""),
        a_reply(extra="SEQUENCE:two\r\n"),
        a_reply().replace(b"UID:evt_0123@calgate\r\n", b""),
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n",
    ],
)
def test_what_is_not_a_readable_reply_raises_itip_error(data):
    with pytest.raises(itip.ItipError):
        itip.parse_reply(data)
