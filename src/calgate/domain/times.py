# SPDX-License-Identifier: Apache-2.0
"""Cronofy's time formats (wire notes §7), parsed strictly where it matters, leniently where
the SDKs need it.

- **Time**: ISO 8601 with ``T`` or a space, ``Z``/``UTC`` or an offset (converted to UTC),
  whole seconds; a zero fraction is accepted, a non-zero one refused.
- **Date**: ``YYYY-MM-DD``; all-day events use dates with an exclusive end.
- **Event time**: a Time or Date string, or ``{"time": Time|Date, "tzid": IANA zone}``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calgate.domain.errors import ValidationFailed

UTC = dt.timezone.utc
_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def zone(tzid: object, field: str = "tzid") -> ZoneInfo:
    try:
        if not isinstance(tzid, str) or not tzid or ".." in tzid or tzid.startswith("/") or "\x00" in tzid:
            raise ZoneInfoNotFoundError(tzid)
        return ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a directory of the database
        raise ValidationFailed.single(field, "invalid", f"{tzid!r} is not a known IANA time zone") from None


def collect_tzid(value: object, errors: dict[str, list[tuple[str, str]]], required: bool = True) -> str | None:
    """A request's ``tzid``: the zone name, or None with the problem added to ``errors``."""
    if value is None or value == "":
        if required:
            errors.setdefault("tzid", []).append(("errors.required", "tzid must be specified, e.g. Europe/London"))
        return None
    if not isinstance(value, str):
        errors.setdefault("tzid", []).append(("errors.invalid", "tzid must be an IANA time zone such as Europe/London"))
        return None
    try:
        zone(value)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return None
    return value


def _invalid(field: str, value: object) -> ValidationFailed:
    return ValidationFailed.single(field, "invalid", f"{field} {value!r} is not a valid Time or Date")


# Times and Dates outside these years are refused (422): near year 1 or 9999 a zone's offset
# would carry them past what a datetime holds.
FIRST_YEAR, LAST_YEAR = 1000, 9000


def parse_time_or_date(value: object, field: str) -> dt.datetime | dt.date:
    """A Time (aware UTC datetime) or a Date, in the years ``FIRST_YEAR`` to ``LAST_YEAR``."""
    parsed = _parse_time_or_date(value, field)
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValidationFailed.single(field, "out_of_range", f"{field} must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return parsed


def _parse_time_or_date(value: object, field: str) -> dt.datetime | dt.date:
    if not isinstance(value, str):
        raise _invalid(field, value)
    text = value.strip()
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _invalid(field, value) from None
    match = _TIME.match(text)
    if not match:
        raise _invalid(field, value)
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if fraction and int(fraction) != 0:
        raise ValidationFailed.single(field, "invalid", f"{field} must be in whole seconds, not {value!r}")
    if offset is None:
        raise ValidationFailed.single(field, "invalid", f"{field} {value!r} needs a time zone (Z or an offset)")
    if offset.upper() in ("Z", "UTC"):
        tz: dt.tzinfo = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        digits = offset[1:].replace(":", "")
        tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        moment = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise _invalid(field, value) from None


def parse_time(value: object, field: str) -> dt.datetime:
    parsed = parse_time_or_date(value, field)
    if not isinstance(parsed, dt.datetime):
        raise ValidationFailed.single(field, "invalid", f"{field} must be a Time, not a Date")
    return parsed


@dataclass(frozen=True)
class EventTime:
    """A point of an event: an instant (UTC) or a date, and the zone it is shown in."""

    value: dt.datetime | dt.date
    tzid: str

    @property
    def all_day(self) -> bool:
        return not isinstance(self.value, dt.datetime)

    def instant(self, tzid: str | None = None) -> dt.datetime:
        """When it happens: a date is midnight in ``tzid`` (the reader's) or its own zone."""
        if isinstance(self.value, dt.datetime):
            return self.value
        local = dt.datetime.combine(self.value, dt.time(), tzinfo=ZoneInfo(tzid or self.tzid))
        return local.astimezone(UTC)

    def wire(self) -> str:
        if isinstance(self.value, dt.datetime):
            return format_time(self.value)
        return self.value.isoformat()

    def localized(self) -> str:
        if isinstance(self.value, dt.datetime):
            return self.value.astimezone(ZoneInfo(self.tzid)).isoformat()
        return self.value.isoformat()


def parse_event_time(value: object, field: str, default_tzid: str | None) -> EventTime:
    tzid = default_tzid
    if isinstance(value, dict):
        tzid = value.get("tzid") or tzid
        value = value.get("time")
    if value is None:
        raise ValidationFailed.single(field, "required", f"{field} must be specified")
    parsed = parse_time_or_date(value, field)
    tzid = tzid or "Etc/UTC"
    zone(tzid, f"{field}.tzid" if tzid != default_tzid else "tzid")
    return EventTime(parsed, tzid)


def format_time(moment: dt.datetime) -> str:
    """``moment`` as the wire's Time: UTC, whole seconds, ``YYYY-MM-DDTHH:MM:SSZ``."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:19] + "Z"  # isoformat: the fastest; [:19] drops fractions and offset
