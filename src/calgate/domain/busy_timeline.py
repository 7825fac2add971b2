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
- the entries kept *apart* from the index, as JSON: all-day events, as their dates (an all-day
  event spans the *reader's* local midnights, so its instants are only known when it is
  read), and the odd timed event that ends when or before it starts (it blocks no time, but
  Free/Busy still lists it).

One module past 400 lines on purpose: building, the stored form and reading share the arrays'
layout and invariants (sorted starts, reach), which a split would spread over three files.
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
from itertools import accumulate
from typing import Any, NamedTuple

from calgate.domain import busyness, model, times
from calgate.domain.availability.explain import BusyItem
from calgate.domain.availability.timeline import Timeline, from_micros, to_micros

TENTATIVE = 1  # flag: the entry is tentative (else busy)
BLOCK = 2  # flag: a free_busy profile's busy block (no event behind it)
_SWAP = sys.byteorder != "little"  # stored little-endian whatever the machine


class TimelineRow(NamedTuple):
    """What a timeline needs of one live event. ``start_date``/``end_date``: the event's
    start and end as stored (``{"time": Date, "tzid"?}``) for an all-day event, None for a timed
    one (whose instants are ``start_at``/``end_at``, shown in ``start_tzid``/``end_tzid``)."""

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
    start_tzid: str = "Etc/UTC"
    end_tzid: str = "Etc/UTC"
    deleted: bool = False


def row_of(event: model.Event) -> TimelineRow:
    """An event as a timeline reads it (the store reads the same from its columns)."""
    start = times.parse_event_time(event.start, "start", None)
    end = times.parse_event_time(event.end, "end", None)
    return TimelineRow(
        event.id, event.event_id, event.application_id, event.start_at, event.end_at,
        None if not start.all_day else event.start, None if not end.all_day else event.end,
        event.transparency, event.participation_status, event.created_at, event.updated_at, start.tzid, end.tzid,
        event.deleted,
    )


class BlockRow(NamedTuple):
    """A free_busy profile's busy block (Free/Busy filters blocks by neither creation nor
    change, so the timeline keeps neither)."""

    id: str
    start_at: dt.datetime
    end_at: dt.datetime
    status: str


# The event behind an entry: (event_uid, event_id or "", application_id or "", start tzid, end
# tzid) for an event; (block_id,) for a free_busy profile's busy block.
Ref = tuple[str, ...]


@dataclass(frozen=True)
class Apart:
    """An entry kept apart from the index: an all-day event (``start``/``end`` the stored Dates,
    ``{"time": "YYYY-MM-DD", …}``), or a timed event that ends when or before it starts
    (``start``/``end`` in microseconds)."""

    start: dict[str, Any] | int
    end: dict[str, Any] | int
    flags: int
    ref: Ref
    created: int
    updated: int

    def near(self, start: dt.datetime | None, end: dt.datetime | None) -> bool:
        """Whether it may overlap ``[start, end]`` for a reader in any zone: a Date's
        midnight is within a day of its UTC midnight everywhere."""
        if isinstance(self.start, int) and isinstance(self.end, int):
            first, last = from_micros(self.start), from_micros(self.end)
            margin = dt.timedelta(0)
        else:
            first, last = _utc_midnight(self.start), _utc_midnight(self.end)
            margin = _DAY
        return (end is None or first - margin <= end) and (start is None or max(first, last) + margin >= start)

    def instants(self, tzid: str) -> tuple[dt.datetime, dt.datetime]:
        """When it starts and ends for a reader in ``tzid``."""
        if isinstance(self.start, int) and isinstance(self.end, int):
            return from_micros(self.start), from_micros(self.end)
        return (
            times.parse_event_time(self.start, "start", None).instant(tzid),
            times.parse_event_time(self.end, "end", None).instant(tzid),
        )


_DAY = dt.timedelta(days=1)


def _utc_midnight(value: dict[str, Any] | int) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(str(value["time"])[:10])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return dt.datetime.min.replace(tzinfo=dt.timezone.utc) + 2 * _DAY  # unreadable: near everything
    return dt.datetime.combine(day, dt.time(), dt.timezone.utc)


@dataclass(frozen=True)
class Excluded:
    """Events a query ignores (Availability's ``excluded_events``, e.g. the meeting being
    moved): by ``event_uid``, or by the asking application's own ``event_id``."""

    event_uids: frozenset[str] = frozenset()
    event_ids: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.event_uids or self.event_ids)

    def covers(self, ref: Ref, application_id: str) -> bool:
        if len(ref) < 3:  # a busy block: no event to name
            return False
        return ref[0] in self.event_uids or (ref[1] in self.event_ids and ref[2] == application_id)


