# SPDX-License-Identifier: Apache-2.0
"""Slot alignment: a UTC grid from the epoch, i.e. from the top of the hour."""

from __future__ import annotations

import datetime as dt

from calgate.domain.availability.slots import align_up, slot_starts

UTC = dt.timezone.utc
MIN = dt.timedelta(minutes=1)


def at(h: int, m: int = 0, s: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 2, h, m, s, tzinfo=UTC)


def test_align_up_to_quarter_hours_and_from_midnight_for_45_minutes():
    assert align_up(at(9, 7), 15 * MIN) == at(9, 15)
    assert align_up(at(9, 15), 15 * MIN) == at(9, 15)
    assert align_up(at(9, 15, 1), 15 * MIN) == at(9, 30)
    assert align_up(at(9, 1), 45 * MIN) == at(9, 45)  # 00:00, 00:45 … 09:00, 09:45
    assert align_up(at(9, 50), 45 * MIN) == at(10, 30)


def test_slots_are_back_to_back_and_overlapping_slots_take_every_grid_point():
    valid = [(at(9), at(10, 0, 1))]  # starts from 09:00 through 10:00
    assert list(slot_starts(valid, 30 * MIN, 15 * MIN, overlapping=False)) == [at(9), at(9, 30), at(10)]
    every = [at(9), at(9, 15), at(9, 30), at(9, 45), at(10)]
    assert list(slot_starts(valid, 30 * MIN, 15 * MIN, overlapping=True)) == every


def test_non_overlapping_slots_carry_over_from_one_span_to_the_next():
    valid = [(at(9), at(9, 10)), (at(9, 20), at(11))]
    assert list(slot_starts(valid, 30 * MIN, 15 * MIN, overlapping=False)) == [at(9), at(9, 30), at(10), at(10, 30)]
