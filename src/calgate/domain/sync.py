# SPDX-License-Identifier: Apache-2.0
"""Sync: bring a connected profile's calendars into calgate, in three steps.

1. ``plan(uow, profile_id)``: what calgate holds (calendars, their sync states), read in a short
   transaction.
2. ``fetch(source, plan, now)``: everything that changed, read from the provider through the
   ``CalendarSource`` interface with no transaction open (a slow server never holds the
   database). The access-mode policy decides what is read: event details where the mode stores
   them (read_write), busy blocks only where it does not (free_busy).
3. ``apply(uow, fetched, now)``: the difference written in one transaction, with the push
   notifications it causes (``channels``) queued in that same transaction.

Sync jobs of one account share an ordering key, so two syncs of one account never overlap. Events
are read in a window around now (Cronofy's: 42 days back, 201 ahead); the window moves, so a
calendar is read in full again once its last full read is a day old (recurring events then
gain the occurrences that entered the window).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from calgate.domain import accounts, busyness, channels, ids, model
from calgate.domain.calendar_sources import (
    BusyBlock,
    CalendarSource,
    Changes,
    RemoteCalendar,
    RemoteOccurrence,
    RemoteResource,
    SourceNotFound,
    SyncTokenExpired,
)
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

PAST = dt.timedelta(days=42)
FUTURE = dt.timedelta(days=201)
FULL_READ_EVERY = dt.timedelta(days=1)


def window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - PAST, day + FUTURE


@dataclass(frozen=True)
class SyncState:
    """What calgate keeps per calendar between syncs (as JSON in ``Calendar.sync_state``)."""

    token: str | None = None  # the provider's, opaque
    full_read_at: dt.datetime | None = None

    @classmethod
    def load(cls, text: str | None) -> "SyncState":
        if not text:
            return cls()
        data = json.loads(text)
        read_at = data.get("full_read_at")
        return cls(token=data.get("token"), full_read_at=dt.datetime.fromisoformat(read_at) if read_at else None)

    def dump(self) -> str:
        read_at = self.full_read_at.isoformat() if self.full_read_at else None
        return json.dumps({"token": self.token, "full_read_at": read_at})


@dataclass(frozen=True)
class Plan:
    profile_id: str
    account_id: str
    stores_event_details: bool
    states: dict[str, SyncState]  # by the calendar's remote_id
    access_mode: str = ""  # the profile's when planned: a sync read in another mode is dropped


@dataclass
class Fetched:
    plan: Plan
    calendars: list[RemoteCalendar]
    changes: dict[str, Changes] = field(default_factory=dict)  # read_write, by remote_id
    busy: dict[str, list[BusyBlock]] = field(default_factory=dict)  # free_busy, by remote_id
    tokens: dict[str, SyncState] = field(default_factory=dict)


def plan(uow: UnitOfWork, profile_id: str) -> Plan:
    profile = uow.profiles.get(profile_id)
    if profile is None or profile.revoked_at is not None or profile.credentials_sealed is None:
        raise NotFound("profile")
    states = {c.remote_id: SyncState.load(c.sync_state) for c in uow.calendars.of_profile(profile.id) if c.remote_id}
    return Plan(profile.id, profile.account_id, profile.policy.stores_event_details, states, profile.access_mode)


def fetch(source: CalendarSource, plan: Plan, now: dt.datetime) -> Fetched:
    """Read the provider. ``SourceAuthFailed`` and ``SourceUnavailable`` pass through to the
    caller (relink, or try again later); a calendar that vanished meanwhile is skipped."""
    start, end = window(now)
    fetched = Fetched(plan, source.calendars())
    for calendar in fetched.calendars:
        try:
            if plan.stores_event_details:
                state = plan.states.get(calendar.remote_id, SyncState())
                fetched.changes[calendar.remote_id], fetched.tokens[calendar.remote_id] = _changes(source, calendar, state, start, end, now)
            else:
                fetched.busy[calendar.remote_id] = source.busy(calendar, start, end)
        except SourceNotFound:
            continue
    return fetched


def _changes(
    source: CalendarSource, calendar: RemoteCalendar, state: SyncState, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> tuple[Changes, SyncState]:
    stale = state.full_read_at is None or now - state.full_read_at >= FULL_READ_EVERY
    if not stale:
        try:
            changes = source.changes(calendar, state.token, start, end)
            return changes, SyncState(changes.sync_state, state.full_read_at)
        except SyncTokenExpired:
            pass
    changes = source.changes(calendar, None, start, end)
    return changes, SyncState(changes.sync_state, now)


def apply(uow: UnitOfWork, fetched: Fetched, now: dt.datetime) -> bool:
    """Write what ``fetch`` read. False (nothing written) when the person changed the profile's
    access mode since ``plan``: what was read belongs to the old mode (details the new one may
    not keep, or busy blocks beside details), and the next sync reads in the new one."""
    profile = uow.profiles.get(fetched.plan.profile_id)
    if profile is None or profile.revoked_at is not None:
        raise NotFound("profile")
    if fetched.plan.access_mode and fetched.plan.access_mode != profile.access_mode:
        return False
    calendars = match_calendars(uow, profile, fetched.calendars, now)
    changed: list[str] = []
    managed_by: set[str] = set()
    for remote in fetched.calendars:
        calendar = calendars[remote.remote_id]
        if remote.remote_id in fetched.changes:
            touched = _apply_changes(uow, calendar, fetched.changes[remote.remote_id], now)
            calendar.sync_state = fetched.tokens[remote.remote_id].dump()
            if uow.busy_blocks.of_calendar(calendar.id):  # kept from free_busy until the details came
                uow.busy_blocks.replace(calendar.id, [])
                changed.append(calendar.id)
            managed_by |= touched
            if touched or _has_content(fetched.changes[remote.remote_id]):
                changed.append(calendar.id)
        elif remote.remote_id in fetched.busy:
            if _apply_busy(uow, calendar, fetched.busy[remote.remote_id]):
                changed.append(calendar.id)
    first = not profile.initial_sync_done
    profile.initial_sync_done, profile.last_synced_at = True, now
    profile.sync_error, profile.sync_failures, profile.connected = None, 0, True
    if first:
        channels.notify_profile(uow, profile.account_id, "profile_initial_sync_completed")
    elif changed:
        channels.notify_change(uow, profile.account_id, changed, now, managed_by=managed_by - {""})
    return True


def _has_content(changes: Changes) -> bool:
    return bool(changes.changed or changes.removed)


def match_calendars(uow: UnitOfWork, profile: model.Profile, remote: list[RemoteCalendar], now: dt.datetime) -> dict[str, model.Calendar]:
    """calgate's calendars of the profile matched to the provider's, new ones made, vanished ones
    marked deleted."""
    held = {c.remote_id: c for c in uow.calendars.of_profile(profile.id) if c.remote_id}
    out: dict[str, model.Calendar] = {}
    for position, item in enumerate(remote):
        calendar = held.get(item.remote_id)
        if calendar is None:
            calendar = accounts.new_calendar(profile, item.name, now, primary=not held and position == 0, color=item.color)
            calendar.remote_id = item.remote_id
            calendar.readonly = item.readonly
            uow.calendars.add(calendar)
        else:
            calendar.name, calendar.color, calendar.readonly, calendar.deleted = item.name, item.color, item.readonly, False
        out[item.remote_id] = calendar
    for remote_id, calendar in held.items():
        if remote_id not in out:
            calendar.deleted = True
    return out


def event_uid(calendar_id: str, remote_id: str, recurrence_id: str | None) -> str:
    """A synced occurrence's calgate id: stable across syncs, so a moved event keeps its id."""
    digest = hashlib.sha256(f"{calendar_id}\n{remote_id}\n{recurrence_id or ''}".encode()).hexdigest()
    return f"evt_{digest[:24]}"


