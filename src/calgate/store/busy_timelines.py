# SPDX-License-Identifier: Apache-2.0
"""Busy timelines in the database: one row per calendar (``domain/busy_timeline``), kept in step
with the calendar's events and busy blocks by the transaction that changes them.

How they stay right
    The session notes every calendar whose events or busy blocks it changes: ORM objects as
    they are flushed (``before_flush``: new, changed or deleted ``Event``/``BusyBlock``, and new
    ``Calendar``s, which get their first, empty timeline), and the bulk writes that bypass the
    ORM by saying so themselves (``Events.insert_many``, ``BusyBlocks.replace`` call ``touch``).
    Just before the commit (``before_commit``), each noted calendar's timeline is brought up to
    date and written, in the same transaction: a commit that stores an event stores the
    timeline that counts it, or neither. Where only ORM-tracked events changed (an upsert, a
    delete, a reply), their entries are replaced in the stored timeline (``revise``: the
    calendar's other events are not read); otherwise the timeline is rebuilt from the rows.
    A read in the same transaction brings them up to date first, so it sees its own writes.

Concurrent writers (PostgreSQL)
    Two transactions adding events to one calendar must not each write a timeline made
    without the other's event. Both ways first lock the calendar's timeline row (``SELECT …
    FOR UPDATE``, in calendar-id order, and only at the very end of a transaction, so no lock
    is ever awaited while one of these is held); under READ COMMITTED, the row (or the event
    rows) then read include everything the previous lock holder committed, and a transaction
    revises only the events it changed itself, which it holds row locks on. SQLite serialises
    writers anyway (``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Text, cast, event, insert, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from calgate.domain import model
from calgate.domain.busy_timeline import BlockRow, CalendarBusy, TimelineRow, build, decode, encode, revise, row_of
from calgate.store import tables

_PENDING = "busy_timelines.pending"
_INSERTED = "busy_timelines.inserted"  # events this transaction inserted: no other can have changed them
_TIMED = re.compile(r'"time"\s*:\s*"[^"]*T')  # a Time (as Free/Busy tells them apart), not a Date
_TZID = re.compile(r'"tzid"\s*:\s*"([^"\\]*)"')


# Per calendar: the events changed through the ORM (their timeline entries are revised), or
# None when the calendar must be rebuilt from its rows (bulk writes, busy blocks, a new calendar).
Pending = dict[str, "dict[str, model.Event | None] | None"]


def _pending(session: Session) -> Pending:
    return session.info.setdefault(_PENDING, {})  # type: ignore[no-any-return]


def touch(session: Session, calendar_ids: Iterable[str]) -> None:
    """Note that these calendars' events or busy blocks changed (rebuilt before commit)."""
    pending = _pending(session)
    for calendar_id in calendar_ids:
        pending[calendar_id] = None


def _event_changed(pending: Pending, event: model.Event, gone: bool = False) -> None:
    history = inspect(event).attrs.calendar_id.history
    if history.deleted:  # moved to another calendar: both are rebuilt
        for calendar_id in [*history.deleted, event.calendar_id]:
            pending[calendar_id] = None
        return
    changed = pending.setdefault(event.calendar_id, {})
    if changed is not None:
        changed[event.id] = None if gone else event


def _changed(session: Session, _context: Any, _instances: Any) -> None:
    pending = _pending(session)
    for obj in session.new:
        if isinstance(obj, model.Event):
            _event_changed(pending, obj)
            session.info.setdefault(_INSERTED, set()).add(obj.id)
        elif isinstance(obj, model.BusyBlock):
            pending[obj.calendar_id] = None
        elif isinstance(obj, model.Calendar):
            pending[obj.id] = None
    for obj in session.dirty:
        if isinstance(obj, model.Event) and session.is_modified(obj):
            _event_changed(pending, obj)
        elif isinstance(obj, model.BusyBlock) and session.is_modified(obj):
            pending[obj.calendar_id] = None
    for obj in session.deleted:
        if isinstance(obj, model.Event):
            _event_changed(pending, obj, gone=True)
        elif isinstance(obj, model.BusyBlock):
            pending[obj.calendar_id] = None


