# SPDX-License-Identifier: Apache-2.0
"""The availability engine by example: each test is a small scheduling story."""

from __future__ import annotations

import datetime as dt

import pytest

from calgate.domain.availability.engine import available
from calgate.domain.availability.types import Available, Buffer, Group, Interval, Member, Query

UTC = dt.timezone.utc
MIN = dt.timedelta(minutes=1)


def at(hhmm: str, day: int = 2) -> dt.datetime:
    """A time on Monday 2 March 2026 (UTC) by default."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def span(start: str, end: str) -> Interval:
    return Interval(at(start), at(end))


def answer(results: list[Available]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(r.start.strftime("%H:%M"), r.end.strftime("%H:%M"), r.participants) for r in results]


def query(*groups: Group, minutes: int = 60, period: tuple[str, str] = ("09:00", "17:00"), **options) -> Query:
    return Query(periods=(span(*period),), duration=minutes * MIN, groups=groups, **options)


def test_two_people_one_busy_leaves_the_time_around_the_busy_hour():
    alice = Member("alice", busy=(span("11:00", "12:00"),))
    bob = Member("bob")
    assert answer(available(query(Group((alice, bob))))) == [
        ("09:00", "11:00", ("alice", "bob")),
        ("12:00", "17:00", ("alice", "bob")),
    ]


def test_a_gap_shorter_than_the_duration_is_not_a_period():
    alice = Member("alice", busy=(span("09:30", "10:00"), span("10:45", "17:00")))
    assert answer(available(query(Group((alice,))))) == []


def test_required_one_of_three_lists_whoever_is_free_for_the_whole_period():
    rooms = (
        Member("room_a", busy=(span("09:00", "13:00"),)),
        Member("room_b", busy=(span("11:00", "17:00"),)),
        Member("room_c", busy=(span("09:00", "17:00"),)),
    )
    assert answer(available(query(Group(rooms, required=1)))) == [
        ("09:00", "11:00", ("room_b",)),
        ("13:00", "17:00", ("room_a",)),
    ]
    # Two hours: room_b can take 09:00–11:00, room_c 10:00–17:00, and from 13:00 room_a too.
    # Each period is as long as its people stay free, so periods overlap; none is shorter than
    # the meeting (no 10:00–11:00 piece for room_b and room_c together: two hours do not fit).
    rooms = rooms[:2] + (Member("room_c", busy=(span("09:00", "10:00"),)),)
    assert answer(available(query(Group(rooms, required=1), minutes=120))) == [
        ("09:00", "11:00", ("room_b",)),
        ("10:00", "17:00", ("room_c",)),
        ("13:00", "17:00", ("room_a", "room_c")),
    ]


def test_a_period_is_never_shorter_than_the_meeting():
    # Issue 19: two of four members have a sliver more than the others; the old engine split
    # the period where they dropped out and answered a 1-minute piece.
    members = (
        Member("ann", available=(span("09:00", "09:30"),)),
        Member("ben", available=(span("09:00", "09:31"),)),
        Member("cat"),
        Member("dan"),
    )
    assert answer(available(query(Group(members, required=1), minutes=30, period=("09:00", "12:00")))) == [
        ("09:00", "09:30", ("ann", "ben", "cat", "dan")),
        ("09:00", "09:31", ("ben", "cat", "dan")),
        ("09:00", "12:00", ("cat", "dan")),
    ]
    # Two of four, for 90 minutes: cat and dan all morning, ann and ben join for what they can.
    members = (
        Member("ann", available=(span("09:00", "11:00"),)),
        Member("ben", busy=(span("10:00", "10:40"),)),
        Member("cat", busy=(span("11:30", "12:00"),)),
        Member("dan", busy=(span("09:00", "09:10"),)),
    )
    # ben never has 90 minutes; the others' periods overlap, each naming who stays free for
    # all of it (ann and cat from 09:00, dan once his 09:10 ends, cat and dan until 11:30).
    assert answer(available(query(Group(members, required=2), minutes=90, period=("09:00", "12:00")))) == [
        ("09:00", "11:00", ("ann", "cat")),
        ("09:10", "11:00", ("ann", "cat", "dan")),
        ("09:10", "11:30", ("cat", "dan")),
    ]
    slots = available(query(Group(members, required=2), minutes=90, period=("09:00", "12:00"), response_format="slots",
                            start_interval=30 * MIN))
    assert answer(slots) == [("09:00", "10:30", ("ann", "cat"))]


def test_taking_turns_is_not_being_free_for_the_whole_meeting():
    # At every instant one of them is free, but nobody for a whole 90 minutes.
    alice = Member("alice", available=(span("09:00", "10:00"),))
    bob = Member("bob", available=(span("10:00", "11:00"),))
    assert available(query(Group((alice, bob), required=1), minutes=90)) == []
    # With 60 minutes each can take one: a period each, with who can take it.
    assert answer(available(query(Group((alice, bob), required=1)))) == [
        ("09:00", "10:00", ("alice",)),
        ("10:00", "11:00", ("bob",)),
    ]


def test_every_group_must_be_satisfied_at_once():
    people = Group((Member("alice"), Member("bob", busy=(span("09:00", "10:00"),))))
    room_a = Member("room_a", busy=(span("09:00", "14:00"),))
    room_b = Member("room_b", busy=(span("12:00", "17:00"),))
    rooms = Group((room_a, room_b), required=1)
    assert answer(available(query(people, rooms))) == [
        ("10:00", "12:00", ("alice", "bob", "room_b")),
        ("14:00", "17:00", ("alice", "bob", "room_a")),
    ]


def test_a_buffer_pushes_the_first_slot_after_a_meeting():
    alice = Member("alice", busy=(span("09:00", "10:00"),))
    slots = available(
        query(Group((alice,)), minutes=30, period=("09:00", "12:00"), buffer=Buffer(before=15 * MIN, after=10 * MIN),
              start_interval=15 * MIN, response_format="overlapping_slots", max_results=2)
    )
    assert answer(slots) == [("10:15", "10:45", ("alice",)), ("10:30", "11:00", ("alice",))]


def test_a_buffer_after_keeps_the_slot_clear_of_the_next_meeting():
    alice = Member("alice", busy=(span("11:00", "12:00"),))
    slots = available(query(Group((alice,)), minutes=30, period=("09:00", "11:00"), buffer=Buffer(after=30 * MIN),
                            response_format="slots"))
    # 10:30–11:00 would leave no 30 minutes before the 11:00 meeting.
    assert [r[0] for r in answer(slots)] == ["09:00", "09:30", "10:00"]


def test_buffers_may_reach_outside_the_query_and_the_available_periods():
    # Cronofy applies buffers to busy time: the first slot of its own example starts at the
    # query's 09:00 although 30 minutes before it are required free.
    alice = Member("alice", available=(span("09:00", "10:00"),))
    slots = available(query(Group((alice,)), buffer=Buffer(before=30 * MIN, after=15 * MIN), response_format="slots"))
    assert answer(slots) == [("09:00", "10:00", ("alice",))]


def test_cronofys_documented_slots_example_shape():
    # docs.cronofy.com/developers/api/scheduling/availability: two accounts required, one of
    # three resources required; each slot lists every free resource.
    accounts = Group((Member("acc_1"), Member("acc_2")))
    res_3 = Member("res_3", busy=(span("08:00", "10:00"),))
    resources = Group((Member("res_1"), Member("res_2"), res_3), required=1)
    buffer = Buffer(before=30 * MIN, after=15 * MIN)
    slots = available(
        query(accounts, resources, period=("09:00", "18:00"), buffer=buffer, response_format="slots", max_results=2)
    )
    assert answer(slots) == [
        ("09:00", "10:00", ("acc_1", "acc_2", "res_1", "res_2")),
        ("10:00", "11:00", ("acc_1", "acc_2", "res_1", "res_2")),
    ]
    # res_3's meeting ended at 10:00 and the buffer before needs 30 free minutes.
    later = available(query(accounts, resources, period=("10:30", "11:30"), buffer=Buffer(before=30 * MIN),
                            response_format="slots", start_interval=30 * MIN))
    assert answer(later) == [("10:30", "11:30", ("acc_1", "acc_2", "res_1", "res_2", "res_3"))]


def test_slots_start_on_the_start_interval_grid_counted_from_the_top_of_the_hour():
    alice = Member("alice")
    asked = dict(minutes=30, period=("09:07", "10:50"), start_interval=15 * MIN)
    assert [r[0] for r in answer(available(query(Group((alice,)), response_format="overlapping_slots", **asked)))] == [
        "09:15", "09:30", "09:45", "10:00", "10:15"
    ]
    assert [r[0] for r in answer(available(query(Group((alice,)), response_format="slots", **asked)))] == [
        "09:15", "09:45", "10:15"
    ]


def test_without_a_start_interval_slots_step_by_the_duration():
    alice = Member("alice", busy=(span("10:10", "10:20"),))
    slots = available(query(Group((alice,)), minutes=30, period=("09:00", "11:30"), response_format="slots"))
    assert [r[0] for r in answer(slots)] == ["09:00", "09:30", "10:30", "11:00"]


def test_max_results_keeps_the_earliest():
    alice = Member("alice", busy=(span("10:00", "11:00"), span("13:00", "14:00")))
    assert answer(available(query(Group((alice,)), max_results=2))) == [
        ("09:00", "10:00", ("alice",)),
        ("11:00", "13:00", ("alice",)),
    ]
    assert len(available(query(Group((alice,)), minutes=30, response_format="slots", max_results=3))) == 3


def test_query_slots_answers_only_the_asked_starts():
    alice = Member("alice", busy=(span("10:00", "11:00"),))
    asked = (at("09:00"), at("09:45"), at("11:00"), at("09:00"))
    results = available(Query(periods=(), duration=30 * MIN, groups=(Group((alice,)),), query_slots=asked))
    assert answer(results) == [("09:00", "09:30", ("alice",)), ("11:00", "11:30", ("alice",))]


def test_several_query_periods_and_days():
    alice = Member("alice")
    periods = (Interval(at("09:00", 2), at("10:00", 2)), Interval(at("09:00", 3), at("09:30", 3)))
    results = available(Query(periods=periods, duration=30 * MIN, groups=(Group((alice,)),)))
    assert [(r.start, r.end) for r in results] == [(at("09:00", 2), at("10:00", 2)), (at("09:00", 3), at("09:30", 3))]


def test_busy_time_in_any_order_overlapping_and_empty():
    busy = (span("12:00", "13:00"), span("09:30", "10:30"), span("10:00", "11:00"), span("15:00", "15:00"))
    alice = Member("alice", busy=busy)
    assert answer(available(query(Group((alice,))))) == [
        ("11:00", "12:00", ("alice",)),
        ("13:00", "17:00", ("alice",)),
    ]


def test_impossible_requirements_give_nothing():
    assert available(query(Group((Member("alice"),), required=2))) == []
    assert available(query(Group((Member("alice", available=()),)))) == []


def test_nonsense_durations_are_refused():
    with pytest.raises(ValueError):
        available(query(Group((Member("alice"),)), minutes=0))
    with pytest.raises(ValueError):
        available(query(Group((Member("alice"),)), start_interval=dt.timedelta(0)))