def _apply_changes(uow: UnitOfWork, calendar: model.Calendar, changes: Changes, now: dt.datetime) -> set[str]:
    """Write one calendar's changes. Returns the applications whose managed events changed."""
    held: dict[str, list[model.Event]] = {}
    for event in uow.events.at_provider(calendar.id):
        held.setdefault(event.remote_id or "", []).append(event)
    managed_by: set[str] = set()
    gone = set(held) - {r.remote_id for r in changes.changed} if changes.full else set(changes.removed)
    for remote_id in gone:
        for event in held.get(remote_id, []):
            if not event.deleted:
                event.deleted, event.updated_at = True, now
                if event.event_id is not None:
                    managed_by.add(event.application_id or "")
    new: list[dict[str, Any]] = []
    for resource in changes.changed:
        if _an_invitation_of_ours(uow, calendar, resource):
            continue
        existing = held.get(resource.remote_id, [])
        managed = [e for e in existing if e.event_id is not None]
        if managed:  # the application's own event: calgate's copy is the truth, keep the version
            for event in managed:
                event.etag = resource.etag
            continue
        by_recurrence = {e.recurrence_id: e for e in existing}
        seen = set()
        for occurrence in resource.occurrences:
            if occurrence.status == "cancelled":
                continue
            seen.add(occurrence.recurrence_id)
            event = by_recurrence.get(occurrence.recurrence_id)
            if event is None:
                new.append(_new_event(calendar, resource, occurrence, now))
                continue
            fill_event(event, occurrence, now)
            event.etag, event.remote_uid = resource.etag, resource.uid
        for event in existing:
            if event.recurrence_id not in seen and not event.deleted:
                event.deleted, event.updated_at = True, now
    uow.events.insert_many(new)
    return managed_by


