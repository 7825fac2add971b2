# SPDX-License-Identifier: Apache-2.0
"""The fault runs' rig: calgate as real processes (``calgate serve --workers 2 --no-jobs`` and two
``calgate worker``) on a PostgreSQL cluster of the run's own, mailing through an SMTP server
that keeps every message it accepted, under the mixed workload of ``benchmarks/load.py``."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.cluster import Cluster, PrivatePostgres, SmtpRecorder, pg_schema, private_postgres_available
from benchmarks.report import write_section
from benchmarks.workload import Load, LoadResult, Seeded, Verdict, add_rules, migrate, seed, services_for, verify

# kill -9 of a worker and the database-away regression run in `make test` (about 25 s); the
# PostgreSQL restart, SMTP and provider outages (about 30 s each on this 2-core machine) run in
# `make load`, which sets CALGATE_FAULT_RUNS=1 and writes their findings to docs/benchmarks.md.
LONG_RUNS = ["test_postgres_restart.py", "test_smtp_outage.py", "test_provider_outage.py"]
FULL = bool(os.environ.get("CALGATE_FAULT_RUNS"))
collect_ignore = [] if FULL else LONG_RUNS
REPORT: dict[str, list[str]] = {}
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def report(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """``report(line)``: a line of this run's findings for docs/benchmarks.md (with `make load`)."""
    lines = REPORT.setdefault(request.node.name, [])
    began = time.monotonic()
    lines.append("")
    yield lines.append
    lines[0] = f"{time.monotonic() - began:.0f} s"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not FULL or not REPORT:
        return
    from benchmarks.bench_availability import machine

    text = [
        "## Faults under load",
        "",
        "`tests/integration/faults/` with `CALGATE_FAULT_RUNS=1` (`make load`); one run on the machine below. Each test starts",
        "`calgate serve --workers 2 --no-jobs` and two `calgate worker` processes on a PostgreSQL cluster of its own",
        "(`initdb`/`pg_ctl`, another port), an aiosmtpd server that keeps every message it accepts, and the load of",
        "`benchmarks/workload.py` for a few seconds; breaks one thing in the middle; then checks every answer against",
        "the database and the mail server (or Google's stand-in). "
        + ("All passed." if exitstatus == 0 else f"**pytest exit status {exitstatus}: not all passed.**"),
        "",
    ]
    for name, lines in REPORT.items():
        text.append(f"- **{name}** ({lines[0]}):")
        text += [f"  - {line}" for line in lines[1:]]
    text += ["", "Machine:", ""] + [f"- {k}: {v}" for k, v in machine().items()] + [""]
    write_section(ROOT / "docs" / "benchmarks.md", "faults", "\n".join(text))


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL of the fault runs' own (initdb + pg_ctl on a free port), which they may stop
    and start without disturbing the machine's server or anyone else's tests."""
    if not private_postgres_available():
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    server = PrivatePostgres().init()
    try:
        yield server
    finally:
        server.destroy()


class Rig:
    def __init__(self, database_url: str, directory: Path, smtp: SmtpRecorder, cluster: Cluster, seeded: Seeded) -> None:
        self.database_url = database_url
        self.directory = directory
        self.smtp = smtp
        self.cluster = cluster
        self.seeded = seeded
        self.services = services_for(database_url, directory, cluster.secret_key)

    def verify(self, result: LoadResult) -> Verdict:
        return verify(self.services, self.seeded, result, self.smtp.deliveries())


class Background:
    """The workload running in a thread of its own while the test breaks things."""

    def __init__(self, load: Load, seconds: float) -> None:
        self.load = load
        self.result: LoadResult | None = None
        self.began = time.monotonic()
        self.thread = threading.Thread(target=self._run, args=(seconds,), daemon=True)
        self.thread.start()

    def _run(self, seconds: float) -> None:
        self.result = asyncio.run(self.load.run(seconds))

    def at(self, seconds: float) -> None:
        """Sleep until ``seconds`` after the load began."""
        time.sleep(max(0.0, self.began + seconds - time.monotonic()))

    def join(self) -> LoadResult:
        self.thread.join(timeout=120)
        assert self.result is not None, "the load did not finish"
        return self.result


@pytest.fixture
def rig_factory(private_postgres: PrivatePostgres, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """``rig_factory(smtp_delay=…, extra_env=…)``: a migrated, seeded database and a started cluster."""
    stack: list = []  # type: ignore[type-arg]

    def build(smtp_delay: float = 0.05, people: int = 6, extra_env: dict[str, str] | None = None) -> Rig:
        smtp = SmtpRecorder(delay=smtp_delay).start()
        stack.append(smtp.stop)
        schema = pg_schema(private_postgres.url)
        url = schema.__enter__()
        stack.append(lambda: schema.__exit__(None, None, None))
        cluster = Cluster(url, tmp_path, smtp_url=smtp.url, extra_env=extra_env, poll=0.1)
        migrate(url, tmp_path, cluster.secret_key)
        seeded = seed(url, tmp_path, cluster.secret_key, people=people, busy_per_person=20)
        cluster.start()
        stack.append(cluster.stop)
        add_rules(cluster.url, seeded)
        rig = Rig(url, tmp_path, smtp, cluster, seeded)
        stack.append(rig.services.db.dispose)
        return rig

    try:
        yield build
    finally:
        for undo in reversed(stack):
            undo()
