# SPDX-License-Identifier: Apache-2.0
"""The sorted-interval algebra against sets of integer points."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from calgate.domain.availability import intervals as iv

SETTINGS = settings(max_examples=200, deadline=None, database=None)
pairs = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=8)
span_lists = pairs.map(iv.merge)


def points(spans) -> set[int]:
    return {t for s, e in spans for t in range(s, e)}


def well_formed(spans) -> bool:
    return all(s < e for s, e in spans) and all(a[1] < b[0] for a, b in zip(spans, spans[1:]))


@SETTINGS
@given(pairs)
def test_merge_keeps_the_points_and_leaves_gaps_between_spans(raw):
    merged = iv.merge(raw)
    assert well_formed(merged)
    assert points(merged) == points((s, e) for s, e in raw if s < e)


@SETTINGS
@given(span_lists, span_lists)
def test_intersect_and_subtract_are_set_operations(a, b):
    assert well_formed(iv.intersect(a, b)) and points(iv.intersect(a, b)) == points(a) & points(b)
    assert well_formed(iv.subtract(a, b)) and points(iv.subtract(a, b)) == points(a) - points(b)


@SETTINGS
@given(span_lists, st.integers(0, 5), st.integers(0, 5))
def test_expand_grows_each_span(spans, lead, trail):
    grown = iv.expand(spans, lead, trail)
    assert well_formed(grown)
    assert points(grown) == {t for s, e in spans for t in range(s - lead, e + trail)}


@SETTINGS
@given(st.lists(span_lists, min_size=1, max_size=5), st.integers(1, 6))
def test_at_least_k_of_n(lists, k):
    got = iv.at_least(lists, k)
    assert well_formed(got)
    every = set().union(*map(points, lists))
    assert points(got) == {t for t in every if sum(t in points(spans) for spans in lists) >= k}


@SETTINGS
@given(span_lists, st.integers(-1, 61))
def test_contains(spans, t):
    assert iv.contains(spans, [e for _, e in spans], t) is (t in points(spans))