@dataclass
class CalendarBusy:
    """One calendar's busy entries. Timed ones: parallel arrays sorted by (start, end, ref),
    microseconds. What was not read (see ``decode``) is None: the details (``ends``,
    ``created``, ``updated``, ``flags``) or the ``refs``; ``tentative`` counts the tentative
    entries, indexed or apart."""

    calendar_id: str
    starts: array = field(default_factory=lambda: array("q"))
    reach: array = field(default_factory=lambda: array("q"))
    ends: array | None = field(default_factory=lambda: array("q"))
    created: array | None = field(default_factory=lambda: array("q"))
    updated: array | None = field(default_factory=lambda: array("q"))
    flags: bytes | None = b""
    refs: list[Ref] | None = field(default_factory=list)
    apart: list[Apart] = field(default_factory=list)
    tentative: int = 0

    def __len__(self) -> int:
        return len(self.starts) + len(self.apart)

    @property
    def detailed(self) -> bool:
        return self.ends is not None

    def same_entries(self, other: "CalendarBusy") -> bool:
        """Equal content (the consistency check of the tests)."""
        return encode(self) == encode(other)


Timed = tuple[int, int, Ref, int, int, int]  # start, end, ref, flags, created, updated: one indexed entry


def _of_rows(rows: Iterable[TimelineRow], blocks: Iterable[BlockRow]) -> tuple[list[Timed], list[Apart]]:
    """Each row's entry, the busy-ness rule applied (free rows have none)."""
    timed: list[Timed] = []
    apart: list[Apart] = []
    for row in rows:
        status = busyness.event_status(row)
        if status is None:
            continue
        flags = TENTATIVE if status == busyness.TENTATIVE else 0
        ref: Ref = (row.id, row.event_id or "", row.application_id or "", row.start_tzid, row.end_tzid)
        created, updated = to_micros(row.created_at), to_micros(row.updated_at)
        if row.start_date is not None and row.end_date is not None:
            apart.append(Apart(row.start_date, row.end_date, flags, ref, created, updated))
            continue
        start, end = to_micros(row.start_at), to_micros(row.end_at)
        if start < end:
            timed.append((start, end, ref, flags, created, updated))
        else:
            apart.append(Apart(start, end, flags, ref, created, updated))
    for block in blocks:
        start, end = to_micros(block.start_at), to_micros(block.end_at)
        flags = BLOCK | (TENTATIVE if block.status == busyness.TENTATIVE else 0)
        if start < end:
            timed.append((start, end, (block.id,), flags, 0, 0))
        else:
            apart.append(Apart(start, end, flags, (block.id,), 0, 0))
    return timed, apart


def _assemble(calendar_id: str, timed: list[Timed], apart: list[Apart]) -> CalendarBusy:
    timed.sort()
    apart.sort(key=lambda a: (json.dumps(a.start, sort_keys=True), a.ref))
    if timed:
        starts_, ends_, refs_, flags_, made_, changed_ = zip(*timed)
    else:
        starts_ = ends_ = refs_ = flags_ = made_ = changed_ = ()
    flag_bytes = bytes(flags_)
    tentative = sum(1 for f in flag_bytes if f & TENTATIVE) + sum(1 for a in apart if a.flags & TENTATIVE)
    return CalendarBusy(
        calendar_id, array("q", starts_), array("q", accumulate(ends_, max)), array("q", ends_), array("q", made_),
        array("q", changed_), flag_bytes, list(refs_), apart, tentative,
    )


def build(calendar_id: str, rows: Iterable[TimelineRow], blocks: Iterable[BlockRow] = ()) -> CalendarBusy:
    """The calendar's timeline from its live events and busy blocks, the busy-ness rule applied."""
    timed, apart = _of_rows(rows, blocks)
    return _assemble(calendar_id, timed, apart)


