# SPDX-License-Identifier: Apache-2.0
"""A member's busy time, indexed once so that a query touches only the busy time near its window.

``Timeline`` keeps the busy intervals sorted by start and, beside them, their *reach*: the latest
end among the intervals up to each one (a running maximum, so it never decreases). Both lists are
sorted, so bisection finds, for any instant ``t``, the first interval that still reaches past
``t`` and the first that starts after it. ``free`` walks only the intervals between those two for
each window span: a window that has shrunk to a few candidate periods costs a few bisections, not
a pass over every busy interval.

Instants are kept as integer microseconds since the epoch (``to_micros``): comparing and
subtracting ints costs a fraction of what aware datetimes cost, and a calendar's busy timeline
(``domain/busy_timeline``) is stored in exactly this form, so ``Timeline.indexed`` takes its
arrays as they are read, with no per-interval work at all. ``free`` takes and gives datetimes.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from calgate.domain.availability.intervals import Span

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICRO = dt.timedelta(microseconds=1)
_FLOOR = -(2**62)


def to_micros(t: dt.datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact)."""
    return (t - EPOCH) // _MICRO


def from_micros(us: int) -> dt.datetime:
    """The aware UTC datetime ``us`` microseconds after the epoch (exact)."""
    return EPOCH + dt.timedelta(0, 0, us)  # positional: a fifth faster than microseconds=us


def _span_micros(d: dt.timedelta) -> int:
    return d // _MICRO


class Timeline:
    """Busy intervals ``[start, end)`` (aware datetimes), any order, overlapping or not; an
    interval with ``end <= start`` blocks nothing and is dropped."""

    __slots__ = ("starts", "reach")

    def __init__(self, busy: Iterable[tuple[dt.datetime, dt.datetime]] = ()) -> None:
        self.starts: Sequence[int] = []
        self.reach: Sequence[int] = []
        starts: list[int] = []
        reach: list[int] = []
        add_start, add_reach = starts.append, reach.append
        top = _FLOOR
        for start, end in sorted(busy):  # linear when already sorted, as the store hands it over
            if start < end:
                add_start(to_micros(start))
                e = to_micros(end)
                if e > top:
                    top = e
                add_reach(top)
        self.starts, self.reach = starts, reach

    @classmethod
    def indexed(cls, starts: Sequence[int], reach: Sequence[int]) -> "Timeline":
        """A timeline from its index as stored: ``starts`` ascending, ``reach`` the running
        maximum of the ends (both microseconds; only non-empty intervals)."""
        timeline = cls.__new__(cls)
        timeline.starts, timeline.reach = starts, reach
        return timeline

    def __len__(self) -> int:
        return len(self.starts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeline) and (list(self.starts), list(self.reach)) == (list(other.starts), list(other.reach))

    __hash__ = None  # type: ignore[assignment]  # mutable lists inside

    def __repr__(self) -> str:
        return f"Timeline({len(self)} busy intervals)"

    def free(self, within: Sequence[Span], lead: dt.timedelta, trail: dt.timedelta, shortest: dt.timedelta) -> list[Span]:
        """The parts of the span list ``within`` that no busy interval touches once grown by
        ``lead`` before its start and ``trail`` after its end, keeping only parts at least
        ``shortest`` long (which must be positive: one microsecond keeps every part)."""
        starts, reach = self.starts, self.reach
        lead_us, trail_us, shortest_us = _span_micros(lead), _span_micros(trail), _span_micros(shortest)
        out: list[Span] = []
        append = out.append
        first = 0
        for span_start, span_end in within:
            start, end = to_micros(span_start), to_micros(span_end)
            first = bisect_right(reach, start - trail_us, first)  # everything before ends too early
            stop = bisect_left(starts, end + lead_us, first)  # everything from here starts too late
            cursor = start
            for i in range(first, stop):
                gap_end = starts[i] - lead_us
                if gap_end - cursor >= shortest_us:
                    append((span_start if cursor == start else from_micros(cursor), from_micros(gap_end)))
                covered = reach[i] + trail_us
                if covered > cursor:
                    cursor = covered
            if end - cursor >= shortest_us:
                append((span_start if cursor == start else from_micros(cursor), span_end))
        return out
