# SPDX-License-Identifier: Apache-2.0
"""Syncing a connected profile now, in the foreground (``calgate sync``), exactly as a worker
would, without ever running beside a worker's sync of the same account.

Why not call ``domain.sync`` directly: the sync job (``ProviderJobs.sync_profile``) is more than
the sync. It opens the credentials (and a service account's), keeps refreshed OAuth tokens,
backs off after failures, disconnects on refused credentials and queues the next sync. So the
command runs that same handler, as the job it is: the profile's waiting sync job is brought
forward to now and claimed in one transaction, by the rules a worker claims by (jobs sharing
the account's ordering key run one at a time, oldest first, and a job under a live lease is a
worker's), then run here and recorded as done. A worker's sync of the account that is running
meanwhile is waited for, never overlapped; the next sync is queued by the handler as always.

Progress is reported per calendar: the provider's source is watched as the handler uses it
(its calendar list, then each calendar read), so the handler needs no hooks of its own.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from calgate.domain import model, sync
from calgate.domain.calendar_sources import CalendarSource, RemoteCalendar
from calgate.domain.model import utcnow
from calgate.domain.ports import SecretBox
from calgate.jobs.provider_jobs import ProviderJobs
from calgate.jobs.runner import backoff
from calgate.providers.registry import Providers
from calgate.store.unit_of_work import Database


@dataclass(frozen=True)
class Step:
    """What a sync is doing: ``calendars`` (their ``names``, found at the provider), then
    ``reading`` and ``read`` of calendar ``index`` (from 0) named ``name``."""

    profile_id: str
    kind: str
    index: int = 0
    total: int = 0
    name: str = ""
    names: tuple[str, ...] = ()


Listener = Callable[[Step], None]


@dataclass(frozen=True)
class Outcome:
    profile_id: str
    account_id: str
    provider: str
    name: str
    ok: bool
    message: str  # what failed (safe to show: the profile's sync_error), or "synced"
    calendars: int = 0


def syncable(profile: model.Profile) -> bool:
    """A profile a sync reads: a provider's, with credentials, not revoked."""
    return profile.credentials_sealed is not None and profile.revoked_at is None


def profiles_of_account(db: Database, account_id: str) -> list[model.Profile] | None:
    """The account's syncable profiles; None for an unknown account."""
    with db.uow() as uow:
        if uow.accounts.get(account_id) is None:
            return None
        return [p for p in uow.profiles.of_account(account_id) if syncable(p)]


def all_profiles(db: Database, application_id: str | None = None) -> list[model.Profile]:
    """Every syncable profile, or those of one application's accounts (by id or client_id)."""
    with db.uow() as uow:
        applications = uow.applications.all()
        if application_id is not None:
            applications = [a for a in applications if application_id in (a.id, a.client_id)]
        return [
            profile
            for application in applications
            for account in uow.accounts.of_application(application.id)
            for profile in uow.profiles.of_account(account.id)
            if syncable(profile)
        ]


