"""The Calendar v3 methods calgate uses, over in-memory state: users → calendars → events.

Events are kept as Google's JSON, with ``etag``, ``updated`` and a change sequence; deleting
leaves a ``status: cancelled`` tombstone, so incremental syncs report it. A recurring event is
stored once (with ``recurrence``); ``singleEvents=true`` expands it (dateutil, in its
``start.timeZone``) into instances with ids ``<id>_<YYYYMMDDTHHMMSSZ>`` (all-day:
``<id>_<YYYYMMDD>``), ``recurringEventId`` and ``originalStartTime``, as Google does. Without a
window (incremental syncs) instances are expanded two years from the series' start.

events.list follows Google's sync rules: ``syncToken`` with ``timeMin``, ``timeMax``,
``updatedMin``, ``iCalUID``, ``orderBy``, ``q`` or extended-property filters → 400; an unknown
or expired token → 410 ``fullSyncRequired``; incremental answers include cancelled events;
``nextSyncToken`` only on the last page. freeBusy answers per-calendar ``errors`` inside the
200 (``notFound``, more than ``calendarExpansionMax`` (≤ 50) calendars, or an error a test
planted) and refuses windows longer than ``MAX_FREEBUSY_DAYS`` (a guess: Google documents
none).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import itertools
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

UTC = dt.UTC
MAX_FREEBUSY_DAYS = 90
EXPAND_UNBOUNDED = dt.timedelta(days=730)
EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
SYNC_RESTRICTIONS = ("timeMin", "timeMax", "updatedMin", "iCalUID", "orderBy", "q", "privateExtendedProperty", "sharedExtendedProperty")
SERVER_FIELDS = ("kind", "id", "etag", "iCalUID", "created", "updated", "htmlLink", "creator", "organizer")


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, *, domain: str = "global", headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.domain, self.headers = code, reason, message, domain, headers or {}

    def body(self) -> dict[str, Any]:
        errors = [{"domain": self.domain, "reason": self.reason, "message": self.message}]
        return {"error": {"code": self.code, "message": self.message, "errors": errors}}


@dataclass
class Calendar:
    id: str
    summary: str
    primary: bool = False
    access_role: str = "owner"
    time_zone: str = "UTC"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    seq: dict[str, int] = field(default_factory=dict)  # event id → change sequence


def _now() -> str:
    return dt.datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _instant(value: dict[str, Any]) -> dt.datetime:
    if "dateTime" in value:
        return dt.datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00")).astimezone(UTC)
    return dt.datetime.combine(dt.date.fromisoformat(value["date"]), dt.time(), UTC)


def _param(params: dict[str, list[str]], name: str) -> str | None:
    return params[name][0] if name in params else None


class CalendarState:
    def __init__(self) -> None:
        self.calendars: dict[str, dict[str, Calendar]] = {}  # email → id → calendar
        self.counter = itertools.count(1)
        self.last_seq = 0
        self.sync_tokens: dict[str, tuple[str, str, int]] = {}
        self.page_size = 250
        self.freebusy_errors: dict[str, str] = {}  # calendar id → reason to answer inside the 200

    # --- set-up, as the person's own calendar app would -----------------------------------

    def add_user(self, email: str, time_zone: str = "UTC") -> Calendar:
        self.calendars[email] = {}
        return self.add_calendar(email, email, email, primary=True, time_zone=time_zone)

    def add_calendar(self, email: str, calendar_id: str, summary: str, **options: Any) -> Calendar:
        calendar = Calendar(calendar_id, summary, **options)
        self.calendars[email][calendar_id] = calendar
        return calendar

    def calendar(self, email: str, calendar_id: str) -> Calendar:
        found = self.calendars.get(email, {}).get(email if calendar_id == "primary" else calendar_id)
        if found is None:
            raise ApiError(404, "notFound", "Not Found")
        return found

    def store(self, calendar: Calendar, event: dict[str, Any]) -> dict[str, Any]:
        seq = self.last_seq = next(self.counter)
        event["etag"] = f'"{3_000_000_000_000_000 + seq}"'
        event["updated"] = _now()
        calendar.events[event["id"]], calendar.seq[event["id"]] = event, seq
        return copy.deepcopy(event)

    def create(self, email: str, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        calendar = self.calendar(email, calendar_id)
        event = copy.deepcopy(event)
        event.setdefault("id", secrets.token_hex(8).translate(str.maketrans("abcdef", "ghijkl")) + "a0")
        event.setdefault("iCalUID", f"{event['id']}@google.com")
        event.setdefault("status", "confirmed")
        event.setdefault("organizer", {"email": email, "self": True})
        event.setdefault("creator", {"email": email, "self": True})
        event.update(kind="calendar#event", created=_now(), sequence=event.get("sequence", 0))
        return self.store(calendar, event)

    def change(self, email: str, calendar_id: str, event_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        calendar = self.calendar(email, calendar_id)
        event = copy.deepcopy(calendar.events[event_id])
        event.update(copy.deepcopy(changes))
        return self.store(calendar, event)

    def remove(self, email: str, calendar_id: str, event_id: str) -> None:
        calendar = self.calendar(email, calendar_id)
        old = calendar.events[event_id]
        tombstone = {"kind": "calendar#event", "id": event_id, "status": "cancelled"}
        if "recurrence" in old:
            tombstone["recurrence"] = old["recurrence"]
            tombstone.update(start=old["start"], end=old["end"])
        self.store(calendar, tombstone)

    def expire_sync_tokens(self) -> None:
        self.sync_tokens.clear()

    # --- the API -----------------------------------------------------------------------------

    def calendar_list(self, email: str) -> dict[str, Any]:
        items = [
            {"kind": "calendar#calendarListEntry", "etag": '"1"', "id": c.id, "summary": c.summary, "timeZone": c.time_zone,
             "backgroundColor": "#9fe1e7", "accessRole": c.access_role, "primary": c.primary or None}
            for c in self.calendars.get(email, {}).values()
        ]
        return {"kind": "calendar#calendarList", "etag": '"1"', "items": [{k: v for k, v in i.items() if v is not None} for i in items]}

    def events_list(self, email: str, calendar_id: str, params: dict[str, list[str]]) -> dict[str, Any]:
        calendar = self.calendar(email, calendar_id)
        token = _param(params, "syncToken")
        if token is not None and any(name in params for name in SYNC_RESTRICTIONS):
            raise ApiError(400, "invalid", "Sync token cannot be combined with these request restrictions")
        single = _param(params, "singleEvents") == "true"
        if _param(params, "orderBy") == "startTime" and not single:
            raise ApiError(400, "badRequest", "The requested ordering is not available for the particular query.")
        low = _time(params, "timeMin")
        high = _time(params, "timeMax")
        if low and high and low >= high:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar")
        page = json.loads(base64.urlsafe_b64decode(_param(params, "pageToken") or "e30=")) if "pageToken" in params else {}
        since = page.get("since")
        if token is not None:
            known = self.sync_tokens.get(token)
            if known is None or known[:2] != (email, calendar.id):
                raise ApiError(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
            since = known[2]
        snapshot = page.get("seq", self.last_seq)
        show_deleted = since is not None or _param(params, "showDeleted") == "true"
        items = []
        for event_id, event in calendar.events.items():
            if since is not None and calendar.seq[event_id] <= since:
                continue
            if event["status"] == "cancelled" and not show_deleted:
                continue
            shown = self._instances(calendar, event, low, high) if single and "recurrence" in event else [event]
            items += [i for i in shown if "start" not in i or _overlaps(i, low, high)]
        items.sort(key=lambda i: (_instant(i["start"]) if "start" in i else dt.datetime.min.replace(tzinfo=UTC), i["id"]))
        size = min(int(_param(params, "maxResults") or 250), 2500, self.page_size)
        offset = page.get("offset", 0)
        answer: dict[str, Any] = {
            "kind": "calendar#events", "etag": '"p1"', "summary": calendar.summary, "updated": _now(),
            "timeZone": calendar.time_zone, "accessRole": calendar.access_role, "defaultReminders": [],
            "items": copy.deepcopy(items[offset : offset + size]),
        }
        if offset + size < len(items):
            state = {"offset": offset + size, "seq": snapshot, "since": since}
            answer["nextPageToken"] = base64.urlsafe_b64encode(json.dumps(state).encode()).decode()
        else:
            next_token = "sync" + secrets.token_urlsafe(12)
            self.sync_tokens[next_token] = (email, calendar.id, snapshot)
            answer["nextSyncToken"] = next_token
        return answer

    def _instances(self, calendar: Calendar, master: dict[str, Any], low: dt.datetime | None, high: dt.datetime | None) -> list[dict[str, Any]]:
        all_day = "date" in master["start"]
        zone = UTC if all_day else ZoneInfo(master["start"].get("timeZone") or calendar.time_zone)
        first = _instant(master["start"]).astimezone(zone)
        length = _instant(master["end"]) - _instant(master["start"])
        rules = rrulestr("\n".join(master["recurrence"]), dtstart=first.replace(tzinfo=None), forceset=True)
        low = low or first.astimezone(UTC)
        high = high or first.astimezone(UTC) + EXPAND_UNBOUNDED
        low_local = (low - length).astimezone(zone).replace(tzinfo=None)
        found = []
        for naive in rules.xafter(low_local, inc=True):
            start = naive.replace(tzinfo=zone)
            if start.astimezone(UTC) >= high or len(found) > 1000:
                break
            suffix = naive.strftime("%Y%m%d") if all_day else start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
            instance_id = f"{master['id']}_{suffix}"
            if instance_id in calendar.events:  # an override (or a cancelled instance) is its own event
                continue
            instance = {k: v for k, v in master.items() if k != "recurrence"}
            if all_day:
                when = {"start": {"date": naive.date().isoformat()}, "end": {"date": (naive + length).date().isoformat()}}
            else:
                tz = master["start"].get("timeZone")
                when = {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": (start + length).astimezone(zone).isoformat()}}
                if tz:
                    when["start"]["timeZone"] = when["end"]["timeZone"] = tz
            instance.update(when, id=instance_id, recurringEventId=master["id"], originalStartTime=dict(when["start"]))
            if master["status"] == "cancelled":
                instance = {k: instance[k] for k in ("kind", "id", "etag", "status", "recurringEventId", "originalStartTime", "start")}
            found.append(instance)
        return found

    def insert(self, email: str, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        calendar = self.calendar(email, calendar_id)
        for name in ("start", "end"):
            if name not in body:
                raise ApiError(400, "required", f"Missing {name} time.")
        if "id" in body:
            if not EVENT_ID.fullmatch(body["id"]):
                raise ApiError(400, "invalid", "Invalid resource id value.")
            if body["id"] in calendar.events:
                raise ApiError(409, "duplicate", "The requested identifier already exists.")
        body = {k: v for k, v in body.items() if k not in SERVER_FIELDS or k in ("id", "iCalUID")}
        return self.create(email, calendar.id, body)

    def update(self, email: str, calendar_id: str, event_id: str, body: dict[str, Any], if_match: str | None, patch: bool) -> dict[str, Any]:
        calendar = self.calendar(email, calendar_id)
        current = calendar.events.get(event_id)
        if current is None or current["status"] == "cancelled":
            raise ApiError(404, "notFound", "Not Found")
        _check_match(current, if_match)
        kept = {k: v for k, v in current.items() if k in SERVER_FIELDS}
        fresh = {**current, **body} if patch else {**body}
        if not patch and not ("start" in fresh and "end" in fresh):
            raise ApiError(400, "required", "Missing end time.")
        fresh.update(kept, status=body.get("status", fresh.get("status", "confirmed")), sequence=current.get("sequence", 0) + 1)
        return self.store(calendar, fresh)

    def delete(self, email: str, calendar_id: str, event_id: str, if_match: str | None) -> None:
        calendar = self.calendar(email, calendar_id)
        current = calendar.events.get(event_id)
        if current is None:
            raise ApiError(404, "notFound", "Not Found")
        if current["status"] == "cancelled":
            raise ApiError(410, "deleted", "Resource has been deleted")
        _check_match(current, if_match)
        self.remove(email, calendar.id, event_id)

    def freebusy(self, email: str, body: dict[str, Any]) -> dict[str, Any]:
        for name in ("timeMin", "timeMax"):
            if name not in body:
                raise ApiError(400, "required", f"Missing {name}.")
        low, high = _instant({"dateTime": body["timeMin"]}), _instant({"dateTime": body["timeMax"]})
        if high <= low:
            raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar")
        if high - low > dt.timedelta(days=MAX_FREEBUSY_DAYS):
            raise ApiError(400, "timeRangeTooLong", "The requested time range is too long.", domain="calendar")
        expansion = int(body.get("calendarExpansionMax", 50))
        if not 1 <= expansion <= 50:
            raise ApiError(400, "invalid", "Invalid calendarExpansionMax value.")
        answer: dict[str, Any] = {}
        for position, item in enumerate(body.get("items", [])):
            wanted = email if item.get("id") == "primary" else item.get("id", "")
            owner = next((who for who, calendars in self.calendars.items() if wanted in calendars), None)
            reason = self.freebusy_errors.get(wanted)
            if position >= expansion:
                reason = "tooManyCalendarsRequested"
            elif owner is None:
                reason = reason or "notFound"
            if reason:
                answer[item.get("id", "")] = {"errors": [{"domain": "global", "reason": reason}], "busy": []}
                continue
            answer[item["id"]] = {"busy": self._busy(self.calendars[owner][wanted], low, high)}
        return {"kind": "calendar#freeBusy", "timeMin": body["timeMin"], "timeMax": body["timeMax"], "calendars": answer}

    def _busy(self, calendar: Calendar, low: dt.datetime, high: dt.datetime) -> list[dict[str, str]]:
        spans = []
        for event in calendar.events.values():
            if event["status"] == "cancelled" or event.get("transparency") == "transparent":
                continue
            for item in self._instances(calendar, event, low, high) if "recurrence" in event else [event]:
                me = [a for a in item.get("attendees", []) if a.get("self")]
                if me and me[0].get("responseStatus") == "declined" or not _overlaps(item, low, high):
                    continue
                spans.append((max(_instant(item["start"]), low), min(_instant(item["end"]), high)))
        merged: list[list[dt.datetime]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [{"start": s.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": e.strftime("%Y-%m-%dT%H:%M:%SZ")} for s, e in merged]


def _time(params: dict[str, list[str]], name: str) -> dt.datetime | None:
    value = _param(params, name)
    return _instant({"dateTime": value}) if value else None


def _overlaps(event: dict[str, Any], low: dt.datetime | None, high: dt.datetime | None) -> bool:
    """Google: timeMin bounds an event's end (exclusive), timeMax its start (exclusive)."""
    return (low is None or _instant(event["end"]) > low) and (high is None or _instant(event["start"]) < high)


def _check_match(current: dict[str, Any], if_match: str | None) -> None:
    if if_match is not None and if_match != "*" and if_match != current["etag"]:
        raise ApiError(412, "conditionNotMet", "Precondition Failed")
