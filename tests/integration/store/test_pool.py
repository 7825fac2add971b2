# SPDX-License-Identifier: Apache-2.0
"""The PostgreSQL pool (store/db.py): sized by the settings, warm connections used without a
ping, a connection idle for a second pinged before use and, when its server process is gone,
replaced without the request seeing it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from calgate.domain.errors import StoreUnavailable
from calgate.store import db
from calgate.store.unit_of_work import Database
from tests.support.server import DEFAULT_PG


@pytest.fixture
def engine() -> Iterator[Engine]:
    url = make_url(os.environ.get("CALGATE_TEST_DATABASE_URL", DEFAULT_PG)).set(drivername="postgresql+psycopg")
    built = db.make_engine(url.render_as_string(hide_password=False), pool_size=3, max_overflow=2)
    try:
        yield built
    finally:
        built.dispose()


def pings(engine: Engine) -> list[Any]:
    """Record every ping the engine's dialect makes from now on."""
    made: list[Any] = []
    original = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        made.append(dbapi_connection)
        return original(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    return made


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_the_pool_is_sized_by_the_settings_and_reuses_the_last_connection_first(engine: Engine) -> None:
    assert engine.pool.size() == 3  # type: ignore[attr-defined]
    assert engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    with engine.connect() as a, engine.connect() as b:
        first, second = (int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in (a, b))
    assert first != second
    assert backend_pid(engine) == first  # b went back last, then a: a is on top (LIFO)


def test_a_warm_connection_is_used_without_a_ping(engine: Engine) -> None:
    backend_pid(engine)  # opened fresh: no ping
    made = pings(engine)
    for _ in range(20):
        backend_pid(engine)
    assert made == []


def test_a_connection_idle_for_a_second_is_pinged(engine: Engine) -> None:
    pid = backend_pid(engine)
    made = pings(engine)
    time.sleep(db.PING_AFTER_IDLE + 0.1)
    assert backend_pid(engine) == pid
    assert len(made) == 1


def test_a_connection_that_died_while_idle_is_replaced_before_use(engine: Engine) -> None:
    pid = backend_pid(engine)
    other = create_engine(engine.url)
    try:
        with other.connect() as conn:  # as a PostgreSQL restart would, for this connection
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        other.dispose()
    time.sleep(db.PING_AFTER_IDLE + 0.1)
    made = pings(engine)
    fresh = backend_pid(engine)  # no error: the ping found it dead and the pool reconnected
    assert fresh != pid and len(made) == 1


def test_sqlite_keeps_its_own_pool(tmp_path: Any) -> None:
    built = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}", pool_size=3, max_overflow=2)
    try:
        with built.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        built.dispose()


def test_a_pool_with_no_connection_free_in_time_is_unavailable_not_an_error() -> None:
    """Every connection busy for longer than the pool waits: a 503 with Retry-After (the
    request may be tried again), not a 500."""
    url = make_url(os.environ.get("CALGATE_TEST_DATABASE_URL", DEFAULT_PG)).set(drivername="postgresql+psycopg")
    small = db.make_engine(url.render_as_string(hide_password=False), pool_size=1, max_overflow=0, pool_timeout=0.2)
    database = Database(small)
    try:
        with small.connect() as held:
            held.execute(text("SELECT 1"))
            with pytest.raises(StoreUnavailable), database.uow() as uow:
                uow.session.execute(text("SELECT 1"))
        with database.uow() as uow:  # free again: served
            assert uow.session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        small.dispose()
