# SPDX-License-Identifier: Apache-2.0
"""Graph event JSON ↔ calgate's values: reading calendarView instances into
``RemoteResource``/``RemoteOccurrence``, reducing getSchedule items to ``BusyBlock``s, and
writing calgate's iCalendar as Graph event JSON.

**Reading.** Requests ask ``Prefer: outlook.timezone="UTC"``, so ``start``/``end`` are UTC
wall times; each instance keeps its zone from ``originalStartTimeZone`` /
``originalEndTimeZone`` (Windows names mapped to IANA with icalendar's CLDR table, IANA names
kept, else ``Etc/UTC``). All-day events become dates (labelled ``Etc/UTC``, as
``ical_reader`` does). calendarView returns a series expanded: every instance (single event,
occurrence or exception) is its own resource, keyed by its Graph id, so delta's per-instance
``@removed`` entries apply directly; occurrences carry ``recurrence_id`` = ``originalStart``
(else their start) and the series id as ``uid``.

**Busy-ness**, the one rule of ``ical_reader`` on Graph's fields: ``showAs: free`` is
transparent, ``isCancelled`` cancelled, ``responseStatus.response`` the owner's answer
(organizer/accepted → accepted, tentativelyAccepted → tentative, declined → declined,
notResponded/none → needs_action); ``showAs: tentative`` makes the status tentative.

**getSchedule** statuses: free → no block; tentative → tentative; busy, oof,
workingElsewhere and unknown → busy. workingElsewhere counts as busy because the person is
working, just not at their desk: a meeting booked into it would clash with their own plans
(Graph's availabilityView reports it as 0 only for backward compatibility). Only start, end
and status are kept: ``subject``, ``location`` and ``isPrivate`` never leave this module.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from calgate.domain.calendar_sources import BusyBlock, EventTimeValue, RemoteOccurrence, RemoteResource, SourceError
from calgate.domain.times import format_time
from calgate.providers import ical_reader, ical_times

UTC = dt.UTC
ETC_UTC = "Etc/UTC"
_ANSWERS = {"organizer": "accepted", "accepted": "accepted", "tentativelyAccepted": "tentative", "declined": "declined"}
_BUSY = {"tentative": "tentative", "busy": "busy", "oof": "busy", "workingelsewhere": "busy", "unknown": "busy"}
_WRITE_WINDOW = (dt.datetime(1900, 1, 1, tzinfo=UTC), dt.datetime(2200, 1, 1, tzinfo=UTC))


def parse_time(value: Any) -> dt.datetime:
    """A ``dateTimeTimeZone`` as an aware UTC datetime."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise SourceError("Microsoft Graph sent an event time calgate cannot read")
    head = value["dateTime"].partition(".")[0]
    try:
        local = dt.datetime.fromisoformat(head)
    except ValueError:
        raise SourceError("Microsoft Graph sent an event time calgate cannot read") from None
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    zone_name = str(value.get("timeZone") or "UTC")
    iana = ETC_UTC if zone_name in ("UTC", "tzone://Microsoft/Utc") else ical_times.iana(zone_name)
    zone = ZoneInfo(iana) if iana else UTC
    return local.replace(tzinfo=zone).astimezone(UTC)


def tzid(windows_or_iana: Any) -> str:
    if not isinstance(windows_or_iana, str) or not windows_or_iana.strip():
        return ETC_UTC
    return ical_times.iana(windows_or_iana) or ETC_UTC


def resource(item: dict[str, Any]) -> RemoteResource:
    """One calendarView instance as a resource with one occurrence."""
    kind = item.get("type", "singleInstance")
    start_at, end_at = parse_time(item.get("start")), parse_time(item.get("end"))
    if item.get("isAllDay"):
        start = EventTimeValue(start_at.date().isoformat(), ETC_UTC)
        end = EventTimeValue(end_at.date().isoformat(), ETC_UTC)
        start_at = dt.datetime.combine(start_at.date(), dt.time(), UTC)
        end_at = dt.datetime.combine(end_at.date(), dt.time(), UTC)
    else:
        start = EventTimeValue(format_time(start_at), tzid(item.get("originalStartTimeZone")))
        end = EventTimeValue(format_time(end_at), tzid(item.get("originalEndTimeZone") or item.get("originalStartTimeZone")))
    recurrence_id = None
    if kind in ("occurrence", "exception"):
        original = item.get("originalStart")
        moment = dt.datetime.fromisoformat(original.replace("Z", "+00:00")).astimezone(UTC) if original else start_at
        recurrence_id = moment.date().isoformat() if item.get("isAllDay") else format_time(moment)
    uid = str(item.get("seriesMasterId") if recurrence_id else item.get("iCalUId") or item["id"])
    response = (item.get("responseStatus") or {}).get("response", "none")
    participation = "accepted" if item.get("isOrganizer") else _ANSWERS.get(response, "needs_action")
    show_as = str(item.get("showAs", "busy"))
    organizer = ((item.get("organizer") or {}).get("emailAddress") or {}).get("address")
    occurrence = RemoteOccurrence(
        uid=uid,
        recurrence_id=recurrence_id,
        summary=str(item.get("subject") or ""),
        start=start,
        end=end,
        start_at=start_at,
        end_at=end_at,
        description=_text(item.get("body")),
        location=((item.get("location") or {}).get("displayName") or None),
        url=None,
        transparency="transparent" if show_as == "free" else "opaque",
        status="cancelled" if item.get("isCancelled") else "tentative" if show_as == "tentative" else "confirmed",
        participation_status=participation,
        attendees=[_attendee(a) for a in item.get("attendees") or [] if (a.get("emailAddress") or {}).get("address")],
        organizer_email=organizer.lower() if organizer else None,
    )
    return RemoteResource(remote_id=str(item["id"]), etag=item.get("@odata.etag"), uid=uid, occurrences=[occurrence])


