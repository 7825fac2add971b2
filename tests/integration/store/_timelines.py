# SPDX-License-Identifier: Apache-2.0
"""Shared by the busy timeline tests: the consistency check (every calendar's stored timeline
against a rebuild from its rows) and a timeline's entries in a form a test can compare with
what it wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from calgate.domain import busy_timeline
from calgate.domain.busy_timeline import CalendarBusy
from calgate.domain.times import format_time
from calgate.store import tables

# One entry as a test sees it: (start, end, status, event_id or None, block?). Start and end
# are the wire's strings: "YYYY-MM-DDTHH:MM:SSZ" for a timed entry, "YYYY-MM-DD" for an all-day one.
Seen = tuple[str, str, str, Any, bool]


def entries(busy: CalendarBusy, zones: bool = False) -> list[Seen]:
    """Every entry of a timeline read whole (``refs=True``), sorted; with ``zones``, each
    event's start zone follows (what Free/Busy shows its times in)."""
    out: list[Any] = []
    for entry in busy_timeline.scan(busy, None, None, "Etc/UTC"):
        if entry.apart is not None and isinstance(entry.apart.start, dict):
            span = (str(entry.apart.start["time"]), str(entry.apart.end["time"]))  # type: ignore[index]
        else:
            span = (format_time(entry.start), format_time(entry.end))
        event_id = None if entry.is_block else (entry.ref[1] or None)
        out.append((*span, entry.status, event_id, entry.is_block, *([entry.ref[3] if len(entry.ref) > 3 else None] if zones else [])))
    return sorted(out, key=repr)


def assert_consistent(services: Any, calendar_ids: list[str] | None = None) -> dict[str, CalendarBusy]:
    """Each of the calendars (default: every calendar in the database) has a stored timeline,
    and it equals the rebuild from its rows (``CalendarBusy.same_entries``). Returns the stored
    timelines."""
    with services.uow() as uow:
        if calendar_ids is None:
            calendar_ids = list(uow.session.scalars(select(tables.calendars.c.id)))
        t = tables.busy_timelines.c
        kept = set(uow.session.scalars(select(t.calendar_id).where(t.calendar_id.in_(calendar_ids))))
        stored = uow.busy_timelines.of_calendars(calendar_ids, refs=True)
        rebuilt = uow.busy_timelines.from_rows(calendar_ids)
    missing = [c for c in calendar_ids if c not in kept]
    assert not missing, f"calendars without a stored busy timeline: {missing}"
    wrong = {
        c: {"stored": entries(stored[c]), "rebuilt": entries(rebuilt[c])}
        for c in calendar_ids
        if not stored[c].same_entries(rebuilt[c])
    }
    assert not wrong, f"stored busy timelines disagree with their rows: {wrong}"
    return stored


def stored_row(services: Any, calendar_id: str) -> tuple[Any, ...] | None:
    """The calendar's busy_timelines row as stored (None: no row)."""
    t = tables.busy_timelines.c
    with services.db.engine.connect() as connection:
        row = connection.execute(
            select(t.size, t.tentative, t.index, t.details, t.refs, t.apart).where(t.calendar_id == calendar_id)
        ).first()
    return None if row is None else tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
