# SPDX-License-Identifier: Apache-2.0
"""The unit of work: one session, one transaction, every repository.

Leaving the ``with`` block without ``commit()`` rolls back. Objects stay usable after commit
(``expire_on_commit=False``) so the HTTP layer can render what a service returned.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from calgate.domain.errors import StoreUnavailable
from calgate.store import auth_queries, busy_timelines, job_queue, orm, repositories, scheduling_links, smart_invites
from calgate.store.db import ERASED, read_only_engine, wipe_erased


def unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database could not be reached or used right now (connection
    refused or lost, server shutting down or starting, SQLite busy), as opposed to a problem
    with the statement or the data (those keep their own errors, e.g. serialization failures,
    SQLSTATE 40001, which the caller retries). A pool with no connection free within its
    timeout is busy, not broken: also "try again shortly"."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))  # connection exception, operator intervention


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session], read_only: bool = False) -> None:
        self._factory = session_factory
        self.read_only = read_only

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = self._factory()
        self.developers = repositories.Developers(self.session)
        self.applications = repositories.Applications(self.session)
        self.accounts = repositories.Accounts(self.session)
        self.profiles = repositories.Profiles(self.session)
        self.calendars = repositories.Calendars(self.session)
        self.events = repositories.Events(self.session)
        self.busy_blocks = repositories.BusyBlocks(self.session)
        self.busy_timelines = busy_timelines.BusyTimelines(self.session)
        self.subscriptions = repositories.CalendarSubscriptions(self.session)
        self.availability_rules = repositories.AvailabilityRules(self.session)
        self.available_periods = repositories.AvailablePeriods(self.session)
        self.grants = repositories.Grants(self.session)
        self.service_accounts = repositories.ServiceAccounts(self.session)
        self.tokens = repositories.Tokens(self.session)
        self.access = auth_queries.Access(self.session)
        self.codes = repositories.Codes(self.session)
        self.element_tokens = repositories.ElementTokens(self.session)
        self.verifications = repositories.Verifications(self.session)
        self.jobs = job_queue.Jobs(self.session)
        self.channels = repositories.Channels(self.session)
        self.smart_invites = smart_invites.SmartInvites(self.session)
        self.smart_invite_recipients = smart_invites.SmartInviteRecipients(self.session)
        self.scheduling_links = scheduling_links.SchedulingLinks(self.session)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> None:
        # close() rolls back whatever was not committed and detaches the objects without
        # expiring them, so what a service returned can still be rendered.
        try:
            self.session.close()
        except DBAPIError:
            if exc is None:
                raise
        if exc is not None and unreachable(exc):
            raise StoreUnavailable("The database is not answering right now; try again shortly") from exc

    def commit(self) -> None:
        if self.read_only:
            raise ReadOnly("a reader's unit of work cannot commit: use Services.uow() or run()")
        repositories.flush(self.session)
        erased = self.session.info.pop(ERASED, False)
        self.session.commit()
        if erased:
            wipe_erased(self.session.get_bind().engine)

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        repositories.flush(self.session)


class ReadOnly(RuntimeError):
    """A reader's unit of work was asked to write: a bug, never an answer."""


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnly("a reader's unit of work cannot write: use Services.uow() or run()")


class Database:
    """What the app holds: the engine and the factories of units of work (``uow`` for work
    that may write, ``reader`` for reads alone)."""

    def __init__(self, engine: Engine) -> None:
        orm.start_mappers()
        self.engine = engine
        self.session_factory = sessionmaker(engine, expire_on_commit=False)
        self.read_factory = sessionmaker(read_only_engine(engine), expire_on_commit=False)
        event.listen(self.read_factory, "before_flush", _refuse_writes)
        busy_timelines.install(self.session_factory)
        self._commit_listeners: list[Callable[[], None]] = []
        event.listen(self.session_factory, "after_commit", self._after_commit)

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every commit (the in-process job runner wakes up on it)."""
        self._commit_listeners.append(listener)

    def _after_commit(self, _session: Session) -> None:
        for listener in self._commit_listeners:
            listener()

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.session_factory)

    def reader(self) -> SqlUnitOfWork:
        """A unit of work that only reads (``store.db.read_only_engine``); a write or a commit
        in it raises ``ReadOnly``."""
        return SqlUnitOfWork(self.read_factory, read_only=True)

    def dispose(self) -> None:
        self.engine.dispose()
