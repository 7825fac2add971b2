# SPDX-License-Identifier: Apache-2.0
"""Random weeks of people, as a new user would set them up, and the oracle's view of them.

A ``Week`` is what an application would create: people (each an application calendar over
HTTP, or an engine ``Member``) with timed events (opaque or transparent), at most one
availability rule in a zone with an odd offset (Asia/Kolkata +05:30, Asia/Kathmandu +05:45,
Australia/Adelaide +10:30 in January) and a few available periods; then a question: groups
(``all``, ``N`` of ``n``, round robin's ``1``, several at once), each member with or without
managed availability and with or without their own ``available_periods``; query periods (local
working days in one of those zones, or anything), a duration, buffers, a start interval, a
response format, ``max_results``, ``query_slots``, and a sequence of steps.

Everything is whole minutes from ``_oracle.T0`` (Monday 2027-01-11 00:00 UTC, a week with no
DST change in any of the zones). ``oracle_member`` works out when a member is available
minute by minute, reading each minute's local wall time through ``zoneinfo`` (never
``rules.expand_weekly``, which it checks).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from ._oracle import PAD, T0, OGroup, OMember, OQuery, at, minutes

ZONES = ("Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = 7 * 24 * 60
START_INTERVALS = (5, 10, 15, 20, 30, 45, 60)
Span = tuple[int, int]


@dataclass(frozen=True)
class Event:
    start: int
    end: int
    transparent: bool = False


@dataclass(frozen=True)
class Rule:
    tzid: str
    weekly_periods: tuple[tuple[str, str, str], ...]  # (day, "HH:MM", "HH:MM"), end may be "24:00"


@dataclass(frozen=True)
class Person:
    events: tuple[Event, ...]
    rule: Rule | None
    periods: tuple[Span, ...]  # managed available periods (POST /v1/available_periods)


@dataclass(frozen=True)
class Seat:
    """A person's place in a group."""

    person: int
    managed: bool = False
    available: tuple[Span, ...] | None = None  # the member's own available_periods


@dataclass(frozen=True)
class Team:
    seats: tuple[Seat, ...]
    required: int | None  # None: "all"


@dataclass(frozen=True)
class Step:
    sequence_id: str
    teams: tuple[Team, ...]
    duration: int
    before: int = 0
    after: int = 0
    start_interval: int | None = None
    periods: tuple[Span, ...] | None = None  # the step's own query periods


@dataclass(frozen=True)
class Week:
    people: tuple[Person, ...]
    teams: tuple[Team, ...]
    periods: tuple[Span, ...]
    duration: int
    before: int = 0
    after: int = 0
    start_interval: int | None = None
    max_results: int | None = None
    query_slots: tuple[int, ...] | None = None
    sequence: tuple[Step, ...] = field(default=())


# -- what a member can take, minute by minute ----------------------------------------------

def _wall(minute: int, zone: ZoneInfo) -> tuple[int, int]:
    local = at(minute).astimezone(zone)
    return local.weekday(), local.hour * 60 + local.minute


