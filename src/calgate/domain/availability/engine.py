# SPDX-License-Identifier: Apache-2.0
"""``available(query)``: Cronofy's Availability query (POST /v1/availability) as a pure function.

No I/O, no clock, deterministic: the same query gives the same list. Every datetime is aware UTC.

What counts as free (Cronofy: docs.cronofy.com/developers/api/scheduling/availability and
/developers/scheduling/buffers)
    A member can take a meeting ``[s, s + duration)`` when the meeting lies inside the query
    periods and inside their ``available`` intervals (if any), and no busy time of theirs falls
    in ``[s - buffer.before, s + duration + buffer.after)``. Buffers are "applied to busy
    periods", as Cronofy puts it: they must be free of busy time but may reach outside the query
    periods and outside the member's available intervals, so a meeting may start at 09:00 in a
    09:00–18:00 query with a 30-minute buffer before (the first slot of Cronofy's own example).
    Equivalently: each busy block ``[b, e)`` blocks ``[b - after, e + before)`` for the meeting
    itself, and the member's *free set* is ``query ∩ available − blocked``. Busy intervals with
    ``end <= start`` block nothing. ``buffer.*_maximum`` is accepted and not applied: Cronofy
    documents minimum/maximum for the gaps of sequenced availability; we found no published
    meaning for a single query, and a guessed one would silently drop results.

Groups
    ``required`` None ("all"): every member must be free for the whole meeting. ``required`` N:
    at least N members must each be free for the *whole* meeting (not N at every instant with
    people taking turns). Every group must hold at once. A meeting ``[s, s + duration)`` for
    which they do is a *valid meeting*; the members who can take it are its *participants*.

Periods (``response_format`` ``periods``; Cronofy: "contiguous available periods that are a
minimum length of the required_duration")
    With "all" groups only, the participants never change: a period is a maximal span in which
    every valid meeting fits, i.e. the union of the valid meetings, split only by gaps.
    With "N of n" groups, different people may be able to meet over overlapping spans, and one
    participant list cannot describe a span in which they change. Each period is therefore the
    *closure* of a valid meeting ``M``: its participants, and the longest span around ``M`` in
    which every one of them stays free. So every answered period
    - is at least ``duration`` long (it holds ``M``) and lies in the query periods;
    - names only members free throughout it, enough for every group: any meeting inside it
      can be booked with exactly the people it names;
    - is maximal: the span cannot grow without losing one of them.
    And every valid meeting lies in an answered period naming exactly its participants (the
    closure of that meeting), so no bookable time, and no bookable person, is left out.
    Closures of different valid meetings may overlap (room_b 09:00–11:00 and room_c
    10:00–17:00 for two hours, with ``required: 1``); each distinct period is answered once,
    ordered by start, then end (two closures with the same span have the same participants).
    A period is never split into pieces shorter than the meeting (issue 19).

Algorithm (n members, m busy intervals in all, r results)
    1. Query periods (or, for ``query_slots``, the windows ``[s, s + duration)``) are merged
       into the *window*.
    2. For each member of an "all" group, in order: intersect the window with their available
       intervals (if any), then cut out their busy time grown by the buffers, walking only the
       busy intervals near each window span (``timeline.py``: bisection over the member's busy
       starts and the running maximum of their ends), and drop the parts shorter than the
       meeting. The window only shrinks; when it is empty the answer is empty and the remaining
       members are never looked at.
    3. A member's *start set* is where a meeting may start: ``[a, b - duration]`` for each free
       span ``[a, b)`` at least ``duration`` long (kept half-open, ``b - duration + 1µs``;
       datetimes have microsecond resolution, so this is exact). For an "N of n" group, the
       start sets go through one k-of-n sweep over their sorted boundaries. The valid starts
       are the intersection over groups.
    4. Answers from the valid starts:
       - ``periods`` (default), "all" groups only: the union of every valid meeting
         ``[s, s + duration)`` (the fast path: no participant ever changes). With "N of n"
         groups: the valid starts are walked run by run, a run being where the same members
         can take the meeting (its ends are boundaries of the members' start sets); each run
         gives one closure, the window span cut to the free span ``[a, b)`` of each member
         listed (read back from their start span ``[a, b - duration]``), deduplicated and
         sorted by (start, end) within each window span. Periods are not aligned to
         start_interval.
       - ``slots``: starts on the ``start_interval`` grid (see ``slots.py``; default: the
         duration), taken greedily earliest first so that slots never overlap.
       - ``overlapping_slots``: every valid start on the grid.
       - ``query_slots``: exactly the asked starts that are valid (any ``response_format``).
       A slot's participants are the members free for the whole slot. Members of "all"
       groups are always listed; a sub is listed once, in the order of first appearance.
    5. ``max_results`` keeps the earliest results; the generators stop there (the closures of
       "N of n" periods are sorted one window span at a time, so the walk stops at the end of
       the span that reaches the limit).
    Cost: building each member's ``Timeline`` is one sort (O(m) when the busy time comes
    sorted); a query then costs O(w log m) bisections plus the busy intervals that fall inside
    the w window spans it walks (after the first few members of an "all" group, few of them),
    O(m log m) for a k-of-n sweep, and O(r · n log m) to list the participants of "N of n"
    groups (a bisecting cursor per member); periods with "N of n" groups walk one run per
    boundary of the members' start sets (at most one closure each, O(r log r) to sort them).
    No per-minute loop anywhere: results are computed from interval boundaries, and slots are
    stepped on the grid only inside valid spans.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import compress, islice

from calgate.domain.availability.intervals import Span, at_least, coalesce, contains, intersect, merge
from calgate.domain.availability.slots import slot_starts
from calgate.domain.availability.types import Available, Member, Query

_ZERO = dt.timedelta(0)
_TICK = dt.timedelta(microseconds=1)  # the resolution of datetime: [x, y] == [x, y + _TICK)
_NEVER = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


def available(query: Query) -> list[Available]:
    duration = query.duration
    if duration <= _ZERO:
        raise ValueError("duration must be positive")
    if query.start_interval is not None and query.start_interval <= _ZERO:
        raise ValueError("start_interval must be positive")
    limit = query.max_results
    if limit is not None and limit < 1:
        return []

    asked: list[dt.datetime] | None = None
    if query.query_slots is not None:
        asked = sorted(set(query.query_slots))
        window = merge((s, s + duration) for s in asked)
    else:
        window = merge((p.start, p.end) for p in query.periods)
    lead, trail = query.buffer.after, query.buffer.before  # how far a busy block reaches back / on
    allowed_of: dict[int, list[Span] | None] = {}

    def free(member: Member, within: list[Span], shortest: dt.timedelta = _TICK) -> list[Span]:
        key = id(member)
        if key not in allowed_of:
            allowed_of[key] = None if member.available is None else merge((i.start, i.end) for i in member.available)
        allowed = allowed_of[key]
        if allowed is not None:
            within = intersect(within, allowed)
        return member.busy.free(within, lead, trail, shortest)

    everyone, constrained, loose = [], [], []
    for group in query.groups:
        n = len(group.members)
        need = n if group.required is None else group.required
        if need > n:
            return []
        if need == n:
            everyone.extend(group.members)
        elif need <= 0:
            loose.extend(group.members)  # listed when free, never required
        else:
            constrained.append((group.members, need))

    for member in everyone:  # the window only shrinks; a part shorter than the meeting is no use
        window = free(member, window, duration)
        if not window:
            return []
    valid = _start_set(window, duration)
    if not valid:
        return []
    tracked: list[tuple[str, list[Span]]] = []  # members listed only when they can take the meeting
    for members, need in constrained:
        start_sets = []
        for member in members:
            starts = _start_set(free(member, window), duration)
            start_sets.append(starts)
            tracked.append((member.sub, starts))
        valid = intersect(valid, at_least(start_sets, need))
        if not valid:
            return []
    for member in loose:
        tracked.append((member.sub, _start_set(free(member, window), duration)))

    roster = _Roster([m.sub for g in query.groups for m in g.members], {m.sub for m in everyone}, tracked, duration)
    results: Iterator[Available]
    if asked is not None:
        results = _asked(asked, valid, duration, roster)
    elif query.response_format == "periods":
        results = _periods(valid, duration, roster, window)
    else:
        step = query.start_interval or duration
        starts = slot_starts(valid, duration, step, overlapping=query.response_format == "overlapping_slots")
        results = (Available(s, s + duration, roster.at(s)) for s in starts)
    return list(islice(results, limit))


def _start_set(spans: Sequence[Span], duration: dt.timedelta) -> list[Span]:
    return [(a, b - duration + _TICK) for a, b in spans if b - a >= duration]


def _periods(valid: list[Span], duration: dt.timedelta, roster: _Roster, window: list[Span]) -> Iterator[Available]:
    if not roster.tracked:  # everyone listed is in an "all" group: the union of the valid meetings
        for start, end in coalesce((s, e - _TICK + duration) for s, e in valid):
            yield Available(start, end, roster.constant)
        return
    # One closure per run of valid starts over which the same members can take the meeting,
    # each answered once (two runs may close on the same period). A closure lies in the window
    # span holding its start, and window spans are disjoint: sorting span by span is sorting
    # them all, and max_results stops the walk at the first span that reaches it.
    closures: dict[tuple[dt.datetime, dt.datetime], tuple[str, ...]] = {}
    w = 0
    for first, stop in valid:
        if window[w][1] <= first:  # these starts are in a later window span: answer this one's
            yield from (Available(start, end, who) for (start, end), who in sorted(closures.items()))
            closures.clear()
            while window[w][1] <= first:
                w += 1
        t: dt.datetime | None = first
        while t is not None and t < stop:
            start, end, who = roster.closure(t, *window[w])
            closures.setdefault((start, end), who)
            t = roster.next_change(t)
    yield from (Available(start, end, who) for (start, end), who in sorted(closures.items()))


def _asked(asked: list[dt.datetime], valid: list[Span], duration: dt.timedelta, roster: _Roster) -> Iterator[Available]:
    ends = [e for _, e in valid]
    for s in asked:
        if contains(valid, ends, s):
            yield Available(s, s + duration, roster.at(s))


class _Roster:
    """Who can take the meeting starting at an instant, asked at non-decreasing instants.
    Members of "all" groups are always listed; a tracked member is listed while the instant
    lies in their start set. Each tracked member keeps a cursor into their start set, moved by
    bisection, so an answer costs O(tracked members) and no event list is sorted."""

    def __init__(self, order: list[str], always: set[str], tracked: list[tuple[str, list[Span]]], duration: dt.timedelta) -> None:
        self.reach = duration - _TICK  # start span [a, b - duration + 1µs) + reach: the free span's end b
        self.subs = list(dict.fromkeys(order))
        position = {sub: i for i, sub in enumerate(self.subs)}
        self.always = [sub in always for sub in self.subs]
        self.constant = tuple(compress(self.subs, self.always))
        # Each list ends with a sentinel span at the end of time, so a cursor never runs off.
        self.tracked = [
            (k, position[sub], [a for a, _ in spans] + [_NEVER], [b for _, b in spans] + [_NEVER])
            for k, (sub, spans) in enumerate(tracked)
        ]
        self.cursors = [0] * len(self.tracked)

    def at(self, t: dt.datetime) -> tuple[str, ...]:
        listed = self.always.copy()
        cursors = self.cursors
        for k, i, starts, ends in self.tracked:
            p = cursors[k] = bisect_right(ends, t, cursors[k])
            if starts[p] <= t:
                listed[i] = True
        return tuple(compress(self.subs, listed))

    def closure(self, t: dt.datetime, lo: dt.datetime, hi: dt.datetime) -> tuple[dt.datetime, dt.datetime, tuple[str, ...]]:
        """Who can take the meeting starting at ``t`` (a valid start inside the window span
        ``[lo, hi)``), and the longest span around it in which every one of them stays free:
        the window span cut to each listed tracked member's free span (from their start span
        ``[a, b - duration + 1µs)`` back to ``[a, b)``)."""
        listed = self.always.copy()
        cursors = self.cursors
        reach = self.reach
        for k, i, starts, ends in self.tracked:
            p = cursors[k] = bisect_right(ends, t, cursors[k])
            if starts[p] <= t:
                listed[i] = True
                if starts[p] > lo:
                    lo = starts[p]
                if ends[p] + reach < hi:
                    hi = ends[p] + reach
        return lo, hi, tuple(compress(self.subs, listed))

    def next_change(self, t: dt.datetime) -> dt.datetime | None:
        """The first boundary of a tracked span after ``t`` (the last instant asked)."""
        cursors = self.cursors
        soonest = _NEVER
        for k, _, starts, ends in self.tracked:
            p = cursors[k]
            boundary = starts[p] if starts[p] > t else ends[p]
            if boundary < soonest:
                soonest = boundary
        return None if soonest == _NEVER else soonest
