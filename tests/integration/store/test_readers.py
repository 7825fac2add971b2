# SPDX-License-Identifier: Apache-2.0
"""Units of work that only read (``Services.reader``, ``store.db.read_only_engine``): on
PostgreSQL no transaction (each statement on its own, as under READ COMMITTED anyway), on
SQLite no write lock (a reader reads beside a writer that holds it); writing in one raises."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, text

from calgate.domain import model
from calgate.store import tables
from calgate.store.unit_of_work import ReadOnly
from tests.support.factories import make_application


def test_a_reader_sees_what_was_committed(services) -> None:  # type: ignore[no-untyped-def]
    app = make_application(services, features={"no_calendar"})
    with services.reader() as uow:
        assert uow.applications.get(app.application_id).name == "Acme Scheduling"


def test_a_reader_cannot_write_or_commit(services) -> None:  # type: ignore[no-untyped-def]
    app = make_application(services, features={"no_calendar"})
    with pytest.raises(ReadOnly), services.reader() as uow:
        uow.applications.get(app.application_id).name = "Renamed"
        uow.session.flush()
    with pytest.raises(ReadOnly), services.reader() as uow:
        uow.commit()
    with services.uow() as uow:
        assert uow.applications.get(app.application_id).name == "Acme Scheduling"


@pytest.mark.parametrize("services", ["postgresql"], indirect=True)
def test_a_reader_on_postgresql_runs_each_statement_on_its_own(services) -> None:  # type: ignore[no-untyped-def]
    with services.reader() as uow:
        first = uow.session.execute(text("SELECT now()")).scalar_one()
        time.sleep(0.02)
        second = uow.session.execute(text("SELECT now()")).scalar_one()
        in_transaction = uow.session.connection().connection.driver_connection.info.transaction_status
    assert second > first  # now() is the transaction's start: two statements, two transactions
    assert in_transaction.name == "IDLE"
    with services.uow() as uow:  # a writer's unit of work is one transaction, as before
        first = uow.session.execute(text("SELECT now()")).scalar_one()
        time.sleep(0.02)
        assert uow.session.execute(text("SELECT now()")).scalar_one() == first


@pytest.mark.parametrize("services", ["sqlite"], indirect=True)
def test_a_reader_on_sqlite_does_not_wait_for_the_writer(services) -> None:  # type: ignore[no-untyped-def]
    app = make_application(services, features={"no_calendar"})
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with services.uow() as uow:  # BEGIN IMMEDIATE: the write lock until commit
            uow.applications.get(app.application_id).name = "Renamed"
            uow.flush()
            holding.set()
            release.wait(10)
            uow.commit()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert holding.wait(10)
        began = time.monotonic()
        with services.reader() as uow:  # reads the last committed state at once
            name = uow.session.scalars(select(tables.applications.c.name).where(tables.applications.c.id == app.application_id)).one()
        waited = time.monotonic() - began
    finally:
        release.set()
        thread.join()
    assert name == "Acme Scheduling" and waited < 1  # a writer's BEGIN IMMEDIATE would wait (busy_timeout 30 s)
    with services.reader() as uow:
        assert uow.session.get(model.Application, app.application_id).name == "Renamed"
