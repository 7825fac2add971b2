# SPDX-License-Identifier: Apache-2.0
"""Managed availability: what an application records about when an account is available
(docs.cronofy.com /developers/api/scheduling/availability-rules/* and …/available-periods/*;
wire notes §4.6). The Availability query (``POST /v1/availability`` with
``managed_availability: true``) reads it back through ``for_member`` (one account), or
``chosen`` over what ``participants.Directory`` read for all of a query's members at once:

    for_member(uow, account_id, window: Interval, rule_ids: Sequence[str] | None)
        -> tuple[list[model.AvailabilityRule], list[model.AvailablePeriod]]

    rules:   the account's rules, all of them (``rule_ids`` None) or those named, in the order
             named; an id with no rule is simply absent (compare to report unknown ids).
             Expand ``rule.weekly_periods`` in ``rule.tzid`` (``availability.rules.expand_weekly``).
    periods: the account's available periods overlapping ``window`` (UTC, half-open), by start.

- **Availability rules**: ``weekly_periods`` of ``{day, start_time, end_time}`` in the rule's
  ``tzid``. Days are English names (any case, stored lowercase); a day may repeat. Times are
  ``HH:MM`` (``H:MM`` accepted, stored ``HH:MM``); ``end_time`` must be after ``start_time`` on
  the same day, and may be ``24:00``, the end of the day (a period across midnight is two
  periods). ``calendar_ids``, when given, must be non-empty and name the account's calendars.
- **Available periods**: ``start``/``end`` Times (plain, or ``{time, tzid}``); the zone (start's,
  else the top-level ``tzid``, else Etc/UTC) only says how ``localized_times`` shows them.
  Read Available Periods pages as Read Events does (``reads.paginate``): periods that start
  before ``to`` and end on or after ``from``; without ``from`` and ``to``, all of them, and
  ``tzid`` is then optional.
- **Keys**: ``availability_rule_id`` and ``available_period_id`` are the application's, ASCII,
  at most 64 characters, unique per account; writing one again replaces it (an upsert).
- **Scopes** (Cronofy names none for managed availability): it is managed like managed events.
  Reading needs ``read_account`` (the account's own settings, in every bundle), creating and
  updating ``create_event``, deleting ``delete_event``; ``free_busy_write`` and ``read_write``
  grant all three.
- **Deleting**: an unknown rule is 404 (it is named in the path, as GET names it); deleting an
  unknown available period is accepted and changes nothing, as deleting an event is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calgate.domain import accounts, ids, model, reads, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.availability.types import Interval
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

MAX_ID = 64
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
END_OF_DAY = "24:00"
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})$")

Errors = dict[str, list[tuple[str, str]]]


def _add(errors: Errors, name: str, key: str, description: str) -> None:
    errors.setdefault(name, []).append((f"errors.{key}", description))


def _key(params: Mapping[str, Any], name: str, errors: Errors) -> str | None:
    """The application's id for a rule or period: required, ASCII, at most 64 characters."""
    value = params.get(name)
    if value is None or value == "":
        _add(errors, name, "required", f"{name} must be specified")
        return None
    if not isinstance(value, str) or not (value.isascii() and value.isprintable()):
        _add(errors, name, "invalid", f"{name} must be a string of printable ASCII characters")
        return None
    if len(value) > MAX_ID:
        _add(errors, name, "too_long", f"{name} must be at most {MAX_ID} characters")
        return None
    return value


def _tzid(value: object, errors: Errors, required: bool) -> str | None:
    return times.collect_tzid(value, errors, required)


def _minutes(value: object, end: bool) -> int | None:
    """Minutes since midnight of an ``HH:MM`` time of day; ``24:00`` only as an end."""
    match = _TIME_OF_DAY.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        return None
    return hours * 60 + minutes


