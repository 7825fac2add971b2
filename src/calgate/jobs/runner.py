# SPDX-License-Identifier: Apache-2.0
"""Run queued jobs: claim one, run its handler, record the outcome. Retries back off
exponentially (30 s, 1 min, 2 min … capped at 1 h) until ``max_attempts``; then the job is
``failed`` and stays visible. A handler that raises ``PermanentFailure`` (retrying cannot help:
a mail server's 5xx, say) fails the job at once. A job whose worker died is claimed again when
its lease ends. A job's outcome that cannot be written because the database is away is
written when it is back (within half the lease), so done work is not done twice."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any, Callable

from calgate.domain.errors import StoreUnavailable
from calgate.domain.model import utcnow
from calgate.store.job_queue import claim_due_job
from calgate.store.unit_of_work import Database

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any], str], None]  # (payload, job id)


class PermanentFailure(Exception):
    """The job cannot succeed by trying again; it fails now, visibly, with this message."""


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class JobRunner:
    def __init__(self, db: Database, handlers: dict[str, Handler], *, lease_seconds: int = 300, max_attempts: int = 10) -> None:
        self.db = db
        self.handlers = handlers
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: dt.datetime | None = None) -> bool:
        """Run at most one due job. True when one was run (successfully or not)."""
        now = now or utcnow()
        with self.db.uow() as uow:
            job = claim_due_job(uow.session, now, self.lease_seconds)
            if job is None:
                return False
            uow.commit()
            job_id, kind, payload, attempts = job.id, job.kind, dict(job.payload), job.attempts
        error: str | None = None
        final = False
        try:
            handler = self.handlers.get(kind)
            if handler is None:
                raise LookupError(f"no handler for job kind {kind!r}")
            handler(payload, job_id)
        except Exception as exc:  # any failure is recorded and retried, never lost
            error = f"{type(exc).__name__}: {exc}"
            final = isinstance(exc, PermanentFailure)
            log.warning("job %s (%s) attempt %d failed%s: %s", job_id, kind, attempts, " for good" if final else "", error)
        self._record(job_id, attempts, error, final)
        return True

    def _record(self, job_id: str, attempts: int, error: str | None, final: bool) -> None:
        """Write the job's outcome. The work is done (a message may be out): while the database
        is away (a restart, a failover) keep trying, for half the lease, rather than leave the
        job leased, to be run again when the lease ends."""
        deadline = time.monotonic() + self.lease_seconds / 2
        pause = 0.1
        while True:
            try:
                with self.db.uow() as uow:
                    job = uow.jobs.get(job_id)
                    assert job is not None
                    finished = utcnow()
                    job.locked_until = None
                    if error is None:
                        job.status, job.finished_at, job.last_error = "done", finished, None
                    else:
                        job.last_error = error
                        if final or attempts >= self.max_attempts:
                            job.status, job.finished_at = "failed", finished
                        else:
                            job.run_after = finished + backoff(attempts)
                    uow.commit()
                return
            except StoreUnavailable as exc:
                if time.monotonic() + pause > deadline:
                    raise
                log.warning("job %s: its outcome could not be recorded (%s); trying again", job_id, type(exc.__cause__).__name__)
                time.sleep(pause)
                pause = min(2 * pause, 5.0)

    def run_until_idle(self, limit: int = 1000) -> int:
        """Run due jobs until none is left (or ``limit``, or a stop was asked for)."""
        count = 0
        while count < limit and not self._stop.is_set() and self.run_once():
            count += 1
        return count

    def wake(self) -> None:
        self._wake.set()

    def _loop(self, poll_seconds: float) -> None:
        while not self._stop.is_set():
            try:
                self.run_until_idle()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("job runner round failed")
            self._wake.wait(poll_seconds)
            self._wake.clear()

    def start(self, poll_seconds: float = 1.0) -> None:
        self._thread = threading.Thread(target=self._loop, args=(poll_seconds,), name="calgate-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