def revise(busy: CalendarBusy, event_ids: Iterable[str], rows: Iterable[TimelineRow]) -> CalendarBusy:
    """``busy`` (read whole) with the entries of the events ``event_ids`` replaced by those of
    ``rows`` (their current state; a deleted or free one has none): what ``build`` would make
    of the calendar's rows after those events changed, without reading the others."""
    if busy.ends is None or busy.created is None or busy.updated is None or busy.flags is None or busy.refs is None:
        raise ValueError("only a timeline read whole (details and references) can be revised")
    gone = set(event_ids)
    kept = [t for t in zip(busy.starts, busy.ends, busy.refs, busy.flags, busy.created, busy.updated) if t[2][0] not in gone]
    timed, apart = _of_rows(rows, ())
    timed.extend(kept)
    apart.extend(a for a in busy.apart if a.ref[0] not in gone)
    return _assemble(busy.calendar_id, timed, apart)


# -- the stored form ----------------------------------------------------------------------


class Encoded(NamedTuple):
    size: int  # timed entries in the index
    tentative: int
    index: bytes
    details: bytes
    refs: str
    apart: str


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
    apart = json.dumps([[a.start, a.end, a.flags, list(a.ref), a.created, a.updated] for a in busy.apart], separators=(",", ":"))
    details = _pack(busy.ends, busy.created, busy.updated) + bytes(busy.flags)
    return Encoded(len(busy.starts), busy.tentative, _pack(busy.starts, busy.reach), details, refs, apart)


def decode(
    calendar_id: str, size: int, tentative: int, index: bytes, apart: str, details: bytes | None = None, refs: str | None = None,
) -> CalendarBusy:
    """A stored timeline; ``details``/``refs`` None: not read."""
    starts, reach = _unpack(index, size, 2)
    ends = made = changed = None
    flags = None
    if details is not None:
        ends, made, changed = _unpack(details, size, 3)
        flags = details[24 * size : 25 * size]
    kept = [Apart(s, e, f, tuple(r), c, u) for s, e, f, r, c, u in json.loads(apart)] if apart != "[]" else []
    return CalendarBusy(
        calendar_id, starts, reach, ends, made, changed, flags,
        None if refs is None else [tuple(r) for r in json.loads(refs)], kept, tentative,
    )


# -- reading ------------------------------------------------------------------------------


class Entry(NamedTuple):
    """One busy entry as a reader sees it: ``start_us``/``end_us`` its instants for the reader
    in microseconds since the epoch (``start``/``end`` as datetimes)."""

    start_us: int
    end_us: int
    calendar_id: str
    flags: int
    ref: Ref
    created: int
    updated: int
    apart: Apart | None = None

    @property
    def start(self) -> dt.datetime:
        return from_micros(self.start_us)

    @property
    def end(self) -> dt.datetime:
        return from_micros(self.end_us)

    @property
    def is_block(self) -> bool:
        return bool(self.flags & BLOCK)

    @property
    def status(self) -> str:
        return status_of(self.flags)


def status_of(flags: int) -> str:
    """busy or tentative, as an entry's ``flags`` say."""
    return busyness.TENTATIVE if flags & TENTATIVE else busyness.BUSY




def scan(busy: CalendarBusy, start: dt.datetime | None, end: dt.datetime | None, tzid: str, *, touching: bool = False) -> list[Entry]:
    """The entries of ``busy`` that start before ``end`` and end after ``start`` (with
    ``touching``, at or after it: Free/Busy's "ends on or after from"), instants in ``tzid``
    for all-day events; None bounds are open. By (start, end), indexed entries first on ties.
    Needs the details; without the references (not read) each entry's ``ref`` is ``()``."""
    if busy.ends is None or busy.flags is None or busy.created is None or busy.updated is None:
        raise ValueError("reading entries needs the timeline's details")
    lo = -(2**62) if start is None else to_micros(start)
    hi = 2**62 if end is None else to_micros(end)
    first = (bisect_left if touching else bisect_right)(busy.reach, lo)
    stop = bisect_left(busy.starts, hi, first)
    out: list[Entry] = []
    add = out.append
    make = tuple.__new__  # a third of Entry(...)'s time, for the thousands a read makes
    starts, ends, flags, made, changed = busy.starts, busy.ends, busy.flags, busy.created, busy.updated
    refs, calendar_id = busy.refs, busy.calendar_id
    for i in range(first, stop):
        e = ends[i]
        if e > lo or (touching and e == lo):
            add(make(Entry, (starts[i], e, calendar_id, flags[i], refs[i] if refs is not None else (), made[i], changed[i], None)))
    for kept in busy.apart:
        if not kept.near(start, end):
            continue
        s, e = kept.instants(tzid)
        if (end is None or s < end) and (start is None or e > start or (touching and e == start)):
            out.append(Entry(to_micros(s), to_micros(e), busy.calendar_id, kept.flags, kept.ref, kept.created, kept.updated, kept))
    out.sort(key=lambda x: (x.start_us, x.end_us))
    return out


