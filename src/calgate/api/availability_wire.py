# SPDX-License-Identifier: Apache-2.0
"""Parsing the Availability and Sequenced Availability bodies (wire notes §4.5) into the
domain's requests and the engine's ``Query``; the limits are listed in ``api/availability.py``.

Every problem is collected before answering, one 422 naming each field (``errors.required``,
``errors.invalid``, ``errors.too_many``, ``errors.too_long``, ``errors.not_allowed``); inside a
sequence step the field is ``sequence`` and the description starts with the step's place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from calgate.domain import times
from calgate.domain.busy_time import Excluded
from calgate.domain.availability.types import Buffer, Interval, Query, ResponseFormat
from calgate.domain.availability_inputs import Constraint, GroupRequest, MemberRequest
from calgate.domain.events import read_tags
from calgate.domain.errors import ValidationFailed
from calgate.domain.sequenced_availability import StepRequest

MAX_GROUPS = 10
MAX_MEMBERS = 50
MAX_PERIODS = 50  # query_periods, query_slots, a member's available_periods
MAX_EXCLUDED = 50  # excluded_events
MAX_CONSTRAINTS = 10  # a member's availability_constraints
MAX_SPAN = dt.timedelta(days=35)
MAX_DURATION_MINUTES = 1440
MAX_BUFFER_MINUTES = 1440
START_INTERVALS = (5, 10, 15, 20, 30, 45, 60)
MAX_RESULTS = 512
MAX_STEPS = 10
RESPONSE_FORMATS: tuple[ResponseFormat, ...] = ("periods", "slots", "overlapping_slots")

Errors = dict[str, list[tuple[str, str]]]


class _Problems:
    """Errors of one body, or of one sequence step (``prefix``, filed under ``sequence``)."""

    def __init__(self, errors: Errors, prefix: str = "") -> None:
        self.errors, self.prefix = errors, prefix

    def add(self, name: str, key: str, description: str) -> None:
        field = "sequence" if self.prefix else name.split(".")[0].split("[")[0]
        self.errors.setdefault(field, []).append((f"errors.{key}", f"{self.prefix}{description}"))


def _absent(value: object) -> bool:
    return value is None or value == "" or value == {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _minutes(value: object, name: str, problems: _Problems, low: int, high: int) -> dt.timedelta | None:
    """A Duration: ``{"minutes": n}`` or ``{"hours": h, "minutes": m}``, ``low``..``high`` minutes."""
    hours = _int(value.get("hours", 0)) if isinstance(value, dict) else None
    minutes = _int(value.get("minutes", 0)) if isinstance(value, dict) else None
    if not isinstance(value, dict) or hours is None or minutes is None or hours < 0 or minutes < 0 or not ({"hours", "minutes"} & set(value)):
        problems.add(name, "invalid", f"{name} must be a duration such as {{\"minutes\": 30}} or {{\"hours\": 1, \"minutes\": 30}}")
        return None
    total = hours * 60 + minutes
    if not low <= total <= high:
        problems.add(name, "invalid", f"{name} must be between {low} and {high} minutes, not {total}")
        return None
    return dt.timedelta(minutes=total)


def _time(value: object, name: str, problems: _Problems) -> dt.datetime | None:
    try:
        return times.parse_time(value, name)
    except ValidationFailed as exc:
        for pairs in exc.errors.values():
            for key, description in pairs:
                problems.add(name, key.removeprefix("errors."), description)
        return None


def _list(value: object, name: str, problems: _Problems, limit: int, example: str) -> list[Any] | None:
    if not isinstance(value, list) or not value:
        problems.add(name, "invalid", f"{name} must be a list of 1 to {limit}, e.g. {example}")
        return None
    if len(value) > limit:
        problems.add(name, "too_many", f"{name} may have at most {limit} entries, not {len(value)}")
        return None
    return value


def _periods(value: object, name: str, problems: _Problems) -> tuple[Interval, ...] | None:
    items = _list(value, name, problems, MAX_PERIODS, '[{"start": "2026-12-01T09:00:00Z", "end": "2026-12-01T17:00:00Z"}]')
    if items is None:
        return None
    periods = []
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            problems.add(name, "invalid", f"{where} must be an object with start and end")
            continue
        start, end = _time(item.get("start"), f"{where}.start", problems), _time(item.get("end"), f"{where}.end", problems)
        if start and end and end <= start:
            problems.add(name, "invalid", f"{where}.end must be after its start")
        elif start and end:
            periods.append(Interval(start, end))
    return tuple(periods)


def _slots(value: object, problems: _Problems) -> tuple[dt.datetime, ...] | None:
    items = _list(value, "query_slots", problems, MAX_PERIODS, '[{"start": "2026-12-01T09:00:00Z"}]')
    if items is None:
        return None
    starts = [_time(item.get("start") if isinstance(item, dict) else item, f"query_slots[{i}].start", problems) for i, item in enumerate(items)]
    return tuple(sorted({s for s in starts if s is not None}))


def _member(value: object, where: str, problems: _Problems) -> MemberRequest | None:
    if isinstance(value, str) and value:
        return MemberRequest(sub=value)
    if not isinstance(value, dict) or not isinstance(value.get("sub"), str) or not value["sub"]:
        problems.add("participants", "invalid", f"{where} must be a sub or an object with a sub, e.g. {{\"sub\": \"acc_…\"}}")
        return None
    ids: dict[str, tuple[str, ...] | None] = {}
    for key in ("calendar_ids", "availability_rule_ids"):
        raw = value.get(key)
        if raw is not None and not (isinstance(raw, list) and all(isinstance(i, str) and i for i in raw)):
            problems.add("participants", "invalid", f"{where}.{key} must be a list of ids")
            raw = None
        ids[key] = None if raw is None else tuple(dict.fromkeys(raw))
    periods = None
    if value.get("available_periods") is not None:
        periods = _periods(value["available_periods"], f"{where}.available_periods", problems) or ()
    managed = value.get("managed_availability", False)
    if not isinstance(managed, bool):
        problems.add("participants", "invalid", f"{where}.managed_availability must be true or false")
    constraints = _constraints(value.get("availability_constraints"), f"{where}.availability_constraints", problems)
    return MemberRequest(
        sub=value["sub"], calendar_ids=ids["calendar_ids"], available_periods=periods,
        managed_availability=managed is True, availability_rule_ids=ids["availability_rule_ids"], constraints=constraints,
    )


def _constraints(value: object, where: str, problems: _Problems) -> tuple[Constraint, ...]:
    """``[{limit, period: day|week, tzid?, tags?: {"private": [{"value"}]}}]``: at most ``limit``
    of the application's events (with every tag named) per local day or week (Monday first)."""
    if _absent(value):
        return ()
    items = _list(value, where, problems, MAX_CONSTRAINTS, '[{"limit": 2, "period": "day", "tzid": "Europe/London"}]')
    out = []
    for index, item in enumerate(items or []):
        place = f"{where}[{index}]"
        if not isinstance(item, dict):
            problems.add("participants", "invalid", f"{place} must be an object")
            continue
        limit, period, tzid = item.get("limit"), item.get("period"), item.get("tzid")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
            problems.add("participants", "invalid", f"{place}.limit must be a whole number from 1 to 1000")
            continue
        if period not in ("day", "week"):
            problems.add("participants", "invalid", f"{place}.period must be day or week")
            continue
        if tzid is not None:
            try:
                times.zone(tzid)
            except ValidationFailed:
                problems.add("participants", "invalid", f"{place}.tzid is not a known time zone")
                continue
        errors: Errors = {}
        tags = read_tags(item.get("tags"), "tags", errors)
        if errors:
            problems.add("participants", "invalid", f"{place}.tags must be {{\"private\": [{{\"value\": …}}]}}")
            continue
        out.append(Constraint(limit=limit, period=period, tzid=tzid, tags=tuple(tags)))
    return tuple(out)


