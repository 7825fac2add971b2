# SPDX-License-Identifier: Apache-2.0
"""PostgreSQL crashes (``pg_ctl stop -m immediate``: every backend killed, WAL replayed at the
next start) and comes back while the API and the workers are under load: requests in the gap
fail, then the service recovers by itself; every upsert acknowledged before, during or after is
stored, and every invitation goes out exactly once."""

from __future__ import annotations

import time

import httpx

from benchmarks.workload import Load, drain, figures
from tests.integration.faults.conftest import Background

DOWN = 2.0  # seconds PostgreSQL stays down
SMTP_DELAY = 0.5  # long enough that the database is gone before the message is answered


def _wait_for_a_send(rig) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(time.monotonic() - since < SMTP_DELAY / 3 for _, since in rig.smtp.in_flight().values()):
            return
        time.sleep(0.005)
    raise AssertionError("no worker was caught sending")


def test_postgres_restart_under_load_loses_nothing_and_sends_nothing_twice(rig_factory, private_postgres, report) -> None:  # type: ignore[no-untyped-def]
    rig = rig_factory(smtp_delay=SMTP_DELAY)
    background = Background(Load(rig.cluster.url, rig.seeded, clients=4, mix=(0.3, 0.3, 0.4)), seconds=7)
    background.at(2)
    _wait_for_a_send(rig)  # so a worker finishes a message while the database is away
    private_postgres.stop("immediate")
    stopped = time.monotonic()
    rig.smtp.handler.delay = 0
    time.sleep(DOWN)
    private_postgres.start()
    started = time.monotonic()
    result = background.join()
    began = time.monotonic()
    # No job may be left leased: one whose outcome was lost would wait out its lease (5
    # minutes), then run again and mail twice (the runner's _record).
    drain(rig.services, timeout=20, hurry=True)
    drained = time.monotonic() - began
    verdict = rig.verify(result)
    report(f"PostgreSQL stopped with `-m immediate` at 2 s of 7 s of load (while a worker was sending), started again {DOWN:.0f} s later")
    for when, rows in (("during (±1 s)", figures(result, since=stopped - 1, until=started + 1)), ("from 1 s after the restart", figures(result, since=started + 1))):
        report(f"answers {when}: " + "; ".join(f"`{r.route}` " + ", ".join(f"{k}: {v}" for k, v in r.statuses.items()) for r in rows))
    report(f"queue drained {drained:.1f} s after the load; " + verdict.summary())
    assert verdict.ok, verdict.summary()
    assert verdict.acknowledged > 20 and not verdict.lost
    failed = [s for s in result.samples if s.status is None or s.status >= 400]
    assert failed, "the outage went unnoticed: did PostgreSQL stop?"
    assert all(stopped - 1 <= s.started <= started + 1 for s in failed)  # only around the outage
    assert httpx.get(f"{rig.cluster.url}/readyz").status_code == 200
    assert all(w.poll() is None for w in rig.cluster.workers)  # the workers rode it out
    assert "its outcome could not be recorded" in rig.cluster.logs()  # a message went out while it was down
