# SPDX-License-Identifier: Apache-2.0
"""``CalendarSource`` for one Google account (Calendar API v3).

- **Calendars.** read_write: ``calendarList.list`` (free/busy-only calendars left out). free_busy:
  the ``calendar.freebusy`` scope cannot list calendars, so the primary only, keyed and named
  by the account's email (its calendar id at Google).
- **Resources.** ``events.list`` with ``singleEvents=true``: every instance of a recurring event
  is its own resource (its own id and etag at Google), with its ``recurrence_id`` from
  ``originalStartTime``. ``remote_id`` is ``calendars/<calendar id>/events/<event id>`` (the
  API path below ``api_base``): ``delete`` gets no calendar, so the id must name it.
- **Changes.** A full read asks for ``[start, end)``; an incremental one passes the stored
  ``nextSyncToken`` alone (Google refuses it with a window), so a change outside the window is a
  resource with no occurrence; cancelled events are ``removed``; 410 → ``SyncTokenExpired``.
- **Busy.** ``freeBusy`` in windows of at most ``BUSY_WINDOW``; an error reported for the
  calendar inside the 200 raises ``SourceUnavailable`` (never read as free). Google's
  free/busy has no tentative: every block is "busy".
- **Writes.** calgate's iCalendar is read with ``ical_reader`` and sent as Google's JSON
  (summary, description, location, start/end with their zone, transparency, status, iCalUID,
  RRULEs). The event id is the base32hex SHA-1 of the resource name, so a retried insert finds
  its first attempt (409 → ``SourceConflict``). Replacing sends ``If-Match`` (412 →
  ``SourceConflict``), none for etag ``"*"``. Attendees and alarms are not sent (calgate sends
  its own invitations; Google would mail the attendees).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, unquote

import httpx
import icalendar

from calgate.domain.calendar_sources import (
    BusyBlock, Changes, EventTimeValue, RemoteCalendar, RemoteOccurrence, RemoteResource,
    SourceError, SourceNotFound, SourceUnavailable, SyncTokenExpired, WrittenResource,
)
from calgate.domain.times import format_time
from calgate.providers import ical_reader, ical_times
from calgate.providers.google.client import GoogleClient, check
from calgate.providers.google.config import GoogleConfig

ETC_UTC = ical_times.ETC_UTC
BUSY_WINDOW = dt.timedelta(days=60)
PAGE_SIZE = "2500"
WRITABLE = frozenset({"owner", "writer"})
RESOURCE = re.compile(r"calendars/([^/]+)/events/([^/]+)")
_RESPONSES = {"accepted": "accepted", "tentative": "tentative", "declined": "declined", "needsAction": "needs_action"}
_STATUSES = {"confirmed": "confirmed", "tentative": "tentative", "cancelled": "cancelled"}

__all__ = ["GoogleSource", "event_id_for", "resource_id"]


class GoogleSource:
    def __init__(
        self,
        credentials: dict[str, Any],
        config: GoogleConfig,
        *,
        stores_event_details: bool,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.stores_event_details = stores_event_details
        self._client = GoogleClient(credentials, config, timeout=timeout, transport=transport, sleep=sleep)
        self._email: str | None = None

    @property
    def credentials(self) -> dict[str, Any]:
        """The current credentials; persist them when ``credentials_changed``."""
        return self._client.credentials

    @property
    def credentials_changed(self) -> bool:
        return self._client.credentials_changed

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GoogleSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def identity(self) -> str:
        if "delegation" in self.credentials:  # a delegated token has no userinfo scope: the person is the subject
            self._email = str(self.credentials["subject"]).lower()
            return self._email
        info = self._client.call("GET", self.config.userinfo_url) or {}
        email = str(info.get("email") or "").lower()
        if not email:
            raise SourceError("Google did not tell the account's email address")
        self._email = email
        return email

    def calendars(self) -> list[RemoteCalendar]:
        if not self.stores_event_details:
            email = self._email or self.identity()
            return [RemoteCalendar(remote_id=email, name=email)]
        found = []
        pages = self._raw_pages(self._api("users/me/calendarList"), {"maxResults": "250"}, expired=False)
        for entry in (entry for page in pages for entry in page.get("items", [])):
            role = entry.get("accessRole")
            if role == "freeBusyReader" or entry.get("deleted"):
                continue
            found.append(
                RemoteCalendar(
                    remote_id=entry["id"],
                    name=entry.get("summaryOverride") or entry.get("summary") or entry["id"],
                    color=entry.get("backgroundColor"),
                    readonly=role not in WRITABLE,
                    supports_sync=True,
                )
            )
        return found

    def changes(self, calendar: RemoteCalendar, sync_state: str | None, start: dt.datetime, end: dt.datetime) -> Changes:
        params = {"singleEvents": "true", "maxResults": PAGE_SIZE}
        if sync_state:
            params["syncToken"] = sync_state
        else:
            params.update(timeMin=format_time(start), timeMax=format_time(end))
        changed: list[RemoteResource] = []
        removed: list[str] = []
        page: dict[str, Any] = {}
        url = self._api(f"calendars/{quote(calendar.remote_id, safe='@')}/events")
        for page in self._raw_pages(url, params, expired=bool(sync_state)):
            zone = page.get("timeZone") or ETC_UTC
            for item in page.get("items", []):
                remote_id = resource_id(calendar.remote_id, item["id"])
                if item.get("status") == "cancelled":
                    removed.append(remote_id)
                else:
                    occurrence = _occurrence(item, zone)
                    inside = occurrence.start_at < end and (occurrence.end_at > start or occurrence.start_at >= start)
                    changed.append(RemoteResource(remote_id, item.get("etag"), occurrence.uid, [occurrence] if inside else []))
        full = not sync_state
        return Changes(changed, [] if full else removed, page.get("nextSyncToken"), full=full)

    def busy(self, calendar: RemoteCalendar, start: dt.datetime, end: dt.datetime) -> list[BusyBlock]:
        spans: list[tuple[dt.datetime, dt.datetime]] = []
        while start < end:
            upto = min(end, start + BUSY_WINDOW)
            body = {"timeMin": format_time(start), "timeMax": format_time(upto), "items": [{"id": calendar.remote_id}]}
            answer = self._client.call("POST", self._api("freeBusy"), json=body) or {}
            found = (answer.get("calendars") or {}).get(calendar.remote_id)
            if not isinstance(found, dict) or found.get("errors"):
                reasons = ", ".join(str(e.get("reason")) for e in (found or {}).get("errors", []) if isinstance(e, dict))
                raise SourceUnavailable(f"Google could not tell this calendar's busy time ({reasons or 'no answer'})")
            for block in found.get("busy", []):
                first, last = max(_parse(block["start"]), start), min(_parse(block["end"]), upto)
                if first < last:
                    spans.append((first, last))
            start = upto
        blocks: list[BusyBlock] = []
        for first, last in sorted(spans):
            if blocks and first <= blocks[-1].end:
                blocks[-1] = BusyBlock(blocks[-1].start, max(blocks[-1].end, last), "busy")
            else:
                blocks.append(BusyBlock(first, last, "busy"))
        return blocks

    def put(self, calendar: RemoteCalendar, name: str, ical: bytes, etag: str | None) -> WrittenResource:
        known = RESOURCE.fullmatch(name)
        event_id = unquote(known.group(2)) if known else event_id_for(name)
        body = event_json(ical)
        events = self._api(f"calendars/{quote(calendar.remote_id, safe='@')}/events")
        if etag is None:
            response = self._client.request("POST", events, params={"sendUpdates": "none"}, json={**body, "id": event_id})
        else:
            body.pop("iCalUID", None)
            headers = {} if etag == "*" else {"If-Match": etag}
            response = self._client.request("PUT", f"{events}/{event_id}", params={"sendUpdates": "none"}, json=body, headers=headers)
        check(response)
        answer = response.json()
        return WrittenResource(resource_id(calendar.remote_id, answer.get("id", event_id)), answer.get("etag"))

    def delete(self, remote_id: str, etag: str | None) -> None:
        known = RESOURCE.fullmatch(remote_id)
        if known is None:
            raise SourceNotFound("Not a Google event id")
        headers = {"If-Match": etag} if etag and etag != "*" else {}
        response = self._client.request("DELETE", self._api(remote_id), params={"sendUpdates": "none"}, headers=headers)
        if response.status_code not in (404, 410):
            check(response)

    def _api(self, path: str) -> str:
        return self.config.api_base.rstrip("/") + "/" + path

    def _raw_pages(self, url: str, params: dict[str, str], *, expired: bool) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            response = self._client.request("GET", url, params={**params, **({"pageToken": token} if token else {})})
            if expired and response.status_code == 410:
                raise SyncTokenExpired("Google no longer accepts the stored sync token")
            check(response)
            page = response.json()
            yield page
            token = page.get("nextPageToken")
            if not token:
                return


def resource_id(calendar_id: str, event_id: str) -> str:
    return f"calendars/{quote(calendar_id, safe='@')}/events/{quote(event_id, safe='')}"


def event_id_for(name: str) -> str:
    """A valid Google event id (base32hex: a-v, 0-9) that only ``name`` gives."""
    return base64.b32hexencode(hashlib.sha1(name.encode("utf-8")).digest()).decode("ascii").lower().rstrip("=")


def _parse(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _when(value: dict[str, Any], zone: str) -> tuple[EventTimeValue, dt.datetime]:
    if value.get("date"):
        day = dt.date.fromisoformat(value["date"])
        return EventTimeValue(day.isoformat(), ETC_UTC), dt.datetime.combine(day, dt.time(), dt.UTC)
    moment = _parse(value["dateTime"])
    return EventTimeValue(format_time(moment), value.get("timeZone") or zone), moment


def _occurrence(item: dict[str, Any], zone: str) -> RemoteOccurrence:
    start, start_at = _when(item["start"], zone)
    end, end_at = _when(item.get("end") or item["start"], zone)
    original = item.get("originalStartTime")
    recurrence_id = _when(original, zone)[0].time if item.get("recurringEventId") and original else None
    attendees, answer = [], "accepted"
    for person in item.get("attendees", []):
        if not person.get("email"):
            continue
        status = _RESPONSES.get(person.get("responseStatus", ""), "needs_action")
        name = {"display_name": person["displayName"]} if person.get("displayName") else {}
        attendees.append({"email": person["email"].lower(), "status": status, **name})
        if person.get("self") and not (item.get("organizer") or {}).get("self"):
            answer = status
    return RemoteOccurrence(
        uid=item.get("iCalUID") or item["id"],
        recurrence_id=recurrence_id,
        summary=item.get("summary") or "",
        start=start,
        end=end,
        start_at=start_at,
        end_at=max(end_at, start_at),
        description=item.get("description") or "",
        location=item.get("location") or None,
        transparency="transparent" if item.get("transparency") == "transparent" else "opaque",
        status=_STATUSES.get(item.get("status", ""), "confirmed"),
        participation_status=answer,
        attendees=attendees,
        organizer_email=((item.get("organizer") or {}).get("email") or "").lower() or None,
    )


def event_json(ical: bytes) -> dict[str, Any]:
    """Google's JSON for calgate's iCalendar resource (its first occurrence and its RRULEs)."""
    try:
        master = next(c for c in icalendar.Calendar.from_ical(ical).walk("VEVENT") if "RECURRENCE-ID" not in c)
        first = ical_times.instant(master["DTSTART"].dt)
    except Exception:  # icalendar raises many kinds on bad data, quoting it
        raise SourceError("calgate's event could not be read for Google") from None
    day = dt.timedelta(days=1)
    uid, occurrences = ical_reader.read_resource(ical, first - day, first + day, set())
    if not occurrences:
        raise SourceError("calgate's event has no occurrence to write to Google")
    occurrence = occurrences[0]
    body: dict[str, Any] = {
        "iCalUID": uid,
        "summary": occurrence.summary,
        "start": _google_time(occurrence.start),
        "end": _google_time(occurrence.end),
        "transparency": occurrence.transparency,
        "status": "tentative" if occurrence.status == "tentative" else "confirmed",
    }
    body.update({k: v for k, v in (("description", occurrence.description), ("location", occurrence.location)) if v})
    if str(master.get("CLASS", "")).upper() == "PRIVATE":  # the event_private of calgate's event
        body["visibility"] = "private"
    rules = master.get("RRULE")
    if rules is not None:
        body["recurrence"] = ["RRULE:" + r.to_ical().decode("utf-8") for r in (rules if isinstance(rules, list) else [rules])]
    return body


def _google_time(value: EventTimeValue) -> dict[str, str]:
    if len(value.time) == 10:
        return {"date": value.time}
    return {"dateTime": value.time, "timeZone": value.tzid or ETC_UTC}

