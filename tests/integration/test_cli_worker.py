# SPDX-License-Identifier: Apache-2.0
"""`calgate worker` as real processes: two workers on one PostgreSQL share a queue of mail jobs
with no double work and no lost job, and stop cleanly on SIGTERM; `calgate serve --workers`
refuses SQLite."""

from __future__ import annotations

import email
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from calgate.cli import main
from calgate.domain.model import Job
from calgate.services import create_services
from calgate.store.migrate import upgrade
from tests.support.server import database_url, make_settings

JOBS = 60


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "calgate", "worker", "--poll", "0.1"], env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def test_two_workers_share_one_queue_without_double_work(tmp_path: Path) -> None:
    with database_url("postgresql", tmp_path) as url:
        settings = make_settings(url, tmp_path, run_jobs_in_process=False)
        services = create_services(settings)
        upgrade(services.db.engine)
        with services.uow() as uow:
            for i in range(JOBS):
                uow.jobs.enqueue("send_mail", {"application_id": "app_x", "to": f"p{i}@example.com", "to_name": f"P {i}",
                                               "subject": f"Message {i}", "text": "Hello"})
            uow.commit()
        env = {"CALGATE_DATABASE_URL": url, "CALGATE_MAIL_DIR": str(settings.mail_dir),
               "CALGATE_SECRET_KEY": settings.secret_key.get_secret_value()}
        workers = [start_worker(env), start_worker(env)]
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with services.uow() as uow:
                    jobs = list(uow.session.scalars(select(Job)))
                if all(j.status == "done" for j in jobs):
                    break
                time.sleep(0.2)
            for process in workers:
                process.send_signal(signal.SIGTERM)
            outputs = [process.communicate(timeout=30)[0] for process in workers]
        finally:
            for process in workers:
                if process.poll() is None:
                    process.kill()
        assert [p.returncode for p in workers] == [0, 0], outputs
        assert all("calgate worker stopped" in out for out in outputs)
        assert sorted(j.status for j in jobs) == ["done"] * JOBS and all(j.attempts == 1 for j in jobs)
        sent = [email.message_from_bytes(f.read_bytes()) for f in Path(settings.mail_dir).rglob("*.eml")]
        assert sorted(m["To"].split("<")[-1].rstrip(">") for m in sent) == sorted(f"p{i}@example.com" for i in range(JOBS))
        services.db.dispose()


def test_serve_with_several_workers_needs_postgresql(tmp_path: Path) -> None:
    env = {"CALGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'calgate.db'}", "CALGATE_MAIL_DIR": str(tmp_path / "mail")}
    result = CliRunner().invoke(main, ["serve", "--workers", "2"], env=env)
    assert result.exit_code == 2 and "needs PostgreSQL" in result.output


@pytest.mark.parametrize("flag, expected", [("--no-jobs", "no jobs"), ("--jobs", "jobs in process")])
def test_serve_says_where_jobs_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str, expected: str) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # only the start-up, not the server
    env = {"CALGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'calgate.db'}", "CALGATE_MAIL_DIR": str(tmp_path / "mail")}
    monkeypatch.setenv("CALGATE_RUN_JOBS_IN_PROCESS", "true")  # serve sets it for its worker processes; undone after
    result = CliRunner().invoke(main, ["serve", flag], env=env)
    assert result.exit_code == 0 and expected in result.output
