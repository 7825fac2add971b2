# SPDX-License-Identifier: Apache-2.0
"""kill -9 of a `calgate worker` in the middle of a job, under load: the job it held is claimed
again when its lease ends and its invitation goes out once; nothing acknowledged is lost."""

from __future__ import annotations

import time

from sqlalchemy import update

from benchmarks.cluster import worker_holding
from benchmarks.workload import Load, drain, end_leases
from calgate.domain.model import Job, utcnow
from tests.integration.faults.conftest import Background

SMTP_DELAY = 0.1  # seconds the SMTP server takes over each message: the workers live inside jobs


def _kill_mid_send(rig) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """kill -9 the worker that is sending a message right now; its pid and that message's job id."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        workers = rig.cluster.live_workers()
        for port, (message_id, since) in rig.smtp.in_flight().items():
            if time.monotonic() - since > SMTP_DELAY / 3:
                continue  # too close to its answer: a kill might cross the server's 250
            pid = worker_holding(port, [w.pid for w in workers])
            if pid is not None and message_id:
                victim = next(w for w in workers if w.pid == pid)
                rig.cluster.kill9(victim)
                return victim.returncode, message_id.partition("@")[0]
        time.sleep(0.01)
    raise AssertionError("no worker was caught sending")


def test_a_worker_killed_mid_job_loses_nothing_and_sends_nothing_twice(rig_factory, report) -> None:  # type: ignore[no-untyped-def]
    rig = rig_factory(smtp_delay=SMTP_DELAY)
    background = Background(Load(rig.cluster.url, rig.seeded, clients=3, mix=(0.3, 0.3, 0.4)), seconds=4)
    background.at(1.5)
    returncode, job_id = _kill_mid_send(rig)
    assert returncode == -9
    rig.smtp.handler.delay = 0  # the point is made: full speed again
    rig.cluster.start_worker()  # its supervisor starts another (systemd's Restart=, compose's restart:)
    with rig.services.uow() as uow:
        held = uow.jobs.get(job_id)
        assert held is not None
        mid_job = held.status == "pending" and held.locked_until is not None and held.attempts == 1
        if mid_job:
            # Its lease (5 minutes) ends now, as the passage of time would end it.
            uow.session.execute(update(Job).where(Job.id == job_id).values(locked_until=utcnow()))
            uow.commit()
    if not mid_job:  # the message was answered just before the kill: the worker held another job
        rig.cluster.stop_workers()  # no live lease may be cut short: stop the others first
        end_leases(rig.services)
        rig.cluster.start_worker()
        rig.cluster.start_worker()
    result = background.join()
    drain(rig.services, timeout=60, hurry=True)

    verdict = rig.verify(result)
    report(f"kill -9 of a worker at 1.5 s of 4 s of load, while it was sending {job_id} (mid job: {mid_job}); "
           "its lease ended by hand (the 5 minutes), a new worker started")
    report(verdict.summary())
    assert verdict.ok, verdict.summary()
    assert verdict.acknowledged > 20 and not verdict.lost
    assert verdict.delivered == verdict.expected_invites == verdict.distinct_message_ids
    if mid_job:
        with rig.services.uow() as uow:
            again = uow.jobs.get(job_id)
        assert again is not None and again.status == "done" and again.attempts == 2
        assert sum(1 for d in rig.smtp.deliveries() if f"<{job_id}@".encode() in d.data) == 1
    errors = [s for s in result.samples if s.status is None or s.status >= 400]
    assert errors == []  # the API never noticed
