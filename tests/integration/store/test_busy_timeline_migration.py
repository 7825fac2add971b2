# SPDX-License-Identifier: Apache-2.0
"""Migration 0009 builds a busy timeline for every calendar that existed before it, from the
rows as they are (issue 18), on SQLite and PostgreSQL.

A database is migrated to 0008 and filled by plain SQL, as rows written before timelines
existed look: timed events in UTC and in zones, an all-day one whose JSON has its keys the
other way round and spaces, a zone written with an escaped slash, free ones (transparent,
declined, deleted), a tentative one, a zero-length one, an empty calendar, and a free_busy
calendar's busy blocks. Upgraded to head, every calendar has a timeline equal to the rebuild,
holding exactly the busy entries of those rows; a later write through the domain keeps it so,
and downgrading to 0008 and upgrading again builds the same timelines.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, text

from calgate.domain import events
from calgate.domain.model import utcnow
from calgate.services import create_services
from calgate.store.db import make_engine
from calgate.store.migrate import alembic_config, upgrade
from tests.conftest import BACKENDS
from tests.integration.store._timelines import assert_consistent, entries, stored_row
from tests.support.server import database_url, make_settings

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


def stamp(engine: Engine, moment: dt.datetime) -> str:
    """A timestamp as each database's DateTime(timezone=True) column holds it."""
    if engine.dialect.name == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.isoformat()


def insert(engine: Engine, table: str, json_columns: tuple[str, ...] = (), **values: Any) -> None:
    names = list(values)
    casts = [f"CAST(:{n} AS JSON)" if n in json_columns and engine.dialect.name == "postgresql" else f":{n}" for n in names]
    sql = f'INSERT INTO {table} ({", ".join(chr(34) + n + chr(34) for n in names)}) VALUES ({", ".join(casts)})'
    with engine.begin() as connection:
        connection.execute(text(sql), values)


def at(engine: Engine, day: int, hour: int, minute: int = 0) -> str:
    return stamp(engine, dt.datetime(2027, 1, day, hour, minute, tzinfo=dt.timezone.utc))


# (id, start JSON, end JSON, start_at, end_at, transparency, participation_status, deleted, event_id)
def event_rows(engine: Engine) -> list[tuple[Any, ...]]:
    return [
        ("evt_utc", '{"time":"2027-01-11T09:00:00Z","tzid":"Etc/UTC"}', '{"time":"2027-01-11T10:00:00Z","tzid":"Etc/UTC"}',
         at(engine, 11, 9), at(engine, 11, 10), "opaque", "accepted", False, "own-1"),
        ("evt_ktm", '{"time":"2027-01-11T03:15:00Z","tzid":"Asia/Kathmandu"}', '{"time":"2027-01-11T04:00:00Z","tzid":"Asia/Kathmandu"}',
         at(engine, 11, 3, 15), at(engine, 11, 4), "opaque", "tentative", False, None),
        ("evt_day", '{ "tzid" : "Asia/Kathmandu", "time" : "2027-01-12" }', '{ "tzid" : "Asia/Kathmandu", "time" : "2027-01-14" }',
         at(engine, 12, 0), at(engine, 14, 0), "opaque", "needs_action", False, None),
        ("evt_escaped", '{"time":"2027-01-13T09:00:00Z","tzid":"Europe\\/Berlin"}', '{"time":"2027-01-13T09:30:00Z","tzid":"Europe\\/Berlin"}',
         at(engine, 13, 9), at(engine, 13, 9, 30), "opaque", "accepted", False, None),
        ("evt_zero", '{"time":"2027-01-13T12:00:00Z","tzid":"Etc/UTC"}', '{"time":"2027-01-13T12:00:00Z","tzid":"Etc/UTC"}',
         at(engine, 13, 12), at(engine, 13, 12), "opaque", "accepted", False, None),
        ("evt_transparent", '{"time":"2027-01-11T13:00:00Z"}', '{"time":"2027-01-11T14:00:00Z"}',
         at(engine, 11, 13), at(engine, 11, 14), "transparent", "accepted", False, None),
        ("evt_declined", '{"time":"2027-01-11T15:00:00Z"}', '{"time":"2027-01-11T16:00:00Z"}',
         at(engine, 11, 15), at(engine, 11, 16), "opaque", "declined", False, None),
        ("evt_deleted", '{"time":"2027-01-11T17:00:00Z"}', '{"time":"2027-01-11T18:00:00Z"}',
         at(engine, 11, 17), at(engine, 11, 18), "opaque", "accepted", True, None),
    ]


EXPECTED_FIRST = [  # what the first calendar's timeline must hold (see ``_timelines.entries``)
    ("2027-01-11T03:15:00Z", "2027-01-11T04:00:00Z", "tentative", None, False),
    ("2027-01-11T09:00:00Z", "2027-01-11T10:00:00Z", "busy", "own-1", False),
    ("2027-01-12", "2027-01-14", "busy", None, False),
    ("2027-01-13T09:00:00Z", "2027-01-13T09:30:00Z", "busy", None, False),
    ("2027-01-13T12:00:00Z", "2027-01-13T12:00:00Z", "busy", None, False),
]
EXPECTED_BLOCKS = [
    ("2027-01-11T08:00:00Z", "2027-01-11T09:00:00Z", "busy", None, True),
    ("2027-01-12T08:00:00Z", "2027-01-12T08:30:00Z", "tentative", None, True),
]


