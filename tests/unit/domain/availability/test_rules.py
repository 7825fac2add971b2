# SPDX-License-Identifier: Apache-2.0
"""Weekly availability rules across DST (pitfall P1): named 2026 transitions in both hemispheres,
then a property against a plain "is this instant's local wall time inside the rule?" check."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calgate.domain.availability.rules import DAYS, expand_weekly
from calgate.domain.availability.types import Interval

UTC = dt.timezone.utc
WORKDAY = [(day, "09:00", "17:00") for day in DAYS]


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


def day_of(rule, tzid: str, date: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """The rule's intervals on one UTC-ish stretch around a local date."""
    zone = ZoneInfo(tzid)
    start = dt.datetime.combine(date, dt.time(0), tzinfo=zone).astimezone(UTC)
    end = dt.datetime.combine(date + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(UTC)
    return [(i.start, i.end) for i in expand_weekly(rule, tzid, Interval(start, end))]


@pytest.mark.parametrize(
    "tzid, date, expected_utc",
    [
        # America/New_York: EST (-5) until Sun 8 March 02:00, EDT (-4) until Sun 1 Nov 02:00.
        ("America/New_York", dt.date(2026, 3, 7), (utc(2026, 3, 7, 14), utc(2026, 3, 7, 22))),
        ("America/New_York", dt.date(2026, 3, 8), (utc(2026, 3, 8, 13), utc(2026, 3, 8, 21))),
        ("America/New_York", dt.date(2026, 10, 31), (utc(2026, 10, 31, 13), utc(2026, 10, 31, 21))),
        ("America/New_York", dt.date(2026, 11, 1), (utc(2026, 11, 1, 14), utc(2026, 11, 1, 22))),
        # Europe/London: GMT until Sun 29 March 01:00, BST (+1) until Sun 25 Oct 02:00.
        ("Europe/London", dt.date(2026, 3, 28), (utc(2026, 3, 28, 9), utc(2026, 3, 28, 17))),
        ("Europe/London", dt.date(2026, 3, 29), (utc(2026, 3, 29, 8), utc(2026, 3, 29, 16))),
        ("Europe/London", dt.date(2026, 10, 24), (utc(2026, 10, 24, 8), utc(2026, 10, 24, 16))),
        ("Europe/London", dt.date(2026, 10, 25), (utc(2026, 10, 25, 9), utc(2026, 10, 25, 17))),
        # Australia/Sydney: AEDT (+11) until Sun 5 April 03:00, AEST (+10) until Sun 4 Oct 02:00.
        ("Australia/Sydney", dt.date(2026, 4, 4), (utc(2026, 4, 3, 22), utc(2026, 4, 4, 6))),
        ("Australia/Sydney", dt.date(2026, 4, 5), (utc(2026, 4, 4, 23), utc(2026, 4, 5, 7))),
        ("Australia/Sydney", dt.date(2026, 10, 3), (utc(2026, 10, 2, 23), utc(2026, 10, 3, 7))),
        ("Australia/Sydney", dt.date(2026, 10, 4), (utc(2026, 10, 3, 22), utc(2026, 10, 4, 6))),
    ],
)
def test_nine_to_five_stays_nine_to_five_on_the_wall_clock(tzid, date, expected_utc):
    assert day_of(WORKDAY, tzid, date) == [expected_utc]


def test_a_week_across_the_new_york_spring_change_moves_an_hour_in_utc():
    weekdays = [(day, "09:00", "17:00") for day in DAYS[:5]]
    got = expand_weekly(weekdays, "America/New_York", Interval(utc(2026, 3, 2), utc(2026, 3, 14)))
    assert [(i.start.day, i.start.hour, i.end.hour) for i in got] == [
        (2, 14, 22), (3, 14, 22), (4, 14, 22), (5, 14, 22), (6, 14, 22),
        (9, 13, 21), (10, 13, 21), (11, 13, 21), (12, 13, 21), (13, 13, 21),
    ]


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap():
    # 02:30 does not exist on 8 March 2026 in New York; it becomes 03:30 EDT (07:30 UTC).
    got = day_of([("sunday", "02:30", "04:00")], "America/New_York", dt.date(2026, 3, 8))
    assert got == [(utc(2026, 3, 8, 7, 30), utc(2026, 3, 8, 8))]
    # London's gap is 01:00–02:00 on 29 March: 01:30 → 02:30 BST (01:30 UTC).
    got = day_of([("sunday", "01:30", "03:00")], "Europe/London", dt.date(2026, 3, 29))
    assert got == [(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2))]
    # Sydney's gap is 02:00–03:00 on 4 October: 02:30 → 03:30 AEDT (16:30 UTC the day before).
    got = day_of([("sunday", "02:30", "05:00")], "Australia/Sydney", dt.date(2026, 10, 4))
    assert got == [(utc(2026, 10, 3, 16, 30), utc(2026, 10, 3, 18))]


