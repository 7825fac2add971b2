# SPDX-License-Identifier: Apache-2.0
"""Times and zones of iCalendar data, for ``ical_reader``: instants in UTC, wire strings, and
the IANA zone a TZID parameter means (IANA names kept, Windows names mapped with icalendar's
CLDR table, "globally unique" TZIDs stripped of their vendor prefix, else the resource's own
VTIMEZONE, cached by its text rather than by its name).

Examples: ``"W. Europe Standard Time"`` → ``Europe/Berlin``;
``/freeassociation.sourceforge.net/Europe/Berlin`` → ``Europe/Berlin``; Outlook's "Customized
Time Zone" → read with the resource's VTIMEZONE, labelled ``Etc/UTC``; no VTIMEZONE either →
read as UTC. UTC, floating times (read as UTC) and all-day dates are labelled ``Etc/UTC``."""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from calgate.domain.times import format_time

UTC = dt.timezone.utc
ETC_UTC = "Etc/UTC"
_UTC_NAMES = frozenset(

    {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0", "Greenwich",
     "Etc/Greenwich", "UCT", "Etc/UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu", "Z"}
)


def instant(value: dt.datetime | dt.date) -> dt.datetime:
    """The UTC instant: a date is its midnight UTC, a floating time is read as UTC."""
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time(), UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def wire(value: dt.datetime | dt.date) -> str:
    return format_time(instant(value)) if isinstance(value, dt.datetime) else value.isoformat()


def localize(value: dt.date, zone: dt.tzinfo | None) -> dt.date:
    """``value`` in ``zone`` (its wall clock kept), or in UTC when floating. Dates and values
    written in UTC (``Z``) are left alone."""
    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is not None and (value.tzinfo is UTC or getattr(value.tzinfo, "key", None) == "UTC"):
        return value
    if zone is not None:
        return value.replace(tzinfo=zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def zone(tzid: object, zones: dict[str, icalendar.Component]) -> tuple[dt.tzinfo | None, str]:
    """The zone of a TZID parameter and its tzid label; (None, Etc/UTC) without one."""
    if tzid is None or not str(tzid).strip():
        return None, ETC_UTC
    name = iana(str(tzid))
    if name is not None:
        return ZoneInfo(name), name
    vtimezone = zones.get(str(tzid))
    zone = _filezone(vtimezone) if vtimezone is not None else None
    return (zone or UTC), ETC_UTC


@functools.lru_cache(maxsize=1024)
def iana(tzid: str) -> str | None:
    """The IANA name a TZID means, if any: itself, its Windows zone's (CLDR's table as
    icalendar ships it), or the Olson name at the end of a "globally unique" TZID."""
    name = tzid.strip().strip('"').strip()
    cleaned = name.strip("/")
    candidates = [cleaned]
    if cleaned in WINDOWS_TO_OLSON:
        candidates.append(WINDOWS_TO_OLSON[cleaned])
    if name.startswith("/"):
        parts = cleaned.split("/")
        candidates.extend("/".join(parts[i:]) for i in range(1, len(parts)))
    for candidate in candidates:
        if candidate in _UTC_NAMES:
            return ETC_UTC
        if _iszone(candidate):
            return candidate
    return None


def _iszone(name: str) -> bool:
    if not name or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


FILE_ZONES: dict[bytes, dt.tzinfo | None] = {}


def _filezone(vtimezone: icalendar.Component) -> dt.tzinfo | None:
    """A zone built from a resource's own VTIMEZONE (for names no table knows, such as
    Outlook's "Customized Time Zone"), cached by its text: two resources may give one name
    different rules, so icalendar's cache by name is not used."""
    key = vtimezone.to_ical()
    if key not in FILE_ZONES:
        try:
            zone = vtimezone.to_tz(lookup_tzid=False)
        except Exception:  # a VTIMEZONE the zone builder cannot read: times in it are read as UTC
            zone = None
        if len(FILE_ZONES) >= 256:
            FILE_ZONES.clear()
        FILE_ZONES[key] = zone
    return FILE_ZONES[key]
