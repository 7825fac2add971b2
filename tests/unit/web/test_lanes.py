# SPDX-License-Identifier: Apache-2.0
"""Placing intervals on lanes (web/dashboard/lanes.py): percentages, clipping, DST days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from calgate.web.dashboard import lanes

UTC = dt.timezone.utc
PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_a_bar_is_placed_in_percent_of_its_lane() -> None:
    lane = lanes.Lane("Mon", at(23, 0), at(24, 0))
    bar = lane.place(at(23, 6), at(23, 12), "busy", "x")
    assert bar is not None and (bar.left, bar.width) == (25.0, 25.0)
    assert not bar.clipped_start and not bar.clipped_end


def test_an_interval_is_clipped_to_the_lane_and_remembers_it() -> None:
    lane = lanes.Lane("Mon", at(23, 0), at(24, 0))
    bar = lane.place(at(22, 18), at(23, 6), "busy")
    assert bar is not None and (bar.left, bar.width) == (0.0, 25.0) and bar.clipped_start
    bar = lane.place(at(23, 18), at(24, 6), "busy")
    assert bar is not None and (bar.left, bar.width) == (75.0, 25.0) and bar.clipped_end
    assert lane.place(at(24, 0), at(24, 1), "busy") is None  # touching the end is outside
    assert len(lane.bars) == 2


def test_day_lanes_follow_local_midnights_across_a_dst_change() -> None:
    days = lanes.day_lanes(dt.date(2026, 10, 24), 3, PARIS)  # summer time ends on the 25th
    assert [d.key for d in days] == ["2026-10-24", "2026-10-25", "2026-10-26"]
    assert [(d.end - d.begin) for d in days] == [dt.timedelta(hours=24), dt.timedelta(hours=25), dt.timedelta(hours=24)]
    ticks = lanes.hour_ticks(days[1], 6)
    assert [t.label for t in ticks] == ["00:00", "06:00", "12:00", "18:00"]
    # 06:00 local is 7 hours into the 25-hour day (the clock went back at 03:00)
    assert ticks[1].left == round(7 * 100 / 25, 4)


def test_week_start_and_labels() -> None:
    assert lanes.week_start(dt.date(2026, 11, 26)) == dt.date(2026, 11, 23)
    assert lanes.week_start(dt.date(2026, 11, 23)) == dt.date(2026, 11, 23)
    assert lanes.local_label(at(23, 9), at(23, 10, 30), UTC) == "Mon 09:00–10:30"
    assert lanes.local_label(at(23, 22), at(24, 1), UTC) == "Mon 22:00–Tue 01:00"