def _groups(value: object, problems: _Problems) -> tuple[GroupRequest, ...]:
    value = [value] if isinstance(value, dict) else value  # one group, unwrapped
    items = _list(value, "participants", problems, MAX_GROUPS, '[{"members": [{"sub": "acc_…"}], "required": "all"}]')
    groups = []
    for g, group in enumerate(items or []):
        where = f"participants[{g}]"
        members = group.get("members") if isinstance(group, dict) else None
        if not isinstance(members, list) or not members:
            problems.add("participants", "invalid", f"{where}.members must be a list of 1 to {MAX_MEMBERS} members")
            continue
        if len(members) > MAX_MEMBERS:
            problems.add("participants", "too_many", f"{where}.members may have at most {MAX_MEMBERS} members, not {len(members)}")
            continue
        parsed = [_member(m, f"{where}.members[{i}]", problems) for i, m in enumerate(members)]
        required = group.get("required", "all")
        count = _int(required)
        if required not in (None, "all") and (count is None or not 1 <= count <= len(members)):
            problems.add("participants", "invalid", f"{where}.required must be \"all\" or a number from 1 to {len(members)}")
        groups.append(GroupRequest(tuple(m for m in parsed if m is not None), count))
    return tuple(groups)


def _buffer(value: object, problems: _Problems) -> Buffer:
    if _absent(value):
        return Buffer()
    if not isinstance(value, dict):
        problems.add("buffer", "invalid", "buffer must be {\"before\": {\"minutes\": n}, \"after\": {\"minutes\": n}}")
        return Buffer()
    sides: dict[str, tuple[dt.timedelta, dt.timedelta | None]] = {}
    for side in ("before", "after"):
        given = value.get(side)
        least, most = dt.timedelta(0), None
        if isinstance(given, dict) and ("minimum" in given or "maximum" in given):
            if not _absent(given.get("minimum")):
                least = _minutes(given["minimum"], f"buffer.{side}.minimum", problems, 0, MAX_BUFFER_MINUTES) or least
            if not _absent(given.get("maximum")):
                most = _minutes(given["maximum"], f"buffer.{side}.maximum", problems, 0, MAX_BUFFER_MINUTES)
            if most is not None and most < least:
                problems.add("buffer", "invalid", f"buffer.{side}.maximum must not be less than its minimum")
        elif not _absent(given):
            least = _minutes(given, f"buffer.{side}", problems, 0, MAX_BUFFER_MINUTES) or least
        sides[side] = (least, most)
    return Buffer(before=sides["before"][0], after=sides["after"][0], before_maximum=sides["before"][1], after_maximum=sides["after"][1])


