# SPDX-License-Identifier: Apache-2.0
"""The dashboard's Deliveries page (web/dashboard/deliveries.py): mail that did not go out,
for its developer only, with a "Retry now" button. A calgate whose SMTP server is down (no
one listens on its port) and whose job queue the test runs by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from calgate.domain import applications
from calgate.domain.model import utcnow
from tests.conftest import BACKENDS
from tests.integration.web._dashboard import Dashboard
from tests.support.factories import AppCredentials
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


def credentials(server: LiveServer, application_id: str) -> AppCredentials:
    with server.services.uow() as uow:
        app = uow.applications.get(application_id)
    return AppCredentials(app.client_id, applications.reveal_secret(app, server.services.box), app.redirect_uris[0], app.id)


def rows(dashboard: Dashboard) -> list[dict[str, str]]:
    page = dashboard.page("/dashboard/deliveries")
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
    assert "Nothing is waiting" in other_developer.page("/dashboard/deliveries").testid("no-deliveries")
    job_id = shown[0]["job_id"]
    response = other_developer.submit("/dashboard/deliveries", f"/dashboard/deliveries/{job_id}/retry")
    assert response.status_code == 404
    assert job(server, job_id).status == "failed"


def test_retry_now_makes_a_failed_job_due_again(server: LiveServer, developer: Dashboard, undelivered: list[dict[str, str]]) -> None:
    later = utcnow() + dt.timedelta(days=1)
    while server.services.jobs.run_once(now=later):
        pass
    job_id = undelivered[0]["job_id"]
    response = developer.submit("/dashboard/deliveries", f"/dashboard/deliveries/{job_id}/retry")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/deliveries"
    retried = job(server, job_id)
    assert retried.status == "pending" and retried.run_after <= utcnow()
    page = developer.page("/dashboard/deliveries")
    assert "tried again" in page.testid("notice")
    assert page.one(data_job_id=job_id).attrs["data-state"] == "retrying"


def test_the_page_needs_a_signed_in_developer_and_links_from_the_nav(server: LiveServer, developer: Dashboard) -> None:
    with httpx.Client(base_url=server.url, follow_redirects=False) as visitor:
        assert visitor.get("/dashboard/deliveries").headers["location"] == "/dashboard/sign-in"
    page = developer.page("/dashboard")
    assert any(a.attrs.get("href") == "/dashboard/deliveries" for a in page.tags("a"))
    assert "Nothing is waiting" in developer.page("/dashboard/deliveries").testid("no-deliveries")
