# SPDX-License-Identifier: Apache-2.0
"""Reading iCalendar (RFC 5545) as any provider holds it: a CalDAV calendar object resource,
an .ics file, a CalDAV free-busy answer, turned into ``domain.calendar_sources`` values.

- ``read_resource``: one resource's UID and its occurrences in a window, recurrences
  expanded with ``recurring_ical_events`` (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides).
- ``busy_blocks``: the same resource reduced to busy and tentative time, nothing else.
- (``ical_freebusy.read_freebusy`` reads a VFREEBUSY, a CalDAV free-busy-query answer.)

**Times.** Every datetime produced is aware UTC; ``EventTimeValue.time`` is a wire Time in UTC
or, for all-day events, a Date (instants at midnight UTC, as calgate stores them); ``tzid``
is the IANA zone the TZID means (``ical_times``). A missing DTEND is DTSTART + DURATION, one
day for an all-day event, else zero length; an all-day event ending at or before its start
lasts one day.

**Recurrence ids.** An occurrence of a recurring resource (one with RRULE, RDATE or a
RECURRENCE-ID) carries its original start as ``recurrence_id``: a UTC wire Time, or a Date
for all-day series; a single event has None. Rules that repeat more often than hourly
(FREQ=SECONDLY/MINUTELY, several BYMINUTE or BYSECOND values) are refused as unreadable:
their expansion alone could stall a sync.

**Busy-ness (one rule).** ``ical_properties`` reads the owner's answer, status and
transparency of each occurrence; ``domain.busyness`` decides. Zero-length occurrences block
nothing. Blocks are clipped to the window.

**What is parsed.** A resource of the common shape (one VEVENT, zones the tables know, no
recurrence but a plain RRULE) is read by ``ical_fast`` and its series expanded by
``ical_series``, which give the values icalendar and the expander would (tests compare them);
any other is narrowed to the content lines these functions read (``ical_lines.narrowed``) and
parsed with icalendar. Either way ``busy_blocks`` never reads summary, description, location
or URL.

**Privacy.** ``busy_blocks`` returns start, end and status only, its events' texts are never
even parsed, and ``IcalError`` messages never quote the data (icalendar's own messages do, so
they are not passed on).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any, NamedTuple

import icalendar
import recurring_ical_events

from calgate.domain.calendar_sources import BusyBlock, EventTimeValue, RemoteOccurrence
from calgate.providers import ical_fast, ical_lines, ical_properties, ical_series, ical_times
from calgate.providers.ical_properties import Fields
from calgate.providers.ical_times import ETC_UTC, UTC

__all__ = ["IcalError", "busy_blocks", "check_window", "listed", "parse_calendar", "read_resource"]

_DAY = dt.timedelta(days=1)
_TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY"})
# What normalising a VEVENT records on it for its occurrences (recurring_ical_events copies
# them along with the rest): the tzid labels of DTSTART and DTEND, and how far a
# RANGE=THISANDFUTURE override moves the occurrences after it (seconds).
_START_TZID, _END_TZID, _SHIFT = "X-CALGATE-START-TZID", "X-CALGATE-END-TZID", "X-CALGATE-SHIFT"


class IcalError(ValueError):
    """Data that is not a readable VCALENDAR with one UID. The message quotes none of it."""


class _Hit(NamedTuple):
    """One occurrence in the window, before it becomes a value."""

    component: icalendar.Component | None  # the occurrence's VEVENT (a copy for recurrences); None from ical_fast
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    start_at: dt.datetime
    end_at: dt.datetime


def read_resource(
    ical: bytes, start: dt.datetime, end: dt.datetime, owner_emails: set[str], *, fast: bool = True
) -> tuple[str, list[RemoteOccurrence]]:
    """(UID, occurrences within [start, end)) of one calendar object resource (recurrences
    expanded). ``fast=False`` reads it with icalendar even when ``ical_fast`` could (the
    tests compare the two)."""
    check_window(start, end)
    event = ical_fast.event(ical, ical_lines.READ) if fast else None
    if event is not None:
        owners, fields = ical_properties.owners(owner_emails), _fast_fields(event)
        hits = _fast_hits(event, start, end)
        return event.uid, [_occurrence(event.uid, recurrence_id, hit, fields, owners) for hit, recurrence_id in hits]
    with _readable():
        uid, recurring, hits = _expand(ical_lines.narrowed(ical, ical_lines.READ), start, end)
        owners = ical_properties.owners(owner_emails)
        return uid, [
            _occurrence(uid, _recurrence_id(hit.component) if recurring else None, hit, _fields(hit.component), owners)
            for hit in hits
        ]


def busy_blocks(
    ical: bytes, start: dt.datetime, end: dt.datetime, owner_emails: set[str], *, fast: bool = True
) -> list[BusyBlock]:
    """The busy/tentative time of one calendar object resource within [start, end); nothing
    else (free_busy fallback). ``fast`` as for ``read_resource``."""
    check_window(start, end)
    event = ical_fast.event(ical, ical_lines.BUSY_READ) if fast else None
    if event is not None:
        hits = [hit for hit, _ in _fast_hits(event, start, end)]
        owners = ical_properties.owners(owner_emails)
        statuses = [ical_properties.busy_status(_fast_fields(event), owners) for _ in hits]
    else:
        with _readable():
            _, _, hits = _expand(ical_lines.narrowed(ical, ical_lines.BUSY_READ), start, end)
            owners = ical_properties.owners(owner_emails)
            statuses = [ical_properties.busy_status(_fields(hit.component), owners) for hit in hits]
    blocks = []
    for hit, status in zip(hits, statuses):
        block_start, block_end = max(hit.start_at, start), min(hit.end_at, end)
        if status is not None and block_start < block_end:
            blocks.append(BusyBlock(start=block_start, end=block_end, status=status))
    return blocks


# --- reading one resource ----------------------------------------------------------------


@contextlib.contextmanager
def _readable() -> Iterator[None]:
    """icalendar's error for an unparsable value quotes it: raise one that does not."""
    try:
        yield
    except icalendar.BrokenCalendarProperty:
        raise IcalError("a property of the event is not readable") from None


