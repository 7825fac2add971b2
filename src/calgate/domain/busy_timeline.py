# SPDX-License-Identifier: Apache-2.0
"""Each calendar's busy time, kept ready to read: what Free/Busy and Availability read instead
of the event rows.

A calendar's ``CalendarBusy`` holds every entry that makes its owner busy or tentative — its
live events, by the one busy-ness rule (``busyness.event_status``, applied once, when the
timeline is built), and the busy blocks of a free_busy profile's calendar — in the form the
availability engine reads (``availability.timeline``): integer microseconds, sorted by start,
with the running maximum of the ends (*reach*) beside them. A member with one calendar becomes
an engine ``Timeline`` by slicing two arrays, with no work per event.

The store keeps one ``CalendarBusy`` per calendar (``store/busy_timelines``), rebuilt from the
rows in the same transaction as every change to the calendar's events or busy blocks (event
writes, syncs, imports), so it never disagrees with them (a property test rebuilds it after
random writes and compares). Its stored form (``encode``/``decode``), each part read only by
the readers that need it:

- the *index*: the starts and the reach, two little-endian int64 arrays (16 bytes a timed
  entry): all that the engine reads of a member with one calendar;
- the *details*: the ends, when each entry's event was created and last changed (Free/Busy's
  snapshot and ``last_modified``), and a byte of flags (tentative, busy block): 25 bytes more;
- the *references*: a JSON list of the event behind each entry (``excluded_events``,
  ``explain`` and Free/Busy's ``event_uid``);
- the all-day entries apart, as their dates: an all-day event spans the *reader's* local
  midnights, so its instants are only known when it is read.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from heapq import merge as heap_merge
from typing import Any, NamedTuple

from calgate.domain import busyness, times
from calgate.domain.availability.explain import BusyItem
from calgate.domain.availability.timeline import Timeline, from_micros, to_micros

TENTATIVE = 1  # flag: the entry is tentative (else busy)
BLOCK = 2  # flag: a free_busy profile's busy block (no event behind it)
_SWAP = sys.byteorder != "little"  # stored little-endian whatever the machine


class TimelineRow(NamedTuple):
    """What a timeline needs of one live event. ``start_date``/``end_date``: the event's
    start and end as stored (``{"time": Date, "tzid"?}``) for an all-day event, None for a timed
    one (whose instants are ``start_at``/``end_at``)."""

    id: str
    event_id: str | None
    application_id: str | None
    start_at: dt.datetime
    end_at: dt.datetime
    start_date: dict[str, Any] | None
    end_date: dict[str, Any] | None
    transparency: str
    participation_status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    deleted: bool = False


class BlockRow(NamedTuple):
    """A free_busy profile's busy block (Free/Busy filters blocks by neither creation nor
    change, so the timeline keeps neither)."""

    id: str
    start_at: dt.datetime
    end_at: dt.datetime
    status: str


Ref = tuple[str, ...]  # (event_uid, event_id, application_id) of an event; (block_id,) of a block


@dataclass(frozen=True)
class AllDay:
    start: dict[str, Any]
    end: dict[str, Any]
    flags: int
    ref: Ref
    created: int
    updated: int


@dataclass(frozen=True)
class Excluded:
    """Events a query ignores (Availability's ``excluded_events``, e.g. the meeting being
    moved): by ``event_uid``, or by the asking application's own ``event_id``."""

    event_uids: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.event_uids or self.event_ids)

    def covers(self, ref: Ref, application_id: str) -> bool:
        if len(ref) != 3:  # a busy block: no event to name
            return False
        return ref[0] in self.event_uids or (ref[1] in self.event_ids and ref[2] == application_id)


@dataclass
class CalendarBusy:
    """One calendar's busy entries. Timed ones: parallel arrays sorted by (start, end, ref),
    microseconds. What was not read (see ``decode``) is None: the details (``ends``,
    ``created``, ``updated``, ``flags``) or the ``refs``; ``tentative`` counts the tentative
    entries, timed or all-day."""

    calendar_id: str
    starts: array = field(default_factory=lambda: array("q"))
    reach: array = field(default_factory=lambda: array("q"))
    ends: array | None = field(default_factory=lambda: array("q"))
    created: array | None = field(default_factory=lambda: array("q"))
    updated: array | None = field(default_factory=lambda: array("q"))
    flags: bytes | None = b""
    refs: list[Ref] | None = field(default_factory=list)
    all_day: list[AllDay] = field(default_factory=list)
    tentative: int = 0

    def __len__(self) -> int:
        return len(self.starts) + len(self.all_day)

    @property
    def detailed(self) -> bool:
        return self.ends is not None

    def same_entries(self, other: "CalendarBusy") -> bool:
        """Equal content (the consistency check of the tests and ``calgate`` itself)."""
        return encode(self) == encode(other)


