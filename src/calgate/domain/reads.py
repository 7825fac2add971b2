# SPDX-License-Identifier: Apache-2.0
"""Reading an account's events: Cronofy's Read Events and Free/Busy (GET /v1/events and
GET /v1/free_busy, docs.cronofy.com /developers/api/events/read-events and …/free-busy; wire
notes §4.3, §5, §7). Read Events is here; Free/Busy, which reads the calendars' busy timelines
by the same rules, is ``free_busy``.

A read is a ``Query`` (the parameters, resolved once: ``from``/``to`` as instants in the
reader's ``tzid``, the default window filled in) walked page by page with a ``Cursor``. The
cursor is plain data; the HTTP layer signs it into the ``next_page`` URL, so a read keeps no
state on the server and any process can serve the next page.

- **Window**: an event is returned when it starts before ``to`` (exclusive) and ends on or
  after ``from`` (Cronofy's rule, taken literally). Dates are local midnights in ``tzid``,
  for the bounds and for all-day events alike. Without ``from`` and ``to`` the window is
  ``DEFAULT_PAST_DAYS`` back to ``DEFAULT_FUTURE_DAYS`` ahead of today in ``tzid``, and the
  application's own (managed) events ignore it: all of them are returned.
- **Managed events** (the calling application's own) are left out unless ``include_managed``
  or ``only_managed``. Whether Read Events may show anything else is the access-mode
  policy's answer (``reads_calendar_events``); where it may not, Read Events behaves as if
  ``only_managed`` were given. Free/Busy shows busy time in every mode.
- **Paging**: ordered by start (the reader's instant) then event uid, ``page_size`` per page,
  by keyset: the cursor remembers the last (start, uid) shown, so an event deleted between
  two pages does not shift the rest. Events created after the first page was read (the
  snapshot) are left to the next read (their ``updated`` is after it, so ``last_modified``
  finds them). A cursor is bound to the grant that started the read and lives ``PAGE_TTL``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, NamedTuple, TypeVar

from calgate.domain import busyness, model, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

# Cronofy's documented default window: at least 42 days back, at most 201 days ahead.
DEFAULT_PAST_DAYS = 42
DEFAULT_FUTURE_DAYS = 201
MAX_WINDOW_DAYS = 400
PAGE_TTL = dt.timedelta(hours=1)
# All-day events are stored at UTC midnights but read at the reader's midnights; no zone is a
# day away from UTC, so asking the store for a day more on each side finds them all.
ALL_DAY_MARGIN = dt.timedelta(days=1)
# Boolean parameters of both reads. include_moved also returns events whose place before
# their last move fell in the window (calgate remembers one move back, not every move).
# include_geo adds location.lat/long; google_event_ids adds a Google event's own id.
FLAGS = ("include_deleted", "include_managed", "only_managed", "localized_times", "include_moved", "include_geo", "google_event_ids")
EVENTS = "events"
FREE_BUSY = "free_busy"
AVAILABLE_PERIODS = "available_periods"  # paged the same way by ``managed_availability``

Errors = dict[str, list[tuple[str, str]]]
T = TypeVar("T")
Key = tuple[dt.datetime, str]


def _add(errors: Errors, name: str, key: str, description: str) -> None:
    errors.setdefault(name, []).append((f"errors.{key}", description))


def local_midnight(day: dt.date, tzid: str) -> dt.datetime:
    """The instant ``day`` begins in ``tzid``."""
    return times.EventTime(day, tzid).instant()


def _calendar_ids(value: object, errors: Errors) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        _add(errors, "calendar_ids", "invalid", "calendar_ids must be a list of calendar ids")
        return ()
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class Query:
    """A read's parameters, resolved: ``start``/``end`` are UTC instants."""

    tzid: str
    start: dt.datetime  # events ending on or after it
    end: dt.datetime  # events starting before it
    managed_unbounded: bool = False  # neither from nor to given: managed events ignore the window
    calendar_ids: tuple[str, ...] = ()
    last_modified: dt.datetime | None = None
    include_deleted: bool = False
    include_managed: bool = False
    only_managed: bool = False
    localized_times: bool = False
    include_moved: bool = False
    include_geo: bool = False
    google_event_ids: bool = False

    @classmethod
    def parse(cls, values: Mapping[str, object], flags: Mapping[str, bool], now: dt.datetime) -> "Query":
        """``values``: tzid, from, to, last_modified, calendar_ids as received; ``flags``: the
        booleans of ``FLAGS``, already parsed."""
        errors: Errors = {}
        tzid = _tzid(values.get("tzid"), errors)
        bounds: dict[str, dt.datetime | dt.date] = {}
        for name in ("from", "to"):
            bound = _parsed(values.get(name), name, times.parse_time_or_date, errors)
            if bound is not None:
                bounds[name] = bound
        last_modified = _parsed(values.get("last_modified"), "last_modified", times.parse_time, errors)
        calendar_ids = _calendar_ids(values.get("calendar_ids"), errors)
        if errors or tzid is None:
            raise ValidationFailed(errors)
        start, end = _window(bounds, tzid, now)
        return cls(
            tzid=tzid, start=start, end=end, managed_unbounded=not bounds, calendar_ids=calendar_ids,
            last_modified=last_modified, **{name: bool(flags.get(name, False)) for name in FLAGS},
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "tzid": self.tzid, "start": self.start.isoformat(), "end": self.end.isoformat(),
            "unbounded": self.managed_unbounded, "calendar_ids": list(self.calendar_ids),
            "last_modified": self.last_modified.isoformat() if self.last_modified else None,
            "flags": [name for name in FLAGS if getattr(self, name)],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "Query":
        last_modified = data["last_modified"]
        return cls(
            tzid=str(data["tzid"]), start=dt.datetime.fromisoformat(data["start"]), end=dt.datetime.fromisoformat(data["end"]),
            managed_unbounded=bool(data["unbounded"]), calendar_ids=tuple(str(c) for c in data["calendar_ids"]),
            last_modified=dt.datetime.fromisoformat(last_modified) if last_modified else None,
            **{name: name in data["flags"] for name in FLAGS},
        )


def _tzid(value: object, errors: Errors) -> str | None:
    return times.collect_tzid(value, errors)


def _parsed(value: object, name: str, parse: Callable[[object, str], T], errors: Errors) -> T | None:
    if value is None or value == "":
        return None
    try:
        return parse(value, name)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return None


def _window(bounds: Mapping[str, dt.datetime | dt.date], tzid: str, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``from`` and ``to`` as instants, each defaulting to Cronofy's window around today."""
    today = now.astimezone(times.zone(tzid)).date()
    start = _bound(bounds.get("from"), tzid) or local_midnight(today - dt.timedelta(days=DEFAULT_PAST_DAYS), tzid)
    end = _bound(bounds.get("to"), tzid) or local_midnight(today + dt.timedelta(days=DEFAULT_FUTURE_DAYS), tzid)
    blamed = "from" if "to" not in bounds else "to"
    if end <= start:
        defaulted = ""
        if len(bounds) == 1:
            defaulted = f" ({'from' if blamed == 'to' else 'to'} was not given, so it is the default)"
        raise ValidationFailed.single(blamed, "invalid", f"to must be after from{defaulted}")
    if end - start > dt.timedelta(days=MAX_WINDOW_DAYS):
        raise ValidationFailed.single(
            blamed, "invalid", f"from and to may be at most {MAX_WINDOW_DAYS} days apart; read longer periods in several requests"
        )
    return start, end


def _bound(value: dt.datetime | dt.date | None, tzid: str) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return local_midnight(value, tzid)


@dataclass(frozen=True)
class Cursor:
    """Where a read is: its query, the page to show next and the last (start, uid) shown."""

    kind: str  # EVENTS or FREE_BUSY
    grant_id: str
    query: Query
    snapshot: dt.datetime  # when the first page was read
    page: int = 1
    after: Key | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind, "grant": self.grant_id, "query": self.query.to_data(),
            "snapshot": self.snapshot.isoformat(), "page": self.page,
            "after": [self.after[0].isoformat(), self.after[1]] if self.after else None,
        }

    @classmethod
    def from_data(cls, data: object) -> "Cursor":
        """Raises ``NotFound("page")`` for data no cursor of this version wrote."""
        if not isinstance(data, dict):
            raise NotFound("page")
        try:
            after = data["after"]
            return cls(
                kind=str(data["kind"]), grant_id=str(data["grant"]), query=Query.from_data(data["query"]),
                snapshot=dt.datetime.fromisoformat(data["snapshot"]), page=int(data["page"]),
                after=(dt.datetime.fromisoformat(after[0]), str(after[1])) if after else None,
            )
        except (KeyError, TypeError, ValueError, IndexError):
            raise NotFound("page") from None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    current: int
    total: int
    cursor: Cursor  # this page's: its query says how to show the items
    next: Cursor | None  # None on the last page


def paginate(items: Sequence[T], key: Callable[[T], Key], cursor: Cursor, size: int) -> Page[T]:
    """One page of ``items`` (sorted by ``key``) after ``cursor.after``. ``total`` counts the
    pages already shown plus those the remaining items fill, so it is always ≥ ``current``."""
    remaining = [i for i in items if cursor.after is None or key(i) > cursor.after]
    return page_of(remaining[:size], len(remaining), key, cursor, size)


def page_of(shown: list[T], remaining: int, key: Callable[[T], Key], cursor: Cursor, size: int) -> Page[T]:
    """The page ``shown`` (at most ``size`` items), the first of the ``remaining`` items after
    ``cursor.after``, for a read that found those without building the rest."""
    total = cursor.page - 1 + max(1, math.ceil(remaining / size))
    following = replace(cursor, page=cursor.page + 1, after=key(shown[-1])) if remaining > size else None
    return Page(items=shown, current=cursor.page, total=total, cursor=cursor, next=following)


@dataclass(frozen=True)
class EventView:
    """An event as one reader sees it: its times, where they fall in the reader's zone, and
    whether it is the reader's own (managed: it carries ``event_id`` and may be changed)."""

    event: model.Event
    start: times.EventTime
    end: times.EventTime
    starts_at: dt.datetime
    ends_at: dt.datetime
    managed: bool

    @classmethod
    def of(cls, event: model.Event, tzid: str, application_id: str) -> "EventView":
        start = times.parse_event_time(event.start, "start", None)
        end = times.parse_event_time(event.end, "end", None)
        return cls(
            event=event, start=start, end=end, starts_at=start.instant(tzid), ends_at=end.instant(tzid),
            managed=event.application_id == application_id and event.event_id is not None,
        )

    @property
    def key(self) -> Key:
        return (self.starts_at, self.event.id)


def selected(view: EventView, query: Query, snapshot: dt.datetime, calendar_events: bool) -> bool:
    """Whether a read with ``query`` returns ``view``. ``calendar_events``: may it return
    events other than the reader's own (the access-mode policy's answer)?"""
    event = view.event
    if event.deleted and not query.include_deleted:
        return False
    if event.created_at > snapshot:
        return False
    if query.calendar_ids and event.calendar_id not in query.calendar_ids:
        return False
    if query.last_modified is not None and event.updated_at < query.last_modified:
        return False
    only_managed = query.only_managed or not calendar_events
    if view.managed:
        if not (query.include_managed or only_managed):
            return False
        if query.managed_unbounded:
            return True
    elif only_managed:
        return False
    if view.starts_at < query.end and view.ends_at >= query.start:
        return True
    was_from, was_to = event.moved_from_start_at, event.moved_from_end_at
    return query.include_moved and was_from is not None and was_to is not None and was_from < query.end and was_to >= query.start


def _includes_managed(query: Query, calendar_events: bool) -> bool:
    return query.include_managed or query.only_managed or not calendar_events


class Block(NamedTuple):
    """A Free/Busy entry: no text, only when and how busy; the uid and event_id only for the
    reader's own events. (A named tuple: a read builds a thousand in a page.)"""

    calendar_id: str
    start: times.EventTime
    end: times.EventTime
    status: str  # busy or tentative
    key: Key
    event_uid: str | None = None
    event_id: str | None = None


def free_busy_status(event: model.Event | model.BusyRow) -> str | None:
    """busy, tentative, or None when the event leaves the person free (``busyness``)."""
    return busyness.event_status(event)


def cursor_for(caller: Caller, kind: str, request: Query | Cursor, now: dt.datetime) -> Cursor:
    """A new read's first cursor, or a later page's cursor checked: the same kind of read,
    the caller's own grant, not expired."""
    if isinstance(request, Query):
        return Cursor(kind=kind, grant_id=caller.grant.id, query=request, snapshot=now)
    if request.kind != kind or request.grant_id != caller.grant.id:
        raise NotFound("page")  # another read's page, or another caller's: not theirs to see
    if now - request.snapshot > PAGE_TTL:
        minutes = int(PAGE_TTL.total_seconds() // 60)
        raise ValidationFailed.single(
            "page", "expired", f"This page link has expired (page links live {minutes} minutes); read again from the first page"
        )
    return request


def visible_calendars(uow: UnitOfWork, caller: Caller, query: Query) -> list[str]:
    """The live calendars a read covers: those asked for (all of them the caller's), else all."""
    visible = uow.calendars.live_ids(caller.account.id)
    if set(query.calendar_ids) - set(visible):
        raise NotFound("calendar")
    return sorted(query.calendar_ids) if query.calendar_ids else visible


def _views(uow: UnitOfWork, caller: Caller, query: Query, deleted: bool, managed: bool) -> Iterable[EventView]:
    """The events of the caller's live calendars the store finds near the window."""
    calendar_ids = visible_calendars(uow, caller, query)
    if not calendar_ids:
        return []
    unbounded = query.managed_unbounded and managed
    candidates = uow.events.in_window(
        caller.account.id,
        calendar_ids,
        ends_from=None if unbounded else query.start - ALL_DAY_MARGIN,
        starts_before=None if unbounded else query.end + ALL_DAY_MARGIN,
        include_deleted=deleted,
        updated_since=query.last_modified,
        include_moved=query.include_moved,
    )
    return (EventView.of(e, query.tzid, caller.application.id) for e in candidates)


def read_events(uow: UnitOfWork, caller: Caller, request: Query | Cursor, page_size: int, now: dt.datetime) -> Page[EventView]:
    """Read Events: the first page for a ``Query``, a later one for a ``Cursor``."""
    caller.require(scopes.READ_EVENTS)
    cursor = cursor_for(caller, EVENTS, request, now)
    query, policy = cursor.query, caller.policy
    views = _views(uow, caller, query, query.include_deleted, _includes_managed(query, policy.reads_calendar_events))
    chosen = sorted((v for v in views if selected(v, query, cursor.snapshot, policy.reads_calendar_events)), key=lambda v: v.key)
    return paginate(chosen, lambda v: v.key, cursor, page_size)
