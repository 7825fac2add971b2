# SPDX-License-Identifier: Apache-2.0
"""A person's busy time as plain spans, for the availability engine: Free/Busy's answer (the
same rows, the same ``reads.free_busy_status`` rule) without its paging and wire shapes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from calgate.domain import accounts, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.availability.explain import BusyItem
from calgate.domain.errors import NotFound
from calgate.domain.model import BusyRow
from calgate.domain.ports import UnitOfWork
from calgate.domain.reads import ALL_DAY_MARGIN, free_busy_status


@dataclass(frozen=True)
class Excluded:
    """Events a query ignores (Availability's ``excluded_events``, e.g. the meeting being
    moved): by ``event_uid``, or by the asking application's own ``event_id``."""

    event_uids: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()

    def covers(self, row: BusyRow, application_id: str) -> bool:
        return row.id in self.event_uids or (row.event_id in self.event_ids and row.application_id == application_id)


def busy_spans(
    uow: UnitOfWork, caller: Caller, calendar_ids: Sequence[str], start: dt.datetime, end: dt.datetime, tzid: str,
    *, tentative: bool = True, excluded: Excluded | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """When the caller's person is busy or tentative between start and end: Free/Busy's
    answer without its paging and wire shapes, for the availability engine (it reads the
    same rows as Free/Busy, only as lean tuples: events, and the busy blocks of free_busy
    profiles). ``calendar_ids`` empty means all. ``tentative=False`` leaves tentative time out
    (calgate's ``tentative_as_busy: false``); events in ``excluded`` are left out."""
    items = busy_items(uow, caller, calendar_ids, start, end, tzid, tentative=tentative, excluded=excluded)
    return [(i.start, i.end) for i in items]


def busy_items(
    uow: UnitOfWork, caller: Caller, calendar_ids: Sequence[str], start: dt.datetime, end: dt.datetime, tzid: str,
    *, tentative: bool = True, excluded: Excluded | None = None,
) -> list[BusyItem]:
    """``busy_spans`` with each span's status and, where the application may see the event
    behind it, the event: its own events (``event_id`` and ``event_uid``), and any event in a
    mode that reads calendar events (``event_uid``); never a free_busy block's."""
    caller.require(scopes.READ_FREE_BUSY)
    visible = {c.id for v in accounts.profiles(uow, caller) for c in v.calendars}
    if set(calendar_ids) - visible:
        raise NotFound("calendar")
    wanted = sorted(calendar_ids or visible)
    if not wanted:
        return []
    sees_events = caller.policy.reads_calendar_events
    items = []
    for row in uow.events.busy_rows(caller.account.id, wanted, start - ALL_DAY_MARGIN, end + ALL_DAY_MARGIN):
        status = free_busy_status(row)
        if status is None or (status == "tentative" and not tentative):
            continue
        if excluded is not None and excluded.covers(row, caller.application.id):
            continue
        if "T" in row.start["time"]:  # a Time: the stored instants are the event's
            span = (row.start_at, row.end_at)
        else:  # a Date: midnights in the reader's zone
            span = (
                times.parse_event_time(row.start, "start", None).instant(tzid),
                times.parse_event_time(row.end, "end", None).instant(tzid),
            )
        if span[0] < end and span[1] > start:
            own = row.event_id is not None and row.application_id == caller.application.id
            uid = row.id if own or sees_events else None
            items.append(BusyItem(span[0], span[1], status, uid, row.event_id if own else None))
    blocks = uow.busy_blocks.in_window(caller.account.id, wanted, start, end)
    items.extend(BusyItem(b.start_at, b.end_at, b.status) for b in blocks if tentative or b.status != "tentative")
    items.sort(key=lambda i: (i.start, i.end))
    return items
