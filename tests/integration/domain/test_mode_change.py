# SPDX-License-Identifier: Apache-2.0
"""``domain/mode_change`` on both databases, below the connect flow: a downgrade turns the
person's events into busy blocks and deletes their rows (deleted ones too) in one
transaction, and a sync that was reading in the old mode while the person changed it writes
nothing (its details, or its busy blocks, belong to a mode the profile is no longer in)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from calgate.domain import mode_change, sync
from calgate.domain.calendar_sources import BusyBlock, Changes, EventTimeValue, RemoteCalendar, RemoteOccurrence, RemoteResource
from calgate.domain.model import utcnow
from calgate.store import tables
from tests.integration.jobs.test_sync_jobs import caldav_profile
from tests.integration.store._timelines import assert_consistent

CAL = RemoteCalendar("https://dav.example/ada/cal/", "Calendar")
DAY = (utcnow() + dt.timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


def occurrence(uid: str, hour: int, **extra: str) -> RemoteResource:
    start, end = DAY + dt.timedelta(hours=hour), DAY + dt.timedelta(hours=hour + 1)
    value = RemoteOccurrence(
        uid=uid, recurrence_id=None, summary=f"Secret {uid}", description="papers", location="Room 1",
        start=EventTimeValue(start.strftime("%Y-%m-%dT%H:%M:%SZ"), "Etc/UTC"), end=EventTimeValue(end.strftime("%Y-%m-%dT%H:%M:%SZ"), "Etc/UTC"),
        start_at=start, end_at=end, attendees=[{"email": "guest@example.com"}], **extra,  # type: ignore[arg-type]
    )
    return RemoteResource(f"{CAL.remote_id}{uid}.ics", f'"{uid}"', uid, [value])


def read_write_fetch(plan: sync.Plan, *resources: RemoteResource) -> sync.Fetched:
    now = utcnow()
    return sync.Fetched(plan, [CAL], changes={CAL.remote_id: Changes(list(resources), [], "token-1", True)},
                        tokens={CAL.remote_id: sync.SyncState("token-1", now)})


def own_rows(services) -> int:  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(tables.events).where(tables.events.c.event_id.is_(None))))


def test_a_downgrade_keeps_busy_time_and_no_row_of_the_persons_events(services):  # type: ignore[no-untyped-def]
    profile = caldav_profile(services, CAL.remote_id)
    with services.uow() as uow:
        fetched = read_write_fetch(sync.plan(uow, profile.id), occurrence("a", 9), occurrence("b", 11, status="tentative"),
                                   occurrence("c", 13, transparency="transparent"), occurrence("d", 15))
        assert sync.apply(uow, fetched, utcnow())
        uow.commit()
    with services.uow() as uow:  # one of them deleted at the provider: its row stays, marked deleted
        assert sync.apply(uow, read_write_fetch(sync.plan(uow, profile.id), occurrence("a", 9), occurrence("b", 11, status="tentative"),
                                                occurrence("c", 13, transparency="transparent")), utcnow())
        uow.commit()
    assert own_rows(services) == 4

    with services.uow() as uow:
        what = mode_change.change(uow, uow.profiles.get(profile.id), "free_busy", [CAL], utcnow())
        assert what.erases_details and what.hands_over
        uow.commit()
    assert own_rows(services) == 0
    with services.uow() as uow:
        [calendar] = uow.calendars.of_profile(profile.id)
        blocks = [(b.start_at.hour, b.end_at.hour, b.status) for b in uow.busy_blocks.of_calendar(calendar.id)]
        assert uow.profiles.get(profile.id).access_mode == "free_busy" and calendar.sync_state is None
    assert blocks == [(9, 10, "busy"), (11, 12, "tentative")]  # transparent and deleted were free
    assert_consistent(services)


def test_a_sync_read_in_the_old_mode_writes_nothing(services):  # type: ignore[no-untyped-def]
    profile = caldav_profile(services, CAL.remote_id)
    with services.uow() as uow:
        sync.match_calendars(uow, uow.profiles.get(profile.id), [CAL], utcnow())
        uow.commit()
    with services.uow() as uow:
        stale = read_write_fetch(sync.plan(uow, profile.id), occurrence("a", 9))  # read with details…
        mode_change.change(uow, uow.profiles.get(profile.id), "free_busy", [CAL], utcnow())  # …while the person chose free_busy
        uow.commit()
    with services.uow() as uow:
        assert sync.apply(uow, stale, utcnow()) is False
        uow.commit()
    assert own_rows(services) == 0

    with services.uow() as uow:
        plan = sync.plan(uow, profile.id)
        busy = sync.Fetched(plan, [CAL], busy={CAL.remote_id: [BusyBlock(DAY, DAY + dt.timedelta(hours=1), "busy")]})
        mode_change.change(uow, uow.profiles.get(profile.id), "read_write", [CAL], utcnow())
        uow.commit()
    with services.uow() as uow:
        assert sync.apply(uow, busy, utcnow()) is False
        [calendar] = uow.calendars.of_profile(profile.id)
        assert uow.busy_blocks.of_calendar(calendar.id) == []
    assert_consistent(services)