def build(calendar_id: str, rows: Iterable[TimelineRow], blocks: Iterable[BlockRow] = ()) -> CalendarBusy:
    """The calendar's timeline from its live events and busy blocks, the busy-ness rule applied."""
    timed: list[tuple[int, int, Ref, int, int, int]] = []
    all_day: list[AllDay] = []
    for row in rows:
        status = busyness.event_status(row)
        if status is None:
            continue
        flags = TENTATIVE if status == busyness.TENTATIVE else 0
        ref: Ref = (row.id, row.event_id or "", row.application_id or "")
        created, updated = to_micros(row.created_at), to_micros(row.updated_at)
        if row.start_date is not None and row.end_date is not None:
            all_day.append(AllDay(row.start_date, row.end_date, flags, ref, created, updated))
            continue
        start, end = to_micros(row.start_at), to_micros(row.end_at)
        if start < end:
            timed.append((start, end, ref, flags, created, updated))
    for block in blocks:
        start, end = to_micros(block.start_at), to_micros(block.end_at)
        if start < end:
            timed.append((start, end, (block.id,), BLOCK | (TENTATIVE if block.status == busyness.TENTATIVE else 0), 0, 0))
    timed.sort()
    starts, reach, ends, made, changed = (array("q") for _ in range(5))
    flags = bytearray()
    refs: list[Ref] = []
    top = -(2**62)
    for start, end, ref, flag, created, updated in timed:
        starts.append(start)
        ends.append(end)
        top = max(top, end)
        reach.append(top)
        made.append(created)
        changed.append(updated)
        flags.append(flag)
        refs.append(ref)
    days = sorted(all_day, key=lambda a: (str(a.start.get("time", "")), a.ref))
    tentative = sum(1 for f in flags if f & TENTATIVE) + sum(1 for a in days if a.flags & TENTATIVE)
    return CalendarBusy(calendar_id, starts, reach, ends, made, changed, bytes(flags), refs, days, tentative)


# -- the stored form ----------------------------------------------------------------------


class Encoded(NamedTuple):
    size: int  # timed entries
    tentative: int
    index: bytes
    details: bytes
    refs: str
    all_day: str


def _pack(*arrays: Sequence[int]) -> bytes:
    out = []
    for values in arrays:
        a = array("q", values)
        if _SWAP:
            a.byteswap()
        out.append(a.tobytes())
    return b"".join(out)


def _unpack(data: bytes, size: int, count: int) -> list[array]:
    arrays = []
    for k in range(count):
        a = array("q")
        a.frombytes(data[k * 8 * size : (k + 1) * 8 * size])
        if _SWAP:
            a.byteswap()
        arrays.append(a)
    return arrays


def encode(busy: CalendarBusy) -> Encoded:
    if busy.ends is None or busy.created is None or busy.updated is None or busy.flags is None or busy.refs is None:
        raise ValueError("only a timeline read whole (details and references) can be stored")
    refs = json.dumps([list(r) for r in busy.refs], separators=(",", ":"))
    days = json.dumps(
        [[a.start, a.end, a.flags, list(a.ref), a.created, a.updated] for a in busy.all_day], separators=(",", ":")
    )
    details = _pack(busy.ends, busy.created, busy.updated) + bytes(busy.flags)
    return Encoded(len(busy.starts), busy.tentative, _pack(busy.starts, busy.reach), details, refs, days)


