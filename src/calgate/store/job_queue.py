# SPDX-License-Identifier: Apache-2.0
"""The job queue's storage: the ``Jobs`` repository (enqueue, look up, what the dashboard
shows) and ``claim_due_job``, how a worker takes the next job. Kept apart from the other
repositories because the queue has rules of its own: jobs sharing an ordering key run one at a
time, oldest first, and a claim is a lease that ``SKIP LOCKED`` lets many workers take side by
side on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from calgate.domain import ids, model
from calgate.store.repositories import Repository


class Jobs(Repository[model.Job]):
    cls = model.Job

    def enqueue(
        self, kind: str, payload: dict[str, Any], ordering_key: str | None = None, run_after: dt.datetime | None = None
    ) -> model.Job:
        job = model.Job(id=ids.new_id("job"), kind=kind, payload=payload, ordering_key=ordering_key)
        if run_after is not None:
            job.run_after = run_after
        # Not flushed at once (as Repository.add does): no row references a job, so the jobs
        # of one request go in one INSERT when the unit of work flushes or commits.
        self.session.add(job)
        return job

    def pending(self, kind: str, ordering_key: str) -> list[model.Job]:
        """Locked for update: a worker claiming one of them meanwhile finishes its claim first,
        so the caller sees it as running rather than as still waiting."""
        stmt = select(model.Job).where(
            model.Job.kind == kind, model.Job.ordering_key == ordering_key, model.Job.status == "pending"
        ).with_for_update()
        return list(self.session.scalars(stmt))

    def troubled(self, application_ids: list[str], limit: int = 200) -> list[model.Job]:
        if not application_ids:
            return []
        stmt = (
            select(model.Job)
            .where(
                or_(model.Job.status == "failed", and_(model.Job.status == "pending", model.Job.last_error.is_not(None))),
                model.Job.payload["application_id"].as_string().in_(application_ids),
            )
            .order_by(model.Job.created_at.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def queue(self, application_ids: list[str], now: dt.datetime) -> list[model.QueueRow]:
        """Per kind, the not-finished jobs whose payload names one of ``application_ids``."""
        if not application_ids:
            return []
        job = model.Job
        pending = job.status == "pending"
        running = and_(pending, job.locked_until.is_not(None), job.locked_until > now)
        due = and_(pending, job.run_after <= now, or_(job.locked_until.is_(None), job.locked_until <= now))
        stmt = (
            select(
                job.kind,
                func.count().filter(pending),
                func.count().filter(running),
                func.count().filter(due),
                func.min(job.run_after).filter(due),
                func.count().filter(job.status == "failed"),
            )
            .where(job.status.in_(("pending", "failed")), job.payload["application_id"].as_string().in_(application_ids))
            .group_by(job.kind)
            .order_by(job.kind)
        )
        return [
            model.QueueRow(kind, int(waiting), int(busy), int(ready), oldest, int(failed))
            for kind, waiting, busy, ready, oldest, failed in self.session.execute(stmt)
        ]


def claim_due_job(session: Session, now: dt.datetime, lease_seconds: int) -> model.Job | None:
    """Take the oldest due job and lease it. ``SKIP LOCKED`` lets any number of workers on
    PostgreSQL claim side by side without double work; SQLite serialises writers already."""
    job_ = model.Job
    older = aliased(model.Job)
    earlier_pending = exists().where(
        older.ordering_key == job_.ordering_key,
        older.status == "pending",
        or_(older.created_at < job_.created_at, and_(older.created_at == job_.created_at, older.id < job_.id)),
    )
    stmt = (
        select(model.Job)
        .where(
            model.Job.status == "pending",
            model.Job.run_after <= now,
            or_(model.Job.locked_until.is_(None), model.Job.locked_until <= now),
            # Jobs sharing an ordering key run strictly one after another, oldest first.
            or_(job_.ordering_key.is_(None), ~earlier_pending),
        )
        .order_by(model.Job.run_after)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    job = session.scalars(stmt).first()
    if job is not None:
        job.locked_until = now + dt.timedelta(seconds=lease_seconds)
        job.attempts += 1
    return job