@dataclass
class SyncNow:
    db: Database
    box: SecretBox
    providers: Providers
    interval: dt.timedelta
    lease_seconds: int = 300  # the job runner's: a claim here is as long as a worker's
    poll_seconds: float = 0.5

    def run(self, profile_id: str, listener: Listener | None = None, wait: float = 300) -> Outcome:
        """Sync one profile now (after a worker's sync of its account that is running, waiting
        at most ``wait`` seconds for it) and say how it went."""
        started = utcnow()
        profile = self._profile(profile_id)
        if profile is None or not syncable(profile):
            return Outcome(profile_id, profile.account_id if profile else "", "", "", False, "not a connected profile")
        if not profile.connected:
            return _outcome(profile, False, f"needs relinking: {profile.sync_error or 'the credentials were refused'}")
        deadline = time.monotonic() + wait
        ran: set[str] = set()  # the account's other jobs run here: each once at most
        while True:
            claimed = self._claim(profile, deadline, ran)
            if claimed is None:
                return _outcome(profile, False, f"a sync of the account was still running after {wait:.0f} s; try again")
            job_id, payload = claimed
            ran.add(job_id)
            mine = payload.get("profile_id") == profile_id
            # The account's next sync may be another profile's: it runs first (the queue's order), unwatched.
            calendars, error = self._run_job(job_id, payload, listener if mine else None)
            if mine:
                return self._result(profile_id, started, error, calendars)

    def _run_job(self, job_id: str, payload: dict[str, Any], listener: Listener | None) -> tuple[int, str | None]:
        """Run a claimed sync job with the job's own handler; (calendars seen, error)."""
        watched = _WatchedProviders(self.providers, str(payload.get("profile_id")), listener or (lambda step: None))
        handler = ProviderJobs(self.db, self.box, watched, self.interval)  # type: ignore[arg-type]
        error = None
        try:
            handler.sync_profile(payload, job_id)
        except Exception as exc:  # recorded on the job as a worker would, and reported
            error = f"{type(exc).__name__}: {exc}"
        self._finish(job_id, error)
        return watched.calendars, error

    def _profile(self, profile_id: str) -> model.Profile | None:
        with self.db.uow() as uow:
            return uow.profiles.get(profile_id)

    def _claim(self, profile: model.Profile, deadline: float, ran: set[str]) -> tuple[str, dict[str, Any]] | None:
        """Bring the profile's sync forward and claim the account's next sync job once no
        worker holds one: (its id, its payload); None when ``deadline`` passed first."""
        while True:
            with self.db.uow() as uow:
                claimed = self._try_claim(uow, profile.id, profile.account_id, ran)
                uow.commit()
            if claimed is not None:
                return claimed
            if time.monotonic() > deadline:
                return None
            time.sleep(self.poll_seconds)

    def _try_claim(self, uow: Any, profile_id: str, account_id: str, ran: set[str]) -> tuple[str, dict[str, Any]] | None:
        now = utcnow()
        current = uow.profiles.get(profile_id)
        if current is None:
            return None
        sync.request_sync(uow, current, now)  # a waiting sync brought forward, or a new one
        # The account's sync jobs, locked for update: a worker claiming one meanwhile finishes first.
        queue = sorted(uow.jobs.pending(sync.SYNC_JOB, f"sync:{account_id}"), key=lambda j: (j.created_at, j.id))
        if not queue:
            return None
        head = queue[0]  # jobs of one ordering key run oldest first, one at a time
        if head.locked_until is not None and head.locked_until > now:
            return None  # a worker is syncing this account right now
        if head.id in ran:
            return None  # run here already and failed: its retry is the job runner's, after its backoff
        head.locked_until = now + dt.timedelta(seconds=self.lease_seconds)
        head.attempts += 1
        return str(head.id), dict(head.payload)

    def _finish(self, job_id: str, error: str | None) -> None:
        """Record the job's outcome the way the job runner does."""
        with self.db.uow() as uow:
            job = uow.jobs.get(job_id)
            if job is not None:
                finished = utcnow()
                job.locked_until = None
                if error is None:
                    job.status, job.finished_at, job.last_error = "done", finished, None
                else:
                    job.last_error, job.run_after = error, finished + backoff(job.attempts)
            uow.commit()

    def _result(self, profile_id: str, started: dt.datetime, error: str | None, calendars: int) -> Outcome:
        profile = self._profile(profile_id)
        if profile is None or profile.revoked_at is not None:
            return Outcome(profile_id, profile.account_id if profile else "", "", "", False, "revoked while syncing")
        if error is not None:
            return _outcome(profile, False, error, calendars)
        if not profile.connected:
            return _outcome(profile, False, f"credentials refused, needs relinking: {profile.sync_error or ''}".rstrip(": "), calendars)
        if profile.last_synced_at is not None and profile.last_synced_at >= started:
            return _outcome(profile, True, "synced", calendars)
        return _outcome(profile, False, profile.sync_error or "the sync did not complete", calendars)


def _outcome(profile: model.Profile, ok: bool, message: str, calendars: int = 0) -> Outcome:
    return Outcome(profile.id, profile.account_id, profile.provider, profile.name, ok, message, calendars)


class _WatchedProviders:
    """``Providers`` whose sources tell ``listener`` what the sync reads."""

    def __init__(self, providers: Providers, profile_id: str, listener: Listener) -> None:
        self._providers, self._profile_id, self._listener = providers, profile_id, listener
        self.calendars = 0

    @contextlib.contextmanager
    def open(self, provider: str, credentials: dict[str, Any], stores_event_details: bool) -> Iterator[CalendarSource]:
        with self._providers.open(provider, credentials, stores_event_details) as source:
            yield _WatchedSource(source, self)  # type: ignore[misc]

    def tell(self, kind: str, index: int = 0, total: int = 0, name: str = "", names: tuple[str, ...] = ()) -> None:
        self._listener(Step(self._profile_id, kind, index, total, name, names))


class _WatchedSource:
    """A source that reports its calendar list and each calendar read; the rest passes through."""

    def __init__(self, source: CalendarSource, watcher: _WatchedProviders) -> None:
        self._source, self._watcher = source, watcher
        self._positions: dict[str, int] = {}

    def calendars(self) -> list[RemoteCalendar]:
        found = self._source.calendars()
        self._positions = {c.remote_id: i for i, c in enumerate(found)}
        self._watcher.calendars = len(found)
        self._watcher.tell("calendars", total=len(found), names=tuple(c.name for c in found))
        return found

    def changes(self, calendar: RemoteCalendar, *args: Any, **kwargs: Any) -> Any:
        with self._reading(calendar):
            return self._source.changes(calendar, *args, **kwargs)

    def busy(self, calendar: RemoteCalendar, *args: Any, **kwargs: Any) -> Any:
        with self._reading(calendar):
            return self._source.busy(calendar, *args, **kwargs)

    @contextlib.contextmanager
    def _reading(self, calendar: RemoteCalendar) -> Iterator[None]:
        index, total = self._positions.get(calendar.remote_id, 0), len(self._positions)
        self._watcher.tell("reading", index, total, calendar.name)
        try:
            yield
        finally:
            self._watcher.tell("read", index, total, calendar.name)

    def __getattr__(self, name: str) -> Any:  # identity, put, delete, close, credentials …
        return getattr(self._source, name)
