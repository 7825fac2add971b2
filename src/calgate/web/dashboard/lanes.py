# SPDX-License-Identifier: Apache-2.0
"""Time drawn as lanes: the week views of the dashboard (an account's week, the availability
explorer's grid) are rows of bars over a span of time, laid out here and drawn by the
``dashboard/_lanes.html`` macro with plain CSS (no script, so the page shows what the server
computed and a browser test can read it back).

A ``Lane`` spans ``[begin, end)``; each ``Bar`` is an interval clipped to it, placed by its
offset and width in percent of the span. ``kind`` names what the bar is (``busy``,
``tentative``, ``free``, ``available``, ``outside_availability_rules``, …): the CSS class and
the legend both use it. Times are instants (aware datetimes); the lane shows them in ``tz``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Bar:
    start: dt.datetime
    end: dt.datetime
    kind: str
    label: str  # shown inside the bar when it is wide enough, and as its tooltip
    left: float  # percent of the lane
    width: float  # percent of the lane
    clipped_start: bool = False  # the interval began before the lane
    clipped_end: bool = False  # the interval goes on after the lane


@dataclass(frozen=True)
class Tick:
    at: dt.datetime
    left: float
    label: str


@dataclass
class Lane:
    """``begin`` and ``end`` are kept in UTC (arithmetic on two datetimes sharing a zone is
    wall-clock arithmetic in Python, which a DST change would skew); ``tz`` is for labels."""

    label: str
    begin: dt.datetime
    end: dt.datetime
    key: str = ""  # a stable name for tests (data-lane)
    detail: str = ""  # a second line under the label (e.g. a status)
    bars: list[Bar] = field(default_factory=list)
    tz: dt.tzinfo = dt.timezone.utc

    def __post_init__(self) -> None:
        self.begin, self.end = self.begin.astimezone(dt.timezone.utc), self.end.astimezone(dt.timezone.utc)

    def place(self, start: dt.datetime, end: dt.datetime, kind: str, label: str = "") -> Bar | None:
        """Add the part of ``[start, end)`` inside this lane as a bar (None when it is outside)."""
        low, high = max(start, self.begin), min(end, self.end)
        if high <= low:
            return None
        span = (self.end - self.begin).total_seconds()
        bar = Bar(
            start=start,
            end=end,
            kind=kind,
            label=label,
            left=round((low - self.begin).total_seconds() * 100 / span, 4),
            width=round((high - low).total_seconds() * 100 / span, 4),
            clipped_start=start < self.begin,
            clipped_end=end > self.end,
        )
        self.bars.append(bar)
        return bar

    def place_all(self, intervals: Iterable[tuple[dt.datetime, dt.datetime, str, str]]) -> None:
        for start, end, kind, label in intervals:
            self.place(start, end, kind, label)


def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def day_lanes(first: dt.date, days: int, tz: ZoneInfo) -> list[Lane]:
    """One lane per day from ``first``, each from local midnight to the next (23 or 25 hours
    across a DST change)."""
    lanes = []
    for n in range(days):
        day = first + dt.timedelta(days=n)
        lanes.append(
            Lane(label=day.strftime("%a %d %b"), begin=midnight(day, tz), end=midnight(day + dt.timedelta(days=1), tz),
                 key=day.isoformat(), tz=tz)
        )
    return lanes


def hour_ticks(lane: Lane, every_hours: int) -> list[Tick]:
    """Marks at every ``every_hours`` local hours inside the lane (for the axis above it)."""
    tz = lane.tz
    span = (lane.end - lane.begin).total_seconds()
    ticks = []
    at = lane.begin
    while at < lane.end:
        local = at.astimezone(tz)
        if local.hour % every_hours == 0 and local.minute == 0:
            left = round((at - lane.begin).total_seconds() * 100 / span, 4)
            ticks.append(Tick(at, left, local.strftime("%H:%M") if every_hours < 24 else local.strftime("%a %d")))
        at += dt.timedelta(hours=1)
    return ticks


def local_label(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> str:
    """``Mon 09:00–10:30`` in ``tz``, naming the end's day only when it differs."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    tail = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%a %H:%M")
    return f"{a.strftime('%a %H:%M')}–{tail}"