def decode(
    calendar_id: str, size: int, tentative: int, index: bytes, all_day: str, details: bytes | None = None, refs: str | None = None,
) -> CalendarBusy:
    """A stored timeline; ``details``/``refs`` None: not read."""
    starts, reach = _unpack(index, size, 2)
    ends = made = changed = None
    flags = None
    if details is not None:
        ends, made, changed = _unpack(details, size, 3)
        flags = details[24 * size : 25 * size]
    days = [AllDay(s, e, f, tuple(r), c, u) for s, e, f, r, c, u in json.loads(all_day)] if all_day != "[]" else []
    return CalendarBusy(
        calendar_id, starts, reach, ends, made, changed, flags,
        None if refs is None else [tuple(r) for r in json.loads(refs)], days, tentative,
    )


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Who reads busy time, over which window: entries that start before ``end`` and end
    after ``start`` count. ``tzid``: where all-day events' midnights are. ``tentative``: whether
    tentative entries count. ``excluded``: events left out."""

    start: dt.datetime
    end: dt.datetime
    tzid: str
    application_id: str
    tentative: bool = True
    excluded: Excluded = field(default_factory=Excluded)
    sees_events: bool = False  # may the reader see events it does not own (their event_uid)?

    @property
    def needs_refs(self) -> bool:
        return bool(self.excluded)


def needs_details(calendars: Sequence[CalendarBusy], reader: Reader) -> bool:
    """Whether ``timeline`` needs more than the index of ``calendars`` (read without details):
    busy time of several calendars to merge, all-day events, events or tentative time to leave out."""
    return _as_stored(calendars, reader) is None


def _range(busy: CalendarBusy, start: int, end: int) -> tuple[int, int]:
    """The index range of timed entries that may overlap [start, end): before it, every entry
    (and all before it) ends by ``start``; from its end on, every entry starts at ``end`` or later."""
    first = bisect_right(busy.reach, start)
    return first, bisect_left(busy.starts, end, first)


def timeline(calendars: Sequence[CalendarBusy], reader: Reader) -> Timeline:
    """A member's busy time over ``reader``'s window, for the engine: what ``items`` gives, as
    a ``Timeline``. One calendar with nothing to leave out is two array slices."""
    stored = _as_stored(calendars, reader)
    if stored is None:
        return Timeline([(i.start, i.end) for i in items(calendars, reader)])
    if not stored:
        return Timeline()
    busy, a, b = stored
    return Timeline.indexed(busy.starts[a:b].tolist(), busy.reach[a:b].tolist())


def _as_stored(calendars: Sequence[CalendarBusy], reader: Reader) -> tuple[CalendarBusy, int, int] | tuple[()] | None:
    """The one index range that is the reader's whole busy time as stored (``()``: none at
    all), or None when the busy time must be gathered entry by entry."""
    start, end = to_micros(reader.start), to_micros(reader.end)
    live = []
    for busy in calendars:
        a, b = _range(busy, start, end)
        if b > a:
            live.append((busy, a, b))
    if len(live) > 1 or reader.excluded or any(_days_in(busy, reader) for busy in calendars):
        return None
    if not reader.tentative and any(busy.tentative for busy in calendars):
        return None
    return live[0] if live else ()


def _days_in(busy: CalendarBusy, reader: Reader) -> list[tuple[dt.datetime, dt.datetime, AllDay]]:
    out = []
    for day in busy.all_day:
        s = times.parse_event_time(day.start, "start", None).instant(reader.tzid)
        e = times.parse_event_time(day.end, "end", None).instant(reader.tzid)
        if s < reader.end and e > reader.start:
            out.append((s, e, day))
    return out


class Entry(NamedTuple):
    """One busy entry as a reader sees it."""

    start: dt.datetime
    end: dt.datetime
    status: str
    calendar_id: str
    ref: Ref
    flags: int
    created: int
    updated: int
    all_day: AllDay | None = None

    @property
    def is_block(self) -> bool:
        return bool(self.flags & BLOCK)


def entries(calendars: Sequence[CalendarBusy], reader: Reader) -> list[Entry]:
    """Every entry of ``calendars`` in the reader's window that counts for it, by (start, end)."""
    start, end = to_micros(reader.start), to_micros(reader.end)
    out: list[list[Entry]] = []
    for busy in calendars:
        if busy.refs is None and reader.excluded:
            raise ValueError("leaving events out needs the timeline's references (decode with refs)")
        if busy.ends is None or busy.flags is None or busy.created is None or busy.updated is None:
            raise ValueError("entries need the timeline's details (decode with details)")
        first, stop = _range(busy, start, end)
        mine: list[Entry] = []
        refs = busy.refs
        for i in range(first, stop):
            if busy.ends[i] <= start:
                continue
            flag = busy.flags[i]
            if flag & TENTATIVE and not reader.tentative:
                continue
            ref: Ref = refs[i] if refs is not None else ()
            if reader.excluded and reader.excluded.covers(ref, reader.application_id):
                continue
            mine.append(Entry(
                from_micros(busy.starts[i]), from_micros(busy.ends[i]), _status(flag), busy.calendar_id, ref, flag,
                busy.created[i], busy.updated[i],
            ))
        for s, e, day in _days_in(busy, reader):
            if day.flags & TENTATIVE and not reader.tentative:
                continue
            if reader.excluded and reader.excluded.covers(day.ref, reader.application_id):
                continue
            mine.append(Entry(s, e, _status(day.flags), busy.calendar_id, day.ref, day.flags, day.created, day.updated, day))
        mine.sort(key=lambda x: (x.start, x.end))
        out.append(mine)
    return list(heap_merge(*out, key=lambda x: (x.start, x.end)))


def _status(flags: int) -> str:
    return busyness.TENTATIVE if flags & TENTATIVE else busyness.BUSY


def items(calendars: Sequence[CalendarBusy], reader: Reader) -> list[BusyItem]:
    """The busy items of Availability's inputs: each entry's span and status and, where the
    reader may see it, the event behind it: its own events (``event_id`` and ``event_uid``), and
    any event when it reads calendar events (``event_uid``); never a free_busy block's."""
    out = []
    for entry in entries(calendars, reader):
        if entry.is_block or not entry.ref:
            out.append(BusyItem(entry.start, entry.end, entry.status))
            continue
        uid, event_id, application_id = entry.ref
        own = bool(event_id) and application_id == reader.application_id
        out.append(BusyItem(entry.start, entry.end, entry.status, uid if own or reader.sees_events else None, event_id if own else None))
    return out
