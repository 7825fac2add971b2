"""A managed event as a CalDAV calendar object resource (domain/ical_resource.py), read back with
icalendar and with calgate's own reader. Plain objects."""

import datetime as dt

import icalendar
import pytest

from calgate.domain import model
from calgate.domain.calendar_sources import EventTimeValue
from calgate.domain.ical_resource import calendar_resource
from calgate.providers.ical_reader import read_resource

UTC = dt.timezone.utc
CREATED = dt.datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
UPDATED = dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
WINDOW = (dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2028, 1, 1, tzinfo=UTC))


def event(start="2026-12-01T15:00:00Z", end="2026-12-01T16:00:00Z", tzid="Europe/London", end_tzid=None, **fields):
    values = dict(
        id="evt_0123", calendar_id="cal_1", account_id="acc_1", application_id="app_1", event_id="interview-1",
        summary="Interview", start={"time": start, "tzid": tzid}, end={"time": end, "tzid": end_tzid or tzid},
        start_at=UPDATED, end_at=UPDATED, created_at=CREATED, updated_at=UPDATED,
    )
    values.update(fields)
    return model.Event(**values)


def parsed(evt, organizer_email=None):
    return icalendar.Calendar.from_ical(calendar_resource(evt, organizer_email))


def the_event(calendar):
    [vevent] = calendar.walk("VEVENT")
    return vevent


def test_a_resource_is_one_vcalendar_without_method():
    evt = event(
        sequence=4, description="Bring your CV", url="https://acme.example/i/1", reminders=[{"minutes": 10}],
        location={"description": "Room 1", "lat": "51.5072", "long": "-0.1276"},
    )
    calendar = parsed(evt)
    assert "METHOD" not in calendar
    assert str(calendar["version"]) == "2.0" and "calgate" in str(calendar["prodid"])
    vevent = the_event(calendar)
    assert str(vevent["uid"]) == "evt_0123@calgate" and int(vevent["sequence"]) == 4
    assert vevent.decoded("dtstamp") == UPDATED and vevent.decoded("last-modified") == UPDATED
    assert vevent.decoded("created") == CREATED
    assert str(vevent["summary"]) == "Interview" and str(vevent["description"]) == "Bring your CV"
    assert str(vevent["location"]) == "Room 1" and str(vevent["url"]) == "https://acme.example/i/1"
    assert (vevent["geo"].latitude, vevent["geo"].longitude) == (51.5072, -0.1276)
    assert str(vevent["status"]) == "CONFIRMED" and str(vevent["transp"]) == "OPAQUE"
    [alarm] = vevent.walk("VALARM")
    assert str(alarm["action"]) == "DISPLAY" and alarm.decoded("trigger") == dt.timedelta(minutes=-10)
    assert "organizer" not in vevent and "attendee" not in vevent


def test_a_synced_event_keeps_its_remote_uid_and_transparency():
    vevent = the_event(parsed(event(remote_uid="6C1F7A2E@icloud.example", transparency="transparent")))
    assert str(vevent["uid"]) == "6C1F7A2E@icloud.example"
    assert str(vevent["transp"]) == "TRANSPARENT"


def test_a_london_event_carries_its_vtimezone_and_local_times():
    calendar = parsed(event(start="2026-07-01T15:00:00Z", end="2026-07-01T16:00:00Z"))
    [vtimezone] = calendar.walk("VTIMEZONE")
    assert str(vtimezone["tzid"]) == "Europe/London"
    vevent = the_event(calendar)
    assert vevent["dtstart"].params["TZID"] == "Europe/London"
    assert vevent["dtstart"].to_ical().decode() == "20260701T160000"  # BST
    own_zone = vtimezone.to_tz(lookup_tzid=False)
    assert dt.datetime(2026, 7, 1, 16, 0, tzinfo=own_zone).astimezone(UTC) == dt.datetime(2026, 7, 1, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "tzid, end_tzid",
    [("Europe/London", None), ("America/New_York", None), ("Asia/Kolkata", None), ("Europe/London", "America/New_York")],
)
def test_round_trip_through_the_reader_gives_the_same_times(tzid, end_tzid):
    evt = event(start="2026-03-29T00:30:00Z", end="2026-03-29T02:15:00Z", tzid=tzid, end_tzid=end_tzid)
    uid, [occurrence] = read_resource(calendar_resource(evt), *WINDOW, set())
    assert uid == evt.ical_uid and occurrence.recurrence_id is None
    assert occurrence.start == EventTimeValue("2026-03-29T00:30:00Z", tzid)
    assert occurrence.end == EventTimeValue("2026-03-29T02:15:00Z", end_tzid or tzid)
    assert occurrence.start_at == dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert occurrence.end_at == dt.datetime(2026, 3, 29, 2, 15, tzinfo=UTC)
    assert (occurrence.summary, occurrence.status, occurrence.transparency) == ("Interview", "confirmed", "opaque")


