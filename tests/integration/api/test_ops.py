# SPDX-License-Identifier: Apache-2.0
"""/healthz, /readyz and /metrics on both databases: readiness follows the schema, metrics
label requests by route template and read the job queue and sync state from the database."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from calgate.api import ops
from calgate.app import create_app
from calgate.domain import ids, model
from calgate.domain.model import utcnow
from calgate.jobs.runner import JobRunner, PermanentFailure
from calgate.services import Services, create_services
from calgate.store.migrate import alembic_config, upgrade
from calgate.store.ops_queries import head_revisions
from tests.conftest import BACKENDS
from tests.support.factories import make_application
from tests.support.server import database_url, free_port, make_settings

PASSWORD = "pw-that-must-never-show"


@contextlib.contextmanager
def serve(services: Services) -> Iterator[httpx.Client]:
    """The app as ``create_app`` builds it, with the ops endpoints whether or not it wires them
    itself yet, on a loopback port. Lifespan off: no background job runner, so the queue stays
    as the test left it."""
    app = create_app(services.settings, services)
    if not getattr(app.state, "metrics_installed", False):
        ops.install(app, services)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "ops test server did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def client(services: Services) -> Iterator[httpx.Client]:
    with serve(services) as served:
        yield served


@pytest.fixture(params=BACKENDS)
def empty_services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """Services on a brand-new database of each backend that nobody migrated."""
    with database_url(request.param, tmp_path) as url:
        built = create_services(make_settings(url, tmp_path))
        try:
            yield built
        finally:
            built.db.dispose()


def samples(client: httpx.Client, headers: dict[str, str] | None = None) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def test_healthz_says_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "database": "ok", "schema": head_revisions()[0]}


def test_readyz_is_not_ready_before_migrating_and_while_behind(empty_services):
    [head] = head_revisions()
    script = ScriptDirectory.from_config(alembic_config(empty_services.settings.database_url))
    previous = str(script.get_revision(head).down_revision)
    with serve(empty_services) as client:
        response = client.get("/readyz")
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["status"] == "not_ready" and body["database"] == "ok" and body["schema"] is None
        assert "calgate migrate" in body["detail"]

        upgrade(empty_services.db.engine, previous)
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["schema"] == previous and head in response.json()["detail"]

        upgrade(empty_services.db.engine)
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json() == {"status": "ready", "database": "ok", "schema": head}


def test_an_unreachable_database_is_not_ready_and_its_password_stays_hidden(tmp_path):
    url = f"postgresql+psycopg://calgate:{PASSWORD}@127.0.0.1:{free_port()}/calgate?connect_timeout=2"
    unreachable = create_services(make_settings(url, tmp_path))
    try:
        with serve(unreachable) as client:
            assert client.get("/healthz").json() == {"status": "ok"}  # health needs no database
            response = client.get("/readyz")
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "not_ready" and body["database"] == "error" and body["detail"]
            assert PASSWORD not in response.text and "127.0.0.1" not in response.text
            metrics = client.get("/metrics")
            assert metrics.status_code == 200  # the process's own metrics still come out
            assert "calgate_database_up 0.0" in metrics.text and PASSWORD not in metrics.text
    finally:
        unreachable.db.dispose()


def test_requests_are_timed_under_their_route_template(client):
    assert client.post("/v1/calendars/cal_secretish_id/events", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/no/such/page/xyz").status_code == 404
    assert client.get("/healthz").status_code == 200

    found = samples(client)
    route = "/v1/calendars/{calendar_id}/events"
    count = "calgate_http_request_duration_seconds_count"
    assert value(found, count, method="POST", route=route, status="401") == 1
    assert value(found, count, method="GET", route="unmatched", status="404") == 1
    assert value(found, count, method="GET", route="/healthz", status="200") == 1
    assert value(found, "calgate_http_request_duration_seconds_bucket", method="POST", route=route, status="401", le="+Inf") == 1
    text = client.get("/metrics").text
    assert "cal_secretish_id" not in text and "/no/such/page" not in text


def test_queue_depth_and_oldest_age_follow_the_jobs_table(client, services):
    now = utcnow()
    with services.uow() as uow:
        uow.jobs.enqueue("send_mail", {"to": "a@example.com"}, run_after=now - dt.timedelta(seconds=300))
        uow.jobs.enqueue("send_mail", {"to": "b@example.com"}, run_after=now - dt.timedelta(seconds=60))
        uow.jobs.enqueue("send_mail", {"to": "c@example.com"}, run_after=now + dt.timedelta(hours=1))
        uow.jobs.enqueue("push_notification", {"channel_id": "chn_x"}, run_after=now + dt.timedelta(hours=1))
        uow.commit()

    found = samples(client)
    assert value(found, "calgate_job_queue_depth", kind="send_mail") == 3
    assert value(found, "calgate_job_queue_depth", kind="push_notification") == 1
    assert value(found, "calgate_job_queue_depth", kind="send_invite") == 0  # known kinds are always there
    assert 300 <= value(found, "calgate_job_queue_oldest_age_seconds", kind="send_mail") < 400
    assert value(found, "calgate_job_queue_oldest_age_seconds", kind="push_notification") == 0  # none due yet
    assert value(found, "calgate_database_up") == 1


def refuse(payload: dict[str, object], job_id: str) -> None:
    raise PermanentFailure("550 no such mailbox")


def test_failed_mail_is_counted(client, services):
    with services.uow() as uow:
        uow.jobs.enqueue("send_mail", {"to": "a@example.com"})
        uow.jobs.enqueue("send_invite", {"to": "b@example.com"})
        uow.jobs.enqueue("send_invite", {"to": "c@example.com"})
        uow.jobs.enqueue("push_notification", {"channel_id": "chn_x"})
        uow.commit()
    kinds = ("send_mail", "send_invite", "push_notification")
    assert JobRunner(services.db, {kind: refuse for kind in kinds}).run_until_idle() == 4

    found = samples(client)
    assert value(found, "calgate_mail_delivery_failures_total") == 3
    assert value(found, "calgate_jobs_failed", kind="send_invite") == 2
    assert value(found, "calgate_jobs_failed", kind="push_notification") == 1
    assert value(found, "calgate_job_queue_depth", kind="send_mail") == 0


def add_profile(services: Services, account_id: str, provider: str, **fields: object) -> None:
    with services.uow() as uow:
        uow.profiles.add(
            model.Profile(id=ids.new_id("pro"), account_id=account_id, provider=provider, access_mode="read_write",
                          name="ada@example.com", **fields)  # type: ignore[arg-type]
        )
        uow.commit()


def test_sync_lag_counts_from_the_stalest_connected_provider_profile(client, services):
    app = make_application(services)
    with services.uow() as uow:
        account = model.Account(id=ids.new_id("acc"), application_id=app.application_id, email="ada@example.com", name="Ada")
        uow.accounts.add(account)
        uow.commit()
    now = utcnow()
    sealed = services.box.seal(json.dumps({"server_url": "http://127.0.0.1:9/", "username": "ada", "password": "x"}))
    add_profile(services, account.id, "caldav", credentials_sealed=sealed, last_synced_at=now - dt.timedelta(minutes=10))
    add_profile(services, account.id, "caldav", credentials_sealed=sealed, last_synced_at=now - dt.timedelta(minutes=1))
    # Never synced: counts from its creation.
    add_profile(services, account.id, "google", credentials_sealed=sealed, created_at=now - dt.timedelta(minutes=30))
    # Not counted: revoked, disconnected, or hosted (no credentials).
    old = now - dt.timedelta(days=3)
    add_profile(services, account.id, "caldav", credentials_sealed=sealed, last_synced_at=old, revoked_at=now)
    add_profile(services, account.id, "caldav", credentials_sealed=sealed, last_synced_at=old, connected=False)
    add_profile(services, account.id, "cronofy", created_at=old)

    found = samples(client)
    assert 600 <= value(found, "calgate_sync_lag_seconds", provider="caldav") < 700
    assert 1800 <= value(found, "calgate_sync_lag_seconds", provider="google") < 1900
    assert ("calgate_sync_lag_seconds", frozenset({("provider", "cronofy")})) not in found


def test_the_metrics_token_guards_metrics_only(services):
    token = SecretStr("m-token")
    guarded = dataclasses.replace(services, settings=services.settings.model_copy(update={"metrics_token": token}))
    with serve(guarded) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic m-token"}):
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 401
            assert response.json()["error"] == "invalid_token"
            assert "calgate_" not in response.text
        found = samples(client, {"Authorization": "Bearer m-token"})
        assert value(found, "calgate_database_up") == 1
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200


def test_each_app_has_its_own_registry(services):
    with serve(services) as first, serve(services) as second:
        assert first.get("/healthz").status_code == 200
        found = samples(second)
    healthz = frozenset({("method", "GET"), ("route", "/healthz"), ("status", "200")})
    assert ("calgate_http_request_duration_seconds_count", healthz) not in found
