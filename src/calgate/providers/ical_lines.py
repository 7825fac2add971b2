# SPDX-License-Identifier: Apache-2.0
"""Narrowing an iCalendar resource's content lines (RFC 5545 §3.1) to what calgate reads, before
icalendar parses it: parsing is most of a sync's work, and real calendars' events carry many
properties calgate never reads (DTSTAMP, CREATED, X-…, VALARM).

``narrowed`` keeps, inside VEVENT, VTODO and VJOURNAL, only the properties named in ``read``
(``READ``; ``BUSY_READ`` leaves out summary, description, location and URL, so free/busy
reading never even parses them), VTIMEZONE whole, and the calendar's own properties but VERSION
and PRODID; alarms and other nested components are dropped.
"""

from __future__ import annotations

# The properties of an event that are read: its time, recurrence (SEQUENCE orders overrides
# for the expander), busy-ness, and, for read_resource only, its texts.
BUSY_READ = frozenset(
    b"UID DTSTART DTEND DURATION RRULE RDATE EXDATE EXRULE RECURRENCE-ID SEQUENCE TRANSP STATUS ATTENDEE ORGANIZER".split()
)
READ = BUSY_READ | {b"SUMMARY", b"DESCRIPTION", b"LOCATION", b"URL"}
_ITEMS = frozenset({b"VEVENT", b"VTODO", b"VJOURNAL"})
_UNREAD_CALENDAR_PROPERTIES = frozenset({b"VERSION", b"PRODID"})


def narrowed(ical: bytes, read: frozenset[bytes]) -> bytes:
    """``ical`` with only the content lines that are read (see the module docstring).
    A folded line (RFC 5545 §3.1: its continuations start with a space or tab) is kept or
    dropped whole; anything unreadable is left for the parser to judge."""
    kept: list[bytes] = []
    path: list[bytes] = []  # the open components, outermost first
    keep = True
    for line in ical.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].split(b";", 1)[0].strip().upper()
        if name in (b"BEGIN", b"END"):
            component = line.partition(b":")[2].strip().upper()
            inside = path[1:2] == [b"VTIMEZONE"] or len(path) + (name == b"BEGIN") <= 2
            if name == b"BEGIN":
                path.append(component)
            elif path:
                path.pop()
            keep = inside
        elif not path:
            keep = True  # nothing outside VCALENDAR: let the parser refuse it
        elif len(path) == 1:
            keep = name not in _UNREAD_CALENDAR_PROPERTIES
        elif path[1] == b"VTIMEZONE":
            keep = True
        else:
            keep = len(path) == 2 and path[1] in _ITEMS and name in read
        if keep:
            kept.append(line)
    return b"\n".join(kept)