@dataclass(frozen=True)
class Request:
    """An availability question: who (``groups``) and the query the engine answers for them
    (its ``groups`` filled in by ``availability_inputs``)."""

    groups: tuple[GroupRequest, ...]
    query: Query
    include_member_statuses: bool = False
    tentative_as_busy: bool = True  # calgate's extension: false lets tentative time count as free
    excluded: Excluded = Excluded()
    explain: bool = False  # calgate's extension: why each member is unavailable


def _request(params: Mapping[str, Any], problems: _Problems, periods: tuple[Interval, ...] | None, slots: tuple[dt.datetime, ...] | None) -> Request | None:
    """The fields an availability body and a sequence step share; ``periods``/``slots``
    already parsed (None when invalid)."""
    groups = _groups(params.get("participants"), problems) if "participants" in params else None
    if groups is None:
        problems.add("participants", "required", "participants must be specified")
    if _absent(params.get("required_duration")):
        problems.add("required_duration", "required", "required_duration must be specified, e.g. {\"minutes\": 30}")
        duration = None
    else:
        duration = _minutes(params["required_duration"], "required_duration", problems, 1, MAX_DURATION_MINUTES)
    interval = None
    if not _absent(params.get("start_interval")):
        interval = _minutes(params["start_interval"], "start_interval", problems, 1, max(START_INTERVALS))
        if interval is not None and interval.total_seconds() // 60 not in START_INTERVALS:
            problems.add("start_interval", "invalid", f"start_interval must be one of {', '.join(map(str, START_INTERVALS))} minutes")
            interval = None
    buffer = _buffer(params.get("buffer"), problems)
    if groups is None or duration is None or (periods is None and slots is None):
        return None
    if slots is not None:
        periods = tuple(Interval(s, s + duration) for s in slots)
    assert periods is not None
    return Request(groups, Query(periods=periods, duration=duration, groups=(), buffer=buffer, start_interval=interval, query_slots=slots))


def _query_periods(params: Mapping[str, Any], problems: _Problems, required: bool) -> tuple[Interval, ...] | None:
    """``query_periods``, or its older name ``available_periods`` (pycronofy and C# send it)."""
    name = "query_periods" if not _absent(params.get("query_periods")) else "available_periods"
    if _absent(params.get(name)):
        if required:
            problems.add("query_periods", "required", "query_periods (or available_periods) must be specified")
        return None
    return _periods(params[name], name, problems)


def _within_span(periods: list[Interval], problems: _Problems) -> None:
    if periods and max(p.end for p in periods) - min(p.start for p in periods) > MAX_SPAN:
        problems.add("query_periods", "invalid", f"the query may span at most {MAX_SPAN.days} days from its earliest start to its latest end")


def _max_results(params: Mapping[str, Any], problems: _Problems) -> int:
    value = params.get("max_results")
    if _absent(value):
        return MAX_RESULTS
    count = _int(value)
    if count is None or not 1 <= count <= MAX_RESULTS:
        problems.add("max_results", "invalid", f"max_results must be a number from 1 to {MAX_RESULTS}")
        return MAX_RESULTS
    return count


