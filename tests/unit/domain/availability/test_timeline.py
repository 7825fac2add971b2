# SPDX-License-Identifier: Apache-2.0
"""``Timeline.free`` against the plain interval algebra: merge the busy time, grow it by the
buffers, subtract it from the window, keep the parts at least ``shortest`` long."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from calgate.domain.availability import intervals as iv
from calgate.domain.availability.timeline import Timeline, from_micros, to_micros
from calgate.domain.availability.types import Interval, Member

SETTINGS = settings(max_examples=300, deadline=None, database=None)
ORIGIN = dt.datetime(2026, 3, 29, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)
# Reversed and empty pairs on purpose: they must block nothing.
busy_pairs = st.lists(st.tuples(st.integers(-30, 120), st.integers(-30, 120)), max_size=10)
windows = st.lists(st.tuples(st.integers(0, 100), st.integers(0, 100)), max_size=4).map(iv.merge)


def at(minutes: int) -> dt.datetime:
    return ORIGIN + minutes * MINUTE


def timed(spans):
    return [(at(s), at(e)) for s, e in spans]


@SETTINGS
@given(busy_pairs, windows, st.integers(0, 20), st.integers(0, 20), st.integers(0, 40))
def test_free_is_the_window_without_the_grown_busy_time(busy, window, lead, trail, shortest):
    blocked = iv.expand(iv.merge(busy), lead, trail)
    expected = [(s, e) for s, e in iv.subtract(window, blocked) if e - s >= max(shortest, 1)]
    got = Timeline(timed(busy)).free(timed(window), lead * MINUTE, trail * MINUTE, max(shortest, 1) * MINUTE)
    assert got == timed(expected)


def test_member_indexes_intervals_or_pairs_the_same_way():
    pairs = [(at(30), at(45)), (at(0), at(10)), (at(5), at(5))]
    from_intervals = Member("alice", busy=tuple(Interval(s, e) for s, e in pairs))
    from_pairs = Member("alice", busy=pairs)
    assert from_intervals.busy == from_pairs.busy == Timeline(pairs)
    micros = [to_micros(at(m)) for m in (0, 30, 10, 45)]
    assert from_pairs.busy.starts == micros[:2] and from_pairs.busy.reach == micros[2:]
    assert Timeline.indexed(micros[:2], micros[2:]) == Timeline(pairs)
    assert from_micros(to_micros(at(7))) == at(7)
    assert Member("bob").busy == Timeline() and len(Member("bob").busy) == 0