def _hhmm(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def _runs(marks: dict[int, bool]) -> list[Span]:
    out: list[Span] = []
    for t in sorted(marks):
        if not marks[t]:
            continue
        if out and out[-1][1] == t:
            out[-1] = (out[-1][0], t + 1)
        else:
            out.append((t, t + 1))
    return out


@lru_cache(maxsize=256)
def rule_minutes(rule: Rule, lo: int, hi: int) -> list[Span]:
    """The minutes of ``[lo, hi)`` whose local wall time in the rule's zone falls in one of its
    weekly periods on that local weekday."""
    zone = ZoneInfo(rule.tzid)
    by_day: dict[int, list[Span]] = {}
    for day, start, end in rule.weekly_periods:
        by_day.setdefault(DAYS.index(day), []).append((_hhmm(start), _hhmm(end)))
    marks = {}
    for t in range(lo, hi):
        weekday, clock = _wall(t, zone)
        marks[t] = any(a <= clock < b for a, b in by_day.get(weekday, ()))
    return _runs(marks)


def _within(spans: list[Span], limits: tuple[Span, ...]) -> list[Span]:
    marks = {t: False for s, e in spans for t in range(s, e)}
    for s, e in limits:
        for t in range(s, e):
            if t in marks:
                marks[t] = True
    return _runs(marks)


def available_minutes(person: Person, seat: Seat, lo: int = -PAD, hi: int = WEEK + PAD) -> list[Span] | None:
    """When the member may meet at all (None: whenever not busy)."""
    allowed: list[Span] | None = None
    if seat.managed:
        marks = {t: False for t in range(lo, hi)}
        for s, e in [*(rule_minutes(person.rule, lo, hi) if person.rule else []), *person.periods]:
            for t in range(max(s, lo), min(e, hi)):
                marks[t] = True
        allowed = _runs(marks)
    if seat.available is not None:
        allowed = _within(allowed if allowed is not None else [(lo, hi)], seat.available)
    return allowed


def busy_minutes(person: Person) -> list[Span]:
    return [(e.start, e.end) for e in person.events if not e.transparent]


def oracle_query(week: Week, subs: list[str], response_format: str, teams: tuple[Team, ...] | None = None,
                 periods: tuple[Span, ...] | None = None, duration: int | None = None, before: int | None = None,
                 after: int | None = None, start_interval: int | None = -1, max_results: int | None = -1,
                 query_slots: tuple[int, ...] | None = ()) -> OQuery:
    """The oracle's question for ``week`` (or one of its steps, through the overrides), with
    the subs the people were given."""
    periods = periods if periods is not None else week.periods
    duration = duration if duration is not None else week.duration
    query_slots = week.query_slots if query_slots == () else query_slots
    windows = [(s, s + duration) for s in query_slots] if query_slots is not None else periods
    lo, hi = min(s for s, _ in windows), max(e for _, e in windows)  # availability outside never matters
    groups = [
        OGroup([OMember(subs[s.person], busy_minutes(week.people[s.person]), available_minutes(week.people[s.person], s, lo, hi)) for s in t.seats], t.required)
        for t in (teams if teams is not None else week.teams)
    ]
    return OQuery(
        periods=list(periods),
        duration=duration,
        groups=groups,
        before=before if before is not None else week.before,
        after=after if after is not None else week.after,
        start_interval=week.start_interval if start_interval == -1 else start_interval,
        max_results=week.max_results if max_results == -1 else max_results,
        response_format=response_format,
        query_slots=None if query_slots is None else list(query_slots),
        extent=WEEK,
    )


def step_query(week: Week, step: Step, subs: list[str]) -> OQuery:
    return oracle_query(
        week, subs, "overlapping_slots", teams=step.teams, periods=step.periods or week.periods, duration=step.duration,
        before=step.before, after=step.after, start_interval=step.start_interval, max_results=None, query_slots=None,
    )


# -- strategies ------------------------------------------------------------------------------

def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def local_days(draw: st.DrawFn) -> tuple[Span, ...]:
    """Working days in an odd-offset zone: 1–3 local days of the week, each from a local start
    (on the quarter hour, or any minute) for 3–11 hours, as UTC minutes."""
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    out = []
    for day in sorted(draw(st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True))):
        midnight = dt.datetime.combine(T0.date() + dt.timedelta(days=day), dt.time(), zone)
        start = draw(st.integers(5 * 4, 12 * 4).map(lambda q: q * 15) | st.integers(300, 720))
        begin = max(0, minutes(midnight) + start)
        end = min(WEEK, begin + draw(st.integers(3 * 60, 11 * 60)))
        if end > begin:
            out.append((begin, end))
    return tuple(out) or ((540, 1020),)


def any_periods() -> st.SearchStrategy[tuple[Span, ...]]:
    span = st.tuples(st.integers(0, WEEK - 60), st.integers(30, 16 * 60)).map(lambda p: (p[0], min(WEEK, p[0] + p[1])))
    return st.lists(span, min_size=1, max_size=4).map(tuple)


def _near(draw: st.DrawFn, periods: tuple[Span, ...], spread: int = 180) -> int:
    lo, hi = min(s for s, _ in periods) - spread, max(e for _, e in periods) + spread
    minute = draw(st.integers(lo, hi))
    return minute - minute % 5 if draw(st.booleans()) else minute


@st.composite
def people(draw: st.DrawFn, periods: tuple[Span, ...], count: int) -> tuple[Person, ...]:
    out = []
    for _ in range(count):
        events = []
        for _ in range(draw(st.integers(0, 8))):
            start = _near(draw, periods)
            length = draw(st.sampled_from([15, 30, 60, 90]) | st.integers(5, 240))
            events.append(Event(start, start + length, draw(st.integers(0, 5)) == 0))
        rule = None
        if draw(st.integers(0, 3)):
            weekly = []
            for _ in range(draw(st.integers(1, 6))):
                day = draw(st.sampled_from(DAYS))
                start = draw(st.integers(0, 95).map(lambda q: q * 15) | st.integers(0, 1439))
                end = draw(st.integers(start + 1, 1440))
                weekly.append((day, _clock(start), "24:00" if end == 1440 else _clock(end)))
            rule = Rule(draw(st.sampled_from(ZONES)), tuple(weekly))
        own = []
        for _ in range(draw(st.integers(0, 2))):
            start = _near(draw, periods)
            own.append((start, start + draw(st.integers(15, 600))))
        out.append(Person(tuple(events), rule, tuple(own)))
    return tuple(out)