def _expand(ical: bytes, start: dt.datetime, end: dt.datetime) -> tuple[str, bool, list[_Hit]]:
    """The resource's UID, whether it is recurring, and its occurrences overlapping
    [start, end) sorted by start."""
    check_window(start, end)
    calendar = parse_calendar(ical)
    uid, vevents = _components(calendar)
    if not vevents:
        return uid, False, []
    zones = {str(zone["TZID"]): zone for zone in calendar.walk("VTIMEZONE") if "TZID" in zone}
    for vevent in vevents:
        _normalize(vevent, zones)
    recurring = any(name in vevent for vevent in vevents for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    if len(vevents) == 1 and not recurring and "EXDATE" not in vevents[0]:
        candidates: list[icalendar.Component] = vevents  # the common case, without the expander
    else:
        _check_rules(vevents)
        try:
            # A day either side, then the exact test below: whatever the expander makes of
            # dates and floating times, nothing that overlaps in UTC is missed.
            query = recurring_ical_events.of(calendar, keep_recurrence_attributes=False)
            candidates = query.between(start - _DAY, end + _DAY)
        except Exception:  # the expander raises many kinds on bad rules and values
            raise IcalError("the recurrence of the event could not be expanded") from None
    hits = [hit for hit in (_hit(component, *_span(component), start, end) for component in candidates) if hit is not None]
    hits.sort(key=lambda hit: (hit.start_at, hit.end_at))
    return uid, recurring, hits


def _fast_hits(event: ical_fast.Event, start: dt.datetime, end: dt.datetime) -> list[tuple[_Hit, str | None]]:
    """The occurrences of a resource ``ical_fast`` read that overlap [start, end), sorted by
    start, with their recurrence ids: as ``_expand`` finds them."""
    if event.rule is None:
        hit = _hit(None, *_bounds(event.start, event.end, event.duration), start, end)
        return [] if hit is None else [(hit, None)]
    first = ical_series.series_end(event.start, event.end, event.duration)
    hits = []
    for moment, finish in ical_series.occurrences(event.start, first, event.rule, start, end):
        hit = _hit(None, *_bounds(moment, finish, None), start, end)
        if hit is not None:
            hits.append((hit, ical_times.wire(moment)))
    hits.sort(key=lambda pair: (pair[0].start_at, pair[0].end_at))
    return hits


def _hit(
    component: icalendar.Component | None, first: dt.date, last: dt.date, start: dt.datetime, end: dt.datetime
) -> _Hit | None:
    """The occurrence from ``first`` to ``last`` if it overlaps [start, end) (a zero-length one: starts in it)."""
    start_at, end_at = ical_times.instant(first), ical_times.instant(last)
    if start_at == end_at:
        inside = start <= start_at < end
    else:
        inside = start_at < end and end_at > start
    return _Hit(component, first, last, start_at, end_at) if inside else None


def check_window(start: dt.datetime, end: dt.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")


def parse_calendar(ical: bytes) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(ical)
    except Exception:  # icalendar raises ValueError, and worse on some garbage; its messages quote the data
        raise IcalError("not an iCalendar object") from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise IcalError("not a VCALENDAR")
    return calendar


def _components(calendar: icalendar.Calendar) -> tuple[str, list[icalendar.Component]]:
    """The one UID of the resource and its VEVENTs (none for a VTODO or VJOURNAL)."""
    items = [c for c in calendar.subcomponents if c.name in ("VEVENT", "VTODO", "VJOURNAL")]
    uids = {str(c.get("UID", "")).strip() for c in items}
    if not items or "" in uids:
        raise IcalError("the calendar has no component with a UID")
    if len(uids) != 1:
        raise IcalError(f"the calendar holds {len(uids)} UIDs, not one")
    return uids.pop(), [c for c in items if c.name == "VEVENT"]


def _normalize(vevent: icalendar.Component, zones: dict[str, icalendar.Component]) -> None:
    """Give every date-time of ``vevent`` its real zone (see the module's Times), in place,
    and record its tzid labels; raise IcalError for times that did not parse."""
    for name in (_START_TZID, _END_TZID, _SHIFT):  # only ever calgate's own notes
        vevent.pop(name, None)
    labels = {}
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID"):
        prop = vevent.get(name)
        if prop is None:
            continue
        value = None if isinstance(prop, (list, icalendar.vBroken)) else getattr(prop, "dt", None)
        if not isinstance(value, dt.date):
            raise IcalError(f"{name} of a VEVENT is not one date or date-time")
        zone, label = ical_times.zone(prop.params.get("TZID"), zones)
        prop.dt = ical_times.localize(value, zone)
        labels[name] = label if isinstance(prop.dt, dt.datetime) else ETC_UTC
    if "DTSTART" not in labels:
        raise IcalError("a VEVENT has no DTSTART")
    for name in ("EXDATE", "RDATE"):
        for prop in listed(vevent.get(name)):
            if isinstance(prop, icalendar.vBroken) or not hasattr(prop, "dts"):
                raise IcalError(f"{name} of a VEVENT is not a list of dates or date-times")
            zone, _ = ical_times.zone(prop.params.get("TZID"), zones)
            for item in prop.dts:
                value = getattr(item, "dt", None)
                if isinstance(value, tuple):  # a PERIOD: (start, end or duration)
                    item.dt = tuple(v if isinstance(v, dt.timedelta) else ical_times.localize(v, zone) for v in value)
                elif isinstance(value, dt.date):
                    item.dt = ical_times.localize(value, zone)
                else:
                    raise IcalError(f"{name} of a VEVENT holds a value that is not a date or date-time")
    vevent[_START_TZID] = labels["DTSTART"]
    vevent[_END_TZID] = labels.get("DTEND", labels["DTSTART"])
    recurrence_id = vevent.get("RECURRENCE-ID")
    if recurrence_id is not None and str(recurrence_id.params.get("RANGE", "")).upper() == "THISANDFUTURE":
        shift = ical_times.instant(vevent["DTSTART"].dt) - ical_times.instant(recurrence_id.dt)
        vevent[_SHIFT] = str(int(shift.total_seconds()))


def _check_rules(vevents: list[icalendar.Component]) -> None:
    for vevent in vevents:
        for rule in listed(vevent.get("RRULE")):
            if isinstance(rule, icalendar.vBroken) or not hasattr(rule, "get"):
                raise IcalError("an RRULE is not a recurrence rule")
            freq = {str(value).upper() for value in rule.get("FREQ", [])}
            if freq & _TOO_FREQUENT or len(rule.get("BYMINUTE", [])) > 1 or len(rule.get("BYSECOND", [])) > 1:
                raise IcalError("an RRULE repeats more often than hourly")


def _span(component: icalendar.Component) -> tuple[dt.datetime | dt.date, dt.datetime | dt.date]:
    """DTSTART and the end: DTEND, or DTSTART + DURATION, or the default length."""
    if "DTEND" in component:
        return _bounds(component["DTSTART"].dt, component["DTEND"].dt, None)
    if "DURATION" in component:
        duration = None if isinstance(component["DURATION"], icalendar.vBroken) else getattr(component["DURATION"], "dt", None)
        if not isinstance(duration, dt.timedelta):
            raise IcalError("DURATION of a VEVENT is not a duration")
        return _bounds(component["DTSTART"].dt, None, duration)
    return _bounds(component["DTSTART"].dt, None, None)


def _bounds(
    start: dt.datetime | dt.date, end: dt.datetime | dt.date | None, duration: dt.timedelta | None
) -> tuple[dt.datetime | dt.date, dt.datetime | dt.date]:
    """The start and end of an occurrence from DTSTART and DTEND, else DURATION, else the default length."""
    if end is None and duration is not None:
        if not isinstance(start, dt.datetime) and duration % _DAY:
            start = dt.datetime.combine(start, dt.time(), UTC)  # a date and hours: from midnight UTC
        end = start + duration
    elif end is None:
        end = start if isinstance(start, dt.datetime) else start + _DAY
    if not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime) and end <= start:
        end = start + _DAY
    if ical_times.instant(end) < ical_times.instant(start):
        start, end = end, start
    return start, end


def _occurrence(uid: str, recurrence_id: str | None, hit: _Hit, fields: Fields, owners: frozenset[str]) -> RemoteOccurrence:
    attendees = []
    for email, name, partstat in fields.attendees:
        person = {"email": email, "status": ical_properties.answer(partstat)}
        if name:
            person["display_name"] = name
        attendees.append(person)
    return RemoteOccurrence(
        uid=uid,
        recurrence_id=recurrence_id,
        summary=fields.summary or "",
        start=EventTimeValue(time=ical_times.wire(hit.start), tzid=fields.start_tzid),
        end=EventTimeValue(time=ical_times.wire(hit.end), tzid=fields.end_tzid),
        start_at=hit.start_at,
        end_at=hit.end_at,
        description=fields.description or "",
        location=fields.location,
        url=fields.url,
        transparency=fields.transparency,
        status=fields.status,
        participation_status=ical_properties.participation(fields, owners),
        attendees=attendees,
        organizer_email=fields.organizer,
    )


def _fields(component: icalendar.Component) -> Fields:
    """The occurrence's own properties, from icalendar's VEVENT."""
    organizers = listed(component.get("ORGANIZER"))
    return Fields(
        start_tzid=str(component.get(_START_TZID, ETC_UTC)),
        end_tzid=str(component.get(_END_TZID, ETC_UTC)),
        summary=_text(component, "SUMMARY"),
        description=_text(component, "DESCRIPTION"),
        location=_text(component, "LOCATION"),
        url=_text(component, "URL"),
        transparency=ical_properties.transparency(str(component.get("TRANSP", ""))),
        status=ical_properties.status(str(component.get("STATUS", ""))),
        attendees=ical_properties.attendees((str(prop), getattr(prop, "params", {})) for prop in listed(component.get("ATTENDEE"))),
        organizer=ical_properties.address(str(organizers[0]), getattr(organizers[0], "params", {})) if organizers else None,
    )


def _fast_fields(event: ical_fast.Event) -> Fields:
    """The same, from what ``ical_fast`` read."""
    texts = event.texts
    return Fields(
        start_tzid=event.start_tzid,
        end_tzid=event.end_tzid,
        summary=texts.get("SUMMARY") or None,
        description=texts.get("DESCRIPTION") or None,
        location=texts.get("LOCATION") or None,
        url=texts.get("URL") or None,
        transparency=ical_properties.transparency(event.transp),
        status=ical_properties.status(event.status),
        attendees=ical_properties.attendees(event.attendees),
        organizer=ical_properties.address(*event.organizer) if event.organizer else None,
    )


def _recurrence_id(component: icalendar.Component) -> str | None:
    """The occurrence's original start. The expander sets RECURRENCE-ID to the start of each
    occurrence it makes and keeps an override's own; after a RANGE=THISANDFUTURE override,
    the occurrences it moved started ``_SHIFT`` seconds earlier originally."""
    prop = component.get("RECURRENCE-ID")
    if prop is None:
        return None
    shift = component.get(_SHIFT)
    original = prop.dt
    if shift is not None:
        original = ical_times.instant(component["DTSTART"].dt) - dt.timedelta(seconds=int(str(shift)))
    return ical_times.wire(original)


def _text(component: icalendar.Component, name: str) -> str | None:
    """The property's text; None when absent or empty (Google writes ``LOCATION:``)."""
    props = listed(component.get(name))
    return (str(props[0]) or None) if props else None


def listed(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]