def _attendee(item: dict[str, Any]) -> dict[str, str]:
    email = item["emailAddress"]
    person = {"email": str(email["address"]).lower(), "status": _ANSWERS.get((item.get("status") or {}).get("response"), "needs_action")}
    if email.get("name"):
        person["display_name"] = str(email["name"])
    return person


def _text(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    content = str(body.get("content") or "")
    if body.get("contentType") == "html":
        content = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"(?i)<br\s*/?>|</p>", "\n", content))).strip()
    return content


def busy_blocks(items: list[Any], start: dt.datetime, end: dt.datetime) -> list[BusyBlock]:
    """getSchedule's scheduleItems reduced to start, end and status, clipped to [start, end)."""
    blocks = []
    for item in items:
        status = _BUSY.get(str(item.get("status", "")).lower()) if isinstance(item, dict) else None
        if status is None:
            continue
        block_start, block_end = max(parse_time(item.get("start")), start), min(parse_time(item.get("end")), end)
        if block_start < block_end:
            blocks.append(BusyBlock(start=block_start, end=block_end, status=status))
    return blocks


def event_json(name: str, ical: bytes, *, creating: bool) -> dict[str, Any]:
    """calgate's iCalendar resource as Graph event JSON. Attendees are not sent: Exchange would
    mail its own invitations, and calgate sends its own. A recurring resource is written as
    its first occurrence (calgate writes single events)."""
    _, occurrences = ical_reader.read_resource(ical, *_WRITE_WINDOW, set())
    if not occurrences:
        raise SourceError("The event has no occurrence to write")
    occurrence = occurrences[0]
    all_day = len(occurrence.start.time) == 10
    private, busy_status = _master_flags(ical)
    body: dict[str, Any] = {
        "subject": occurrence.summary,
        "body": {"contentType": "text", "content": occurrence.description or ""},
        "start": _write_time(occurrence.start, occurrence.start_at, all_day),
        "end": _write_time(occurrence.end, occurrence.end_at, all_day),
        "isAllDay": all_day,
        "showAs": _SHOW_AS.get(busy_status or "")
        or ("free" if occurrence.transparency == "transparent" else "tentative" if occurrence.status == "tentative" else "busy"),
        "location": {"displayName": occurrence.location or ""},
    }
    if private:
        body["sensitivity"] = "private"
    if creating:
        body["transactionId"] = transaction_id(name)
    return body


def transaction_id(name: str) -> str:
    """The same resource name gives the same id: Graph does not create a retried POST twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"calgate:resource:{name}"))


def _write_time(value: EventTimeValue, instant: dt.datetime, all_day: bool) -> dict[str, str]:
    if all_day:
        return {"dateTime": f"{value.time}T00:00:00", "timeZone": "UTC"}
    zone_name = value.tzid if value.tzid and ical_times.iana(value.tzid) == value.tzid else "UTC"
    if zone_name in (ETC_UTC, "UTC"):
        return {"dateTime": instant.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}
    local = instant.astimezone(ZoneInfo(zone_name))
    return {"dateTime": local.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone_name}


# Outlook's busy status (X-MICROSOFT-CDO-BUSYSTATUS, from calgate's extended_transparency) as Graph's showAs.
_SHOW_AS = {"FREE": "free", "TENTATIVE": "tentative", "BUSY": "busy", "OOF": "oof", "WORKINGELSEWHERE": "workingElsewhere"}


def _master_flags(ical: bytes) -> tuple[bool, str | None]:
    """Whether calgate's resource is private (CLASS) and its Outlook busy status, if any."""
    try:
        master = next(c for c in icalendar.Calendar.from_ical(ical).walk("VEVENT") if "RECURRENCE-ID" not in c)
    except Exception:  # icalendar raises many kinds on bad data; read_resource has read it already
        return False, None
    status = master.get("X-MICROSOFT-CDO-BUSYSTATUS")
    return str(master.get("CLASS", "")).upper() == "PRIVATE", str(status).upper() if status else None