@st.composite
def teams(draw: st.DrawFn, periods: tuple[Span, ...], count: int, most_groups: int = 3) -> tuple[Team, ...]:
    """1–3 groups over distinct people: often one group of four with required 1 or 2 (round
    robin), or "all", or any N."""
    order = draw(st.permutations(range(count)))
    sizes = draw(st.sampled_from([[4], [4], [count]]) | st.lists(st.integers(1, 4), min_size=1, max_size=most_groups))
    out, used = [], 0
    for size in sizes:
        seats_of = order[used : used + size]
        if not seats_of:
            break
        used += len(seats_of)
        seats = []
        for person in seats_of:
            own = None
            if draw(st.integers(0, 4)) == 0:
                starts = [_near(draw, periods) for _ in range(draw(st.integers(1, 2)))]
                own = tuple((s, s + draw(st.integers(30, 720))) for s in starts)
            seats.append(Seat(person, managed=draw(st.booleans()), available=own))
        n = len(seats)
        required = draw(st.sampled_from([None, 1, 1, 2]) | st.integers(1, n))
        out.append(Team(tuple(seats), None if required is None else min(required, n)))
    return tuple(out)


DURATIONS = st.sampled_from([30, 90]) | st.integers(5, 180)
BUFFERS = st.sampled_from([0, 0, 0, 15, 30]) | st.integers(0, 60)
INTERVALS = st.none() | st.sampled_from(START_INTERVALS)


@st.composite
def weeks(draw: st.DrawFn, sequenced: bool = False, slots: bool | None = None) -> Week:
    """A week and its question; ``sequenced`` adds 1–3 sequence steps; ``slots`` True asks
    ``query_slots``, False never, None one time in five."""
    periods = draw(local_days() | any_periods())
    count = draw(st.integers(4, 6))
    crowd = draw(people(periods, count))
    asked = None
    if slots if slots is not None else draw(st.integers(0, 4)) == 0:
        asked = tuple(sorted({_near(draw, periods, 0) for _ in range(draw(st.integers(1, 12)))}))
    sequence: tuple[Step, ...] = ()
    if sequenced:
        steps = []
        for k in range(draw(st.integers(1, 3))):
            own = draw(st.none() | st.none() | any_periods())
            steps.append(Step(f"step-{k}", draw(teams(periods, count, most_groups=2)), draw(DURATIONS), draw(BUFFERS),
                              draw(BUFFERS), draw(INTERVALS), own))
        sequence = tuple(steps)
    return Week(
        people=crowd,
        teams=draw(teams(periods, count)),
        periods=periods,
        duration=draw(DURATIONS),
        before=draw(BUFFERS),
        after=draw(BUFFERS),
        start_interval=draw(INTERVALS),
        max_results=draw(st.none() | st.none() | st.integers(1, 12)),
        query_slots=asked,
        sequence=sequence,
    )


def describe(week: Week) -> str:
    """The week in a few readable lines, for a failing example (times as minutes from T0)."""
    lines = [f"query periods {list(week.periods)}, {week.duration} min, buffer {week.before}/{week.after}, "
             f"start_interval {week.start_interval}, max_results {week.max_results}, query_slots {week.query_slots}"]
    for i, p in enumerate(week.people):
        busy = [(e.start, e.end) for e in p.events if not e.transparent]
        clear = [(e.start, e.end) for e in p.events if e.transparent]
        rule = f"rule {p.rule.tzid} {list(p.rule.weekly_periods)}" if p.rule else "no rule"
        lines.append(f"person {i}: busy {busy}, transparent {clear}, {rule}, available periods {list(p.periods)}")
    for label, t in (("groups", week.teams), *((f"{s.sequence_id} groups", s.teams) for s in week.sequence)):
        lines.append(f"{label}: " + "; ".join(
            f"required {team.required or 'all'} of " + ", ".join(
                f"{s.person}{' managed' if s.managed else ''}{f' within {list(s.available)}' if s.available is not None else ''}"
                for s in team.seats)
            for team in t))
    for s in week.sequence:
        lines.append(f"step {s.sequence_id}: {s.duration} min, buffer {s.before}/{s.after}, start_interval {s.start_interval}, periods {s.periods}")
    return "\n".join(lines)
