# SPDX-License-Identifier: Apache-2.0
"""iTIP messages (RFC 5546) as iCalendar objects (RFC 5545), built and read with ``icalendar``.

calgate is always the ORGANIZER of the events it sends. It writes:

- **REQUEST** (RFC 5546 §3.2.2): a new event, or a new version of it (same UID, higher SEQUENCE);
- **CANCEL** (§3.2.5): the whole event (STATUS:CANCELLED, every attendee listed) or, for
  attendees who were removed, an "uninvite" naming only them and carrying no STATUS;

and it reads **REPLY** (§3.2.3): one attendee's PARTSTAT for one UID and SEQUENCE.

Pure: no I/O and no clock; DTSTAMP is the event's last change (``updated_at``), so a retried
message is byte-for-byte the one that failed. The VEVENT itself is ``domain/ical_resource.py``'s,
shared with the CalDAV resource writer: times keep the event's zone (TZID and a VTIMEZONE from
the IANA data), UTC zones are written as UTC (``Z``) and all-day events as ``VALUE=DATE``
with an exclusive DTEND.
"""

from __future__ import annotations

from dataclasses import dataclass

import icalendar

from calgate.domain import ical_resource, model

PRODID = "-//calgate//calgate invitations 1.0//EN"
REQUEST, CANCEL, REPLY = "REQUEST", "CANCEL", "REPLY"
METHODS = (REQUEST, CANCEL)
# Cronofy's words for an answer and iCalendar's PARTSTAT (RFC 5545 §3.2.12).
PARTSTATS = ical_resource.PARTSTATS
# Answers a REPLY can give that calgate records (DELEGATED and the like are not answers).
ANSWERS = {"ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined"}


class ItipError(ValueError):
    """Data that is not an iTIP message calgate can read."""


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str | None = None
    status: str = "needs_action"  # a key of PARTSTATS


@dataclass(frozen=True)
class Reply:
    """One attendee's answer, as a REPLY's VEVENT states it."""

    uid: str
    sequence: int
    attendee: str  # the address, lower case, without "mailto:"
    partstat: str  # as sent, upper case

    @property
    def answer(self) -> str | None:
        """accepted, tentative or declined; None for anything else (NEEDS-ACTION, DELEGATED…)."""
        return ANSWERS.get(self.partstat)


def build(
    event: model.Event,
    method: str,
    organizer: str,
    attendees: list[Attendee],
    *,
    organizer_name: str | None = None,
    whole_event: bool = True,
) -> bytes:
    """The iCalendar object of one iTIP message about ``event``.

    ``attendees`` are the ATTENDEE lines: everyone for a REQUEST or a whole-event CANCEL, only
    the removed attendees for an uninvite (``whole_event=False``).
    """
    if method not in METHODS:
        raise ValueError(f"calgate sends REQUEST or CANCEL, not {method!r}")
    addresses = []
    for person in attendees:
        params = {"CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": PARTSTATS.get(person.status, "NEEDS-ACTION")}
        if method == REQUEST:
            params["RSVP"] = "TRUE"
        addresses.append(ical_resource.address(person.email, person.name, **params))
    if method == REQUEST:
        status: str | None = "CONFIRMED"
    else:
        status = "CANCELLED" if whole_event else None  # an uninvite carries no STATUS (§3.2.5)
    vevent = ical_resource.vevent(
        event,
        organizer=ical_resource.address(organizer, organizer_name),
        attendees=addresses,
        status=status,
        alarms=method == REQUEST,
    )
    return ical_resource.serialize(vevent, prodid=PRODID, method=method)


def _email(address: object) -> str:
    text = str(address).strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:"):]
    return text.strip().lower()


def parse_reply(data: bytes | str) -> list[Reply]:
    """The answers in a METHOD:REPLY object: one per VEVENT and ATTENDEE.

    Raises ``ItipError`` for anything that does not parse, is not a REPLY, or has a VEVENT
    without UID or ATTENDEE or with a SEQUENCE that is not a number.
    """
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises ValueError, and worse on some garbage
        raise ItipError(f"not an iCalendar object: {exc}") from None
    method = str(calendar.get("method", "")).strip().upper()
    if method != REPLY:
        raise ItipError(f"METHOD is {method or 'missing'}, not REPLY")
    replies: list[Reply] = []
    for vevent in calendar.walk("VEVENT"):
        uid = str(vevent.get("uid", "")).strip()
        if not uid:
            raise ItipError("a VEVENT has no UID")
        raw_sequence = vevent.get("sequence", 0)
        try:
            sequence = int(str(raw_sequence))
        except ValueError:
            raise ItipError(f"SEQUENCE {raw_sequence!s} is not a number") from None
        found = vevent.get("attendee")
        addresses = found if isinstance(found, list) else [found] if found is not None else []
        if not addresses:
            raise ItipError(f"the REPLY for {uid} names no ATTENDEE")
        for address in addresses:
            partstat = str(getattr(address, "params", {}).get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
            replies.append(Reply(uid=uid, sequence=sequence, attendee=_email(address), partstat=partstat))
    if not replies:
        raise ItipError("the REPLY has no VEVENT")
    return replies
