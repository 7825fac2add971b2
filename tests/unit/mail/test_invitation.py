"""The iMIP message of one send_invite job (mail/invitation.py), from a payload as
domain/invites.py queues it. Plain objects: no database, no network."""

import datetime as dt
from email import message_from_bytes
from email.policy import default as default_policy

import icalendar
import pytest

from calgate.domain import events, model
from calgate.domain.invites import Invitation
from calgate.mail.invitation import compose_invitation, when
from calgate.mail.message import APPLICATION_HEADER

UTC = dt.timezone.utc
STAMP = dt.datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ORGANIZER = "calendar@calgate.test"
ADA = {"email": "ada@example.com", "display_name": "Ada Lovelace"}
BOB = {"email": "bob@example.com", "display_name": "Bob", "status": "needs_action"}


def payload(method="REQUEST", to=ADA, sequence=0, deleted=False, start="2026-12-01T15:00:00Z", end="2026-12-01T16:00:00Z", tzid="Europe/London", **fields):
    event = model.Event(
        id="evt_0123", calendar_id="cal_1", account_id="acc_1", application_id="app_1", event_id="interview-1",
        summary="Interview <round 2>", start={"time": start, "tzid": tzid}, end={"time": end, "tzid": tzid},
        start_at=STAMP, end_at=STAMP, created_at=STAMP, updated_at=STAMP, sequence=sequence, deleted=deleted,
        description="Bring your CV", location={"description": "Room 1"}, attendees=[BOB], **fields,
    )
    return {
        "event": events.snapshot(event), "method": method, "application_id": "app_1",
        "application_name": "Acme Scheduling", "person": ADA, "to": to,
    }


def composed(data, key="job_abc"):
    """Composed and read back as a receiving mail client would."""
    message = compose_invitation(data, ORGANIZER, key)
    return message_from_bytes(bytes(message), policy=default_policy)


def test_the_mime_structure_follows_rfc_6047():
    message = composed(payload())
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    calendar = alternative.get_payload()[2]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content_charset() == "utf-8"
    assert attachment.get_filename() == "invite.ics" and attachment.get_content_disposition() == "attachment"
    # The text part's line ends are the transport's (CRLF on the wire); the file keeps CRLF.
    assert attachment.get_payload(decode=True) == calendar.get_payload(decode=True).replace(b"\n", b"\r\n")
    parsed = icalendar.Calendar.from_ical(calendar.get_payload(decode=True))
    assert str(parsed["method"]) == "REQUEST"


def test_headers():
    message = composed(payload(), key="job_abc")
    assert message["Message-ID"] == "<job_abc@calgate.test>"
    assert message["From"].addresses[0].addr_spec == ORGANIZER
    assert message["From"].addresses[0].display_name == "Acme Scheduling"
    assert message["To"] == "Ada Lovelace <ada@example.com>"
    assert message[APPLICATION_HEADER] == "app_1"


@pytest.mark.parametrize(
    "method, sequence, deleted, subject",
    [
        ("REQUEST", 0, False, "Invitation: Interview <round 2> @ Tue 1 Dec 2026, 15:00 - 16:00 (GMT)"),
        ("REQUEST", 1, False, "Updated invitation: Interview <round 2> @ Tue 1 Dec 2026, 15:00 - 16:00 (GMT)"),
        ("CANCEL", 2, True, "Cancelled: Interview <round 2> @ Tue 1 Dec 2026, 15:00 - 16:00 (GMT)"),
    ],
)
def test_subjects(method, sequence, deleted, subject):
    # strip(): a subject too long for the first line is folded whole onto the next, and
    # Python's parser (unlike mail clients) keeps the folding space.
    assert composed(payload(method, sequence=sequence, deleted=deleted))["Subject"].strip() == subject


def test_both_bodies_say_what_when_and_where_in_the_events_zone():
    message = composed(payload(tzid="America/New_York"))
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    for body in (text, html):
        assert "10:00" in body and "11:00" in body and "America/New_York" in body  # 15:00Z is 10:00 EST
        assert "Room 1" in body and "Bring your CV" in body
    assert "Interview <round 2>" in text
    assert "Interview &lt;round 2&gt;" in html and "<round 2>" not in html


@pytest.mark.parametrize(
    "start, end, tzid, expected",
    [
        ("2026-12-01T15:00:00Z", "2026-12-01T16:00:00Z", "Europe/London", "Tue 1 Dec 2026, 15:00 – 16:00 (Europe/London, GMT)"),
        ("2026-07-01T15:00:00Z", "2026-07-01T16:00:00Z", "Europe/London", "Wed 1 Jul 2026, 16:00 – 17:00 (Europe/London, BST)"),
        ("2026-12-01T23:00:00Z", "2026-12-02T01:00:00Z", "Etc/UTC", "Tue 1 Dec 2026, 23:00 – Wed 2 Dec 2026, 01:00 (Etc/UTC)"),
        ("2026-12-01", "2026-12-02", "Europe/London", "Tue 1 Dec 2026 (all day)"),
        ("2026-12-01", "2026-12-04", "Europe/London", "Tue 1 Dec 2026 – Thu 3 Dec 2026 (all day)"),
    ],
)
def test_when(start, end, tzid, expected):
    invitation = Invitation.from_payload(payload(start=start, end=end, tzid=tzid))
    assert when(invitation.event) == expected


def test_everyone_is_an_attendee_of_a_request_and_the_person_answers_with_their_status():
    invitation = Invitation.from_payload(payload(to=BOB, participation_status="tentative"))
    assert [(a.email, a.status) for a in invitation.attendees()] == [
        ("ada@example.com", "tentative"),
        ("bob@example.com", "needs_action"),
    ]


def test_a_removed_attendee_gets_an_uninvite_naming_only_them():
    carol = {"email": "carol@example.com", "display_name": "Carol", "status": "accepted"}
    message = composed(payload("CANCEL", to=carol, sequence=1))
    assert message["Subject"].strip().startswith("Cancelled: ")
    assert "no longer invited" in message.get_body(preferencelist=("plain",)).get_content()
    [vevent] = icalendar.Calendar.from_ical(
        next(p for p in message.walk() if p.get_content_type() == "text/calendar").get_payload(decode=True)
    ).walk("VEVENT")
    assert str(vevent["attendee"]) == "mailto:carol@example.com" and "status" not in vevent


def test_a_retry_composes_the_same_calendar_object():
    first, second = composed(payload()), composed(payload())
    calendar = [
        next(p for p in m.walk() if p.get_content_type() == "text/calendar").get_payload(decode=True) for m in (first, second)
    ]
    assert calendar[0] == calendar[1]
