# SPDX-License-Identifier: Apache-2.0
"""A calgate event as iCalendar (RFC 5545): the VEVENT both writers share, and the calendar
object resource (RFC 4791 §4.1) that a CalDAV PUT stores.

``vevent`` and ``serialize`` are the common part of ``calendar_resource`` (here) and of the
iTIP messages (``domain/itip.py``), which add METHOD, RSVP and the cancel rules on top.

Pure: no I/O and no clock; DTSTAMP is the event's last change (``updated_at``), so writing the
same event twice gives the same bytes. Times keep the event's zone: DTSTART/DTEND carry TZID
and the calendar a VTIMEZONE for it (§3.6.5 of RFC 5545), generated from the IANA data for the
years around the event; UTC zones are written as UTC (``Z``) and all-day events as
``VALUE=DATE`` with an exclusive DTEND.

A calendar object resource has no METHOD. When the event has attendees (and an organizer is
given) it lists them with ``SCHEDULE-AGENT=CLIENT`` (RFC 6638 §7.1): calgate sends its own
invitations, so a server that schedules implicitly must not send a second set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import icalendar

from calgate.domain import model, recurrence, times

PRODID = "-//calgate//calgate 1.0//EN"
# Cronofy's words for an answer and iCalendar's PARTSTAT (RFC 5545 §3.2.12).
PARTSTATS = {
    "needs_action": "NEEDS-ACTION",
    "accepted": "ACCEPTED",
    "tentative": "TENTATIVE",
    "declined": "DECLINED",
}
# Cronofy's extended_transparency as Outlook's busy status (MS-OXCICAL 2.1.3.1.1.20.6): the
# one iCalendar property that tells tentative, out of office and working elsewhere apart.
BUSY_STATUSES = {
    "opaque": "BUSY", "transparent": "FREE", "tentative": "TENTATIVE",
    "out_of_office": "OOF", "working_elsewhere": "WORKINGELSEWHERE",
}
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "Etc/Zulu", "Etc/Universal", "UCT", "Zulu", "Universal"})


def calendar_resource(event: model.Event, organizer_email: str | None = None) -> bytes:
    """The calendar object resource of ``event``: one VCALENDAR, no METHOD, one VEVENT with
    UID ``event.ical_uid`` and the VTIMEZONEs its times use.

    ORGANIZER and ATTENDEE lines are written only when the event has attendees and
    ``organizer_email`` is given (without an organizer, attendees are left out altogether:
    RFC 5545 wants an ORGANIZER wherever there are ATTENDEEs).
    """
    organizer = None
    attendees: list[icalendar.vCalAddress] = []
    if event.attendees and organizer_email:
        organizer = address(organizer_email, None)
        for person in event.attendees:
            params = {
                "CUTYPE": "INDIVIDUAL",
                "ROLE": "REQ-PARTICIPANT",
                "PARTSTAT": PARTSTATS.get(person.get("status", "needs_action"), "NEEDS-ACTION"),
                "SCHEDULE-AGENT": "CLIENT",
            }
            attendees.append(address(person["email"], person.get("display_name"), **params))
    component = vevent(event, organizer=organizer, attendees=attendees, status="CONFIRMED", alarms=True)
    return serialize(component, prodid=PRODID, method=None)


def vevent(
    event: model.Event,
    *,
    organizer: icalendar.vCalAddress | None,
    attendees: Iterable[icalendar.vCalAddress],
    status: str | None,
    alarms: bool,
) -> icalendar.Event:
    """The VEVENT of ``event``: its identity, times, text, place and transparency, plus the
    given ORGANIZER, ATTENDEEs and STATUS, and a DISPLAY alarm per reminder if ``alarms``."""
    component = icalendar.Event()
    component.add("uid", event.ical_uid)
    component.add("sequence", event.sequence)
    component.add("dtstamp", event.updated_at.astimezone(dt.timezone.utc))
    component.add("created", event.created_at.astimezone(dt.timezone.utc))
    component.add("last-modified", event.updated_at.astimezone(dt.timezone.utc))
    component.add("dtstart", _point(event.start, "start"))
    component.add("dtend", _point(event.end, "end"))
    rule = recurrence.from_data(event.recurrence) if event.series_id is None else None
    if rule is not None:
        component.add("rrule", recurrence.rrule(rule, times.parse_event_time(event.start, "start", None)))
    component.add("summary", event.summary)
    description = _with_conferencing(event.description, event.conferencing)
    if description:
        component.add("description", description)
    if event.conferencing:
        # RFC 7986 §5.11; the description carries the same line for clients that ignore it.
        component.add(
            "conference", event.conferencing["join_url"],
            parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": event.conferencing["provider_description"]},
        )
    if event.event_private:
        component.add("class", "PRIVATE")
    location = (event.location or {}).get("description")
    if location:
        component.add("location", location)
    geo = _geo(event.location or {})
    if geo is not None:
        component.add("geo", geo)
    if event.url:
        component.add("url", event.url)
    if organizer is not None:
        component.add("organizer", organizer)
    for attendee in attendees:
        component.add("attendee", attendee)
    if status:
        component.add("status", status)
    component.add("transp", "TRANSPARENT" if event.transparency == "transparent" else "OPAQUE")
    if event.extended_transparency in BUSY_STATUSES:
        component.add("x-microsoft-cdo-busystatus", BUSY_STATUSES[event.extended_transparency])
    if alarms:
        for reminder in event.reminders:
            alarm = icalendar.Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", event.summary)
            alarm.add("trigger", -dt.timedelta(minutes=int(reminder["minutes"])))
            component.add_component(alarm)
    return component


def serialize(component: icalendar.Event, *, prodid: str, method: str | None) -> bytes:
    """One VCALENDAR holding ``component`` and, first, VTIMEZONEs for the zones its DTSTART and
    DTEND use, covering a year either side of them."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", prodid)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add_component(component)
    start, end = component.decoded("dtstart"), component.decoded("dtend")
    first = min(_date(start), _date(end)) - dt.timedelta(days=366)
    last = max(_date(start), _date(end)) + dt.timedelta(days=366)
    if "RRULE" in component:  # a series: its zones must cover the occurrences calgate stores
        last += recurrence.HORIZON
    calendar.add_missing_timezones(first_date=first, last_date=last)
    return bytes(calendar.to_ical())


def address(email: str, name: str | None, **params: str) -> icalendar.vCalAddress:
    """A CAL-ADDRESS (``mailto:``) with CN ``name`` and the given parameters
    (``some_name`` becomes ``SOME-NAME``)."""
    value = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        value.params["CN"] = name
    for key, param in params.items():
        value.params[key.replace("_", "-").upper()] = param
    return value


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


def _date(point: dt.datetime | dt.date) -> dt.date:
    return point.date() if isinstance(point, dt.datetime) else point


def _geo(location: dict[str, str]) -> tuple[float, float] | None:
    try:
        lat, lon = float(location["lat"]), float(location["long"])
    except (KeyError, ValueError):
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _with_conferencing(description: str | None, conferencing: dict[str, str] | None) -> str | None:
    """The description, and how to join the meeting as its last line (as calendars that
    add conferencing to an event show it)."""
    if not conferencing:
        return description
    line = f"{conferencing['provider_description']}: {conferencing['join_url']}"
    return f"{description}\n\n{line}" if description else line
