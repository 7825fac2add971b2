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
    people taking turns). Every group must hold at once.

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
       - ``periods`` (default): the union of every valid meeting ``[s, s + duration)``, i.e.
         the maximal periods at least ``duration`` long. Each is then split wherever the set
         of free members of an "N of n" group changes, so every period has one participant
         list: the members free for all of it (a piece may then be shorter than ``duration``;
         adjacent pieces rejoin into the period). Periods are not aligned to start_interval.
       - ``slots``: starts on the ``start_interval`` grid (see ``slots.py``; default: the
         duration), taken greedily earliest first so that slots never overlap.
       - ``overlapping_slots``: every valid start on the grid.
       - ``query_slots``: exactly the asked starts that are valid (any ``response_format``).
       A slot's participants are the members free for the whole slot. Members of "all"
       groups are always listed; a sub is listed once, in the order of first appearance.
    5. ``max_results`` keeps the earliest results; the generators stop there.
    Cost: building each member's ``Timeline`` is one sort (O(m) when the busy time comes
    sorted); a query then costs O(w log m) bisections plus the busy intervals that fall inside
    the w window spans it walks (after the first few members of an "all" group, few of them),
    O(m log m) for a k-of-n sweep, and O(r · n log m) to list the participants of "N of n"
    groups (a bisecting cursor per member). No per-minute loop anywhere: results are computed
    from interval boundaries, and slots are stepped on the grid only inside valid spans.
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
    tracked: list[tuple[str, list[Span]]] = []  # members listed only when free
    by_slot = asked is not None or query.response_format != "periods"
    for members, need in constrained:
        start_sets = []
        for member in members:
            spans = free(member, window)
            starts = _start_set(spans, duration)
            start_sets.append(starts)
            tracked.append((member.sub, starts if by_slot else spans))
        valid = intersect(valid, at_least(start_sets, need))
        if not valid:
            return []
    for member in loose:
        spans = free(member, window)
        tracked.append((member.sub, _start_set(spans, duration) if by_slot else spans))

    roster = _Roster([m.sub for g in query.groups for m in g.members], {m.sub for m in everyone}, tracked)
    results: Iterator[Available]
    if asked is not None:
        results = _asked(asked, valid, duration, roster)
    elif query.response_format == "periods":
        results = _periods(valid, duration, roster)
    else:
        step = query.start_interval or duration
        starts = slot_starts(valid, duration, step, overlapping=query.response_format == "overlapping_slots")
        results = (Available(s, s + duration, roster.at(s)) for s in starts)
    return list(islice(results, limit))


def _start_set(spans: Sequence[Span], duration: dt.timedelta) -> list[Span]:
    return [(a, b - duration + _TICK) for a, b in spans if b - a >= duration]


def _periods(valid: list[Span], duration: dt.timedelta, roster: _Roster) -> Iterator[Available]:
    runs = coalesce((s, e - _TICK + duration) for s, e in valid)
    if not roster.tracked:
        for start, end in runs:
            yield Available(start, end, roster.constant)
        return
    for start, end in runs:
        who = roster.at(start)
        piece = t = start
        while (t := roster.next_change(t)) is not None and t < end:
            now = roster.at(t)
            if now != who:
                yield Available(piece, t, who)
                piece, who = t, now
        yield Available(piece, end, who)


def _asked(asked: list[dt.datetime], valid: list[Span], duration: dt.timedelta, roster: _Roster) -> Iterator[Available]:
    ends = [e for _, e in valid]
    for s in asked:
        if contains(valid, ends, s):
            yield Available(s, s + duration, roster.at(s))


class _Roster:
    """Who to list at an instant, asked at non-decreasing instants. Members of "all" groups are
    always listed; a tracked member is listed while the instant lies in their span list (free
    set for periods, start set for slots). Each tracked member keeps a cursor into their list,
    moved by bisection, so an answer costs O(tracked members) and no event list is sorted."""

    def __init__(self, order: list[str], always: set[str], tracked: list[tuple[str, list[Span]]]) -> None:
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
