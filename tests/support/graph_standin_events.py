# SPDX-License-Identifier: Apache-2.0
"""The Graph stand-in's per-user state: calendars, events (series expanded into instances the
way calendarView does), change sequence numbers for delta, and Graph's JSON shapes.

Times follow Graph: ``dateTimeTimeZone`` values (``{"dateTime": "2026-03-01T09:00:00.0000000",
"timeZone": "UTC"}``), rendered in the zone a request asked for with ``Prefer:
outlook.timezone`` (UTC by default). Zones may be Windows names (``W. Europe Standard
Time``) or IANA names, as Graph accepts both."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

UTC = dt.UTC
SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded")
STEPS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(weeks=1)}


def zone_of(name: object) -> dt.tzinfo | None:
    """The zone a Graph ``timeZone`` names (Windows or IANA), None when unknown."""
    if not isinstance(name, str) or not name:
        return None
    if name in ("UTC", "Etc/UTC"):
        return UTC
    iana = WINDOWS_TO_OLSON.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_local(text: object) -> dt.datetime | None:
    """A Graph ``dateTime`` (no offset, up to 7 fraction digits) as a naive datetime."""
    if not isinstance(text, str):
        return None
    head, _, fraction = text.partition(".")
    try:
        value = dt.datetime.fromisoformat(head)
    except ValueError:
        return None
    if value.tzinfo is not None or (fraction and not fraction.isdigit()):
        return None
    return value


def parse_dtz(value: object) -> dt.datetime | None:
    """A ``dateTimeTimeZone`` object as an aware UTC instant; None when malformed."""
    if not isinstance(value, dict) or set(value) - {"dateTime", "timeZone", "@odata.type"}:
        return None
    local, zone = parse_local(value.get("dateTime")), zone_of(value.get("timeZone"))
    if local is None or zone is None:
        return None
    return local.replace(tzinfo=zone).astimezone(UTC)


def render_dtz(value: dt.datetime | dt.date, zone_name: str) -> dict[str, str]:
    if isinstance(value, dt.datetime):
        zone = zone_of(zone_name) or UTC
        local = value.astimezone(zone)
    else:
        local = dt.datetime.combine(value, dt.time())  # all-day: midnight in the asked zone
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": zone_name}


@dataclass
class StoredEvent:
    id: str
    calendar_id: str
    subject: str
    start: dt.datetime | dt.date  # aware UTC, or a date when all-day
    end: dt.datetime | dt.date
    time_zone: str = "UTC"  # originalStartTimeZone / originalEndTimeZone
    show_as: str = "busy"
    is_cancelled: bool = False
    response: str = "organizer"
    organizer: str = ""
    attendees: list[dict[str, Any]] = field(default_factory=list)
    location: str = ""
    body: str = ""
    repeat: tuple[str, int] | None = None  # ("daily"|"weekly", number of occurrences)
    transaction_id: str | None = None
    ical_uid: str = field(default_factory=lambda: "040000008200E00074C5B7101A82E008" + secrets.token_hex(16).upper())
    version: int = 1
    seq: int = 0

    @property
    def etag(self) -> str:
        return f'W/"{self.id[-8:]}v{self.version}"'

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    def instances(self) -> list[tuple[str, dt.datetime | dt.date, dt.datetime | dt.date, dt.datetime | dt.date | None]]:
        """(instance id, start, end, original start or None) as calendarView expands them."""
        if self.repeat is None:
            return [(self.id, self.start, self.end, None)]
        kind, count = self.repeat
        step = STEPS[kind]
        out = []
        for n in range(count):
            start, end = self.start + step * n, self.end + step * n
            out.append((f"{self.id}_OID_{start:%Y%m%d}", start, end, start))
        return out


def instant(value: dt.datetime | dt.date) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time(), UTC)


def overlaps(start: dt.datetime | dt.date, end: dt.datetime | dt.date, lo: dt.datetime, hi: dt.datetime) -> bool:
    return instant(start) < hi and instant(end) > lo


def render_instance(
    event: StoredEvent, instance: tuple[str, Any, Any, Any], zone_name: str, owner: str
) -> dict[str, Any]:
    iid, start, end, original = instance
    kind = "singleInstance" if event.repeat is None else "occurrence"
    data: dict[str, Any] = {
        "@odata.etag": event.etag,
        "id": iid,
        "changeKey": event.etag[3:-1],
        "iCalUId": event.ical_uid if kind == "singleInstance" else f"{event.ical_uid}{instant(start):%Y%m%d}",
        "subject": event.subject,
        "bodyPreview": event.body[:255],
        "body": {"contentType": "text", "content": event.body},
        "isAllDay": event.all_day,
        "isCancelled": event.is_cancelled,
        "isOrganizer": event.response == "organizer",
        "showAs": event.show_as,
        "type": kind,
        "originalStartTimeZone": event.time_zone,
        "originalEndTimeZone": event.time_zone,
        "responseStatus": {"response": event.response, "time": "0001-01-01T00:00:00Z"},
        "start": render_dtz(start, zone_name),
        "end": render_dtz(end, zone_name),
        "location": {"displayName": event.location, "locationType": "default"},
        "attendees": [
            {"type": "required", "status": {"response": a.get("response", "none"), "time": "0001-01-01T00:00:00Z"},
             "emailAddress": {"name": a.get("name", ""), "address": a["address"]}}
            for a in event.attendees
        ],
        "organizer": {"emailAddress": {"name": "", "address": event.organizer or owner}},
    }
    if kind == "occurrence":
        data["seriesMasterId"] = event.id
        data["originalStart"] = instant(original).strftime("%Y-%m-%dT%H:%M:%SZ")
    return data


@dataclass
class GraphUser:
    mail: str
    upn: str
    calendars: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, StoredEvent] = field(default_factory=dict)
    seq: int = 0
    tombstones: list[tuple[int, str, str]] = field(default_factory=list)  # (seq, calendar id, instance id)
    delta_states: dict[str, tuple[str, dt.datetime, dt.datetime, int]] = field(default_factory=dict)
    pages: dict[str, tuple[list[dict[str, Any]], str]] = field(default_factory=dict)  # skiptoken → (rest, deltatoken)

    def default_calendar(self) -> str:
        return next(c for c, data in self.calendars.items() if data["isDefaultCalendar"])

    def touch(self, event: StoredEvent, before: list[str] | None = None) -> None:
        """Record a change to ``event``: instances it no longer has become tombstones."""
        self.seq += 1
        event.seq, event.version = self.seq, event.version + (before is not None)
        now = {i[0] for i in event.instances()}
        for iid in before or []:
            if iid not in now:
                self.tombstones.append((self.seq, event.calendar_id, iid))

    def remove(self, event_id: str) -> StoredEvent | None:
        event = self.events.pop(event_id, None)
        if event is not None:
            self.seq += 1
            self.tombstones.extend((self.seq, event.calendar_id, i[0]) for i in event.instances())
        return event

    def find_instance(self, iid: str) -> StoredEvent | None:
        """The event an id names: the event itself, or the series of an occurrence id."""
        return self.events.get(iid) or self.events.get(iid.partition("_OID_")[0])