def _weekly_periods(value: object, errors: Errors) -> list[dict[str, str]]:
    name = "weekly_periods"
    if value is None:
        _add(errors, name, "required", "weekly_periods must be specified, e.g. [{\"day\": \"monday\", \"start_time\": \"09:00\", \"end_time\": \"17:00\"}]")
        return []
    if not isinstance(value, list):
        _add(errors, name, "invalid", "weekly_periods must be a list of {day, start_time, end_time}")
        return []
    periods: list[dict[str, str]] = []
    for index, item in enumerate(value):
        where = f"weekly_periods[{index}]"
        if not isinstance(item, dict):
            _add(errors, name, "invalid", f"{where} must be an object with day, start_time and end_time")
            continue
        day = item.get("day")
        start, end = _minutes(item.get("start_time"), end=False), _minutes(item.get("end_time"), end=True)
        problems = []
        if not isinstance(day, str) or day.strip().lower() not in DAYS:
            problems.append(f"{where}.day must be one of {', '.join(DAYS)}")
        for field_name, minutes in (("start_time", start), ("end_time", end)):
            if item.get(field_name) in (None, ""):
                problems.append(f"{where}.{field_name} must be specified")
            elif minutes is None:
                limit = "00:00 to 24:00" if field_name == "end_time" else "00:00 to 23:59"
                problems.append(f"{where}.{field_name} {item.get(field_name)!r} must be a time of day HH:MM, {limit}")
        if start is not None and end is not None and end <= start:
            problems.append(f"{where}.end_time must be after its start_time on the same day (split periods across midnight)")
        for problem in problems:
            _add(errors, name, "invalid", problem)
        if not problems:
            assert isinstance(day, str) and start is not None and end is not None
            periods.append({"day": day.strip().lower(), "start_time": _hhmm(start), "end_time": _hhmm(end)})
    return periods


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _calendar_ids(value: object, errors: Errors) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        _add(errors, "calendar_ids", "invalid", "calendar_ids must be a list of calendar ids")
        return None
    if not items:
        _add(errors, "calendar_ids", "invalid", "calendar_ids must name at least one calendar when given; leave it out for all calendars")
        return None
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class RuleInput:
    """A validated Create or Update Availability Rule request."""

    availability_rule_id: str
    tzid: str
    weekly_periods: tuple[dict[str, str], ...]
    calendar_ids: tuple[str, ...] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "RuleInput":
        errors: Errors = {}
        rule_id = _key(params, "availability_rule_id", errors)
        tzid = _tzid(params.get("tzid"), errors, required=True)
        calendar_ids = _calendar_ids(params.get("calendar_ids"), errors)
        weekly_periods = _weekly_periods(params.get("weekly_periods"), errors)
        if errors:
            raise ValidationFailed(errors)
        assert rule_id and tzid
        return cls(rule_id, tzid, tuple(weekly_periods), calendar_ids)


def upsert_rule(uow: UnitOfWork, caller: Caller, command: RuleInput, now: dt.datetime) -> model.AvailabilityRule:
    caller.require(scopes.CREATE_EVENT)
    if command.calendar_ids is not None:
        own = {c.id for view in accounts.profiles(uow, caller) for c in view.calendars}
        unknown = [c for c in command.calendar_ids if c not in own]
        if unknown:
            raise ValidationFailed.single("calendar_ids", "invalid", f"Not calendars of this account: {', '.join(unknown)}")
    rule = uow.availability_rules.by_rule_id(caller.account.id, command.availability_rule_id)
    weekly_periods = [dict(p) for p in command.weekly_periods]
    calendar_ids = list(command.calendar_ids) if command.calendar_ids is not None else None
    if rule is None:
        rule = model.AvailabilityRule(
            id=ids.new_id("avr"), account_id=caller.account.id, availability_rule_id=command.availability_rule_id,
            tzid=command.tzid, weekly_periods=weekly_periods, calendar_ids=calendar_ids, created_at=now, updated_at=now,
        )
        uow.availability_rules.add(rule)
        return rule
    rule.tzid, rule.weekly_periods, rule.calendar_ids, rule.updated_at = command.tzid, weekly_periods, calendar_ids, now
    return rule


def list_rules(uow: UnitOfWork, caller: Caller) -> list[model.AvailabilityRule]:
    caller.require(scopes.READ_ACCOUNT)
    return uow.availability_rules.of_account(caller.account.id)


def get_rule(uow: UnitOfWork, caller: Caller, availability_rule_id: str) -> model.AvailabilityRule:
    caller.require(scopes.READ_ACCOUNT)
    rule = uow.availability_rules.by_rule_id(caller.account.id, availability_rule_id)
    if rule is None:
        raise NotFound("availability_rule")
    return rule


def delete_rule(uow: UnitOfWork, caller: Caller, availability_rule_id: str) -> None:
    caller.require(scopes.DELETE_EVENT)
    rule = uow.availability_rules.by_rule_id(caller.account.id, availability_rule_id)
    if rule is None:
        raise NotFound("availability_rule")
    uow.availability_rules.remove(rule)


@dataclass(frozen=True)
class PeriodInput:
    """A validated Create or Update Available Period request."""

    available_period_id: str
    start: times.EventTime
    end: times.EventTime

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "PeriodInput":
        errors: Errors = {}
        period_id = _key(params, "available_period_id", errors)
        tzid = _tzid(params.get("tzid"), errors, required=False)
        parsed: dict[str, times.EventTime] = {}
        for name in ("start", "end"):
            try:
                value = times.parse_event_time(params.get(name), name, tzid)
            except ValidationFailed as exc:
                errors.update(exc.errors)
                continue
            if value.all_day:
                _add(errors, name, "invalid", f"{name} must be a Time such as 2026-12-01T09:00:00Z, not a Date")
                continue
            parsed[name] = value
        start, end = parsed.get("start"), parsed.get("end")
        if start and end and end.instant() <= start.instant():
            _add(errors, "end", "invalid", "end must be after start")
        if errors:
            raise ValidationFailed(errors)
        assert period_id and start and end
        return cls(period_id, start, end)