def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending notes its calendars now
    rebuild_pending(session)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_INSERTED, None)


def install(factory: sessionmaker[Session]) -> None:
    """Keep the timelines of every session ``factory`` makes in step with their rows."""
    event.listen(factory, "before_flush", _changed)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_commit", _forget)  # what it inserted is everyone's now
    event.listen(factory, "after_rollback", _forget)
    event.listen(factory, "after_soft_rollback", _forget)


def rebuild_pending(session: Session) -> None:
    """Bring the noted calendars' timelines up to date: a calendar whose events changed only
    through the ORM has those events' entries revised in its stored timeline (the other
    events are not read); any other is rebuilt from its rows."""
    pending: Pending | None = session.info.pop(_PENDING, None)
    inserted: set[str] = session.info.get(_INSERTED, set())
    if not pending:
        return
    t = tables.busy_timelines.c
    full = sorted(c for c, changed in pending.items() if changed is None)
    revised = sorted(c for c, changed in pending.items() if changed is not None)
    for chunk in _chunks(revised, 500):
        rows = session.execute(
            select(t.calendar_id, t.size, t.tentative, t.index, t.apart, t.details, t.refs)
            .where(t.calendar_id.in_(chunk)).order_by(t.calendar_id).with_for_update()
        ).all()
        stored = {row[0]: decode(*row) for row in rows}
        full.extend(c for c in chunk if c not in stored)
        # The changed events as their rows stand now. One this transaction inserted is as its
        # object says (no other transaction sees the row yet); any other is read under the
        # timeline's lock: its object may hold columns this transaction never wrote, which
        # another one has committed since it was loaded (a reply landing during an upsert).
        mine = {c: [e for e in (pending[c] or {}).values() if e is not None and e.id in inserted and not e.deleted] for c in stored}
        current = _event_rows(session, [e for c in stored for e in pending[c] or {} if e not in inserted])
        now = model.utcnow()
        for calendar_id, busy in stored.items():
            changed = pending[calendar_id] or {}
            rows = current.get(calendar_id, []) + [row_of(e) for e in mine[calendar_id]]
            values = {**encode(revise(busy, changed, rows))._asdict(), "built_at": now}
            session.execute(update(tables.busy_timelines).where(t.calendar_id == calendar_id).values(**values))
    if full:
        rebuild(session, full)


def _timeline_rows(session: Session, where: Any) -> dict[str, list[TimelineRow]]:
    """The live events ``where`` selects, by calendar, as a timeline reads them (the columns
    only: no ORM objects)."""
    events = tables.events.c
    stmt = select(
        events.calendar_id, events.id, events.event_id, events.application_id, events.start_at, events.end_at,
        cast(events.start, Text), cast(events.end, Text), events.transparency, events.participation_status,
        events.created_at, events.updated_at,
    ).where(where, events.deleted.is_(False))
    rows: dict[str, list[TimelineRow]] = {}
    for calendar_id, uid, event_id, app_id, start_at, end_at, start, end, transp, partstat, created, updated in session.execute(stmt):
        dated = _TIMED.search(start) is None
        rows.setdefault(calendar_id, []).append(TimelineRow(
            uid, event_id, app_id, start_at, end_at, json.loads(start) if dated else None, json.loads(end) if dated else None,
            transp, partstat, created, updated, _tzid(start), _tzid(end),
        ))
    return rows


def _event_rows(session: Session, event_ids: list[str]) -> dict[str, list[TimelineRow]]:
    """The live events of ``event_ids`` (uids) as their rows stand, by calendar."""
    found: dict[str, list[TimelineRow]] = {}
    for chunk in _chunks(event_ids, 500):
        for calendar_id, rows in _timeline_rows(session, tables.events.c.id.in_(chunk)).items():
            found.setdefault(calendar_id, []).extend(rows)
    return found


