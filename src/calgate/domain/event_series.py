# SPDX-License-Identifier: Apache-2.0
"""A recurring managed event's stored occurrences (``recurrence`` says why they are stored).

The series' own row is the application's event and its first occurrence: it carries the
rules, is written to the provider and sent in invitations (with its RRULE). Every other
occurrence up to the horizon is a row of its own naming the series (``series_id``) and
sharing its ``event_id``, content and iCalendar UID, with ``recurrence_id`` its original
start, so the readers that walk rows (Read Events, the busy timelines behind Free/Busy and
Availability) see each occurrence as the person's calendar shows it. ``store`` brings them in
line with the series after every change: new ones added, changed ones updated (only when
they differ), vanished ones (and all of them, once the series is deleted or stops recurring)
marked deleted.
"""

from __future__ import annotations

import datetime as dt

from calgate.domain import ical_resource, ids, model, recurrence, times
from calgate.domain.ports import UnitOfWork

# What an occurrence copies from its series besides its times.
_SHARED = (
    "summary", "description", "location", "url", "reminders", "transparency", "color", "attendees",
    "participation_status", "sequence", "tags", "conferencing", "event_private", "extended_transparency", "delivery",
)


def occurrences(event: model.Event, now: dt.datetime) -> list[recurrence.Occurrence]:
    """The series' occurrences, its own first (none when it does not recur)."""
    if recurrence.from_data(event.recurrence) is None:
        return []
    component = ical_resource.vevent(event, organizer=None, attendees=[], status=None, alarms=False)
    start = times.parse_event_time(event.start, "start", None)
    end = times.parse_event_time(event.end, "end", None)
    return recurrence.occurrences(component, start, end, now)


def store(uow: UnitOfWork, event: model.Event, now: dt.datetime) -> None:
    held = {row.recurrence_id: row for row in uow.events.of_series(event.id)} if event.recurrence or not _new(event) else {}
    wanted = [] if event.deleted else occurrences(event, now)[1:]
    for occurrence in wanted:
        row = held.pop(occurrence.recurrence_id, None)
        if row is None:
            row = model.Event(
                id=ids.new_id("evt"), calendar_id=event.calendar_id, account_id=event.account_id,
                application_id=event.application_id, event_id=event.event_id, summary=event.summary,
                start={}, end={}, start_at=now, end_at=now, created_at=now, updated_at=now,
                series_id=event.id, recurrence_id=occurrence.recurrence_id, remote_uid=event.ical_uid,
            )
            _copy(event, row, occurrence, now)
            uow.events.add(row)
        else:
            _copy(event, row, occurrence, now)
    for row in held.values():
        if not row.deleted:
            row.deleted, row.updated_at = True, now


def _new(event: model.Event) -> bool:
    return event.sequence == 0 and not event.deleted


def _copy(series: model.Event, row: model.Event, occurrence: recurrence.Occurrence, now: dt.datetime) -> None:
    start = {"time": occurrence.start.wire(), "tzid": occurrence.start.tzid}
    end = {"time": occurrence.end.wire(), "tzid": occurrence.end.tzid}
    changed = row.deleted or row.start != start or row.end != end or any(getattr(row, n) != getattr(series, n) for n in _SHARED)
    if not changed:
        return
    row.move(occurrence.start.instant("Etc/UTC"), occurrence.end.instant("Etc/UTC"))
    row.start, row.end = start, end
    for name in _SHARED:
        value = getattr(series, name)
        setattr(row, name, list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value)
    row.deleted, row.updated_at = False, now
