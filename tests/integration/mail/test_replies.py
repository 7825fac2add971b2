"""Replies by email (mail/inbound.py): a calendar app answers an invitation with an iTIP
REPLY over SMTP to calgate's receiver on loopback, and the event's answers change. Forged,
stale, unknown and unreadable mail is dropped and the receiver keeps going."""

import logging
import smtplib
from email.message import EmailMessage

import httpx
import pytest

from calgate.mail.inbound import InboundServer
from tests.integration.mail._events import upsert
from tests.support.itip import calendar_part, reply, reply_mail, send_smtp
from tests.support.mail import mail_to, wait_for_mail
from tests.support.server import free_port

BOB = "bob@example.com"


@pytest.fixture
def inbound(calgate):
    server = InboundServer(calgate.services.uow, calgate.settings.organizer_email, "127.0.0.1", free_port()).start()
    try:
        yield server
    finally:
        server.stop()


def invited(calgate, person, to=None, **fields):
    """Upsert and return the invitation (bytes of its calendar part) that reached ``to``."""
    to = to or person.email
    before = len(mail_to(calgate.mail_dir, to))
    upsert(calgate, person, **fields)
    return calendar_part(wait_for_mail(calgate.mail_dir, to, skip=before))


def stored(calgate, person, event_id="interview-1"):
    with calgate.services.uow() as uow:
        return uow.events.by_event_id(person.calendar_id, event_id)


def answer(calgate, inbound, invite, attendee, partstat, sender=None, **kwargs):
    message = reply_mail(reply(invite, attendee, partstat, **kwargs), sender or attendee, calgate.settings.organizer_email)
    send_smtp(inbound.port, message)


def read_events_status(calgate, person):
    """participation_status as Read Events shows the application its own event."""
    response = httpx.get(
        f"{calgate.url}/v1/events",
        params={"tzid": "Etc/UTC", "from": "2026-11-01", "to": "2027-01-01", "include_managed": "true"},
        headers=person.headers,
    )
    assert response.status_code == 200, response.text
    [event] = response.json()["events"]
    return event["participation_status"]


@pytest.mark.parametrize("partstat, status", [("DECLINED", "declined"), ("TENTATIVE", "tentative"), ("ACCEPTED", "accepted")])
def test_the_persons_reply_sets_the_participation_status(calgate, person, inbound, partstat, status):
    invite = invited(calgate, person)
    assert stored(calgate, person).participation_status == "needs_action"  # invited, not answered
    answer(calgate, inbound, invite, person.email, partstat)
    assert stored(calgate, person).participation_status == status
    assert read_events_status(calgate, person) == status


def test_an_attendees_reply_sets_their_status_and_is_no_change_of_content(calgate, person, inbound):
    invite = invited(calgate, person, to=BOB, attendees={"invite": [{"email": BOB, "display_name": "Bob"}]})
    answer(calgate, inbound, invite, BOB, "TENTATIVE")
    event = stored(calgate, person)
    assert [(a["email"], a["status"]) for a in event.attendees] == [(BOB, "tentative")]
    assert event.participation_status == "needs_action"  # the person's own answer is untouched

    before = len(mail_to(calgate.mail_dir, BOB))
    upsert(calgate, person, attendees={"invite": [{"email": BOB, "display_name": "Bob"}]})  # the same again
    calgate.services.jobs.run_until_idle()
    assert stored(calgate, person).sequence == 0 and len(mail_to(calgate.mail_dir, BOB)) == before


def test_a_reply_to_an_older_sequence_is_ignored(calgate, person, inbound):
    first = invited(calgate, person)
    invited(calgate, person, summary="Interview (moved)")
    answer(calgate, inbound, first, person.email, "DECLINED")  # answers SEQUENCE 0; the event is at 1
    assert stored(calgate, person).participation_status == "needs_action"


def test_forged_unknown_and_unreadable_mail_is_dropped_and_the_receiver_keeps_working(calgate, person, inbound, caplog):
    caplog.set_level(logging.INFO, logger="calgate.mail.inbound")
    invite = invited(calgate, person, attendees={"invite": [{"email": BOB}]})
    organizer = calgate.settings.organizer_email

    # Bob answers for Ada, and someone uninvited answers as Ada from their own address.
    answer(calgate, inbound, invite, person.email, "DECLINED", sender=BOB)
    answer(calgate, inbound, invite, "mallory@example.com", "DECLINED")
    # A UID calgate never sent, and a well-formed one of an event that does not exist.
    answer(calgate, inbound, invite, person.email, "DECLINED", uid="someone-else@example.org")
    answer(calgate, inbound, invite, person.email, "DECLINED", uid="evt_000000000000000000000000@calgate")
    # Garbage in a calendar part, a calendar that is no REPLY, and mail with no calendar at all.
    send_smtp(inbound.port, reply_mail(b"BEGIN:VCALENDAR\r\n\x00garbage", person.email, organizer))
    send_smtp(inbound.port, reply_mail(invite, person.email, organizer))  # METHOD:REQUEST
    plain = EmailMessage()
    plain["From"], plain["To"], plain["Subject"] = person.email, organizer, "Thanks!"
    plain.set_content("See you there.")
    send_smtp(inbound.port, plain)
    # Not even a MIME message.
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as client:
        client.sendmail(person.email, [organizer], b"\xff\xfe\x00 not mail at all \r\n.\r\n")

    event = stored(calgate, person)
    assert event.participation_status == "needs_action"
    assert [a.get("status") for a in event.attendees] == ["needs_action"]
    outcomes = [r.getMessage() for r in caplog.records if r.name == "calgate.mail.inbound"]
    assert sum(": forged" in m for m in outcomes) == 2
    assert sum(": unknown_event" in m for m in outcomes) == 2
    assert any("not an iCalendar object" in m for m in outcomes)
    assert any("not REPLY" in m for m in outcomes)
    assert any("no calendar part" in m for m in outcomes)

    answer(calgate, inbound, invite, person.email, "DECLINED")  # still listening, still applying
    assert stored(calgate, person).participation_status == "declined"


def test_mail_for_anyone_but_the_organizer_is_refused(calgate, person, inbound):
    invite = invited(calgate, person)
    message = reply_mail(reply(invite, person.email, "DECLINED"), person.email, "someone@calgate.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_smtp(inbound.port, message)
    assert refused.value.recipients["someone@calgate.test"][0] == 550
    assert stored(calgate, person).participation_status == "needs_action"
