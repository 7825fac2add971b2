# SPDX-License-Identifier: Apache-2.0
"""What calgate needs from a connected calendar provider: one small interface, whatever the
provider (CalDAV now; Google and Microsoft Graph next), and the plain values that cross it.

A provider adapter (``calgate.providers.*``) implements ``CalendarSource`` for one connection
(one profile's credentials). The domain's sync (``domain/sync.py``) drives it and never sees
HTTP, XML or provider JSON. Two rules hold at this boundary:

- **free_busy never carries details.** ``busy`` answers only ``BusyBlock``s (start, end,
  status). An adapter that has to read events to compute them (a server without a free/busy
  query) reduces them in memory and drops everything else before returning: no summary,
  description, location, attendee or UID crosses this line in that mode.
- **Errors say what to do.** ``SourceAuthFailed``: the credentials stopped working (the profile
  needs relinking, retrying will not help). ``SourceUnavailable``: the server is down, slow or
  rate limiting (retry later, honouring ``retry_after``). ``SourceConflict``: a conditional write
  lost a race (the resource changed or already exists). ``SourceNotFound``: it is gone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


class SourceError(Exception):
    """A provider failure, with a message safe to show the person and to log (no secrets)."""


class SourceAuthFailed(SourceError):
    """The server refused the credentials (401/403 on a request that needs them)."""


class SourceUnavailable(SourceError):
    """Unreachable, timed out, 5xx or 429. ``retry_after``: seconds the server asked for."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SourceConflict(SourceError):
    """A conditional write failed (412): the resource exists already or changed meanwhile."""


class SourceNotFound(SourceError):
    """The calendar or resource is not there (404/410)."""


class SyncTokenExpired(SourceError):
    """The server no longer accepts the stored sync token: read the collection again in full."""


@dataclass(frozen=True)
class RemoteCalendar:
    """One calendar collection as the provider lists it. ``remote_id`` is the provider's key
    (a CalDAV collection URL). The listing carries no content version (ctag, sync token):
    some servers compute one by reading every item, which would double the cost of a sync."""

    remote_id: str
    name: str
    color: str | None = None
    readonly: bool = False
    supports_sync: bool = False  # RFC 6578 sync-collection


@dataclass(frozen=True)
class EventTimeValue:
    """A start or end as calgate stores it: ``time`` is a wire Time (``2026-03-01T09:00:00Z``)
    or Date (``2026-03-01``), ``tzid`` the event's IANA zone for it."""

    time: str
    tzid: str


@dataclass(frozen=True)
class RemoteOccurrence:
    """One occurrence of an event, read in read_write mode (details allowed). A recurring
    resource yields one per occurrence in the window, each with its own ``recurrence_id``
    (the occurrence's original start, ``None`` for a single event)."""

    uid: str
    recurrence_id: str | None
    summary: str
    start: EventTimeValue
    end: EventTimeValue
    start_at: dt.datetime  # UTC instants (all-day: midnight UTC of the dates)
    end_at: dt.datetime
    description: str | None = None
    location: str | None = None
    url: str | None = None
    transparency: str = "opaque"  # or "transparent"
    status: str = "confirmed"  # confirmed, tentative, cancelled
    participation_status: str = "accepted"  # the owner's own answer when they are an attendee
    attendees: list[dict[str, str]] = field(default_factory=list)  # {"email", "display_name"?, "status"}
    organizer_email: str | None = None


@dataclass(frozen=True)
class RemoteResource:
    """A calendar object resource (one .ics), as read: its key, version, and occurrences."""

    remote_id: str  # the resource URL
    etag: str | None
    uid: str
    occurrences: list[RemoteOccurrence]


@dataclass(frozen=True)
class Changes:
    """What changed in a calendar since ``sync_state``. ``full``: this is the whole collection
    (a first read, or the token had expired): anything calgate holds that is not in
    ``changed`` is gone. Otherwise ``changed`` and ``removed`` are the difference."""

    changed: list[RemoteResource]
    removed: list[str]  # resource remote_ids
    sync_state: str | None  # what to pass next time
    full: bool


@dataclass(frozen=True)
class BusyBlock:
    """The only thing free_busy mode keeps of a person's own events."""

    start: dt.datetime  # UTC
    end: dt.datetime
    status: str  # "busy" or "tentative"


@dataclass(frozen=True)
class WrittenResource:
    remote_id: str
    etag: str | None


class CalendarSource(Protocol):
    """One connection to one provider account."""

    def identity(self) -> str:
        """A stable name for the connected account (an email address where known). Checks the
        credentials: raises ``SourceAuthFailed`` or ``SourceUnavailable``."""
        ...

    def calendars(self) -> list[RemoteCalendar]: ...

    def changes(self, calendar: RemoteCalendar, sync_state: str | None, start: dt.datetime, end: dt.datetime) -> Changes:
        """read_write: the resources changed since ``sync_state`` (None: everything), their
        occurrences expanded within ``[start, end)``."""
        ...

    def busy(self, calendar: RemoteCalendar, start: dt.datetime, end: dt.datetime) -> list[BusyBlock]:
        """free_busy: busy and tentative time in ``[start, end)``, nothing else."""
        ...

    def put(self, calendar: RemoteCalendar, name: str, ical: bytes, etag: str | None) -> WrittenResource:
        """Create (``etag`` None: only if absent) or replace (only if still at ``etag``) the
        resource ``name`` (a file name such as ``evt_….ics``, or a full remote_id)."""
        ...

    def delete(self, remote_id: str, etag: str | None) -> None: ...