def fill(engine: Engine) -> None:
    """Rows as they were before 0009, by plain SQL."""
    now = stamp(engine, NOW)
    insert(engine, "developers", email="dev@example.com", id="dev_1", password_hash="x", created_at=now)
    insert(
        engine, "applications", ("redirect_uris",), id="app_1", developer_id="dev_1", name="Old", client_id="cid_1",
        client_secret_digest="digest_1", client_secret_sealed="sealed", redirect_uris='["http://localhost/cb"]',
        free_busy_enabled=True, no_calendar_enabled=True, created_at=now,
    )
    for account, provider, mode in (("acc_1", "cronofy", "no_calendar"), ("acc_2", "caldav", "free_busy")):
        insert(engine, "accounts", id=account, application_id="app_1", email=f"{account}@example.com", name=account,
               default_tzid="Asia/Kathmandu", created_at=now)
        insert(engine, "profiles", id=f"pro_{account}", account_id=account, provider=provider, access_mode=mode,
               name=f"{account}@example.com", connected=True, created_at=now)
    for calendar, account, primary in (("cal_1", "acc_1", True), ("cal_empty", "acc_1", False), ("cal_blocks", "acc_2", True)):
        insert(engine, "calendars", id=calendar, account_id=account, profile_id=f"pro_{account}", name=calendar,
               primary=primary, readonly=False, deleted=False, created_at=now)
    for uid, start, end, start_at, end_at, transparency, partstat, deleted, event_id in event_rows(engine):
        insert(
            engine, "events", ("start", "end", "reminders", "attendees"), id=uid, calendar_id="cal_1", account_id="acc_1",
            application_id="app_1" if event_id else None, event_id=event_id, summary="Before timelines",
            start=start, end=end, start_at=start_at, end_at=end_at, reminders="[]", transparency=transparency,
            attendees="[]", participation_status=partstat, sequence=0, fingerprint="f", deleted=deleted,
            created_at=now, updated_at=now,
        )
    for block, (start, end), status in (("blk_1", (at(engine, 11, 8), at(engine, 11, 9)), "busy"),
                                        ("blk_2", (at(engine, 12, 8), at(engine, 12, 8, 30)), "tentative")):
        insert(engine, "busy_blocks", id=block, calendar_id="cal_blocks", account_id="acc_2", start_at=start, end_at=end, status=status)


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrating_builds_every_calendars_timeline_from_its_rows(backend: str, tmp_path: Path) -> None:
    with database_url(backend, tmp_path) as url:
        engine = make_engine(url)
        try:
            upgrade(engine, "0008_event_tags")
            fill(engine)
            upgrade(engine)
            services = create_services(make_settings(url, tmp_path))
            try:
                stored = assert_consistent(services)
                assert sorted(stored) == ["cal_1", "cal_blocks", "cal_empty"]
                assert entries(stored["cal_1"]) == EXPECTED_FIRST
                assert entries(stored["cal_blocks"]) == EXPECTED_BLOCKS
                assert len(stored["cal_empty"]) == 0
                zones = {ref[0]: ref[3:] for ref in stored["cal_1"].refs or []} | {a.ref[0]: a.ref[3:] for a in stored["cal_1"].apart}
                assert zones == {
                    "evt_utc": ("Etc/UTC", "Etc/UTC"), "evt_ktm": ("Asia/Kathmandu", "Asia/Kathmandu"),
                    "evt_day": ("Asia/Kathmandu", "Asia/Kathmandu"), "evt_escaped": ("Europe/Berlin", "Europe/Berlin"),
                    "evt_zero": ("Etc/UTC", "Etc/UTC"),
                }
                first = [stored_row(services, c) for c in sorted(stored)]

                # A later write through the domain (revising the stored timeline) keeps it right.
                with services.uow() as uow:
                    events.set_participation_status(uow, "acc_1", "evt_day", "declined", utcnow())
                    events.set_participation_status(uow, "acc_1", "evt_declined", "accepted", utcnow())
                    events.set_participation_status(uow, "acc_1", "evt_escaped", "tentative", utcnow())
                    uow.commit()
                stored = assert_consistent(services)
                assert [e[:2] for e in entries(stored["cal_1"])] == [
                    ("2027-01-11T03:15:00Z", "2027-01-11T04:00:00Z"), ("2027-01-11T09:00:00Z", "2027-01-11T10:00:00Z"),
                    ("2027-01-11T15:00:00Z", "2027-01-11T16:00:00Z"), ("2027-01-13T09:00:00Z", "2027-01-13T09:30:00Z"),
                    ("2027-01-13T12:00:00Z", "2027-01-13T12:00:00Z"),
                ]
                with services.uow() as uow:  # busy and free as they were
                    events.set_participation_status(uow, "acc_1", "evt_day", "accepted", utcnow())
                    events.set_participation_status(uow, "acc_1", "evt_declined", "declined", utcnow())
                    events.set_participation_status(uow, "acc_1", "evt_escaped", "accepted", utcnow())
                    uow.commit()
            finally:
                services.db.dispose()

            # Down to 0008 (the table goes) and up again: the same timelines, from the same rows.
            config = alembic_config(url)
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.downgrade(config, "0008_event_tags")
            upgrade(engine)
            services = create_services(make_settings(url, tmp_path))
            try:
                again = assert_consistent(services)
                assert [stored_row(services, c)[:3] for c in sorted(again)] == [row[:3] for row in first]  # type: ignore[index]
                assert entries(again["cal_1"]) == EXPECTED_FIRST
            finally:
                services.db.dispose()
        finally:
            engine.dispose()