def rows_of(session: Session, calendar_ids: Sequence[str]) -> dict[str, CalendarBusy]:
    """The calendars' timelines built from their rows now (what ``rebuild`` stores)."""
    found = _timeline_rows(session, tables.events.c.calendar_id.in_(calendar_ids))
    rows: dict[str, list[TimelineRow]] = {c: found.get(c, []) for c in calendar_ids}
    b = tables.busy_blocks.c
    blocks: dict[str, list[BlockRow]] = {c: [] for c in calendar_ids}
    for calendar_id, uid, start_at, end_at, status in session.execute(
        select(b.calendar_id, b.id, b.start_at, b.end_at, b.status).where(b.calendar_id.in_(calendar_ids))
    ):
        blocks[calendar_id].append(BlockRow(uid, start_at, end_at, status))
    return {c: build(c, rows[c], blocks[c]) for c in calendar_ids}


def _tzid(text: str) -> str:
    """The zone an event time is shown in (``times.parse_event_time``: its tzid, else UTC)."""
    if "\\" in text:  # escapes: read it properly
        value = json.loads(text)
        return str(value.get("tzid") or "Etc/UTC") if isinstance(value, dict) else "Etc/UTC"
    found = _TZID.search(text)
    return found.group(1) if found and found.group(1) else "Etc/UTC"


def rebuild(session: Session, calendar_ids: Sequence[str]) -> None:
    """Rebuild and store the timelines of ``calendar_ids`` (sorted: the order locks are taken)."""
    t = tables.busy_timelines.c
    for chunk in _chunks(sorted(set(calendar_ids)), 500):
        stored = set(session.scalars(
            select(t.calendar_id).where(t.calendar_id.in_(chunk)).order_by(t.calendar_id).with_for_update()
        ))
        owners = dict(session.execute(select(tables.calendars.c.id, tables.calendars.c.account_id).where(tables.calendars.c.id.in_(chunk))).all())
        built = rows_of(session, [c for c in chunk if c in owners])
        now = model.utcnow()
        for calendar_id, busy in built.items():
            values = {**encode(busy)._asdict(), "built_at": now}
            if calendar_id in stored:
                session.execute(update(tables.busy_timelines).where(t.calendar_id == calendar_id).values(**values))
            else:
                session.execute(insert(tables.busy_timelines).values(calendar_id=calendar_id, account_id=owners[calendar_id], **values))


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class BusyTimelines:
    """The repository the domain reads timelines through (``ports.BusyTimelines``)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of_calendars(self, calendar_ids: Sequence[str], *, refs: bool = False, details: bool = False) -> dict[str, CalendarBusy]:
        """Each calendar's stored timeline, its index only unless ``details`` or ``refs``
        (which implies details); one query. A calendar with none stored (never expected) is
        built from its rows."""
        self.session.flush()  # this transaction's changes not flushed yet note their calendars now
        rebuild_pending(self.session)
        t = tables.busy_timelines.c
        details = details or refs
        columns = [t.calendar_id, t.size, t.tentative, t.index, t.apart]
        columns += [t.details] if details else []
        columns += [t.refs] if refs else []
        found: dict[str, CalendarBusy] = {}
        for row in self._rows(columns, list(calendar_ids)):
            found[row[0]] = decode(*row[:5], row[5] if details else None, row[6] if refs else None)
        missing = [c for c in calendar_ids if c not in found]
        if missing:
            found.update(rows_of(self.session, missing))
        return found

    def _rows(self, columns: list[Any], calendar_ids: list[str]) -> Sequence[Any]:
        """The rows of ``columns`` for ``calendar_ids``. On PostgreSQL through a binary cursor:
        psycopg otherwise reads bytea as hex text, twice the bytes to send and decode."""
        connection = self.session.connection()
        stmt = select(*columns).where(tables.busy_timelines.c.calendar_id.in_(calendar_ids))
        if connection.dialect.name != "postgresql":
            return connection.execute(stmt).all()
        names = ", ".join(connection.dialect.identifier_preparer.quote(c.name) for c in columns)
        raw = connection.connection.driver_connection
        with raw.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            cursor.execute(f"SELECT {names} FROM busy_timelines WHERE calendar_id = ANY(%s)", (calendar_ids,))
            return cursor.fetchall()

    def from_rows(self, calendar_ids: Sequence[str]) -> dict[str, CalendarBusy]:
        """The timelines as a rebuild would make them now (for consistency checks)."""
        return rows_of(self.session, list(calendar_ids))
