# SPDX-License-Identifier: Apache-2.0
"""Busy timelines under concurrent writers and rolled-back transactions (issue 18).

On PostgreSQL, transactions writing one calendar at once must not lose each other's events
from its timeline: each brings the timeline up to date under a row lock on it, at the very end
of its transaction (``store/busy_timelines``). SQLite serialises writers (``BEGIN IMMEDIATE``),
so the concurrency tests run on PostgreSQL only. A transaction that does not commit leaves the
stored timeline exactly as it was, on both databases.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from calgate.domain import events, ics_import
from calgate.domain.model import utcnow
from calgate.providers.ical_reader import read_resource
from tests.integration.store._timelines import assert_consistent, entries, stored_row
from tests.support.api import bearer
from tests.support.application_calendars import make_application_calendar
from tests.support.factories import make_application
from tests.support.people import Person, connect_no_access, upsert

UTC = dt.timezone.utc
BASE = dt.datetime(2027, 2, 1, tzinfo=UTC)
THREADS, EACH = 8, 20
ON_POSTGRESQL = pytest.mark.parametrize("live_server", ["postgresql"], indirect=True)
SERVICES_ON_POSTGRESQL = pytest.mark.parametrize("services", ["postgresql"], indirect=True)


def wire(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def slot(thread: int, n: int, moved: bool = False) -> tuple[dt.datetime, dt.datetime]:
    """Each thread's n-th event: 30 minutes of its own (moved: a day later)."""
    start = BASE + dt.timedelta(hours=thread, minutes=30 * n % 60, days=n // 2 + (7 if moved else 0))
    return start, start + dt.timedelta(minutes=30)


def together(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(0)`` … ``work(count - 1)`` in threads released at the same moment; re-raise
    the first failure."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer never finished"
    if failures:
        raise failures[0]


@ON_POSTGRESQL
def test_concurrent_writers_over_http_lose_no_event(calgate):
    """8 clients at once, each creating 20 events in the SAME calendar, then moving 5 and
    deleting 5 of its own: the timeline holds all 8 × 15 live events, as the rebuild does."""
    app = make_application(calgate.services, features={"no_calendar"})
    room = make_application_calendar(calgate, app, "room-contended")
    url = f"{calgate.url}/v1/calendars/{room.calendar_id}/events"

    def write(thread: int) -> None:
        with httpx.Client(headers=bearer(room.access_token), timeout=60) as http:
            for n in range(EACH):
                start, end = slot(thread, n)
                body = {"event_id": f"t{thread}-{n}", "summary": "Contended", "start": wire(start), "end": wire(end)}
                assert http.post(url, json=body).status_code == 202
            for n in range(5):
                start, end = slot(thread, n, moved=True)
                body = {"event_id": f"t{thread}-{n}", "summary": "Moved", "start": wire(start), "end": wire(end)}
                assert http.post(url, json=body).status_code == 202
            for n in range(5, 10):
                assert http.request("DELETE", url, json={"event_id": f"t{thread}-{n}"}).status_code == 202

    together(THREADS, write)

    stored = assert_consistent(calgate.services, [room.calendar_id])[room.calendar_id]
    expected = sorted(
        ((wire(s), wire(e), "busy", f"t{t}-{n}", False)
         for t in range(THREADS) for n in [*range(5), *range(10, EACH)]
         for s, e in [slot(t, n, moved=n < 5)]),
        key=repr,
    )
    assert len(stored) == THREADS * (EACH - 5)
    assert entries(stored) == expected


def ics(uids: list[str], day: int) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Imported\r\n"
        f"DTSTART:{BASE + dt.timedelta(days=day, hours=k):%Y%m%dT%H%M%SZ}\r\nDURATION:PT45M\r\nEND:VEVENT\r\n"
        for k, uid in enumerate(uids)
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calgate tests//EN\r\n{body}END:VCALENDAR\r\n".encode()


@SERVICES_ON_POSTGRESQL
def test_concurrent_imports_and_upserts_in_separate_units_of_work_lose_no_event(services):
    """Through the domain, each write its own unit of work: 4 threads upserting (the ORM's
    path, which revises the stored timeline) and 4 importing .ics files (the bulk path, which
    rebuilds it from the rows) into one hosted calendar at once."""
    app = make_application(services, features={"no_calendar"})
    ada = connect_no_access(services, app, "ada@example.com")
    window = ics_import.Window.checked(BASE - dt.timedelta(days=1), BASE + dt.timedelta(days=60))
    with services.uow() as uow:
        where = ics_import.target(uow, ada.caller.account.id)

    def write(thread: int) -> None:
        if thread % 2:
            for n in range(EACH):
                start, end = slot(thread, n)
                upsert(services, ada, event_id=f"t{thread}-{n}", start=wire(start), end=wire(end))
        else:
            for n in range(5):  # 5 files of 4 new events each, then the first file again (updates only)
                uids = [f"t{thread}-f{n}-{k}@example.com" for k in range(4)]
                parsed = ics_import.read(ics(uids, 10 + thread), read_resource, where.owners, window)
                services.run(lambda uow: ics_import.apply(uow, where, parsed, utcnow()))
            uids = [f"t{thread}-f0-{k}@example.com" for k in range(4)]
            parsed = ics_import.read(ics(uids, 30 + thread), read_resource, where.owners, window)
            services.run(lambda uow: ics_import.apply(uow, where, parsed, utcnow()))

    together(THREADS, write)

    stored = assert_consistent(services, [ada.calendar_id])[ada.calendar_id]
    assert len(stored) == THREADS * EACH
    upserted = sorted(e[3] for e in entries(stored) if e[3] is not None)
    assert upserted == sorted(f"t{t}-{n}" for t in range(1, THREADS, 2) for n in range(EACH))


# -- transactions that do not commit ------------------------------------------------------


def _person(services: Any) -> Person:
    app = make_application(services, features={"no_calendar"})
    ada = connect_no_access(services, app, "ada@example.com")
    upsert(services, ada, event_id="kept", start="2027-01-11T09:00:00Z", end="2027-01-11T10:00:00Z")
    upsert(services, ada, event_id="moved", start="2027-01-11T11:00:00Z", end="2027-01-11T12:00:00Z")
    return ada


def _command(event_id: str, start: str, end: str) -> events.EventInput:
    return events.EventInput.from_params({"event_id": event_id, "summary": "Rolled back", "start": start, "end": end})


def test_a_rolled_back_transaction_leaves_the_timeline_as_it_was(services):
    """A transaction adds, moves and deletes events and reads its own timeline (which brings
    the stored one up to date inside the transaction), then ends without committing: the
    stored row is byte for byte what it was, and still equals the rebuild."""
    ada = _person(services)
    before = stored_row(services, ada.calendar_id)
    with services.uow() as uow:
        now = utcnow()
        events.upsert(uow, ada.caller, ada.calendar_id, _command("new", "2027-01-12T09:00:00Z", "2027-01-12T10:00:00Z"), now)
        events.upsert(uow, ada.caller, ada.calendar_id, _command("moved", "2027-01-13T09:00:00Z", "2027-01-13T10:00:00Z"), now)
        events.delete(uow, ada.caller, ada.calendar_id, "kept", now)
        inside = uow.busy_timelines.of_calendars([ada.calendar_id], refs=True)[ada.calendar_id]
        assert [e[3] for e in entries(inside)] == ["new", "moved"]  # the transaction sees its own writes
        uow.rollback()
        # The same unit of work goes on after its rollback: what it noted before is forgotten.
        upsert_after = _command("after", "2027-01-14T09:00:00Z", "2027-01-14T10:00:00Z")
        events.upsert(uow, ada.caller, ada.calendar_id, upsert_after, utcnow())
        # … and leaves without committing again.
    assert stored_row(services, ada.calendar_id) == before
    stored = assert_consistent(services, [ada.calendar_id])[ada.calendar_id]
    assert sorted(e[3] for e in entries(stored)) == ["kept", "moved"]


def test_a_unit_of_work_that_fails_leaves_the_timeline_as_it_was(services):
    """``Services.run`` whose work fails after writing (here, an import whose second file
    part is refused once the first is written) rolls back the events and the timeline."""
    ada = _person(services)
    before = stored_row(services, ada.calendar_id)
    window = ics_import.Window.checked(dt.datetime(2027, 1, 1, tzinfo=UTC), dt.datetime(2027, 3, 1, tzinfo=UTC))
    with services.uow() as uow:
        where = ics_import.target(uow, ada.caller.account.id)
    parsed = ics_import.read(ics(["a@example.com", "b@example.com"], 3), read_resource, where.owners, window)

    class Refused(Exception):
        pass

    def work(uow: Any) -> None:
        ics_import.apply(uow, where, parsed, utcnow())
        events.upsert(uow, ada.caller, ada.calendar_id, _command("moved", "2027-01-20T09:00:00Z", "2027-01-20T10:00:00Z"), utcnow())
        uow.busy_timelines.of_calendars([ada.calendar_id])  # brought up to date inside the transaction
        raise Refused

    with pytest.raises(Refused):
        services.run(work)
    assert stored_row(services, ada.calendar_id) == before
    assert_consistent(services, [ada.calendar_id])


# -- a stale read -----------------------------------------------------------------------------


@SERVICES_ON_POSTGRESQL
def test_a_reply_that_lands_during_an_upsert_is_not_lost_from_the_timeline(services):
    """An upsert reads the event; before it commits, the person declines it (another
    transaction, committed); the upsert then moves it. The row is declined at the new time, so
    the person is free; the timeline must say so too. (PostgreSQL: on SQLite the upsert's
    transaction holds the write lock from its first read, so the reply waits.)"""
    app = make_application(services, features={"no_calendar"})
    ada = connect_no_access(services, app, "ada@example.com")
    event = upsert(services, ada, event_id="x", start="2027-01-11T09:00:00Z", end="2027-01-11T10:00:00Z")
    with services.uow() as moving:
        held = moving.events.by_event_id(ada.calendar_id, "x")  # the upsert's own first read
        with services.uow() as reply:
            events.set_participation_status(reply, ada.caller.account.id, event.id, "declined", utcnow())
            reply.commit()
        moved = events.upsert(moving, ada.caller, ada.calendar_id, _command("x", "2027-01-11T11:00:00Z", "2027-01-11T12:00:00Z"), utcnow())
        assert moved is held
        moving.commit()
    with services.uow() as uow:
        assert uow.events.by_event_id(ada.calendar_id, "x").participation_status == "declined"
    assert_consistent(services, [ada.calendar_id])
