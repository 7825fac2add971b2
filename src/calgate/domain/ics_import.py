# SPDX-License-Identifier: Apache-2.0
"""Importing an iCalendar file (RFC 5545) into a calendar calgate hosts (``calgate import``).

Why: a person moving to No Calendar Access mode, or an application seeding one of its
application calendars, has their events as an ``.ics`` export (Apple Calendar, Thunderbird,
Outlook, Google). Imported, those events are the calendar's own: Free/Busy and Availability
count them and Read Events shows them, as any event of a hosted calendar.

Three steps, as a sync has (``domain.sync``), so no transaction stays open while a file is read:

1. ``target(uow, account_id, calendar_id)``: the hosted calendar to import into (the account's
   primary hosted calendar by default). A calendar synced from a provider is refused
   (``NotHosted``): its provider holds its events, calgate only mirrors them.
2. ``read(data, reader, owners, window, progress)``: the file split into its events (one per
   UID, with its RECURRENCE-ID overrides and the VTIMEZONEs of its VCALENDAR; several
   VCALENDARs one after another are read too) and each event read by ``reader`` — the
   providers' own reader, ``providers.ical_reader.read_resource``, passed in by the caller so
   the domain does not depend on the providers. Events it cannot read are listed as ``Broken``.
3. ``apply(uow, target, parsed, now)``: written in one transaction. **All or nothing**: if any
   event is broken nothing is written (``BrokenEvents``), unless ``skip_broken`` asks to import
   the others and report the broken ones.

**Recurrences.** Like a synced calendar, a hosted calendar keeps one row per occurrence (there
is no RRULE column): a recurring event (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) becomes
its occurrences within ``window`` (by default the window a sync keeps, ``sync.window``), each
carrying the event's UID and its original start as ``recurrence_id``, so excluded dates stay
out and moved occurrences sit where they were moved to. A one-off event is imported wherever it
falls. Occurrences the file marks cancelled are left out.

**Importing again** never duplicates: an imported occurrence is keyed by (UID, RECURRENCE-ID)
within its calendar. What changed is updated, what the file no longer has of an event it still
contains is deleted (for a recurring event only within the window that was read), and events
the file does not mention are left alone. Imported events belong to no application (no
``event_id``): the person's own, as synced events are. When anything changed, the account's
push notification channels hear of it (``channels.notify_change``) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import icalendar

from calgate.domain import access_modes, channels, model, sync
from calgate.domain.calendar_sources import RemoteOccurrence
from calgate.domain.errors import CalgateError, NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

# ``providers.ical_reader.read_resource``: (one resource, start, end, owner emails) → (UID, occurrences).
Reader = Callable[[bytes, dt.datetime, dt.datetime, set[str]], tuple[str, list[RemoteOccurrence]]]
Progress = Callable[[int, int], None]  # (events read, events in the file)

MAX_WINDOW = dt.timedelta(days=5 * 366)
# Where a one-off event may fall: anywhere a calendar could hold it.
_ALL_TIME = (dt.datetime(1900, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2200, 1, 1, tzinfo=dt.timezone.utc))
_RECURRENCE = ("RRULE", "RDATE", "RECURRENCE-ID")
_PRODID = "-//calgate//ics import//EN"


class NotHosted(CalgateError):
    """The calendar (or the account's calendars) are not calgate's own to import into."""


class NotICalendar(CalgateError):
    """The file is not iCalendar at all (no VCALENDAR could be read)."""


@dataclass(frozen=True)
class Broken:
    uid: str  # "" when the event has no UID
    reason: str  # never quotes the file's data (``IcalError`` messages do not)

    def __str__(self) -> str:
        return f"{self.uid or '(an event without UID)'}: {self.reason}"


class BrokenEvents(CalgateError):
    """Some events of the file cannot be read; nothing was imported."""

    def __init__(self, broken: list[Broken]) -> None:
        super().__init__(f"{len(broken)} event(s) of the file cannot be read: " + "; ".join(str(b) for b in broken))
        self.broken = broken


@dataclass(frozen=True)
class Window:
    """Where recurring events are expanded: occurrences overlapping [start, end)."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def default(cls, now: dt.datetime) -> "Window":
        return cls(*sync.window(now))

    @classmethod
    def checked(cls, start: dt.datetime, end: dt.datetime) -> "Window":
        if end <= start:
            raise ValidationFailed.single("to", "invalid", "the window's end must be after its start")
        if end - start > MAX_WINDOW:
            raise ValidationFailed.single("to", "invalid", f"the window may be at most {MAX_WINDOW.days} days long")
        return cls(start, end)

    def overlaps(self, start_at: dt.datetime, end_at: dt.datetime) -> bool:
        return start_at < self.end and end_at > self.start


@dataclass(frozen=True)
class Target:
    account_id: str
    calendar_id: str
    calendar_name: str
    owners: frozenset[str]  # the person's addresses: their answer to an invitation is read by them


@dataclass(frozen=True)
class Series:
    """One event of the file (one UID) as read: its occurrences, and whether it recurs."""

    uid: str
    recurring: bool
    occurrences: list[RemoteOccurrence]


@dataclass(frozen=True)
class Parsed:
    window: Window
    series: list[Series] = field(default_factory=list)
    broken: list[Broken] = field(default_factory=list)

    @property
    def occurrences(self) -> int:
        return sum(len(s.occurrences) for s in self.series)


@dataclass
class Report:
    events: int = 0  # UIDs imported
    created: int = 0  # occurrences
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    broken: list[Broken] = field(default_factory=list)  # skipped (``skip_broken``)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


# --- 1. where to -------------------------------------------------------------------------


def target(uow: UnitOfWork, account_id: str, calendar_id: str | None = None) -> Target:
    """The hosted calendar ``calendar_id`` of the account, or its primary hosted calendar.
    NotFound for an unknown account or calendar; NotHosted for a calendar synced from a provider."""
    account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound("account")
    calendar = _primary_hosted(uow, account) if calendar_id is None else uow.calendars.get(calendar_id)
    if calendar is None or calendar.account_id != account.id or calendar.deleted:
        raise NotFound("calendar")
    profile = uow.profiles.get(calendar.profile_id)
    if profile is None or profile.revoked_at is not None:
        raise NotFound("calendar")
    if profile.provider != access_modes.HOSTED_PROVIDER:
        raise NotHosted(
            f"calendar {calendar.id} is synced from {profile.provider}: its events live there, so import them "
            "into that calendar at the provider; only calendars calgate hosts (No Calendar Access, application "
            "calendars) take imports"
        )
    if calendar.readonly:
        raise NotHosted(f"calendar {calendar.id} is read-only")
    owners = frozenset(a.strip().lower() for a in (account.email, profile.name) if a and "@" in a)
    return Target(account.id, calendar.id, calendar.name, owners)


def _primary_hosted(uow: UnitOfWork, account: model.Account) -> model.Calendar:
    hosted = [
        p for p in uow.profiles.of_account(account.id) if p.provider == access_modes.HOSTED_PROVIDER and p.revoked_at is None
    ]
    calendars = [c for p in hosted for c in uow.calendars.of_profile(p.id) if not c.deleted]
    if not calendars:
        raise NotHosted(
            f"account {account.id} has no calendar calgate hosts (its calendars are synced from a provider); "
            "only No Calendar Access accounts and application calendars take imports"
        )
    return next((c for c in calendars if c.primary), calendars[0])


# --- 2. reading the file -----------------------------------------------------------------


@dataclass
class _Resource:
    uid: str
    components: list[icalendar.Component]
    zones: dict[str, icalendar.Component]

    @property
    def recurring(self) -> bool:
        return any(name in c for c in self.components for name in _RECURRENCE)

    def to_ical(self) -> bytes:
        """One calendar object resource (RFC 4791 §4.1): the event's components and the zones."""
        calendar = icalendar.Calendar()
        calendar.add("prodid", _PRODID)
        calendar.add("version", "2.0")
        for zone in self.zones.values():
            calendar.add_component(zone)
        for component in self.components:
            calendar.add_component(component)
        return bytes(calendar.to_ical())


def split(data: bytes) -> tuple[list[_Resource], list[Broken]]:
    """The file's VEVENTs grouped by UID, each with the VTIMEZONEs of the VCALENDAR it came
    from (two Outlook exports may give one TZID different rules); events without UID are broken."""
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except Exception:  # icalendar raises ValueError and worse; its messages quote the data
        raise NotICalendar("the file is not iCalendar (RFC 5545): no VCALENDAR could be read") from None
    calendars = [c for c in calendars if getattr(c, "name", None) == "VCALENDAR"]
    if not calendars:
        raise NotICalendar("the file holds no VCALENDAR")
    resources: dict[str, _Resource] = {}
    broken: list[Broken] = []
    for calendar in calendars:
        zones = {str(z["TZID"]): z for z in calendar.subcomponents if z.name == "VTIMEZONE" and "TZID" in z}
        for component in calendar.subcomponents:
            if component.name != "VEVENT":
                continue  # VTODO, VJOURNAL, VFREEBUSY: not events
            uid = str(component.get("UID", "")).strip()
            if not uid:
                broken.append(Broken("", "the event has no UID"))
                continue
            resource = resources.setdefault(uid, _Resource(uid, [], dict(zones)))
            resource.components.append(component)
            for tzid, zone in zones.items():
                resource.zones.setdefault(tzid, zone)
    return list(resources.values()), broken


def read(data: bytes, reader: Reader, owners: Iterable[str], window: Window, progress: Progress | None = None) -> Parsed:
    """Every event of the file read with ``reader``: recurring ones within ``window``, one-off
    ones wherever they fall. Raises NotICalendar; events that cannot be read are ``broken``."""
    resources, broken = split(data)
    parsed = Parsed(window=window, broken=broken)
    people = set(owners)
    for done, resource in enumerate(resources, start=1):
        start, end = (window.start, window.end) if resource.recurring else _ALL_TIME
        try:
            _, occurrences = reader(resource.to_ical(), start, end, people)
        except ValueError as exc:  # ``IcalError``: its message quotes none of the data
            parsed.broken.append(Broken(resource.uid, str(exc) or "the event cannot be read"))
        except Exception as exc:  # whatever else a reader trips on is this event's problem, not the file's
            parsed.broken.append(Broken(resource.uid, f"the event cannot be read ({type(exc).__name__})"))
        else:
            parsed.series.append(Series(resource.uid, resource.recurring, occurrences))
        if progress is not None:
            progress(done, len(resources))
    return parsed


# --- 3. writing --------------------------------------------------------------------------


def apply(uow: UnitOfWork, where: Target, parsed: Parsed, now: dt.datetime, *, skip_broken: bool = False) -> Report:
    """Write ``parsed`` into the calendar (see the module's Importing again). Raises BrokenEvents
    before writing anything when the file has broken events, unless ``skip_broken``."""
    if parsed.broken and not skip_broken:
        raise BrokenEvents(parsed.broken)
    calendar_id = target(uow, where.account_id, where.calendar_id).calendar_id  # still there, still hosted
    calendar = uow.calendars.get(calendar_id)
    assert calendar is not None
    held: dict[str, list[model.Event]] = {}
    for event in uow.events.in_calendar(calendar.id):
        if event.event_id is None and event.remote_id is None and event.remote_uid:
            held.setdefault(event.remote_uid, []).append(event)
    report = Report(events=len(parsed.series), broken=list(parsed.broken))
    new: list[dict[str, Any]] = []
    for series in parsed.series:
        new += _apply_series(calendar, series, held.get(series.uid, []), parsed.window, now, report)
    uow.events.insert_many(new)
    if report.changed:
        channels.notify_change(uow, calendar.account_id, [calendar.id], now)
    return report


def _apply_series(
    calendar: model.Calendar, series: Series, held: list[model.Event], window: Window, now: dt.datetime, report: Report
) -> list[dict[str, Any]]:
    """Update the occurrences calgate holds of one event, delete those it lost; the new ones' rows."""
    by_recurrence = {e.recurrence_id: e for e in held}
    seen: set[str | None] = set()
    new: list[dict[str, Any]] = []
    for occurrence in series.occurrences:
        if occurrence.status == "cancelled" or occurrence.recurrence_id in seen:
            continue
        seen.add(occurrence.recurrence_id)
        event = by_recurrence.get(occurrence.recurrence_id)
        if event is None:
            new.append(_new_row(calendar, series.uid, occurrence, now))
            report.created += 1
        elif sync.fill_event(event, occurrence, now):
            report.updated += 1
        else:
            report.unchanged += 1
    for event in held:
        read_all = not series.recurring or event.recurrence_id is None or window.overlaps(event.start_at, event.end_at)
        if event.recurrence_id not in seen and not event.deleted and read_all:
            event.deleted, event.updated_at = True, now
            report.deleted += 1
    return new


def event_uid(calendar_id: str, uid: str, recurrence_id: str | None) -> str:
    """An imported occurrence's calgate id: the same on every import of it, so two imports racing
    each other cannot both insert it (the loser's transaction fails and runs again)."""
    return sync.event_uid(calendar_id, f"ics:{uid}", recurrence_id)


def _new_row(calendar: model.Calendar, uid: str, occurrence: RemoteOccurrence, now: dt.datetime) -> dict[str, Any]:
    return sync.new_event_row(calendar, event_uid(calendar.id, uid, occurrence.recurrence_id), occurrence, now, remote_uid=uid)
