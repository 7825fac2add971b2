# SPDX-License-Identifier: Apache-2.0
"""The occurrences of a simple recurring event, for resources ``ical_fast`` reads.

``recurring_ical_events`` expands a series from icalendar's components; for one VEVENT with
one plain RRULE (``ical_fast.RULE``: no RDATE, EXDATE or overrides) that costs ten times the
reading. This gives the same occurrences from the values ``ical_fast`` read, computed as the
expander computes them: the rule by dateutil's ``rrulestr`` from DTSTART (a date as midnight
without zone), DTSTART itself added unless it is after UNTIL, starts after UNTIL dropped,
each occurrence lasting DTEND − DTSTART (added to its start as the expander adds it), dates
kept as dates for all-day events. It returns every occurrence that starts in a span a little
wider than the window (the caller keeps the ones that overlap it exactly, as for any other
resource). ``tests/unit/providers/test_ical_fast.py`` compares it with the expander.
"""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrulestr

from calgate.providers.ical_times import UTC

__all__ = ["occurrences", "series_end"]

_MARGIN = dt.timedelta(days=2)


def occurrences(
    start: dt.date, end: dt.date, rule: str, first: dt.datetime, last: dt.datetime
) -> list[tuple[dt.date, dt.date]]:
    """(start, end) of the occurrences of the series of ``start``–``end`` repeated by
    ``rule`` that may overlap [first, last) (aware datetimes). ``start`` and ``end`` are both
    dates or both aware datetimes, ``end`` not before ``start``."""
    dates = not isinstance(start, dt.datetime)
    origin = dt.datetime(start.year, start.month, start.day) if dates else start
    duration = end - start
    until = _until(rule)
    lowest, highest = first - duration - _MARGIN, last + _MARGIN
    if dates:  # the expander compares dates as midnight without zone
        lowest, highest = lowest.astimezone(UTC).replace(tzinfo=None), highest.astimezone(UTC).replace(tzinfo=None)
    starts: list[dt.datetime] = []
    seen: set[dt.datetime] = set()
    for moment in [origin, *rrulestr(rule, dtstart=origin).between(lowest, highest, inc=True)]:
        if (until is None or moment <= until) and moment not in seen:
            starts.append(moment)
            seen.add(moment)
    if dates:
        return [(moment.date(), (moment + duration).date()) for moment in starts]
    return [(moment, moment + duration) for moment in starts]


def series_end(start: dt.date, end: dt.date | None, duration: dt.timedelta | None) -> dt.date:
    """The end of the series' first occurrence as the expander reads it: DTEND, else
    DTSTART + DURATION (from midnight without zone when it has hours), else a day for a date
    and no time for a date-time."""
    if end is not None:
        return end
    if duration is not None:
        if duration.seconds and not isinstance(start, dt.datetime):
            start = dt.datetime(start.year, start.month, start.day)
        return start + duration
    return start if isinstance(start, dt.datetime) else start + dt.timedelta(days=1)


def _until(rule: str) -> dt.datetime | None:
    """UNTIL as a naive midnight for a date, an aware UTC time for a date-time."""
    for part in rule.split(";"):
        if part.startswith("UNTIL="):
            value = part[6:]
            if len(value) == 8:
                return dt.datetime(int(value[:4]), int(value[4:6]), int(value[6:8]))
            return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return None
