# SPDX-License-Identifier: Apache-2.0
"""Sequenced Availability: times for a sequence of meetings, one after another (Cronofy's
``POST /v1/sequenced_availability``; wire notes §4.5). ``answer`` gathers each step's members
(``availability_inputs``, every member read once); ``sequences`` is pure, over the engine's
answers.

- Steps happen in ``ordinal`` order (steps without one come last; ties keep the request's
  order). Each step starts at or after the previous step's end; there is no upper limit on
  the gap, except that every step lies in its own query periods.
- Each step is an ordinary availability query (its participants, duration, start interval and
  buffers); its candidates are the engine's ``overlapping_slots``.
- For each candidate of the first step, in time order, the later steps take their earliest
  candidates (the earliest end leaves most room for the steps after it, so a sequence is
  found whenever one exists). A sequence found, the next must start at or after its end:
  the answer is a list of non-overlapping sequences, earliest first, at most ``max_results``.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace

from calgate.domain import model
from calgate.domain.availability import engine
from calgate.domain.availability.types import Available, Interval, Member, Query
from calgate.domain.availability_inputs import GroupRequest, MemberRequest, Reading, fetch_window, gather
from calgate.domain.ports import UnitOfWork


@dataclass(frozen=True)
class StepRequest:
    """A step as the request gives it: who, and its query (``groups`` left empty)."""

    sequence_id: str
    ordinal: int | None
    groups: tuple[GroupRequest, ...]
    query: Query


@dataclass(frozen=True)
class Step:
    sequence_id: str
    ordinal: int | None
    query: Query  # groups resolved; response_format and max_results are ignored


@dataclass(frozen=True)
class Placed:
    """One step of one sequence."""

    sequence_id: str
    slot: Available


def answer(
    uow: UnitOfWork, application: model.Application, requests: Sequence[StepRequest], max_results: int, now: dt.datetime,
    reading: Reading | None = None,
) -> list[list[Placed]]:
    windows = [fetch_window(r.query) for r in requests]
    window = Interval(min(w.start for w in windows), max(w.end for w in windows))
    known: dict[MemberRequest, Member] = {}
    steps = [
        Step(r.sequence_id, r.ordinal, replace(r.query, groups=gather(uow, application, r.groups, window, now, known, f"sequence[{i}].", reading)))
        for i, r in enumerate(requests)
    ]
    return sequences(steps, max_results)


def sequences(steps: Sequence[Step], max_results: int) -> list[list[Placed]]:
    ordered = [s for _, s in sorted(enumerate(steps), key=lambda p: (p[1].ordinal is None, p[1].ordinal or 0, p[0]))]
    candidates = [
        sorted(engine.available(replace(step.query, response_format="overlapping_slots", max_results=None)), key=lambda a: a.start)
        for step in ordered
    ]
    starts = [[c.start for c in found] for found in candidates]
    found_sequences: list[list[Placed]] = []
    not_before = None
    for first in candidates[0] if candidates else []:
        if len(found_sequences) >= max_results:
            break
        if not_before is not None and first.start < not_before:
            continue
        chain = [first]
        for later, later_starts in zip(candidates[1:], starts[1:]):
            index = bisect_left(later_starts, chain[-1].end)
            if index == len(later):
                break
            chain.append(later[index])
        if len(chain) < len(ordered):
            break  # a later first step only leaves less room: no more sequences
        found_sequences.append([Placed(step.sequence_id, slot) for step, slot in zip(ordered, chain)])
        not_before = chain[-1].end
    return found_sequences
