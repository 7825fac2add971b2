# SPDX-License-Identifier: Apache-2.0
"""Availability rules (docs.cronofy.com/developers/api/scheduling/availability-rules): weekly
wall-clock periods in the rule's IANA zone, expanded to UTC intervals for the engine.

Each local date is computed on its own with zoneinfo, so a 09:00–17:00 rule stays 09:00–17:00 on
the wall clock across DST changes (pitfall P1: slots shifting by an hour around transitions).
On the transition days themselves:

- a local time that does not exist (the spring-forward gap) moves forward by the gap: 02:30 on
  2026-03-08 in America/New_York becomes 03:30 EDT. This is PEP 495's ``fold=0``.
- a local time that happens twice (fall back) means its first occurrence: 01:30 on 2026-11-01 in
  America/New_York is 01:30 EDT (05:30 UTC), not 01:30 EST. Also ``fold=0``.

So a period's length in real time can differ from its wall-clock length on those days
(00:00–04:00 lasts 3 hours on a spring-forward night, 5 on a fall-back night).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from calgate.domain.availability.intervals import merge
from calgate.domain.availability.types import Interval

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")  # date.weekday()
_UTC = dt.timezone.utc
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
_DAY = dt.timedelta(days=1)

WeeklyPeriod = tuple[str, str, str]  # (day, start_time, end_time), e.g. ("monday", "09:00", "17:00")


def expand_weekly(
    weekly_periods: Iterable[WeeklyPeriod | Mapping[str, str]], tzid: str, window: Interval
) -> list[Interval]:
    """The rule's periods for every local date touching ``window``, in UTC, clipped to the
    window, merged. A period is ``(day, start_time, end_time)`` or Cronofy's
    ``{"day", "start_time", "end_time"}``; ``end_time`` may be ``"24:00"`` (end of that day); a
    period whose end is not after its start yields nothing (validation is the rules API's job).
    A day may appear more than once. Raises ValueError for an unknown day or a malformed time."""
    if window.start >= window.end:
        return []
    zone = ZoneInfo(tzid)
    by_day: dict[int, list[tuple[dt.time, int, dt.time]]] = {}
    for period in weekly_periods:
        if isinstance(period, Mapping):
            day, start_text, end_text = period["day"], period["start_time"], period["end_time"]
        else:
            day, start_text, end_text = period
        try:
            weekday = DAYS.index(day.lower())
        except ValueError:
            raise ValueError(f"unknown day {day!r}") from None
        start, start_next = _wall_time(start_text, allow_24=False)
        end, end_next = _wall_time(end_text, allow_24=True)
        if end_next or end > start:
            by_day.setdefault(weekday, []).append((start, end_next, end))

    spans = []
    # A day either side: the window's ends may fall on other local dates than the UTC ones.
    date = window.start.astimezone(zone).date() - _DAY
    last = window.end.astimezone(zone).date() + _DAY
    while date <= last:
        for start, end_next, end in by_day.get(date.weekday(), ()):
            begin = _instant(date, start, zone)
            finish = _instant(date + _DAY if end_next else date, end, zone)
            spans.append((max(begin, window.start), min(finish, window.end)))
        date += _DAY
    return [Interval(s, e) for s, e in merge(spans)]


def _wall_time(text: str, *, allow_24: bool) -> tuple[dt.time, int]:
    """"HH:MM" → (time, days to add): "24:00" is midnight of the next day."""
    match = _HHMM.match(text)
    if not match:
        raise ValueError(f"{text!r} is not HH:MM")
    hour, minute = int(match[1]), int(match[2])
    if allow_24 and hour == 24 and minute == 0:
        return dt.time(0, 0), 1
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day")
    return dt.time(hour, minute), 0


def _instant(date: dt.date, wall: dt.time, zone: ZoneInfo) -> dt.datetime:
    # fold=0: first occurrence of a repeated time, pre-transition offset for a skipped one.
    return dt.datetime.combine(date, wall, tzinfo=zone).astimezone(_UTC)
