# SPDX-License-Identifier: Apache-2.0
"""The other side of an invitation: read it as a calendar app does, and answer it.

``reply`` turns a received REQUEST into the REPLY a calendar app would send (RFC 5546
§3.2.3: the same UID and SEQUENCE, METHOD:REPLY, only the answering ATTENDEE); ``reply_mail``
wraps it as iMIP (RFC 6047) and ``send_smtp`` delivers it to calgate's receiver.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage, Message
from email.utils import formataddr, make_msgid

import icalendar


def calendar_part(message: Message) -> bytes:
    """The text/calendar part (the one calendar apps act on, not the attachment)."""
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in message.walk()]
    data = parts[0].get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def parsed(message: Message) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(calendar_part(message))


def vevent(message: Message) -> icalendar.Event:
    [event] = parsed(message).walk("VEVENT")
    return event


def reply(invite: bytes, attendee: str, partstat: str, *, sequence: int | None = None, uid: str | None = None) -> bytes:
    request = icalendar.Calendar.from_ical(invite)
    [original] = request.walk("VEVENT")
    answer = icalendar.Event()
    answer.add("uid", uid or str(original["uid"]))
    answer.add("sequence", int(original.get("sequence", 0)) if sequence is None else sequence)
    answer.add("dtstamp", original.decoded("dtstamp"))
    answer.add("dtstart", original.decoded("dtstart"))
    answer.add("organizer", original["organizer"])
    address = icalendar.vCalAddress(f"mailto:{attendee}")
    address.params["PARTSTAT"] = partstat
    answer.add("attendee", address)
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tests//a calendar app//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REPLY")
    calendar.add_component(answer)
    return bytes(calendar.to_ical())


def reply_mail(ics: bytes, sender: str, to: str, subject: str = "Accepted: Interview") -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr(("An Attendee", sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="client.test")
    message.set_content("This is my answer.\n")
    message.add_alternative(ics.decode("utf-8"), subtype="calendar", params={"method": "REPLY"})
    return message


def send_smtp(port: int, message: EmailMessage, *, sender: str | None = None, to: list[str] | None = None) -> None:
    """Deliver over SMTP to 127.0.0.1:port; raises smtplib errors as a sending server sees them."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message, from_addr=sender, to_addrs=to)
