# SPDX-License-Identifier: Apache-2.0
"""The engine against the minute-by-minute oracle over random weeks (``_week.py``): four to six
people with events, availability rules in odd-offset zones (Kolkata, Kathmandu, Adelaide) and
available periods; groups of "all", N of n and round robin (required 1), several at once;
managed availability on and off; durations, buffers, start intervals, every response format,
``query_slots``, ``max_results`` and sequences. Every answered period, slot and sequence is
compared exactly: its start, its end and its participants.

The engine's members are built as ``availability_inputs`` builds them (rules through
``rules.expand_weekly`` over the fetch window, then available periods, then the member's own
periods); the oracle reads each minute's wall time instead. ``test_availability_oracle.py``
asks the same of ``POST /v1/availability`` over HTTP."""

from __future__ import annotations

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from calgate.domain.availability import rules
from calgate.domain.availability.engine import available
from calgate.domain.availability.intervals import intersect, merge
from calgate.domain.availability.types import Buffer, Group, Interval, Member, Query
from calgate.domain.sequenced_availability import Step as EngineStep
from calgate.domain.sequenced_availability import sequences as engine_sequences

from . import _oracle
from ._oracle import MINUTE, at, minutes
from ._week import Person, Seat, Step, Team, Week, busy_minutes, describe, oracle_query, step_query, weeks

SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FORMATS = ("periods", "slots", "overlapping_slots")


def _member(person: Person, seat: Seat, sub: str, window: Interval) -> Member:
    allowed = None
    if seat.managed:
        expanded = rules.expand_weekly(person.rule.weekly_periods, person.rule.tzid, window) if person.rule else []
        allowed = merge([*((i.start, i.end) for i in expanded), *((at(s), at(e)) for s, e in person.periods)])
    if seat.available is not None:
        own = merge((at(s), at(e)) for s, e in seat.available)
        allowed = own if allowed is None else intersect(allowed, own)
    return Member(
        sub,
        busy=tuple(Interval(at(s), at(e)) for s, e in busy_minutes(person)),
        available=None if allowed is None else tuple(Interval(s, e) for s, e in allowed),
    )


def _groups(week: Week, teams: tuple[Team, ...], window: Interval, subs: list[str]) -> tuple[Group, ...]:
    return tuple(
        Group(tuple(_member(week.people[s.person], s, subs[s.person], window) for s in team.seats), team.required)
        for team in teams
    )


def _query(week: Week, response_format: str, subs: list[str]) -> Query:
    if week.query_slots is not None:
        periods = tuple(Interval(at(s), at(s + week.duration)) for s in week.query_slots)
    else:
        periods = tuple(Interval(at(s), at(e)) for s, e in week.periods)
    window = Interval(min(p.start for p in periods) - week.before * MINUTE, max(p.end for p in periods) + week.after * MINUTE)
    return Query(
        periods=periods,
        duration=week.duration * MINUTE,
        groups=_groups(week, week.teams, window, subs),
        buffer=Buffer(before=week.before * MINUTE, after=week.after * MINUTE),
        start_interval=None if week.start_interval is None else week.start_interval * MINUTE,
        max_results=week.max_results,
        response_format=response_format,
        query_slots=None if week.query_slots is None else tuple(at(s) for s in week.query_slots),
    )


def _step(week: Week, step: Step, subs: list[str]) -> EngineStep:
    periods = tuple(Interval(at(s), at(e)) for s, e in (step.periods or week.periods))
    window = Interval(min(p.start for p in periods) - step.before * MINUTE, max(p.end for p in periods) + step.after * MINUTE)
    query = Query(
        periods=periods,
        duration=step.duration * MINUTE,
        groups=_groups(week, step.teams, window, subs),
        buffer=Buffer(before=step.before * MINUTE, after=step.after * MINUTE),
        start_interval=None if step.start_interval is None else step.start_interval * MINUTE,
    )
    return EngineStep(step.sequence_id, None, query)


def subs_of(week: Week) -> list[str]:
    return [f"apc_{i}" for i in range(len(week.people))]


def engine_answer(week: Week, response_format: str) -> list[_oracle.Found]:
    note(describe(week))
    found = available(_query(week, response_format, subs_of(week)))
    return [(minutes(a.start), minutes(a.end), a.participants) for a in found]


def check_periods(week: Week, found: list[_oracle.Found]) -> None:
    """What the issue asks of every period, whatever the oracle says: at least the duration,
    and every group satisfied by the participants it names."""
    for start, end, who in found:
        assert end - start >= week.duration, (start, end, who)
        for team in week.teams:
            named = sum(f"apc_{s.person}" in who for s in team.seats)
            assert named >= (len(team.seats) if team.required is None else team.required), (start, end, who)


@SETTINGS
@given(weeks(slots=False), st.sampled_from(FORMATS))
def test_a_week_matches_the_oracle(week, response_format):
    found = engine_answer(week, response_format)
    assert found == _oracle.answer(oracle_query(week, subs_of(week), response_format))
    if response_format == "periods":
        check_periods(week, found)


@SETTINGS
@given(weeks(slots=False))
def test_periods_of_a_week_match_the_oracle(week):
    found = engine_answer(week, "periods")
    check_periods(week, found)
    assert found == _oracle.answer(oracle_query(week, subs_of(week), "periods"))


@settings(SETTINGS, max_examples=60)
@given(weeks(slots=True), st.sampled_from(FORMATS))
def test_query_slots_of_a_week_match_the_oracle(week, response_format):
    assert engine_answer(week, response_format) == _oracle.answer(oracle_query(week, subs_of(week), response_format))


@settings(SETTINGS, max_examples=60)
@given(weeks(sequenced=True, slots=False), st.integers(1, 6))
def test_sequences_of_a_week_match_the_oracle(week, max_results):
    subs = subs_of(week)
    found = engine_sequences([_step(week, step, subs) for step in week.sequence], max_results)
    got = [[(minutes(p.slot.start), minutes(p.slot.end), p.slot.participants) for p in chain] for chain in found]
    assert got == _oracle.sequences([step_query(week, step, subs) for step in week.sequence], max_results)
    assert all(p.sequence_id == s.sequence_id for chain in found for p, s in zip(chain, week.sequence))

