# SPDX-License-Identifier: Apache-2.0
"""A brute-force availability oracle on a minute grid, written from the semantics in
``engine.py``'s docstring and nothing else: every candidate minute is checked member by member.

Times are whole minutes from ``T0``; busy, available and query intervals are ``(start, end)``
minute pairs. Prefix sums make each range check O(1), so a day costs a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.timezone.utc)  # a Monday, on every grid
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)
T0_MINUTES = (T0 - EPOCH) // MINUTE
PAD = 400  # minutes either side of the window that busy time and buffers may reach


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
            for t in range(max(start, -PAD), min(end, size - PAD)):
                marks[t + PAD] = 1
        self.sums = [0]
        for mark in marks:
            self.sums.append(self.sums[-1] + mark)

    def count(self, lo: int, hi: int) -> int:
        return self.sums[hi + PAD] - self.sums[lo + PAD]


def answer(q: OQuery) -> list[tuple[int, int, tuple[str, ...]]]:
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

    def who(test) -> tuple[str, ...]:
        return tuple(m.sub for m in members if test(m))

    starts = [s for s in range(0, q.extent - d + 1) if valid(s)]
    out: list[tuple[int, int, tuple[str, ...]]] = []
    if q.query_slots is not None:
        for s in sorted(set(q.query_slots)):
            if valid(s):
                out.append((s, s + d, who(lambda m: can_meet(m, s))))
    elif q.response_format == "periods":
        covered = sorted({t for s in starts for t in range(s, s + d)})
        for t in covered:
            now = who(lambda m: free(m, t))
            if out and out[-1][1] == t and out[-1][2] == now:
                out[-1] = (out[-1][0], t + 1, now)
            else:
                out.append((t, t + 1, now))
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
            out.append((s, s + d, who(lambda m: can_meet(m, s))))
    return out if q.max_results is None else out[: q.max_results]
