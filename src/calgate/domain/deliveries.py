# SPDX-License-Identifier: Apache-2.0
"""What has not gone out: the dashboard's Jobs page (the queue, and troubled deliveries).

``queue`` counts the jobs of a developer's applications that are not done, per kind: how
many wait, how many a worker holds, and how long the oldest due one has waited.

A delivery job (mail: ``send_mail``, ``send_invite``; push notifications:
``push_notification``, ``smart_invite_callback``, ``real_time_scheduling_callback``; writes into a person's calendar: ``provider_write``; Enterprise
Connect: ``service_account_authorization`` and its ``service_account_callback``) that fails is
retried with backoff by the job runner; after its last attempt it stays ``failed``. A developer sees those of their own
applications (the payload's ``application_id``), newest first, and may ask for one more try
now. Jobs of other developers are NotFound, exactly like ids that do not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from calgate.domain import model
from calgate.domain.errors import NotFound
from calgate.domain.ports import UnitOfWork

DELIVERY_KINDS = (
    "send_mail", "send_invite", "push_notification", "provider_write", "service_account_authorization", "service_account_callback",
    "smart_invite_callback", "real_time_scheduling_callback",
)


@dataclass(frozen=True)
class Delivery:
    job_id: str
    application_id: str
    application_name: str
    state: str  # "failed" (gave up) or "retrying"
    recipient: str
    what: str  # the subject, or the invitation's method and summary
    attempts: int
    last_error: str | None
    next_try: dt.datetime | None  # None once failed
    created_at: dt.datetime


def _describe(job: model.Job) -> tuple[str, str]:
    payload = job.payload
    if job.kind == "send_invite":
        to = payload.get("to") or {}
        summary = (payload.get("event") or {}).get("summary", "")
        return str(to.get("email", "")), f"{payload.get('method', '')} · {summary}"
    if job.kind == "push_notification":
        body = payload.get("body") or {}
        channel = body.get("channel") or {}
        return str(channel.get("callback_url", "")), f"push notification · {(body.get('notification') or {}).get('type', '')}"
    if job.kind == "smart_invite_callback":
        return str(payload.get("callback_url", "")), f"smart invite callback · {payload.get('smart_invite_id', '')}"
    if job.kind == "real_time_scheduling_callback":
        kind = ((payload.get("body") or {}).get("notification") or {}).get("type", "")
        return str(payload.get("callback_url", "")), f"real-time scheduling {kind} · {payload.get('real_time_scheduling_id', '')}"
    if job.kind == "provider_write":
        return "the person's calendar", f"event {payload.get('event_uid', '')}"
    if job.kind == "service_account_authorization":
        return str(payload.get("email", "")), f"authorize through {payload.get('service_account_id', '')}"
    if job.kind == "service_account_callback":
        return str(payload.get("callback_url", "")), f"authorization callback · {payload.get('email', '')}"
    return str(payload.get("to", "")), str(payload.get("subject", ""))


def troubled(uow: UnitOfWork, developer_id: str) -> list[Delivery]:
    apps = {a.id: a.name for a in uow.applications.of_developer(developer_id)}
    rows = []
    for job in uow.jobs.troubled(list(apps)):
        if job.kind not in DELIVERY_KINDS:
            continue
        recipient, what = _describe(job)
        failed = job.status == "failed"
        rows.append(
            Delivery(
                job_id=job.id,
                application_id=str(job.payload["application_id"]),
                application_name=apps.get(str(job.payload["application_id"]), ""),
                state="failed" if failed else "retrying",
                recipient=recipient,
                what=what,
                attempts=job.attempts,
                last_error=job.last_error,
                next_try=None if failed else job.run_after,
                created_at=job.created_at,
            )
        )
    return rows


def retry_now(uow: UnitOfWork, developer_id: str, job_id: str, now: dt.datetime) -> model.Job:
    """Make the job due now; a failed one gets one more attempt (and fails again after it if
    the cause remains). A job a worker holds right now is left to that worker."""
    own = {a.id for a in uow.applications.of_developer(developer_id)}
    job = uow.jobs.get(job_id)
    if job is None or job.kind not in DELIVERY_KINDS or job.payload.get("application_id") not in own:
        raise NotFound("delivery")
    if job.status == "done" or (job.locked_until is not None and job.locked_until > now):
        return job
    job.status, job.finished_at, job.run_after = "pending", None, now
    return job


@dataclass(frozen=True)
class QueueSummary:
    """The developer's job queue at a glance: per kind, and the totals the page leads with."""

    rows: list[model.QueueRow]
    now: dt.datetime

    @property
    def depth(self) -> int:
        return sum(r.pending for r in self.rows)

    @property
    def failed(self) -> int:
        return sum(r.failed for r in self.rows)

    @property
    def oldest_due_age(self) -> dt.timedelta | None:
        """How long the longest-waiting due job has waited (None: nothing is waiting)."""
        oldest = min((r.oldest_due for r in self.rows if r.oldest_due is not None), default=None)
        return None if oldest is None else max(self.now - oldest, dt.timedelta(0))

    def age_of(self, row: model.QueueRow) -> dt.timedelta | None:
        return None if row.oldest_due is None else max(self.now - row.oldest_due, dt.timedelta(0))


def queue(uow: UnitOfWork, developer_id: str, now: dt.datetime) -> QueueSummary:
    """The jobs of the developer's applications that are not done: syncs, mail, webhooks, …"""
    apps = [a.id for a in uow.applications.of_developer(developer_id)]
    return QueueSummary(uow.jobs.queue(apps, now), now)
