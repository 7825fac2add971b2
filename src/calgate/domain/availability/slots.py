# SPDX-License-Identifier: Apache-2.0
"""Slot starts: aligned instants inside the valid-start spans.

Alignment is a grid of multiples of ``start_interval`` counted from the Unix epoch (UTC), which is
the top of every UTC hour for an interval that divides an hour (5, 10, 15, 20, 30, 60 minutes)
and UTC midnight for one that divides a day (45, 90, 120 … minutes). Zones with a non-whole-hour
offset (India, Nepal, Chatham) therefore see :00/:15/:30/:45 UTC starts, not local ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from calgate.domain.availability.intervals import Span

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def align_up(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """The first grid instant at or after ``t``."""
    rest = (t - EPOCH) % step
    return t + (step - rest) if rest else t


def slot_starts(
    starts: Sequence[Span], duration: dt.timedelta, step: dt.timedelta, overlapping: bool
) -> Iterator[dt.datetime]:
    """Grid instants inside the valid-start spans, earliest first. ``overlapping``: every one
    (``overlapping_slots``); otherwise greedily the earliest that starts at or after the previous
    slot's end (``slots``: back to back when ``step`` divides the duration)."""
    after: dt.datetime | None = None
    for first, stop in starts:
        t = align_up(first if after is None or after < first else after, step)
        while t < stop:
            yield t
            if overlapping:
                t += step
            else:
                after = t + duration
                t = align_up(after, step)
