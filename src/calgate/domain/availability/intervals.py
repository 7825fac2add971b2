# SPDX-License-Identifier: Apache-2.0
"""Sorted-interval algebra over ``(start, end)`` pairs.

A *span list* is half-open ``[start, end)`` pairs, sorted, disjoint and never touching (two
neighbours always have a gap between them): what ``merge`` returns and what every other function
here takes and gives back. Each function is one linear pass (``merge`` and ``at_least`` sort
first). The values only need ``<`` and ``-``; the engine passes datetimes, the tests pass ints.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

Span = tuple[Any, Any]
_END = itemgetter(1)


def merge(spans: Iterable[Span]) -> list[Span]:
    """Any pairs, in any order, overlapping or touching → a span list; empty pairs vanish."""
    out: list[Span] = []
    for start, end in sorted(spans):
        if start >= end:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def coalesce(spans: Iterable[Span]) -> list[Span]:
    """Pairs already sorted by start (overlap and touching allowed) → a span list."""
    out: list[Span] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        elif start < end:
            out.append((start, end))
    return out


def expand(spans: Sequence[Span], lead: Any, trail: Any) -> list[Span]:
    """Each span grown by ``lead`` before its start and ``trail`` after its end."""
    return coalesce((start - lead, end + trail) for start, end in spans)


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        if a[i][1] < b[j][1]:
            end = a[i][1]
            i += 1
        else:
            end = b[j][1]
            j += 1
        if start < end:
            out.append((start, end))
    return out


def subtract(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """``a`` without ``b``; spans of ``b`` that end before a span of ``a`` are skipped by
    bisection, so a short ``a`` costs little against a long ``b``."""
    out: list[Span] = []
    j = 0
    for start, end in a:
        j = bisect_right(b, start, j, key=_END)
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > start:
                out.append((start, b[k][0]))
            start = max(start, b[k][1])
            k += 1
        if start < end:
            out.append((start, end))
    return out


def at_least(lists: Sequence[Sequence[Span]], k: int) -> list[Span]:
    """Where at least ``k`` of the span lists cover (k-of-n): one sweep over their sorted
    boundaries, O(m log m) for m spans in all. ``k`` ≤ 0 is the caller's business (everywhere)."""
    n = len(lists)
    if k > n or n == 0:
        return []
    if k <= 0:
        raise ValueError("k must be at least 1")
    if n == 1:
        return list(lists[0])
    if k == n:
        result = list(lists[0])
        for other in lists[1:]:
            if not result:
                break
            result = intersect(result, other)
        return result
    starts = sorted(s for s, _ in chain.from_iterable(lists))
    ends = sorted(e for _, e in chain.from_iterable(lists))
    out: list[Span] = []
    count = i = j = 0
    opened: Any = None
    n_starts, n_ends = len(starts), len(ends)
    while j < n_ends:
        t = starts[i] if i < n_starts and starts[i] < ends[j] else ends[j]
        while i < n_starts and starts[i] == t:
            count += 1
            i += 1
        while j < n_ends and ends[j] == t:
            count -= 1
            j += 1
        if count >= k:
            if opened is None:
                opened = t
        elif opened is not None:
            out.append((opened, t))
            opened = None
    return out


def contains(spans: Sequence[Span], ends: Sequence[Any], t: Any) -> bool:
    """Is instant ``t`` inside the span list? ``ends`` is ``[e for _, e in spans]``."""
    i = bisect_right(ends, t)
    return i < len(spans) and spans[i][0] <= t