@dataclass(frozen=True)
class Reader:
    """Who reads busy time for Availability, over which window: entries that start before
    ``end`` and end after ``start`` count. ``tzid``: where all-day events' midnights are.
    ``tentative``: whether tentative entries count. ``excluded``: events left out."""

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

    def counts(self, entry: Entry) -> bool:
        if entry.flags & TENTATIVE and not self.tentative:
            return False
        if self.excluded and not entry.ref:
            raise ValueError("leaving events out needs the timeline's references")
        return not (self.excluded and self.excluded.covers(entry.ref, self.application_id))


def needs_details(calendars: Sequence[CalendarBusy], reader: Reader) -> bool:
    """Whether ``timeline`` needs more than the index of ``calendars`` (read without details):
    events to leave out, or tentative time to leave out where there is some. Several calendars
    and all-day entries are merged from the index and ``apart`` alone."""
    return bool(reader.excluded) or (not reader.tentative and any(busy.tentative for busy in calendars))


def _range(busy: CalendarBusy, start: int, end: int) -> tuple[int, int]:
    """The index range of timed entries that may overlap [start, end): before it, every entry
    (and all before it) ends by ``start``; from its end on, every entry starts at ``end`` or later."""
    first = bisect_right(busy.reach, start)
    return first, bisect_left(busy.starts, end, first)


def timeline(calendars: Sequence[CalendarBusy], reader: Reader) -> Timeline:
    """A member's busy time over ``reader``'s window, for the engine: the busy time of what
    ``items`` gives, as a ``Timeline``. From the index: one calendar is two array slices;
    several calendars and the all-day entries near the window are merged by start, the running
    maximum of the ends kept. Entry by entry only when ``needs_details``."""
    if needs_details(calendars, reader):
        return Timeline((e.start, e.end) for busy in calendars for e in scan(busy, reader.start, reader.end, reader.tzid) if reader.counts(e))
    start, end = to_micros(reader.start), to_micros(reader.end)
    parts: list[tuple[list[int], list[int]]] = []
    for busy in calendars:
        a, b = _range(busy, start, end)
        if b > a:
            parts.append((busy.starts[a:b].tolist(), busy.reach[a:b].tolist()))
        for kept in busy.apart:
            if kept.near(reader.start, reader.end):
                s, e = (to_micros(t) for t in kept.instants(reader.tzid))
                if s < e and s < end and e > start:  # one that ends when it starts blocks nothing
                    parts.append(([s], [e]))
    if not parts:
        return Timeline()
    if len(parts) == 1:
        return Timeline.indexed(*parts[0])
    return _merged(parts)


def _merged(parts: Sequence[tuple[Sequence[int], Sequence[int]]]) -> Timeline:
    """Indexes (sorted starts, running maximum of the ends) merged into one: merged by start,
    the running maximum of the parts' own running maxima is that of all the ends."""
    starts: list[int] = []
    reach: list[int] = []
    add_start, add_reach = starts.append, reach.append
    top = -(2**63)
    for s, r in heap_merge(*(zip(p_starts, p_reach) for p_starts, p_reach in parts)):
        add_start(s)
        if r > top:
            top = r
        add_reach(top)
    return Timeline.indexed(starts, reach)


def items(calendars: Sequence[CalendarBusy], reader: Reader) -> list[BusyItem]:
    """The busy items of Availability's inputs: each entry's span and status and, where the
    reader may see it, the event behind it: its own events (``event_id`` and ``event_uid``), and
    any event when it reads calendar events (``event_uid``); never a free_busy block's."""
    found = [[e for e in scan(busy, reader.start, reader.end, reader.tzid) if reader.counts(e)] for busy in calendars]
    out = []
    for entry in heap_merge(*found, key=lambda x: (x.start_us, x.end_us)):
        if not entry.ref:
            raise ValueError("busy items need the timeline's references")
        if entry.is_block:
            out.append(BusyItem(entry.start, entry.end, entry.status))
            continue
        uid, event_id, application_id = entry.ref[:3]
        own = bool(event_id) and application_id == reader.application_id
        out.append(BusyItem(entry.start, entry.end, entry.status, uid if own or reader.sees_events else None, event_id if own else None))
    return out
