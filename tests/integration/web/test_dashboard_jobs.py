# SPDX-License-Identifier: Apache-2.0
"""The dashboard's Jobs page (web/dashboard/jobs.py): the queue per kind of job, and mail that
did not go out, for its developer only, with a "Retry now" button. A calgate whose SMTP server is down (no
one listens on its port) and whose job queue the test runs by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from calgate.domain.model import Job, utcnow
from tests.conftest import BACKENDS
from tests.integration.web._dashboard import Dashboard, app_credentials
from tests.support.people import connect_no_access, upsert
from tests.support.server import LiveServer, database_url, free_port, make_settings


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    with database_url(request.param, tmp_path) as url:
        settings = make_settings(url, tmp_path, smtp_url=f"smtp://127.0.0.1:{free_port()}", run_jobs_in_process=False)
        live = LiveServer(settings).start()
        try:
            yield live
        finally:
            live.stop()


def signed_up(server: LiveServer) -> Iterator[Dashboard]:
    with httpx.Client(base_url=server.url, follow_redirects=False) as client:
        dashboard = Dashboard(client)
        assert dashboard.sign_up().status_code == 303
        yield dashboard


@pytest.fixture
def developer(server: LiveServer) -> Iterator[Dashboard]:
    yield from signed_up(server)


@pytest.fixture
def other_developer(server: LiveServer) -> Iterator[Dashboard]:
    yield from signed_up(server)


credentials = app_credentials


def rows(dashboard: Dashboard) -> list[dict[str, str]]:
    page = dashboard.page("/dashboard/jobs")
    found = []
    for row in page.find(data_state="failed") + page.find(data_state="retrying"):
        cells = [c.clean_text for c in row.children if c.tag == "td"]
        keys = ("state", "application", "to", "what", "attempts", "error", "next_try")
        found.append({"job_id": row.attrs["data-job-id"], **dict(zip(keys, cells))})
    return sorted(found, key=lambda r: r["what"])


def job(server: LiveServer, job_id: str):
    with server.services.uow() as uow:
        return uow.jobs.get(job_id)


@pytest.fixture
def undelivered(server: LiveServer, developer: Dashboard) -> list[dict[str, str]]:
    """An invitation and a verification code of the developer's application, tried once each."""
    creds = credentials(server, developer.create_app(name="Acme Interviews", feature_no_calendar="on"))
    person = connect_no_access(server.services, creds, "ada@example.com")  # queues the code
    upsert(server.services, person, summary="Interview with Ada")  # queues the invitation
    assert server.services.jobs.run_until_idle() == 2
    return rows(developer)


def test_retrying_mail_shows_recipient_message_attempts_error_and_next_try(undelivered: list[dict[str, str]]) -> None:
    code, invite = undelivered  # sorted by message: the code (digits) first
    assert invite["state"] == code["state"] == "Retrying"
    assert invite["application"] == "Acme Interviews"
    assert invite["to"] == code["to"] == "ada@example.com"
    assert invite["what"] == "REQUEST · Interview with Ada"
    assert "is your code to connect to Acme Interviews" in code["what"]
    assert invite["attempts"] == "1" and "SMTPConnectError" in invite["error"]
    next_try = dt.datetime.strptime(invite["next_try"], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=dt.timezone.utc)
    assert dt.timedelta(seconds=0) < next_try - utcnow() <= dt.timedelta(seconds=30)


def test_failed_mail_is_shown_to_its_developer_only(
    server: LiveServer, developer: Dashboard, other_developer: Dashboard, undelivered: list[dict[str, str]]
) -> None:
    later = utcnow() + dt.timedelta(days=1)
    while server.services.jobs.run_once(now=later):  # every try fails, until the last one
        pass
    shown = rows(developer)
    assert [r["state"] for r in shown] == ["Failed", "Failed"]
    assert [r["attempts"] for r in shown] == ["10", "10"]
    assert [r["next_try"] for r in shown] == ["none", "none"]

    assert rows(other_developer) == []
    assert "Nothing is waiting" in other_developer.page("/dashboard/jobs").testid("no-deliveries")
    job_id = shown[0]["job_id"]
    response = other_developer.submit("/dashboard/jobs", f"/dashboard/deliveries/{job_id}/retry")
    assert response.status_code == 404
    assert job(server, job_id).status == "failed"


def test_retry_now_makes_a_failed_job_due_again(server: LiveServer, developer: Dashboard, undelivered: list[dict[str, str]]) -> None:
    later = utcnow() + dt.timedelta(days=1)
    while server.services.jobs.run_once(now=later):
        pass
    job_id = undelivered[0]["job_id"]
    response = developer.submit("/dashboard/jobs", f"/dashboard/deliveries/{job_id}/retry")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/jobs"
    retried = job(server, job_id)
    assert retried.status == "pending" and retried.run_after <= utcnow()
    page = developer.page("/dashboard/jobs")
    assert "tried again" in page.testid("notice")
    assert page.one(data_job_id=job_id).attrs["data-state"] == "retrying"


def test_the_page_needs_a_signed_in_developer_and_links_from_the_nav(server: LiveServer, developer: Dashboard) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as visitor:
        assert visitor.get("/dashboard/jobs").headers["location"] == "/dashboard/sign-in"
    page = developer.page("/dashboard")
    assert any(a.attrs.get("href") == "/dashboard/jobs" for a in page.tags("a"))
    jobs = developer.page("/dashboard/jobs")
    assert "Nothing is waiting" in jobs.testid("no-deliveries")
    assert "queue is empty" in jobs.testid("queue-empty")
    # the page's old address still leads here
    assert developer.http.get("/dashboard/deliveries").headers["location"] == "/dashboard/jobs"


def queue_row(page, kind: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    row = page.one(data_kind=kind)
    return {c.attrs["data-col"]: c.clean_text for c in row.children if c.tag == "td" and c.attrs.get("data-col")}


def test_queue_depth_and_oldest_due_age_per_kind(
    server: LiveServer, developer: Dashboard, other_developer: Dashboard, undelivered: list[dict[str, str]]
) -> None:
    page = developer.page("/dashboard/jobs")
    assert page.testid("queue-depth") == "2"  # the code and the invitation, both waiting to retry
    assert queue_row(page, "send_mail") == {"pending": "1", "running": "0", "due": "0", "oldest": "–", "failed": "0"}
    assert queue_row(page, "send_invite")["pending"] == "1"
    # once their next try is due and nobody takes them, the page says how long they have waited
    with server.services.uow() as uow:
        for job_ in uow.session.query(Job):
            job_.run_after = utcnow() - dt.timedelta(minutes=7, seconds=5)
        uow.commit()
    page = developer.page("/dashboard/jobs")
    assert page.testid("oldest-due") == "7 min"
    assert queue_row(page, "send_invite")["due"] == "1" and queue_row(page, "send_invite")["oldest"] == "7 min"
    # given up: counted as failed, no longer waiting
    later = utcnow() + dt.timedelta(days=1)
    while server.services.jobs.run_once(now=later):
        pass
    page = developer.page("/dashboard/jobs")
    assert page.testid("failed-total") == "2" and page.testid("queue-depth") == "0"
    assert queue_row(page, "send_mail") == {"pending": "0", "running": "0", "due": "0", "oldest": "–", "failed": "1"}
    # another developer's queue is their own
    other = other_developer.page("/dashboard/jobs")
    assert other.testid("queue-depth") == "0" and "queue is empty" in other.testid("queue-empty")
