# SPDX-License-Identifier: Apache-2.0
"""The engine against the brute-force minute-grid oracle (``_oracle.py``), on random small days:
1–5 members with random busy time and available intervals, random groups and ``required``,
buffers, durations, start intervals, ``max_results`` and ``query_slots``. Exact equality."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calgate.domain.availability.engine import available
from calgate.domain.availability.types import Buffer, Group, Interval, Member, Query

from ._oracle import MINUTE, OGroup, OMember, OQuery, answer, at, minutes

EXTENT = 8 * 60  # the query window's length; busy time and buffers reach beyond it
SETTINGS = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def spans(lo: int, hi: int, longest: int, most: int) -> st.SearchStrategy[list[tuple[int, int]]]:
    span = st.tuples(st.integers(lo, hi), st.integers(1, longest)).map(lambda p: (p[0], p[0] + p[1]))
    return st.lists(span, max_size=most)


BUSY = spans(-150, EXTENT + 100, 150, 7)
AVAILABLE = st.none() | spans(-60, EXTENT, 300, 4)
PERIODS = spans(0, EXTENT - 1, EXTENT, 3).filter(bool).map(lambda ps: [(s, min(e, EXTENT)) for s, e in ps])
DURATION = st.sampled_from([15, 30, 60]) | st.integers(1, 120)
BEFORE = st.sampled_from([0, 0, 15]) | st.integers(0, 60)
AFTER = st.sampled_from([0, 0, 10]) | st.integers(0, 60)
START_INTERVAL = st.none() | st.sampled_from([5, 15, 30, 45, 60]) | st.integers(1, 90)
MAX_RESULTS = st.none() | st.none() | st.integers(1, 8)
FORMAT = st.sampled_from(["periods", "slots", "overlapping_slots"])
ASKED = st.lists(st.integers(0, EXTENT - 1), min_size=1, max_size=12)


@st.composite
def queries(draw: st.DrawFn, response_format: str | None = None, asked: bool = False, nobody_needed: bool = False) -> OQuery:
    count = draw(st.integers(1, 5))
    members = [OMember(f"acc_{i}", draw(BUSY), draw(AVAILABLE)) for i in range(count)]
    cuts = sorted(draw(st.sets(st.integers(1, count - 1), max_size=2))) if count > 1 else []
    groups = []
    for lo, hi in zip([0, *cuts], [*cuts, count]):
        # -1 stands for None ("all"); size + 1 is out of Cronofy's range (an impossible group).
        # 0, a group that needs nobody, is refused by the API (availability_wire) and has no
        # answer to agree on; it is drawn only where the engine must merely not break.
        required = draw(st.integers(-1, hi - lo + 1).filter(lambda n: nobody_needed or n != 0))
        groups.append(OGroup(members[lo:hi], None if required < 0 else required))
    return OQuery(
        periods=draw(PERIODS),
        duration=draw(DURATION),
        groups=groups,
        before=draw(BEFORE),
        after=draw(AFTER),
        start_interval=draw(START_INTERVAL),
        max_results=draw(MAX_RESULTS),
        response_format=response_format or draw(FORMAT),
        query_slots=draw(ASKED) if asked else None,
        extent=EXTENT,
    )


def engine_query(q: OQuery) -> Query:
    def intervals(pairs):
        return tuple(Interval(at(s), at(e)) for s, e in pairs)

    return Query(
        periods=intervals(q.periods),
        duration=q.duration * MINUTE,
        groups=tuple(
            Group(
                tuple(
                    Member(m.sub, intervals(m.busy), None if m.available is None else intervals(m.available))
                    for m in g.members
                ),
                g.required,
            )
            for g in q.groups
        ),
        buffer=Buffer(before=q.before * MINUTE, after=q.after * MINUTE),
        start_interval=None if q.start_interval is None else q.start_interval * MINUTE,
        max_results=q.max_results,
        response_format=q.response_format,
        query_slots=None if q.query_slots is None else tuple(at(s) for s in q.query_slots),
    )


def engine_answer(q: OQuery) -> list[tuple[int, int, tuple[str, ...]]]:
    return [(minutes(a.start), minutes(a.end), a.participants) for a in available(engine_query(q))]


@SETTINGS
@given(queries("periods"))
def test_periods_match_the_oracle(q):
    assert engine_answer(q) == answer(q)


@SETTINGS
@given(queries("slots"))
def test_slots_match_the_oracle(q):
    assert engine_answer(q) == answer(q)


@SETTINGS
@given(queries("overlapping_slots"))
def test_overlapping_slots_match_the_oracle(q):
    assert engine_answer(q) == answer(q)


@SETTINGS
@given(queries(asked=True))
def test_query_slots_match_the_oracle(q):
    assert engine_answer(q) == answer(q)


@SETTINGS
@given(queries(nobody_needed=True))
def test_results_lie_in_the_query_periods_and_are_earliest_first(q):
    results = engine_answer(q)
    assert results == sorted(results)
    for start, end, _ in results:
        assert any(s <= start and end <= e for s, e in _merged(q.periods))


def _merged(pairs):
    out = []
    for s, e in sorted(pairs):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
