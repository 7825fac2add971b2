# SPDX-License-Identifier: Apache-2.0
"""Explanations partition the query periods: for one member, the explained parts and the
member's own available time (the engine's ``Timeline.free``) cover every query period exactly,
and never overlap."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from calgate.domain.availability.explain import BUFFER, BUSY, OUTSIDE_RULES, SOURCE_UNAVAILABLE, TENTATIVE, BusyItem, explain
from calgate.domain.availability.intervals import intersect, merge, subtract
from calgate.domain.availability.timeline import Timeline

T0 = dt.datetime(2027, 1, 11, tzinfo=dt.UTC)
TICK = dt.timedelta(microseconds=1)


def t(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


spans = st.lists(st.tuples(st.integers(0, 600), st.integers(1, 120)).map(lambda p: (t(p[0]), t(p[0] + p[1]))), max_size=6)
items = st.lists(
    st.tuples(st.integers(0, 600), st.integers(0, 90), st.sampled_from([BUSY, TENTATIVE]), st.sampled_from([None, "evt_a", "evt_b"])).map(
        lambda p: BusyItem(t(p[0]), t(p[0] + p[1]), p[2], p[3])
    ),
    max_size=8,
)
buffers = st.integers(0, 30).map(lambda m: dt.timedelta(minutes=m))


@settings(max_examples=400, deadline=None)
@given(spans.filter(bool), st.one_of(st.none(), spans), items, buffers, buffers, spans)
def test_explained_and_free_time_partition_the_query(periods, allowed, busy, lead, trail, constrained):
    query = merge(periods)
    explained = explain(periods, allowed, busy, lead, trail, constrained=constrained)
    within = query if allowed is None else intersect(query, merge(allowed))
    within = subtract(within, merge(constrained))
    free = Timeline((i.start, i.end) for i in busy).free(within, lead, trail, TICK)
    parts = sorted([(e.start, e.end) for e in explained] + free)
    assert all(a[1] <= b[0] for a, b in zip(parts, parts[1:]))  # disjoint
    assert all(s < e for s, e in parts)
    assert merge(parts) == query  # and together exactly the query periods


def test_each_reason_and_its_event():
    periods = [(t(0), t(480))]  # 09:00–17:00 as minutes from the start
    allowed = [(t(60), t(420))]
    busy = [BusyItem(t(120), t(180), BUSY, "evt_1", "standup"), BusyItem(t(150), t(240), TENTATIVE, "evt_2")]
    got = [(e.start, e.end, e.reason, e.event_uid, e.event_id) for e in explain(periods, allowed, busy, dt.timedelta(minutes=10), dt.timedelta(minutes=15))]
    assert got == [
        (t(0), t(60), OUTSIDE_RULES, None, None),
        (t(110), t(120), BUFFER, None, None),
        (t(120), t(180), BUSY, "evt_1", "standup"),
        (t(180), t(240), TENTATIVE, "evt_2", None),
        (t(240), t(255), BUFFER, None, None),
        (t(420), t(480), OUTSIDE_RULES, None, None),
    ]


def test_a_source_that_cannot_vouch_explains_everything():
    got = explain([(t(0), t(60)), (t(120), t(180))], None, [BusyItem(t(10), t(20), BUSY)], dt.timedelta(0), dt.timedelta(0), vouches=False)
    assert [(e.start, e.end, e.reason) for e in got] == [(t(0), t(60), SOURCE_UNAVAILABLE), (t(120), t(180), SOURCE_UNAVAILABLE)]
