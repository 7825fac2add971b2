# SPDX-License-Identifier: Apache-2.0
"""Recurring managed events: Cronofy's ``recurrence`` object (docs.cronofy.com
/developers/api-alpha/recurring-events), as an RFC 5545 RRULE and as stored occurrences.

On the wire: ``{"rules": [{"frequency", "interval"?, "count"?, "until"?, "by_day"?}]}``.
``frequency`` is daily, weekly, monthly or yearly; ``interval`` a whole number ≥ 1; ``count``
(how many occurrences) and ``until`` (a Time, or a Date: the last day an occurrence may start
on, in the event's zone) exclude each other; ``by_day`` (weekly only) names week days. Cronofy
takes a list "because some calendar models support it, but in practice only one rule is
provided": calgate takes at most one. An empty list removes the recurrence; leaving
``recurrence`` out keeps the event's rules.

One rule means one RRULE (``rrule``), written into the invitation and the provider's copy.
The same rule, read by ``recurring_ical_events`` (as every synced series is), gives the
occurrences calgate stores (``occurrences``), so Read Events, Free/Busy and Availability see
the series the person's calendar shows. A rule without ``count`` or ``until`` never ends:
its occurrences are stored up to ``HORIZON`` past the write (at most ``MAX_OCCURRENCES``);
writing the event again moves that horizon on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import icalendar
import recurring_ical_events

from calgate.domain import times
from calgate.domain.errors import ValidationFailed

FREQUENCIES = ("daily", "weekly", "monthly", "yearly")
DAYS = {"monday": "MO", "tuesday": "TU", "wednesday": "WE", "thursday": "TH", "friday": "FR", "saturday": "SA", "sunday": "SU"}
MAX_INTERVAL = 1000
MAX_COUNT = 1000
HORIZON = dt.timedelta(days=3 * 366)
MAX_OCCURRENCES = 1500
_KEYS = frozenset({"frequency", "interval", "count", "until", "by_day"})

Errors = dict[str, list[tuple[str, str]]]


def _add(errors: Errors, key: str, description: str) -> None:
    errors.setdefault("recurrence", []).append((f"errors.{key}", description))


@dataclass(frozen=True)
class Rule:
    frequency: str
    interval: int = 1
    count: int | None = None
    until: str | None = None  # a wire Time (UTC) or Date
    by_day: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"frequency": self.frequency, "interval": self.interval}
        if self.count is not None:
            data["count"] = self.count
        if self.until is not None:
            data["until"] = self.until
        if self.by_day:
            data["by_day"] = list(self.by_day)
        return data


def parse(value: object, errors: Errors) -> Rule | None | bool:
    """The request's ``recurrence``: a ``Rule``, None when it removes the recurrence (no
    rules), or False when the request is refused (the reason added to ``errors``)."""
    example = 'recurrence must be {"rules": [{"frequency": "weekly", "interval": 1}]}'
    if not isinstance(value, dict) or set(value) - {"rules"} or not isinstance(value.get("rules", []), list):
        _add(errors, "invalid", example)
        return False
    rules = value.get("rules", [])
    if not rules:
        return None
    if len(rules) > 1:
        _add(errors, "too_many", "calgate takes one recurrence rule (Cronofy: in practice only one rule is provided)")
        return False
    raw = rules[0]
    if not isinstance(raw, dict) or set(raw) - _KEYS:
        unknown = ", ".join(sorted(set(raw) - _KEYS)) if isinstance(raw, dict) else ""
        _add(errors, "invalid", f"a rule has frequency, interval, count, until and by_day only{f' (not {unknown})' if unknown else ''}")
        return False
    before = len(errors.get("recurrence", []))
    frequency = raw.get("frequency")
    if not isinstance(frequency, str) or frequency not in FREQUENCIES:
        _add(errors, "invalid", f"recurrence.rules.frequency must be one of {', '.join(FREQUENCIES)}")
    interval = raw.get("interval", 1)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL:
        _add(errors, "invalid", f"recurrence.rules.interval must be a whole number from 1 to {MAX_INTERVAL}")
    count, until = raw.get("count"), raw.get("until")
    if count is not None and until is not None:
        _add(errors, "invalid", "recurrence.rules may give count or until, not both")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT):
        _add(errors, "invalid", f"recurrence.rules.count must be a whole number from 1 to {MAX_COUNT}")
    if until is not None:
        try:
            parsed = times.parse_time_or_date(until, "recurrence.rules.until")
            until = times.format_time(parsed) if isinstance(parsed, dt.datetime) else parsed.isoformat()
        except ValidationFailed:
            _add(errors, "invalid", "recurrence.rules.until must be a Time or a Date")
    by_day = raw.get("by_day") or []
    if not isinstance(by_day, list) or not all(isinstance(day, str) and day in DAYS for day in by_day):
        _add(errors, "invalid", f"recurrence.rules.by_day must list week days ({', '.join(DAYS)})")
    elif by_day and frequency != "weekly":
        _add(errors, "invalid", "recurrence.rules.by_day is only valid with a weekly frequency")
    if len(errors.get("recurrence", [])) > before:
        return False
    return Rule(str(frequency), int(interval), count, until, tuple(dict.fromkeys(by_day)))


def from_data(data: dict[str, Any] | None) -> Rule | None:
    """The stored form (``Rule.to_data`` inside ``{"rules": [...]}``) back as a rule."""
    rules = (data or {}).get("rules") or []
    if not rules:
        return None
    raw = rules[0]
    return Rule(raw["frequency"], int(raw.get("interval", 1)), raw.get("count"), raw.get("until"), tuple(raw.get("by_day", ())))


def to_data(rule: Rule | None) -> dict[str, Any] | None:
    return {"rules": [rule.to_data()]} if rule else None


def rrule(rule: Rule, start: times.EventTime) -> icalendar.vRecur:
    """The RRULE of ``rule`` for a series starting at ``start`` (RFC 5545 §3.3.10: UNTIL is a
    DATE for all-day series, else a UTC DATE-TIME)."""
    parts: dict[str, Any] = {"FREQ": rule.frequency.upper()}
    if rule.interval != 1:
        parts["INTERVAL"] = rule.interval
    if rule.count is not None:
        parts["COUNT"] = rule.count
    if rule.until is not None:
        parts["UNTIL"] = _until(rule.until, start)
    if rule.by_day:
        parts["BYDAY"] = [DAYS[day] for day in rule.by_day]
    return icalendar.vRecur(parts)


def _until(until: str, start: times.EventTime) -> dt.date | dt.datetime:
    parsed = times.parse_time_or_date(until, "until")
    if start.all_day:
        return parsed.date() if isinstance(parsed, dt.datetime) else parsed
    if isinstance(parsed, dt.datetime):
        return parsed
    # A Date: occurrences may start on that day, until its last second in the event's zone.
    return times.EventTime(parsed + dt.timedelta(days=1), start.tzid).instant() - dt.timedelta(seconds=1)


@dataclass(frozen=True)
class Occurrence:
    recurrence_id: str  # the occurrence's original start as a wire Time (UTC) or Date
    start: times.EventTime
    end: times.EventTime


def occurrences(component: icalendar.Event, start: times.EventTime, end: times.EventTime, now: dt.datetime) -> list[Occurrence]:
    """The series ``component`` (a VEVENT with DTSTART, DTEND and RRULE) as occurrences, the
    first being ``start``/``end`` itself, up to ``HORIZON`` after ``now`` (or after the start,
    if later) and at most ``MAX_OCCURRENCES``."""
    calendar = icalendar.Calendar()
    calendar.add_component(component)
    first = start.instant("Etc/UTC")
    limit = max(first, now) + HORIZON
    query = recurring_ical_events.of(calendar, keep_recurrence_attributes=False)
    found: list[Occurrence] = []
    for hit in query.between(first - dt.timedelta(days=1), limit):
        begin, finish = hit.decoded("dtstart"), hit.decoded("dtend")
        found.append(Occurrence(_wire(begin), _point(begin, start.tzid), _point(finish, end.tzid)))
        if len(found) >= MAX_OCCURRENCES:
            break
    found.sort(key=lambda o: o.start.instant("Etc/UTC"))
    return found


def _point(value: dt.date | dt.datetime, tzid: str) -> times.EventTime:
    if isinstance(value, dt.datetime):
        return times.EventTime(value.astimezone(times.UTC), tzid)
    return times.EventTime(value, tzid)


def _wire(value: dt.date | dt.datetime) -> str:
    return times.format_time(value.astimezone(times.UTC)) if isinstance(value, dt.datetime) else value.isoformat()
