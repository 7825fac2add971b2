# SPDX-License-Identifier: Apache-2.0
"""``busy_timeline.timeline`` reads a member's busy time from the calendars' indexes (slices,
merged by start across calendars and with the all-day entries near the window); it must be
the busy time of the entries one by one (``scan``, the brute force), whatever the calendars,
all-day events, zones, tentative entries and busy blocks: compared by the free time each leaves
in the window, with and without buffers."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from calgate.domain import busy_timeline
from calgate.domain.availability.timeline import Timeline
from calgate.domain.busy_timeline import BlockRow, Reader, TimelineRow

UTC = dt.timezone.utc
BASE = dt.datetime(2027, 1, 11, tzinfo=UTC)
ZONES = ["Etc/UTC", "Asia/Kolkata", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Kathmandu"]
MINUTE = dt.timedelta(minutes=1)

timed = st.tuples(st.integers(-2 * 1440, 9 * 1440), st.integers(-60, 600), st.sampled_from(["opaque", "opaque", "transparent"]),
                  st.sampled_from(["accepted", "accepted", "tentative", "declined", "needs_action"]))
all_day = st.tuples(st.integers(-3, 9), st.integers(1, 3), st.sampled_from(ZONES + [None]), st.sampled_from(["accepted", "tentative"]))
blocks = st.tuples(st.integers(-1440, 8 * 1440), st.integers(-30, 300), st.sampled_from(["busy", "tentative"]))
calendar = st.tuples(st.lists(timed, max_size=25), st.lists(all_day, max_size=3), st.lists(blocks, max_size=4))


def _calendar(index: int, spec: tuple[list, list, list]) -> busy_timeline.CalendarBusy:
    events, days, busy_blocks = spec
    rows = []
    for n, (start, length, transparency, status) in enumerate(events):
        begins = BASE + start * MINUTE
        rows.append(TimelineRow(f"e{index}-{n}", None, None, begins, begins + length * MINUTE, None, None, transparency, status, BASE, BASE))
    for n, (day, days_long, zone, status) in enumerate(days):
        first = (BASE + dt.timedelta(days=day)).date()
        last = first + dt.timedelta(days=days_long)
        date = {"time": first.isoformat(), **({"tzid": zone} if zone else {})}
        until = {"time": last.isoformat(), **({"tzid": zone} if zone else {})}
        midnight = dt.datetime.combine(first, dt.time(), UTC)
        rows.append(TimelineRow(f"d{index}-{n}", None, None, midnight, midnight + days_long * dt.timedelta(days=1), date, until, "opaque", status, BASE, BASE))
    block_rows = [
        BlockRow(f"b{index}-{n}", BASE + start * MINUTE, BASE + (start + length) * MINUTE, status)
        for n, (start, length, status) in enumerate(busy_blocks)
    ]
    return busy_timeline.build(f"cal{index}", rows, block_rows)


def brute_force(calendars: list[busy_timeline.CalendarBusy], reader: Reader) -> Timeline:
    return Timeline(
        (e.start, e.end) for busy in calendars for e in busy_timeline.scan(busy, reader.start, reader.end, reader.tzid) if reader.counts(e)
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(calendar, min_size=1, max_size=4),
    st.integers(0, 3 * 1440), st.integers(30, 7 * 1440), st.sampled_from(ZONES), st.booleans(),
    st.integers(0, 60), st.integers(0, 60),
)
def test_the_index_read_leaves_the_same_free_time_as_the_entries_one_by_one(specs, start, length, tzid, tentative, lead, trail) -> None:  # type: ignore[no-untyped-def]
    calendars = [_calendar(i, spec) for i, spec in enumerate(specs)]
    window = (BASE + start * MINUTE, BASE + (start + length) * MINUTE)
    reader = Reader(start=window[0], end=window[1], tzid=tzid, application_id="app", tentative=tentative)
    fast = busy_timeline.timeline(calendars, reader)
    slow = brute_force(calendars, reader)
    for buffers in ((0, 0), (lead, trail)):
        grown = (buffers[0] * MINUTE, buffers[1] * MINUTE)
        assert fast.free([window], *grown, dt.timedelta(microseconds=1)) == slow.free([window], *grown, dt.timedelta(microseconds=1))


def test_several_calendars_and_an_all_day_event_are_read_from_the_index_alone() -> None:
    """No details needed (so Availability reads only the index) and the answer is merged."""
    one = _calendar(0, ([(60, 60, "opaque", "accepted")], [], []))
    two = _calendar(1, ([(90, 60, "opaque", "accepted")], [(0, 1, "Asia/Kolkata", "accepted")], []))
    reader = Reader(start=BASE - dt.timedelta(days=1), end=BASE + dt.timedelta(days=2), tzid="Etc/UTC", application_id="app")
    assert not busy_timeline.needs_details([one, two], reader)
    merged = busy_timeline.timeline([one, two], reader)
    free = merged.free([(reader.start, reader.end)], dt.timedelta(0), dt.timedelta(0), MINUTE)
    assert free == [(reader.start, BASE), (BASE + dt.timedelta(days=1), reader.end)]  # the all-day event covers 09:00-11:30 too
