# SPDX-License-Identifier: Apache-2.0
"""A job whose work is done while the database is away (a restart, a failover) records its
outcome once the database is back, within its lease. Before, the runner gave up on the record:
the job stayed leased for 5 minutes, held back the rest of its ordering key, and then ran
again: its invitation went out twice (found by test_postgres_restart.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from benchmarks.cluster import PrivatePostgres, pg_schema
from calgate.services import create_services
from calgate.store.migrate import upgrade
from tests.support.server import make_settings


def test_an_outcome_reached_while_the_database_restarts_is_recorded_once_it_is_back(private_postgres: PrivatePostgres, tmp_path: Path) -> None:
    with pg_schema(private_postgres.url) as url:
        services = create_services(make_settings(url, tmp_path))
        upgrade(services.db.engine)
        with services.uow() as uow:
            job = uow.jobs.enqueue("restart_database", {})
            uow.commit()
        calls = []

        def restart_database(payload: dict, job_id: str) -> None:  # type: ignore[type-arg]
            calls.append(job_id)  # the work is done (a message accepted by the mail server, say)…
            private_postgres.stop("immediate")  # …and the database goes away before it is recorded
            threading.Timer(1.5, private_postgres.start).start()

        services.jobs.handlers["restart_database"] = restart_database
        began = time.monotonic()
        assert services.jobs.run_once()
        assert calls == [job.id] and time.monotonic() - began < 60
        with services.uow() as uow:
            done = uow.jobs.get(job.id)
        assert done is not None and done.status == "done" and done.locked_until is None and done.attempts == 1
        assert not services.jobs.run_once()  # nothing left to run again
        services.db.dispose()
