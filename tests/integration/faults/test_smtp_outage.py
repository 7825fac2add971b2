# SPDX-License-Identifier: Apache-2.0
"""The SMTP server goes away for a while under load (connections refused) and comes back: the
API never notices, the invitations wait in the queue (retried with backoff) and each goes out
exactly once when the server is back."""

from __future__ import annotations

from sqlalchemy import select

from benchmarks.workload import Load, drain
from calgate.domain.model import Job
from tests.integration.faults.conftest import Background


def test_smtp_unreachable_for_a_while_loses_nothing_and_sends_nothing_twice(rig_factory, report) -> None:  # type: ignore[no-untyped-def]
    rig = rig_factory(smtp_delay=0.01)
    background = Background(Load(rig.cluster.url, rig.seeded, clients=4, mix=(0.2, 0.2, 0.6)), seconds=5)
    background.at(1.5)
    before = len(rig.smtp.deliveries())
    rig.smtp.stop()
    background.at(3.5)
    rig.smtp.start()
    result = background.join()
    # Invitations that failed wait out their backoff (30 s, 1 min …): hurry them along.
    drain(rig.services, timeout=30, hurry=True)

    verdict = rig.verify(result)
    assert verdict.ok, verdict.summary()
    assert verdict.acknowledged > 20 and not verdict.lost
    assert verdict.delivered == verdict.expected_invites == verdict.distinct_message_ids
    with rig.services.uow() as uow:
        tried_again = uow.session.scalars(select(Job).where(Job.kind == "send_invite", Job.attempts > 1)).all()
    assert tried_again and all(j.status == "done" for j in tried_again)  # it really was down, and they made it
    report(f"SMTP server stopped from 1.5 s to 3.5 s of 5 s of load; {before} invitations accepted before it stopped, "
           f"{len(tried_again)} send_invite jobs tried again")
    report(verdict.summary())
    errors = [s for s in result.samples if s.status is None or s.status >= 400]
    assert errors == []
