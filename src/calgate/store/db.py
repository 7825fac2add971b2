# SPDX-License-Identifier: Apache-2.0
"""Engines for the two supported databases.

SQLite (embedded default) runs in WAL mode with foreign keys on and a busy timeout, so the
server's request threads and its in-process job runner can share the file. PostgreSQL URLs
are normalised to the psycopg 3 driver.

PostgreSQL connections are pooled per process (``pool_size`` kept open, ``max_overflow`` more
under bursts; ``CALGATE_DATABASE_POOL_SIZE``/``_MAX_OVERFLOW``), most recently used first, so a
busy process keeps reusing warm connections. A connection is checked with a ``SELECT 1`` before
use only when it sat unused for ``PING_AFTER_IDLE`` seconds or more: a request then costs no
extra round trip under load (``pool_pre_ping`` costs one per unit of work, two per request), and
a connection that died while idle, e.g. across a PostgreSQL restart, is replaced before any
request sees it. One that died within the last second fails its request as the database being
unreachable (503, ``unit_of_work``), which also replaces every connection of the pool.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

PING_AFTER_IDLE = 1.0  # seconds a pooled PostgreSQL connection may sit unused and still go unchecked
READ_ONLY = "calgate_read_only"  # execution option of a reader's connection (``read_only_engine``)


def read_only_engine(engine: Engine) -> Engine:
    """``engine`` for units of work that only read, sharing its pool. On PostgreSQL in
    autocommit: no BEGIN and no ROLLBACK, two round trips fewer, the same answers (under READ
    COMMITTED each statement reads its own snapshot, in a transaction or not). On SQLite a
    plain, deferred BEGIN instead of BEGIN IMMEDIATE: readers do not queue behind the writer."""
    if is_sqlite(engine.url.render_as_string(hide_password=False)):
        return engine.execution_options(**{READ_ONLY: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT", **{READ_ONLY: True})


def normalize_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, pool_size: int | None = None, max_overflow: int | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``. ``pool_size`` and ``max_overflow`` size a PostgreSQL pool
    (SQLAlchemy's defaults when None; ignored for SQLite and with a ``poolclass``)."""
    url = normalize_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy issue BEGIN itself so transactions behave as on PostgreSQL.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Deleted rows are overwritten with zeros, not left in free pages: the details a
            # change to free_busy erases (``mode_change``) are gone from the file itself.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: no deadlocked upgrades between threads.
            # A reader (READ_ONLY) takes none: in WAL mode it reads a snapshot beside the writer.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    if "poolclass" not in kwargs:
        sizes = {"pool_size": pool_size, "max_overflow": max_overflow}
        kwargs = {"pool_use_lifo": True, **{k: v for k, v in sizes.items() if v is not None}, **kwargs}
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine, PING_AFTER_IDLE)
    return engine


ERASED = "calgate.erased"  # Session.info key: this transaction deleted what must leave the files too


def wipe_erased(engine: Engine) -> None:
    """After a commit that erased details (``Events.erase_own``): on SQLite, checkpoint the
    write-ahead log into the database file and truncate it, so the old versions of the erased
    pages leave the ``-wal`` file as well (``secure_delete`` already zeroed them in the new
    ones). On PostgreSQL the dead row versions stay in the table files until VACUUM lets them
    be overwritten, and in WAL archives and backups taken before (docs/guide/operations.md)."""
    if engine.url.get_backend_name() != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


def _ping_after_idle(engine: Engine, idle: float) -> None:
    """``pool_pre_ping``, only for connections unused for ``idle`` seconds or more. A failed
    ping replaces every connection of the pool, as ``pool_pre_ping`` does."""
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["calgate_returned_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("calgate_returned_at")
        if returned is None or time.monotonic() - returned < idle:
            return  # a fresh connection (its record's info is cleared on reconnect), or a warm one
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error  # the pool reconnects and tries again
            raise
