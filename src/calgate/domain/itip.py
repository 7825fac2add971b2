# SPDX-License-Identifier: Apache-2.0
"""iTIP messages (RFC 5546) as iCalendar objects (RFC 5545), built and read with ``icalendar``.

calgate is always the ORGANIZER of the events it sends. It writes:

- **REQUEST** (RFC 5546 §3.2.2): a new event, or a new version of it (same UID, higher SEQUENCE);
- **CANCEL** (§3.2.5): the whole event (STATUS:CANCELLED, every attendee listed) or, for
  attendees who were removed, an "uninvite" naming only them and carrying no STATUS;

and it reads **REPLY** (§3.2.3): one attendee's PARTSTAT for one UID and SEQUENCE.

Pure: no I/O and no clock; DTSTAMP is the event's last change (``updated_at``), so a retried
message is byte-for-byte the one that failed. Times keep the event's zone: DTSTART/DTEND carry
TZID and the calendar a VTIMEZONE for it (§3.6.5 of RFC 5545), generated from the IANA data
for the years around the event; UTC zones are written as UTC (``Z``) and all-day events as
``VALUE=DATE`` with an exclusive DTEND.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar

from calgate.domain import model, times

PRODID = "-//calgate//calgate invitations 1.0//EN"
REQUEST, CANCEL, REPLY = "REQUEST", "CANCEL", "REPLY"
METHODS = (REQUEST, CANCEL)
# Cronofy's words for an answer and iCalendar's PARTSTAT (RFC 5545 §3.2.12).
PARTSTATS = {
    "needs_action": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "tentative": "TENTATIVE",
    "declined": "DECLINED",
}
# Answers a REPLY can give that calgate records (DELEGATED and the like are not answers).
ANSWERS = {"ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined"}
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/Zulu", "Etc/Universal", "UCT", "Zulu", "Universal"})


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


def _point(value: dict[str, str], field: str) -> dt.datetime | dt.date:
    """An event's start or end as iCalendar wants it: a date, or a time in its own zone."""
    point = times.parse_event_time(value, field, None)
    if point.all_day:
        return point.value
    assert isinstance(point.value, dt.datetime)
    local = point.value.astimezone(ZoneInfo(point.tzid))
    # A local time that happens twice (clocks going back) means its first occurrence
    # (RFC 5545 §3.3.5): the second one can only be written in UTC.
    ambiguous_second = local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()
    if point.tzid in _UTC_ZONES or ambiguous_second:
        return point.value.astimezone(dt.timezone.utc)
    return local


def _address(email: str, name: str | None, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = value
    return address


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
    start, end = _point(event.start, "start"), _point(event.end, "end")
    vevent = icalendar.Event()
    vevent.add("uid", event.ical_uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.updated_at.astimezone(dt.timezone.utc))
    vevent.add("created", event.created_at.astimezone(dt.timezone.utc))
    vevent.add("last-modified", event.updated_at.astimezone(dt.timezone.utc))
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    location = (event.location or {}).get("description")
    if location:
        vevent.add("location", location)
    geo = _geo(event.location or {})
    if geo is not None:
        vevent.add("geo", geo)
    if event.url:
        vevent.add("url", event.url)
    vevent.add("organizer", _address(organizer, organizer_name))
    for person in attendees:
        params = {"CUTYPE": "INDIVIDUAL", "ROLE": "REQ-PARTICIPANT", "PARTSTAT": PARTSTATS.get(person.status, "NEEDS-ACTION")}
        if method == REQUEST:
            params["RSVP"] = "TRUE"
        vevent.add("attendee", _address(person.email, person.name, **params))
    if method == REQUEST:
        vevent.add("status", "CONFIRMED")
    elif whole_event:
        vevent.add("status", "CANCELLED")  # an uninvite carries no STATUS (§3.2.5)
    vevent.add("transp", "TRANSPARENT" if event.transparency == "transparent" else "OPAQUE")
    if method == REQUEST:
        for reminder in event.reminders:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", event.summary)
            alarm.add("trigger", -dt.timedelta(minutes=int(reminder["minutes"])))
            vevent.add_component(alarm)

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(vevent)
    # VTIMEZONEs go first (add_missing_timezones inserts them) and cover a year either side.
    first = min(_date(start), _date(end)) - dt.timedelta(days=366)
    last = max(_date(start), _date(end)) + dt.timedelta(days=366)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return bytes(calendar.to_ical())


def _date(point: dt.datetime | dt.date) -> dt.date:
    return point.date() if isinstance(point, dt.datetime) else point


def _geo(location: dict[str, str]) -> tuple[float, float] | None:
    try:
        lat, lon = float(location["lat"]), float(location["long"])
    except (KeyError, ValueError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


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