def _an_invitation_of_ours(uow: UnitOfWork, calendar: model.Calendar, resource: RemoteResource) -> bool:
    """The person's copy of an invitation calgate sent them for an application's event (its UID
    is the event's, ``Event.ical_uid``), found once they can be read with details (after
    free_busy or no_calendar): the application's event counts already, so the copy is skipped,
    never stored a second time as the person's own."""
    uid = resource.uid or ""
    if not (uid.startswith("evt_") and uid.endswith("@calgate")):
        return False
    event = uow.events.get(uid[: -len("@calgate")])
    return event is not None and event.account_id == calendar.account_id and event.event_id is not None and event.remote_id != resource.remote_id


def _new_event(calendar: model.Calendar, resource: RemoteResource, occurrence: RemoteOccurrence, now: dt.datetime) -> dict[str, Any]:
    """A new synced event, as its fields (a first sync inserts thousands: no ORM objects)."""
    event_id = event_uid(calendar.id, resource.remote_id, occurrence.recurrence_id)
    return new_event_row(calendar, event_id, occurrence, now, remote_id=resource.remote_id, etag=resource.etag, remote_uid=resource.uid)


def new_event_row(
    calendar: model.Calendar, event_id: str, occurrence: RemoteOccurrence, now: dt.datetime, **remote: Any
) -> dict[str, Any]:
    """A new event of the person's own (no application manages it) as its fields, for
    ``Events.insert_many``: a synced occurrence, or an imported one (``ics_import``).
    ``remote`` names where it came from (remote_id, etag, remote_uid)."""
    return {
        "id": event_id,
        "calendar_id": calendar.id,
        "account_id": calendar.account_id,
        "application_id": None,
        "event_id": None,
        "start_at": occurrence.start_at,
        "end_at": occurrence.end_at,
        "created_at": now,
        "updated_at": now,
        "recurrence_id": occurrence.recurrence_id,
        **remote,
        **event_fields(occurrence),
    }


def fill_event(event: model.Event, occurrence: RemoteOccurrence, now: dt.datetime) -> bool:
    """Copy the occurrence onto the event; True (and a new ``updated_at``) only when something
    changed. (Also how ``ics_import`` updates an imported event.)"""
    fields = event_fields(occurrence)
    moved = (occurrence.start_at, occurrence.end_at) != (event.start_at, event.end_at)
    if not moved and all(getattr(event, name) == value for name, value in fields.items()):
        return False
    event.move(occurrence.start_at, occurrence.end_at)
    for name, value in fields.items():
        setattr(event, name, value)
    event.updated_at = now
    return True


def event_fields(occurrence: RemoteOccurrence) -> dict[str, Any]:
    """What a synced (or imported) event takes from its occurrence, besides its instants."""
    return {
        "summary": occurrence.summary,
        "description": occurrence.description,
        "start": {"time": occurrence.start.time, "tzid": occurrence.start.tzid},
        "end": {"time": occurrence.end.time, "tzid": occurrence.end.tzid},
        "location": {"description": occurrence.location} if occurrence.location else None,
        "url": occurrence.url,
        "transparency": occurrence.transparency,
        "participation_status": _participation(occurrence),
        "attendees": occurrence.attendees,
        "deleted": False,
    }


def _participation(occurrence: RemoteOccurrence) -> str:
    """The owner's answer as Free/Busy reads it (``busyness``, the one rule)."""
    return busyness.stored_participation(occurrence.status, occurrence.participation_status)