def upsert_period(uow: UnitOfWork, caller: Caller, command: PeriodInput, now: dt.datetime) -> model.AvailablePeriod:
    caller.require(scopes.CREATE_EVENT)
    period = uow.available_periods.by_period_id(caller.account.id, command.available_period_id)
    start_at, end_at = command.start.instant(), command.end.instant()
    if period is None:
        period = model.AvailablePeriod(
            id=ids.new_id("avp"), account_id=caller.account.id, available_period_id=command.available_period_id,
            start_at=start_at, end_at=end_at, tzid=command.start.tzid, created_at=now, updated_at=now,
        )
        uow.available_periods.add(period)
        return period
    period.start_at, period.end_at, period.tzid, period.updated_at = start_at, end_at, command.start.tzid, now
    return period


def delete_periods(uow: UnitOfWork, caller: Caller, available_period_id: str | None, delete_all: bool) -> int:
    """One period by its id, or every period of the account with ``delete_all``; how many went."""
    caller.require(scopes.DELETE_EVENT)
    if delete_all and available_period_id:
        raise ValidationFailed.single("delete_all", "invalid", "Give either available_period_id or delete_all=true, not both")
    if not delete_all and not available_period_id:
        raise ValidationFailed.single(
            "available_period_id", "required", "available_period_id must be specified (or delete_all=true to delete every period)"
        )
    if delete_all:
        return uow.available_periods.remove_all(caller.account.id)
    assert available_period_id
    period = uow.available_periods.by_period_id(caller.account.id, available_period_id)
    if period is None:
        return 0  # deleting is idempotent
    uow.available_periods.remove(period)
    return 1


def period_query(values: Mapping[str, object], localized_times: bool, now: dt.datetime) -> reads.Query:
    """Read Available Periods' parameters (``tzid``, ``from``, ``to``) as a ``reads.Query``.
    Without ``from`` and ``to`` the read is unbounded (``managed_unbounded``) and ``tzid``
    may be left out."""
    bounded = any(values.get(name) not in (None, "") for name in ("from", "to"))
    tzid = values.get("tzid")
    if tzid in (None, ""):
        if bounded:
            raise ValidationFailed.single("tzid", "required", "tzid must be specified when from or to is given, e.g. tzid=Europe/London")
        tzid = "Etc/UTC"
    return reads.Query.parse(
        {"tzid": tzid, "from": values.get("from"), "to": values.get("to")}, {"localized_times": localized_times}, now
    )


def _period_key(period: model.AvailablePeriod) -> reads.Key:
    return (period.start_at, period.available_period_id)


def read_periods(
    uow: UnitOfWork, caller: Caller, request: reads.Query | reads.Cursor, page_size: int, now: dt.datetime
) -> reads.Page[model.AvailablePeriod]:
    """Read Available Periods: the first page for a ``Query``, a later one for a ``Cursor``.
    Periods created after the first page was read are left to the next read."""
    caller.require(scopes.READ_ACCOUNT)
    cursor = reads.cursor_for(caller, reads.AVAILABLE_PERIODS, request, now)
    query = cursor.query
    if query.managed_unbounded:
        found = uow.available_periods.in_window(caller.account.id, None, None)
    else:
        found = uow.available_periods.in_window(caller.account.id, ends_from=query.start, starts_before=query.end)
    chosen = sorted((p for p in found if p.created_at <= cursor.snapshot), key=_period_key)
    return reads.paginate(chosen, _period_key, cursor, page_size)


def for_member(
    uow: UnitOfWork, account_id: str, window: Interval, rule_ids: Sequence[str] | None
) -> tuple[list[model.AvailabilityRule], list[model.AvailablePeriod]]:
    """An account's managed availability for the Availability query (see the module docstring)."""
    rules = uow.availability_rules.of_account(account_id)
    candidates = uow.available_periods.in_window(account_id, ends_from=window.start, starts_before=window.end)
    return chosen(rules, candidates, window, rule_ids)


def chosen(
    rules: Sequence[model.AvailabilityRule], periods: Sequence[model.AvailablePeriod], window: Interval, rule_ids: Sequence[str] | None
) -> tuple[list[model.AvailabilityRule], list[model.AvailablePeriod]]:
    """``for_member`` over an account's rules (by rule id) and its periods near the window (by
    start), already read: the rules named (all when ``rule_ids`` is None), the periods in it."""
    picked = list(rules)
    if rule_ids is not None:
        by_id = {r.availability_rule_id: r for r in rules}
        picked = [by_id[i] for i in dict.fromkeys(rule_ids) if i in by_id]
    return picked, [p for p in periods if p.end_at > window.start]
