# SPDX-License-Identifier: Apache-2.0
"""A person's busy time for the availability engine: Free/Busy's answer (the same entries, the
same busy-ness rule) without its paging and wire shapes, read from each calendar's busy
timeline (``busy_timeline``) rather than from the event rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from calgate.domain import accounts, busy_timeline, scopes
from calgate.domain.accounts import ProfileView
from calgate.domain.authorization import Caller
from calgate.domain.availability.explain import BusyItem
from calgate.domain.availability.timeline import Timeline
from calgate.domain.busy_timeline import CalendarBusy, Excluded
from calgate.domain.errors import NotFound
from calgate.domain.ports import UnitOfWork

__all__ = ["Excluded", "Person", "busy_items", "busy_spans", "busy_timeline_of"]

Fetch = Callable[..., dict[str, CalendarBusy]]  # (calendar_ids, *, refs, details) -> timelines by calendar


class Person:
    """One person's busy time as ``caller`` may read it: their live calendars (``views``) and
    where the timelines come from (``fetch``, e.g. ``uow.busy_timelines.of_calendars``, or a
    batch read for many people at once)."""

    def __init__(self, caller: Caller, views: list[ProfileView], fetch: Fetch) -> None:
        caller.require(scopes.READ_FREE_BUSY)
        self.caller, self.views, self.fetch = caller, views, fetch

    @classmethod
    def of(cls, uow: UnitOfWork, caller: Caller) -> "Person":
        caller.require(scopes.READ_FREE_BUSY)
        return cls(caller, accounts.profiles(uow, caller), uow.busy_timelines.of_calendars)

    def _calendars(self, calendar_ids: Sequence[str]) -> list[str]:
        visible = {c.id for v in self.views for c in v.calendars}
        if set(calendar_ids) - visible:
            raise NotFound("calendar")
        return sorted(calendar_ids or visible)

    def _reader(self, start: dt.datetime, end: dt.datetime, tzid: str, tentative: bool, excluded: Excluded | None) -> busy_timeline.Reader:
        return busy_timeline.Reader(
            start=start, end=end, tzid=tzid, application_id=self.caller.application.id, tentative=tentative,
            excluded=excluded or Excluded(), sees_events=self.caller.policy.reads_calendar_events,
        )

    def timeline(
        self, calendar_ids: Sequence[str], start: dt.datetime, end: dt.datetime, tzid: str,
        *, tentative: bool = True, excluded: Excluded | None = None,
    ) -> Timeline:
        """``items`` as the engine's ``Timeline``: for one calendar with nothing to leave out,
        a slice of the stored arrays."""
        wanted = self._calendars(calendar_ids)
        if not wanted:
            return Timeline()
        reader = self._reader(start, end, tzid, tentative, excluded)
        stored = self.fetch(wanted, refs=False, details=False)
        if busy_timeline.needs_details([stored[c] for c in wanted], reader):
            stored = self.fetch(wanted, refs=reader.needs_refs, details=True)
        return busy_timeline.timeline([stored[c] for c in wanted], reader)

    def items(
        self, calendar_ids: Sequence[str], start: dt.datetime, end: dt.datetime, tzid: str,
        *, tentative: bool = True, excluded: Excluded | None = None,
    ) -> list[BusyItem]:
        """When the person is busy or tentative between start and end (events, and the busy
        blocks of free_busy profiles), each with its status and, where the application may see
        the event behind it, the event: its own events (``event_id`` and ``event_uid``), and any
        event in a mode that reads calendar events (``event_uid``); never a free_busy block's.
        ``calendar_ids`` empty means all (an id not among them: ``NotFound``).
        ``tentative=False`` leaves tentative time out (calgate's ``tentative_as_busy: false``);
        events in ``excluded`` are left out."""
        wanted = self._calendars(calendar_ids)
        if not wanted:
            return []
        reader = self._reader(start, end, tzid, tentative, excluded)
        stored = self.fetch(wanted, refs=True, details=True)
        return busy_timeline.items([stored[c] for c in wanted], reader)


def busy_timeline_of(
    uow: UnitOfWork, caller: Caller, calendar_ids: Sequence[str], start: dt.datetime, end: dt.datetime, tzid: str,
    *, tentative: bool = True, excluded: Excluded | None = None,
) -> Timeline:
    return Person.of(uow, caller).timeline(calendar_ids, start, end, tzid, tentative=tentative, excluded=excluded)


def busy_items(
    uow: UnitOfWork, caller: Caller, calendar_ids: Sequence[str], start: dt.datetime, end: dt.datetime, tzid: str,
    *, tentative: bool = True, excluded: Excluded | None = None,
) -> list[BusyItem]:
    """``Person.items`` for the caller's person."""
    return Person.of(uow, caller).items(calendar_ids, start, end, tzid, tentative=tentative, excluded=excluded)


def busy_spans(
    uow: UnitOfWork, caller: Caller, calendar_ids: Sequence[str], start: dt.datetime, end: dt.datetime, tzid: str,
    *, tentative: bool = True, excluded: Excluded | None = None,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """``busy_items`` as plain (start, end) pairs."""
    return [(i.start, i.end) for i in busy_items(uow, caller, calendar_ids, start, end, tzid, tentative=tentative, excluded=excluded)]
