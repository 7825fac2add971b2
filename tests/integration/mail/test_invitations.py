"""Invitations by email, end to end: an application writes events over the API in No Access
mode, the job queue mails iMIP messages to the live server's mail folder, and a calendar
app (icalendar here) reads them."""

import pytest

from calgate.mail.message import APPLICATION_HEADER
from tests.integration.mail._events import delete, upsert
from tests.support.itip import parsed, vevent
from tests.support.mail import mail_to, wait_for_mail

BOB = "bob@example.com"


def next_mail(calgate, to, action):
    """Do ``action``, then return the message it caused to ``to``."""
    before = len(mail_to(calgate.mail_dir, to))
    action()
    return wait_for_mail(calgate.mail_dir, to, skip=before)


def event_uid(calgate, person, event_id="interview-1"):
    with calgate.services.uow() as uow:
        return uow.events.by_event_id(person.calendar_id, event_id).ical_uid


def test_create_update_cancel_share_one_uid_with_rising_sequence(calgate, person):
    created = next_mail(calgate, person.email, lambda: upsert(calgate, person))
    uid = event_uid(calgate, person)
    updated = next_mail(calgate, person.email, lambda: upsert(calgate, person, summary="Interview (moved)", start="2026-12-01T17:00:00Z", end="2026-12-01T18:00:00Z"))
    cancelled = next_mail(calgate, person.email, lambda: delete(calgate, person))

    seen = [(str(parsed(m)["method"]), str(vevent(m)["uid"]), int(vevent(m)["sequence"])) for m in (created, updated, cancelled)]
    assert seen == [("REQUEST", uid, 0), ("REQUEST", uid, 1), ("CANCEL", uid, 2)]
    # strip(): Python's parser keeps the space of a subject folded whole onto its second line.
    subjects = [m["Subject"].strip() for m in (created, updated, cancelled)]
    assert subjects[0] == "Invitation: Interview @ Tue 1 Dec 2026, 15:00 - 16:00 (GMT)"
    assert subjects[1] == "Updated invitation: Interview (moved) @ Tue 1 Dec 2026, 17:00 - 18:00 (GMT)"
    assert subjects[2] == "Cancelled: Interview (moved) @ Tue 1 Dec 2026, 17:00 - 18:00 (GMT)"
    assert str(vevent(cancelled)["status"]) == "CANCELLED"
    assert all(m["Message-ID"] != created["Message-ID"] for m in (updated, cancelled))
    assert created[APPLICATION_HEADER] == person.creds.application_id
    assert str(vevent(created)["organizer"]) == f"mailto:{calgate.settings.organizer_email}"
    [attendee] = [vevent(created)["attendee"]]
    assert str(attendee) == f"mailto:{person.email}" and attendee.params["RSVP"] == "TRUE"


@pytest.mark.parametrize("tzid, local", [("Europe/London", "15:00"), ("America/New_York", "10:00")])
def test_times_carry_the_events_zone_in_the_calendar_and_in_both_bodies(calgate, person, tzid, local):
    message = next_mail(calgate, person.email, lambda: upsert(calgate, person, tzid=tzid, summary="Coffee with Ada"))
    calendar = parsed(message)
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == [tzid]
    dtstart = vevent(message)["dtstart"]
    assert dtstart.params["TZID"] == tzid and dtstart.to_ical().decode() == f"20261201T{local.replace(':', '')}00"
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,)).get_content()
        assert "Coffee with Ada" in body and local in body and tzid in body, kind
    assert f"Coffee with Ada @ Tue 1 Dec 2026, {local} - " in message["Subject"]


def test_all_day_events_are_dates(calgate, person):
    message = next_mail(calgate, person.email, lambda: upsert(calgate, person, start="2026-12-24", end="2026-12-26"))
    event = vevent(message)
    assert event["dtstart"].to_ical() == b"20261224" and event["dtstart"].params["VALUE"] == "DATE"
    assert event["dtend"].to_ical() == b"20261226"
    assert "Thu 24 Dec 2026 – Fri 25 Dec 2026 (all day)" in message.get_body(preferencelist=("plain",)).get_content()


def test_attendees_are_invited_and_uninvited(calgate, person):
    invite = {"invite": [{"email": BOB, "display_name": "Bob"}]}
    to_bob = next_mail(calgate, BOB, lambda: upsert(calgate, person, attendees=invite))
    assert {str(a) for a in vevent(to_bob)["attendee"]} == {f"mailto:{person.email}", f"mailto:{BOB}"}
    assert to_bob["To"] == f"Bob <{BOB}>"

    before_ada = len(mail_to(calgate.mail_dir, person.email))
    removal = next_mail(calgate, BOB, lambda: upsert(calgate, person, attendees={"remove": [{"email": BOB}]}))
    assert str(parsed(removal)["method"]) == "CANCEL" and int(vevent(removal)["sequence"]) == 1
    assert str(vevent(removal)["attendee"]) == f"mailto:{BOB}" and "status" not in vevent(removal)
    to_ada = wait_for_mail(calgate.mail_dir, person.email, skip=before_ada)
    assert str(parsed(to_ada)["method"]) == "REQUEST"
    assert str(vevent(to_ada)["attendee"]) == f"mailto:{person.email}"  # Bob is gone