def test_a_repeated_time_at_fall_back_means_its_first_occurrence():
    # 01:30 happens twice on 1 November 2026 in New York; the rule starts at the first (EDT).
    got = day_of([("sunday", "01:30", "03:00")], "America/New_York", dt.date(2026, 11, 1))
    assert got == [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8))]  # 2½ real hours
    # Sydney repeats 02:00–03:00 on 5 April: 02:30 AEDT is 15:30 UTC the day before.
    got = day_of([("sunday", "02:30", "04:00")], "Australia/Sydney", dt.date(2026, 4, 5))
    assert got == [(utc(2026, 4, 4, 15, 30), utc(2026, 4, 4, 18))]
    # London repeats 01:00–02:00 on 25 October.
    got = day_of([("sunday", "01:30", "02:30")], "Europe/London", dt.date(2026, 10, 25))
    assert got == [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30))]


def test_whole_days_merge_and_the_window_clips():
    rule = [("saturday", "00:00", "24:00"), ("sunday", "00:00", "12:00"), ("sunday", "11:00", "13:00")]
    got = expand_weekly(rule, "Etc/UTC", Interval(utc(2026, 3, 7, 6), utc(2026, 3, 8, 12, 30)))
    assert [(i.start, i.end) for i in got] == [(utc(2026, 3, 7, 6), utc(2026, 3, 8, 12, 30))]


def test_cronofy_shaped_periods_and_empty_or_bad_input():
    rule = [{"day": "Monday", "start_time": "09:00", "end_time": "10:00"}, ("monday", "12:00", "11:00")]
    got = expand_weekly(rule, "Europe/Paris", Interval(utc(2026, 3, 2), utc(2026, 3, 3)))
    assert [(i.start, i.end) for i in got] == [(utc(2026, 3, 2, 8), utc(2026, 3, 2, 9))]
    assert expand_weekly(rule, "Europe/Paris", Interval(utc(2026, 3, 3), utc(2026, 3, 3))) == []
    with pytest.raises(ValueError):
        expand_weekly([("funday", "09:00", "10:00")], "Europe/Paris", Interval(utc(2026, 3, 2), utc(2026, 3, 3)))
    with pytest.raises(ValueError):
        expand_weekly([("monday", "9:00", "10:00")], "Europe/Paris", Interval(utc(2026, 3, 2), utc(2026, 3, 3)))


# Zones whose transitions all happen before 04:00 local time, so that rules from 04:00 on have
# one plain reading; offsets are whole quarter hours (Lord Howe shifts by 30 minutes, Chatham
# sits at +12:45/+13:45, Dublin's summer time is its "standard" time).
ZONES = [
    "America/New_York", "Europe/London", "Europe/Dublin", "Australia/Sydney", "Australia/Lord_Howe",
    "Pacific/Auckland", "Pacific/Chatham", "America/Santiago", "America/St_Johns", "Asia/Kolkata",
    "Asia/Kathmandu", "Etc/UTC",
]
CHANGES = [dt.date(2026, m, d) for m, d in [(3, 8), (3, 29), (4, 5), (9, 6), (9, 27), (10, 4), (10, 25), (11, 1)]]
QUARTER = dt.timedelta(minutes=15)
wall = st.integers(16, 95).map(lambda q: f"{q // 4:02d}:{q % 4 * 15:02d}")
period = st.tuples(st.sampled_from(DAYS), wall, wall | st.just("24:00"))


@settings(max_examples=150, deadline=None, database=None)
@given(
    st.lists(period, max_size=6),
    st.sampled_from(ZONES),
    st.sampled_from(CHANGES),
    st.integers(-3 * 96, 2 * 96),
    st.integers(1, 3 * 96),
)
def test_an_instant_is_in_the_rule_exactly_when_its_local_wall_time_is(rule, tzid, change, offset, length):
    start = dt.datetime.combine(change, dt.time(0), tzinfo=UTC) + offset * QUARTER
    window = Interval(start, start + length * QUARTER)
    got = expand_weekly(rule, tzid, window)
    zone = ZoneInfo(tzid)
    t = window.start
    while t < window.end:
        local = t.astimezone(zone)
        clock = local.strftime("%H:%M")
        expected = any(
            DAYS[local.weekday()] == day and begin <= clock and (clock < end or end == "24:00")
            for day, begin, end in rule
        )
        assert any(i.start <= t < i.end for i in got) is expected, (t, local)
        t += QUARTER
    assert all(window.start <= i.start < i.end <= window.end for i in got)
    assert all(a.end < b.start for a, b in zip(got, got[1:]))