def _apply_busy(uow: UnitOfWork, calendar: model.Calendar, blocks: list[BusyBlock]) -> bool:
    """Replace the calendar's busy blocks when they differ. True when they did."""
    held = sorted((b.start_at, b.end_at, b.status) for b in uow.busy_blocks.of_calendar(calendar.id))
    wanted = sorted({(b.start, b.end, b.status) for b in blocks})
    if held == wanted:
        return False
    fresh = [
        model.BusyBlock(id=ids.new_id("blk"), calendar_id=calendar.id, account_id=calendar.account_id, start_at=start, end_at=end, status=status)
        for start, end, status in wanted
    ]
    uow.busy_blocks.replace(calendar.id, fresh)
    return True


# -- what happens around a sync: scheduling, failures, lost access ------------------------------

SYNC_JOB = "sync_profile"
MAX_BACKOFF = dt.timedelta(hours=1)


def _ordering_key(account_id: str) -> str:
    """One account's syncs run one at a time, whatever profile they read."""
    return f"sync:{account_id}"


def request_sync(uow: UnitOfWork, profile: model.Profile, at: dt.datetime, *, running_job_id: str | None = None) -> None:
    """Make sure a sync of ``profile`` runs at ``at`` at the latest: bring a waiting one forward,
    or queue one. (A new job behind a waiting one of the same account would wait for it, since
    one account's syncs run in the order they were queued.) Two callers at once (a request,
    and a sync queueing its successor) take turns on the profile's row, so each sees the
    other's job."""
    uow.profiles.lock(profile.id)
    now = model.utcnow()
    waiting = [
        job
        for job in uow.jobs.pending(SYNC_JOB, _ordering_key(profile.account_id))
        if job.payload.get("profile_id") == profile.id and job.id != running_job_id
        and not (job.locked_until is not None and job.locked_until > now)  # not one running now
    ]
    if waiting:
        for job in waiting:
            job.run_after = min(job.run_after, at)
        return
    payload = {"profile_id": profile.id, "account_id": profile.account_id, "application_id": _application_id(uow, profile)}
    uow.jobs.enqueue(SYNC_JOB, payload, ordering_key=_ordering_key(profile.account_id), run_after=at)


def _application_id(uow: UnitOfWork, profile: model.Profile) -> str | None:
    account = uow.accounts.get(profile.account_id)
    return account.application_id if account else None


def failed(uow: UnitOfWork, profile_id: str, message: str, interval: dt.timedelta, retry_after: float | None) -> dt.timedelta:
    """A sync that could not reach the provider: record it and say when to try again (doubling
    the interval per failure in a row, at most an hour, never before the server's Retry-After)."""
    profile = uow.profiles.get(profile_id)
    if profile is None:
        return interval
    profile.sync_failures += 1
    profile.sync_error = message[:500]
    delay = min(interval * 2 ** (profile.sync_failures - 1), MAX_BACKOFF)
    if retry_after:
        delay = max(delay, dt.timedelta(seconds=retry_after))
    return delay


def disconnected(uow: UnitOfWork, profile_id: str, message: str, access_mode: str = "") -> None:
    """The provider refused the credentials: the profile needs relinking. The application hears
    of it once (``profile_disconnected``); syncs stop until the person relinks. (Not when the
    refused read was in ``access_mode`` and the person has since connected in another.)"""
    profile = uow.profiles.get(profile_id)
    if profile is None or not profile.connected or access_mode not in ("", profile.access_mode):
        return
    profile.connected, profile.sync_error = False, message[:500]
    channels.notify_profile(uow, profile.account_id, "profile_disconnected")


def relinked(uow: UnitOfWork, profile_id: str, identity: str, credentials_sealed: str, now: dt.datetime) -> model.Profile:
    """The person gave working credentials again (``profile_relink_url``): sync at once."""
    profile = uow.profiles.get(profile_id)
    if profile is None or profile.revoked_at is not None or profile.credentials_sealed is None:
        raise NotFound("profile")
    if identity != profile.name:
        raise ValidationFailed.single("username", "other_account", f"These are the credentials of {identity}, not {profile.name}")
    profile.credentials_sealed, profile.connected = credentials_sealed, True
    profile.sync_error, profile.sync_failures = None, 0
    request_sync(uow, profile, now)
    return profile
