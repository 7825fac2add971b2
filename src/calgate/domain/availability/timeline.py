# SPDX-License-Identifier: Apache-2.0
"""A member's busy time, indexed once so that a query touches only the busy time near its window.

``Timeline`` keeps the busy intervals sorted by start and, beside them, their *reach*: the latest
end among the intervals up to each one (a running maximum, so it never decreases). Both lists are
sorted, so bisection finds, for any instant ``t``, the first interval that still reaches past
``t`` and the first that starts after it. ``free`` walks only the intervals between those two for
each window span: a window that has shrunk to a few candidate periods costs a few bisections, not
a pass over every busy interval. Building is one sort (linear when the store hands the intervals
over sorted) and one running maximum, paid once per read of a member's busy time.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

from calgate.domain.availability.intervals import Span

_FLOOR = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


class Timeline:
    """Busy intervals ``[start, end)`` (aware UTC datetimes), any order, overlapping or not; an
    interval with ``end <= start`` blocks nothing and is dropped."""

    __slots__ = ("starts", "reach")

    def __init__(self, busy: Iterable[tuple[dt.datetime, dt.datetime]] = ()) -> None:
        self.starts: list[dt.datetime] = []
        self.reach: list[dt.datetime] = []
        add_start, add_reach = self.starts.append, self.reach.append
        top = _FLOOR
        for start, end in sorted(busy):  # linear when already sorted, as the store hands it over
            if start < end:
                add_start(start)
                if end > top:
                    top = end
                add_reach(top)

    def __len__(self) -> int:
        return len(self.starts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeline) and (self.starts, self.reach) == (other.starts, other.reach)

    __hash__ = None  # type: ignore[assignment]  # mutable lists inside

    def __repr__(self) -> str:
        return f"Timeline({len(self)} busy intervals)"

    def free(self, within: Sequence[Span], lead: dt.timedelta, trail: dt.timedelta, shortest: dt.timedelta) -> list[Span]:
        """The parts of the span list ``within`` that no busy interval touches once grown by
        ``lead`` before its start and ``trail`` after its end, keeping only parts at least
        ``shortest`` long (which must be positive: one microsecond keeps every part)."""
        starts, reach = self.starts, self.reach
        out: list[Span] = []
        append = out.append
        first = 0
        for start, end in within:
            first = bisect_right(reach, start - trail, first)  # everything before ends too early
            stop = bisect_left(starts, end + lead, first)  # everything from here starts too late
            cursor = start
            for i in range(first, stop):
                gap_end = starts[i] - lead
                if gap_end - cursor >= shortest:
                    append((cursor, gap_end))
                covered = reach[i] + trail
                if covered > cursor:
                    cursor = covered
            if end - cursor >= shortest:
                append((cursor, end))
        return out
