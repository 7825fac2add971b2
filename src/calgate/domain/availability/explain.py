# SPDX-License-Identifier: Apache-2.0
"""Why a member is not available: every part of the query periods the member cannot take,
with its reason (calgate's ``explain: true``).

For one member, the query periods split into exactly these disjoint parts, in this order of
precedence (a part is given the first reason that applies):

1. ``source_unavailable``: all of it, when the member's calendars cannot vouch for their time
   (``source_states``: stale, or needs relink);
2. ``outside_availability_rules``: outside the member's managed availability or own
   ``available_periods``;
3. ``constraint``: a day or week in which the member already has as many of the
   application's events as an availability constraint allows;
4. ``busy``, then ``tentative``: the events (or busy blocks) that count, each part naming the
   event where the application may see it;
5. ``buffer``: the gaps the query's buffers keep around those events;
6. and what is left is the member's own available time, exactly what the engine
   (``Timeline.free``) finds for the member alone.

Pure: no I/O, values in, values out; property-tested against the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from calgate.domain.availability.intervals import Span, expand, intersect, merge, subtract

SOURCE_UNAVAILABLE = "source_unavailable"
OUTSIDE_RULES = "outside_availability_rules"
CONSTRAINT = "constraint"
BUSY, TENTATIVE, BUFFER = "busy", "tentative", "buffer"


@dataclass(frozen=True)
class BusyItem:
    """Busy time that counts for the member, and the event behind it where the application
    may see that event (None for a free_busy block)."""

    start: dt.datetime
    end: dt.datetime
    status: str  # busy | tentative
    event_uid: str | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class Explained:
    start: dt.datetime
    end: dt.datetime
    reason: str
    event_uid: str | None = None
    event_id: str | None = None


def explain(
    periods: Sequence[Span],
    allowed: Sequence[Span] | None,
    items: Sequence[BusyItem],
    lead: dt.timedelta,
    trail: dt.timedelta,
    vouches: bool = True,
    constrained: Sequence[Span] = (),
) -> list[Explained]:
    """The member's unavailable parts of ``periods`` (any pairs), sorted by start. ``lead`` and
    ``trail`` grow each busy item before its start and after its end, as the engine does."""
    query = merge(periods)
    if not vouches:
        return [Explained(s, e, SOURCE_UNAVAILABLE) for s, e in query]
    out: list[Explained] = []
    within = query
    if allowed is not None:
        within = intersect(query, merge(allowed))
        out += [Explained(s, e, OUTSIDE_RULES) for s, e in subtract(query, within)]
    if constrained:
        limited = intersect(within, merge(constrained))
        out += [Explained(s, e, CONSTRAINT) for s, e in limited]
        within = subtract(within, limited)
    covered: list[Span] = []
    ranked = sorted(items, key=lambda i: (i.status != BUSY, i.start, i.end))
    for item in ranked:
        mine = subtract(intersect(within, [(item.start, item.end)]) if item.start < item.end else [], covered)
        out += [Explained(s, e, item.status, item.event_uid, item.event_id) for s, e in mine]
        covered = merge([*covered, *mine])
    grown = expand(merge((i.start, i.end) for i in items if i.start < i.end), lead, trail)
    out += [Explained(s, e, BUFFER) for s, e in subtract(intersect(within, grown), covered)]
    return sorted(out, key=lambda x: (x.start, x.end))
