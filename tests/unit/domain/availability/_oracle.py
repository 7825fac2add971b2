# SPDX-License-Identifier: Apache-2.0
"""A brute-force availability oracle on a minute grid, written from the semantics in
``engine.py``'s docstring and nothing else: every candidate minute is checked member by member.

Times are whole minutes from ``T0``; busy, available and query intervals are ``(start, end)``
minute pairs. Prefix sums make each range check O(1), so a day costs a few milliseconds and a
week a few tens.

What the oracle asserts, minute by minute:

- a member can take the meeting ``[s, s + d)`` when every minute of it lies in the query
  periods and in their available intervals, and no busy minute of theirs lies in
  ``[s - before, s + d + after)``;
- ``s`` is a valid start when every group has enough such members ("all": every one);
- a slot ``[s, s + d)`` names every member who can take it;
- a period is the *closure* of a valid meeting ``M``: the members who can take ``M``, and the
  longest span around ``M`` in which every one of them stays free (each minute of it in the
  query, in their available intervals, and clear of their busy time grown by the buffers).
  Every distinct closure is answered once, earliest start first (then earliest end).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from itertools import accumulate

T0 = dt.datetime(2027, 1, 11, tzinfo=dt.timezone.utc)  # a Monday at 00:00 UTC, on every grid
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)
T0_MINUTES = (T0 - EPOCH) // MINUTE
PAD = 400  # minutes either side of the window that busy time and buffers may reach

Found = tuple[int, int, tuple[str, ...]]


def at(minute: int) -> dt.datetime:
    return T0 + minute * MINUTE


def minutes(t: dt.datetime) -> int:
    return (t - T0) // MINUTE


@dataclass
class OMember:
    sub: str
    busy: list[tuple[int, int]]
    available: list[tuple[int, int]] | None = None


@dataclass
class OGroup:
    members: list[OMember]
    required: int | None = None


@dataclass
class OQuery:
    periods: list[tuple[int, int]]
    duration: int
    groups: list[OGroup]
    before: int = 0
    after: int = 0
    start_interval: int | None = None
    max_results: int | None = None
    response_format: str = "periods"
    query_slots: list[int] | None = None
    extent: int = field(default=0)  # the window's length in minutes, set by the caller


class _Prefix:
    """Counts of marked minutes over [lo, hi) in O(1)."""

    def __init__(self, spans: list[tuple[int, int]] | None, size: int, everything: bool = False) -> None:
        marks = [1 if everything else 0] * size
        for start, end in spans or ():
            lo, hi = max(start, -PAD) + PAD, min(end, size - PAD) + PAD
            if lo < hi:
                marks[lo:hi] = [1] * (hi - lo)
        self.sums = [0, *accumulate(marks)]

    def count(self, lo: int, hi: int) -> int:
        return self.sums[hi + PAD] - self.sums[lo + PAD]


def _runs(marked: set[int]) -> dict[int, tuple[int, int]]:
    """For each marked minute, where the run of marked minutes holding it starts and ends."""
    out: dict[int, tuple[int, int]] = {}
    for t in sorted(marked):
        if t in out:
            continue
        end = t
        while end in marked:
            end += 1
        for u in range(t, end):
            out[u] = (t, end)
    return out


def answer(q: OQuery) -> list[Found]:
    d = q.duration
    size = q.extent + 2 * PAD
    windows = [(s, s + d) for s in q.query_slots] if q.query_slots is not None else q.periods
    query = _Prefix(windows, size)
    members = [m for g in q.groups for m in g.members]
    busy = {m.sub: _Prefix(m.busy, size) for m in members}
    allowed = {m.sub: _Prefix(m.available, size, everything=m.available is None) for m in members}

    def can_meet(m: OMember, s: int) -> bool:
        return (
            busy[m.sub].count(s - q.before, s + d + q.after) == 0
            and allowed[m.sub].count(s, s + d) == d
            and query.count(s, s + d) == d
        )

    def free(m: OMember, t: int) -> bool:  # minute t can lie inside a meeting for m
        return (
            busy[m.sub].count(t - q.before, t + 1 + q.after) == 0
            and allowed[m.sub].count(t, t + 1) == 1
            and query.count(t, t + 1) == 1
        )

    def valid(s: int) -> bool:
        if query.count(s, s + d) < d:
            return False
        for g in q.groups:
            need = len(g.members) if g.required is None else g.required
            if sum(can_meet(m, s) for m in g.members) < need:
                return False
        return True

    def able(s: int) -> list[OMember]:
        return [m for m in members if can_meet(m, s)]

    inside = {t for a, b in windows for t in range(max(a, 0), min(b, q.extent))}  # the query's minutes
    starts = [s for s in sorted(inside) if s + d <= q.extent and valid(s)]
    out: list[Found] = []
    if q.query_slots is not None:
        for s in sorted(set(q.query_slots)):
            if valid(s):
                out.append((s, s + d, tuple(m.sub for m in able(s))))
    elif q.response_format == "periods":
        runs = {m.sub: _runs({t for t in inside if free(m, t)}) for m in members}
        query_runs = _runs(inside)
        closures = set()
        for s in starts:
            who = able(s)
            lo = max([query_runs[s][0], *(runs[m.sub][s][0] for m in who)])
            hi = min([query_runs[s][1], *(runs[m.sub][s][1] for m in who)])
            assert lo <= s and s + d <= hi
            closures.add((lo, hi, tuple(m.sub for m in who)))
        out = sorted(closures)
    else:
        step = q.start_interval or d
        after = None
        for s in starts:
            if (T0_MINUTES + s) % step:
                continue
            if q.response_format == "slots":
                if after is not None and s < after:
                    continue
                after = s + d
            out.append((s, s + d, tuple(m.sub for m in able(s))))
    return out if q.max_results is None else out[: q.max_results]


def sequences(steps: list[OQuery], max_results: int) -> list[list[Found]]:
    """Sequenced availability, by its documented rule (``sequenced_availability.py``), over the
    oracle's own candidates: steps in the order given, each step's candidates its overlapping
    slots; for each first-step candidate in time order, each later step takes its earliest
    candidate starting at or after the previous step's end; a sequence found, the next one
    must start at or after its end."""
    candidates = [answer(replace(step, response_format="overlapping_slots", max_results=None)) for step in steps]
    found: list[list[Found]] = []
    not_before = None
    for first in candidates[0] if candidates else []:
        if len(found) >= max_results:
            break
        if not_before is not None and first[0] < not_before:
            continue
        chain = [first]
        for later in candidates[1:]:
            following = [c for c in later if c[0] >= chain[-1][1]]
            if not following:
                break
            chain.append(following[0])
        if len(chain) < len(candidates):
            break
        found.append(chain)
        not_before = chain[-1][1]
    return found


def free_minutes(q: OQuery) -> dict[str, set[int]]:
    """Each member's own free minutes of the query (what ``explain`` leaves unexplained): in the
    query, in their available intervals, clear of their busy time grown by the buffers."""
    size = q.extent + 2 * PAD
    windows = [(s, s + q.duration) for s in q.query_slots] if q.query_slots is not None else q.periods
    inside = {t for a, b in windows for t in range(a, b)}
    out = {}
    for m in (m for g in q.groups for m in g.members):
        busy, allowed = _Prefix(m.busy, size), _Prefix(m.available, size, everything=m.available is None)
        out[m.sub] = {t for t in inside if busy.count(t - q.before, t + 1 + q.after) == 0 and allowed.count(t, t + 1) == 1}
    return out
