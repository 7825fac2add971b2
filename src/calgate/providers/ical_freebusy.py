# SPDX-License-Identifier: Apache-2.0
"""Reading a VFREEBUSY (RFC 5545 §3.6.4), the answer to a CalDAV free-busy-query REPORT
(RFC 4791 §7.10), as busy blocks: FBTYPE BUSY and BUSY-UNAVAILABLE are busy, BUSY-TENTATIVE
tentative, FREE nothing. Errors are ``ical_reader.IcalError``, which never quotes the data."""

from __future__ import annotations

import datetime as dt

import icalendar

from calgate.domain.calendar_sources import BusyBlock
from calgate.providers import ical_times
from calgate.providers.ical_reader import IcalError, check_window, listed, parse_calendar

__all__ = ["read_freebusy"]

_FBTYPES = {"BUSY": "busy", "BUSY-UNAVAILABLE": "busy", "BUSY-TENTATIVE": "tentative"}  # FREE: not busy


def read_freebusy(ical: bytes, start: dt.datetime, end: dt.datetime) -> list[BusyBlock]:
    """BusyBlocks of a VFREEBUSY answer (CalDAV free-busy-query), clipped to [start, end)."""
    check_window(start, end)
    calendar = parse_calendar(ical)
    blocks = []
    for freebusy in calendar.walk("VFREEBUSY"):
        for prop in listed(freebusy.get("FREEBUSY")):
            if isinstance(prop, icalendar.vBroken):
                raise IcalError("a FREEBUSY value is not a period")
            status = _FBTYPES.get(str(prop.params.get("FBTYPE", "BUSY")).strip().upper())
            if status is None:
                continue
            period = getattr(prop, "dt", None)
            if not isinstance(period, tuple) or len(period) != 2:
                raise IcalError("a FREEBUSY value is not a period")
            first, last = period
            if not isinstance(first, dt.datetime) or not isinstance(last, (dt.datetime, dt.timedelta)):
                raise IcalError("a FREEBUSY value is not a period of date-times")
            block_start = ical_times.instant(first)
            block_end = block_start + last if isinstance(last, dt.timedelta) else ical_times.instant(last)
            block_start, block_end = max(block_start, start), min(block_end, end)
            if block_start < block_end:
                blocks.append(BusyBlock(start=block_start, end=block_end, status=status))
    blocks.sort(key=lambda block: (block.start, block.end))
    return blocks