def availability(params: Mapping[str, Any]) -> Request:
    """``POST /v1/availability``'s body."""
    errors: Errors = {}
    problems = _Problems(errors)
    slots = None
    if not _absent(params.get("query_slots")):
        if not all(_absent(params.get(n)) for n in ("query_periods", "available_periods")):
            problems.add("query_slots", "not_allowed", "give query_periods or query_slots, not both")
        slots = _slots(params["query_slots"], problems)
        periods = None
    else:
        periods = _query_periods(params, problems, required=True)
    request = _request(params, problems, periods, slots)
    response_format = params.get("response_format") or "periods"
    if response_format not in RESPONSE_FORMATS:
        problems.add("response_format", "invalid", f"response_format must be one of {', '.join(RESPONSE_FORMATS)}")
    max_results = _max_results(params, problems)
    flags = {name: _flag(params, name, default, problems) for name, default in (("include_member_statuses", False), ("tentative_as_busy", True), ("explain", False))}
    excluded = _excluded(params.get("excluded_events"), problems)
    if request is not None:
        _within_span(list(request.query.periods), problems)
    if errors or request is None:
        raise ValidationFailed(errors)
    query = replace(request.query, response_format=response_format, max_results=max_results)
    return Request(request.groups, query, excluded=excluded, **flags)


def _excluded(value: object, problems: _Problems) -> Excluded:
    """``excluded_events``: ``[{"event_uid": …} | {"event_id": …}]``, events that do not count
    (the application's own by ``event_id``; any it can see by ``event_uid``)."""
    if _absent(value):
        return Excluded()
    items = _list(value, "excluded_events", problems, MAX_EXCLUDED, '[{"event_id": "interview-42"}]')
    uids, event_ids = set(), set()
    for index, item in enumerate(items or []):
        keys = set(item) & {"event_uid", "event_id"} if isinstance(item, dict) else set()
        found = item.get(keys.pop()) if len(keys) == 1 else None
        if not isinstance(found, str) or not found:
            problems.add("excluded_events", "invalid", f"excluded_events[{index}] must be {{\"event_uid\": …}} or {{\"event_id\": …}}")
        elif "event_uid" in item:
            uids.add(found)
        else:
            event_ids.add(found)
    return Excluded(frozenset(uids), frozenset(event_ids))


def _flag(params: Mapping[str, Any], name: str, default: bool, problems: _Problems) -> bool:
    value = params.get(name)
    if _absent(value):
        return default
    if not isinstance(value, bool):
        problems.add(name, "invalid", f"{name} must be true or false")
        return default
    return value


def sequenced(params: Mapping[str, Any]) -> tuple[list[StepRequest], int]:
    """``POST /v1/sequenced_availability``'s body: its steps and ``max_results``."""
    errors: Errors = {}
    problems = _Problems(errors)
    shared = _query_periods(params, problems, required=False)
    shared_given = not all(_absent(params.get(n)) for n in ("query_periods", "available_periods"))
    raw = _list(params.get("sequence"), "sequence", problems, MAX_STEPS, '[{"sequence_id": "interview", "ordinal": 1, "participants": [...], "required_duration": {"minutes": 60}}]')
    steps: list[StepRequest] = []
    for index, step in enumerate(raw or []):
        place = _Problems(errors, f"sequence[{index}]: ")
        if not isinstance(step, dict):
            place.add("sequence", "invalid", "must be an object")
            continue
        sequence_id = step.get("sequence_id")
        if isinstance(sequence_id, int) and not isinstance(sequence_id, bool):
            sequence_id = str(sequence_id)
        if not isinstance(sequence_id, str) or not sequence_id:
            place.add("sequence", "required", "sequence_id must be specified")
        ordinal = step.get("ordinal")
        if ordinal is not None and _int(ordinal) is None:
            place.add("sequence", "invalid", "ordinal must be a whole number")
            ordinal = None
        own = _query_periods(step, place, required=False)
        if own is None and not shared_given and all(_absent(step.get(n)) for n in ("query_periods", "available_periods")):
            place.add("sequence", "required", "query_periods must be given for the sequence or for this step")
        request = _request(step, place, own if own is not None else shared, None)
        if request is not None and isinstance(sequence_id, str) and sequence_id:
            steps.append(StepRequest(sequence_id, _int(ordinal), request.groups, request.query))
    _within_span([p for s in steps for p in s.query.periods], problems)
    max_results = _max_results(params, problems)
    if errors:
        raise ValidationFailed(errors)
    return steps, max_results