def test_the_second_of_two_equal_local_times_round_trips_in_utc():
    """London falls back at 01:00 UTC on 25 October 2026: 01:30 local happens twice."""
    evt = event(start="2026-10-25T01:30:00Z", end="2026-10-25T02:30:00Z")
    assert the_event(parsed(evt))["dtstart"].to_ical().decode() == "20261025T013000Z"
    _, [occurrence] = read_resource(calendar_resource(evt), *WINDOW, set())
    assert occurrence.start_at == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


def test_utc_events_are_written_in_utc_without_a_vtimezone():
    calendar = parsed(event(tzid="Etc/UTC"))
    assert the_event(calendar)["dtstart"].to_ical().decode() == "20261201T150000Z"
    assert calendar.walk("VTIMEZONE") == []
    _, [occurrence] = read_resource(calendar_resource(event(tzid="Etc/UTC")), *WINDOW, set())
    assert occurrence.start == EventTimeValue("2026-12-01T15:00:00Z", "Etc/UTC")


def test_all_day_events_are_dates_and_round_trip():
    evt = event(start="2026-12-01", end="2026-12-03")
    vevent = the_event(parsed(evt))
    assert vevent["dtstart"].params.get("VALUE") == "DATE" and vevent.decoded("dtstart") == dt.date(2026, 12, 1)
    assert vevent["dtend"].params.get("VALUE") == "DATE" and vevent.decoded("dtend") == dt.date(2026, 12, 3)
    _, [occurrence] = read_resource(calendar_resource(evt), *WINDOW, set())
    assert (occurrence.start.time, occurrence.end.time) == ("2026-12-01", "2026-12-03")
    assert occurrence.start_at == dt.datetime(2026, 12, 1, tzinfo=UTC)


def test_attendees_are_written_only_with_an_organizer():
    attendees = [
        {"email": "ada@example.com", "display_name": "Ada Lovelace", "status": "accepted"},
        {"email": "bob@example.com", "status": "needs_action"},
    ]
    assert "attendee" not in the_event(parsed(event(attendees=attendees)))
    vevent = the_event(parsed(event(attendees=attendees), "calendar@calgate.test"))
    assert str(vevent["organizer"]) == "mailto:calendar@calgate.test"
    written = {str(a): a.params for a in vevent["attendee"]}
    assert written["mailto:ada@example.com"]["PARTSTAT"] == "ACCEPTED" and written["mailto:ada@example.com"]["CN"] == "Ada Lovelace"
    assert written["mailto:bob@example.com"]["PARTSTAT"] == "NEEDS-ACTION"
    # calgate sends its own invitations: a scheduling server must not send them again.
    assert all(params["SCHEDULE-AGENT"] == "CLIENT" for params in written.values())
    assert "organizer" not in the_event(parsed(event(), "calendar@calgate.test"))  # no attendees, no organizer
    _, [occurrence] = read_resource(calendar_resource(event(attendees=attendees), "calendar@calgate.test"), *WINDOW, {"ada@example.com"})
    assert occurrence.organizer_email == "calendar@calgate.test" and occurrence.participation_status == "accepted"
    assert occurrence.attendees == [
        {"email": "ada@example.com", "display_name": "Ada Lovelace", "status": "accepted"},
        {"email": "bob@example.com", "status": "needs_action"},
    ]


def test_the_same_event_gives_the_same_bytes():
    assert calendar_resource(event()) == calendar_resource(event())
