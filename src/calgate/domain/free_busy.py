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
- Blocks are ordered by (start, event uid or block id) and paged by keyset (``reads.page_of``).

The entries are chosen and ordered in microseconds; only the page's blocks are built.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import replace

from calgate.domain import busy_timeline, reads, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.availability.timeline import from_micros, to_micros
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
    shows = _Filter(query, caller.application.id, managed, to_micros(cursor.snapshot))
    chosen: list[tuple[int, str, Entry]] = []
    for calendar_id in calendar_ids:
        found = busy_timeline.scan(
            stored[calendar_id], None if unbounded else query.start, None if unbounded else query.end, query.tzid, touching=True,
        )
        chosen.extend((entry.start_us, entry.ref[0], entry) for entry in found if shows(entry))
    chosen.sort(key=_order)
    first = 0 if cursor.after is None else bisect_right(chosen, (to_micros(cursor.after[0]), cursor.after[1]), key=_order)
    shown = [_block(entry, query.tzid, caller.application.id) for _, _, entry in chosen[first : first + page_size]]
    return reads.page_of(shown, len(chosen) - first, lambda b: b.key, cursor, page_size)


def _order(chosen: tuple[int, str, Entry]) -> tuple[int, str]:
    return chosen[0], chosen[1]


class _Filter:
    """Whether an entry is shown, in microseconds: the window, the snapshot, ``last_modified``
    and managed events (the module's rules)."""

    def __init__(self, query: Query, application_id: str, managed: bool, snapshot: int) -> None:
        self.lo, self.hi = to_micros(query.start), to_micros(query.end)
        self.since = None if query.last_modified is None else to_micros(query.last_modified)
        self.query, self.application_id, self.managed, self.snapshot = query, application_id, managed, snapshot

    def __call__(self, entry: Entry) -> bool:
        query = self.query
        within = entry.start_us < self.hi and entry.end_us >= self.lo
        if entry.is_block:
            return not query.only_managed and within and entry.end_us > self.lo
        if entry.created > self.snapshot or (self.since is not None and entry.updated < self.since):
            return False
        _, event_id, owner = entry.ref[:3]
        if event_id and owner == self.application_id:
            return self.managed and (within or query.managed_unbounded)
        return not query.only_managed and within


def _block(entry: Entry, tzid: str, application_id: str) -> Block:
    start_at, end_at = from_micros(entry.start_us), from_micros(entry.end_us)
    status = busy_timeline.status_of(entry.flags)
    if entry.is_block:
        return Block(entry.calendar_id, times.EventTime(start_at, tzid), times.EventTime(end_at, tzid), status, (start_at, entry.ref[0]))
    uid, event_id, owner, start_tzid, end_tzid = entry.ref
    own = bool(event_id) and owner == application_id
    apart = entry.apart
    if apart is not None and not isinstance(apart.start, int):
        start = times.parse_event_time(apart.start, "start", None)
        end = times.parse_event_time(apart.end, "end", None)
    else:
        start, end = times.EventTime(start_at, start_tzid), times.EventTime(end_at, end_tzid)
    if own:
        return Block(entry.calendar_id, start, end, status, (start_at, uid), uid, event_id)
    return Block(entry.calendar_id, start, end, status, (start_at, uid))
