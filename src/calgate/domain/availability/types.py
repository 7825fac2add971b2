# SPDX-License-Identifier: Apache-2.0
"""The availability engine's vocabulary. Every datetime is timezone-aware UTC."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from calgate.domain.availability.timeline import Timeline

ResponseFormat = Literal["periods", "slots", "overlapping_slots"]


@dataclass(frozen=True, order=True, slots=True)
class Interval:
    """[start, end): half-open, start < end (a busy interval with end <= start blocks nothing).
    Slotted: the engine reads tens of thousands of these per query."""

    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Member:
    """One participant. ``busy``: when they cannot meet, as a ``Timeline``, or any iterable of
    ``Interval``s or of ``(start, end)`` pairs (any order, may overlap), indexed into a
    ``Timeline`` here, once. ``available``: None means "whenever not busy"; a list limits them
    to those intervals (managed availability: rules and available periods, already expanded to UTC)."""

    sub: str
    busy: Timeline = field(default_factory=Timeline)
    available: tuple[Interval, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.busy, Timeline):
            items = list(self.busy)
            if any(isinstance(i, Interval) for i in items[:1]):
                items = [(i.start, i.end) for i in items]
            object.__setattr__(self, "busy", Timeline(items))


@dataclass(frozen=True)
class Group:
    """``required``: None for "all", else how many members (1..len) must each be free for the
    whole meeting. The engine reads 0 as "no constraint" and more than len as "never"."""

    members: tuple[Member, ...]
    required: int | None = None


@dataclass(frozen=True)
class Buffer:
    """Free time a member needs around the meeting, before and after (Cronofy's
    ``buffer.before``/``after``, or their ``minimum``): it must be free of busy time, and may lie
    outside the query periods and the member's available intervals. ``*_maximum`` is carried
    for the wire but not applied by the engine (no published meaning for a single query; see
    ``engine.py``)."""

    before: dt.timedelta = dt.timedelta(0)
    after: dt.timedelta = dt.timedelta(0)
    before_maximum: dt.timedelta | None = None
    after_maximum: dt.timedelta | None = None


@dataclass(frozen=True)
class Query:
    periods: tuple[Interval, ...]  # query_periods, any order; ignored when query_slots is given
    duration: dt.timedelta  # required_duration, > 0
    groups: tuple[Group, ...]
    buffer: Buffer = field(default_factory=Buffer)
    # Slot starts on a UTC grid of this step from the top of the hour (the epoch); slots and
    # overlapping_slots only; None: the duration. Periods are never aligned.
    start_interval: dt.timedelta | None = None
    max_results: int | None = None  # the earliest N periods or slots; None: all
    response_format: ResponseFormat = "periods"
    # Only these starts are candidates (each answered as a slot whatever response_format says).
    query_slots: tuple[dt.datetime, ...] | None = None


@dataclass(frozen=True, slots=True)
class Available:
    """One answer: a period (or slot) and the subs of the members free for all of it, in the
    order they first appear in the query's groups."""

    start: dt.datetime
    end: dt.datetime
    participants: tuple[str, ...]
