# SPDX-License-Identifier: Apache-2.0
"""Free/Busy (GET /v1/free_busy and its pages), read from the calendars' busy timelines
(``busy_timeline``) instead of the event rows: the same blocks, by the same rules as Read
Events (``reads``: the window, managed events, the snapshot, ``last_modified``, paging), with
the entries' busy-ness already decided when the timeline was built.

- An event's block is shown when it starts before ``to`` and ends on or after ``from`` (the
  reader's instants; all-day events at the reader's midnights), was created by the first
  page's snapshot and, with ``last_modified``, changed since. The application's own events
  (managed) only with ``include_managed`` or ``only_managed``, and then, when neither ``from``
  nor ``to`` was given, whatever their time.
- A free_busy profile's busy block is shown when it overlaps the window (it has no event, no
  snapshot and no ``last_modified``); ``only_managed`` leaves blocks out.
- Blocks are ordered by (start, event uid or block id) and paged by keyset (``reads.paginate``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from calgate.domain import busy_timeline, reads, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.availability.timeline import to_micros
from calgate.domain.busy_timeline import Entry
from calgate.domain.ports import UnitOfWork
from calgate.domain.reads import Block, Cursor, Page, Query


def read_free_busy(uow: UnitOfWork, caller: Caller, request: Query | Cursor, page_size: int, now: dt.datetime) -> Page[Block]:
    """Free/Busy: busy and tentative blocks; free time (transparent, declined, deleted) is
    simply absent. The first page for a ``Query``, a later one for a ``Cursor``."""
    caller.require(scopes.READ_FREE_BUSY)
    cursor = reads.cursor_for(caller, reads.FREE_BUSY, request, now)
    query = replace(cursor.query, include_deleted=False, include_moved=False)
    calendar_ids = reads.visible_calendars(uow, caller, query)
    managed = query.include_managed or query.only_managed
    unbounded = query.managed_unbounded and managed
    stored = uow.busy_timelines.of_calendars(calendar_ids, refs=True) if calendar_ids else {}
    snapshot = to_micros(cursor.snapshot)
    since = None if query.last_modified is None else to_micros(query.last_modified)
    blocks = []
    for calendar_id in calendar_ids:
        found = busy_timeline.scan(
            stored[calendar_id], None if unbounded else query.start, None if unbounded else query.end, query.tzid, touching=True,
        )
        for entry in found:
            shown = _block(entry, query, caller.application.id, managed, snapshot, since)
            if shown is not None:
                blocks.append(shown)
    blocks.sort(key=lambda b: b.key)
    return reads.paginate(blocks, lambda b: b.key, cursor, page_size)


def _block(entry: Entry, query: Query, application_id: str, managed: bool, snapshot: int, since: int | None) -> Block | None:
    within = entry.start < query.end and entry.end >= query.start
    if entry.is_block:
        if query.only_managed or not (within and entry.end > query.start):
            return None
        return Block(
            calendar_id=entry.calendar_id, start=times.EventTime(entry.start, query.tzid),
            end=times.EventTime(entry.end, query.tzid), status=entry.status, key=(entry.start, entry.ref[0]),
        )
    uid, event_id, owner, start_tzid, end_tzid = entry.ref
    if entry.created > snapshot or (since is not None and entry.updated < since):
        return None
    own = bool(event_id) and owner == application_id
    if own:
        if not managed:
            return None
        if not (within or query.managed_unbounded):
            return None
    elif query.only_managed or not within:
        return None
    if entry.apart is not None and not isinstance(entry.apart.start, int):
        start = times.parse_event_time(entry.apart.start, "start", None)
        end = times.parse_event_time(entry.apart.end, "end", None)
    else:
        start, end = times.EventTime(entry.start, start_tzid), times.EventTime(entry.end, end_tzid)
    return Block(
        calendar_id=entry.calendar_id, start=start, end=end, status=entry.status, key=(entry.start, uid),
        event_uid=uid if own else None, event_id=event_id if own else None,
    )
