# SPDX-License-Identifier: Apache-2.0
"""Google goes away for a while (the stand-in stopped: connections refused) while an
application writes events into people's Google calendars (read_write): every upsert is
acknowledged (202), the writes wait in the queue (retried with backoff), and when Google is
back each event is there exactly once, with the content calgate holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from benchmarks.workload import Load, Person, Seeded, drain, services_for, verify_provider
from calgate.domain.model import Job
from tests.integration.faults.conftest import Background
from tests.standins.google import CLIENT_ID, CLIENT_SECRET, Consent, GoogleStandin
from tests.support.api import token_request
from tests.support.connect import authorize_params, csrf, redirect_params
from tests.support.factories import make_application
from tests.support.syncing import eventually

PEOPLE = 3


@pytest.fixture
def google() -> Iterator[GoogleStandin]:
    """A stand-in of this test's own: it is stopped and started again."""
    standin = GoogleStandin().start()
    try:
        yield standin
    finally:
        standin.stop()


def restart(standin: GoogleStandin) -> None:
    """The same stand-in (its calendars kept) listening again on its port."""
    config = uvicorn.Config(standin.server.config.app, host="127.0.0.1", port=standin.port, log_level="warning", lifespan="off")
    standin.server = uvicorn.Server(config)
    standin.thread = threading.Thread(target=standin.server.run, daemon=True)
    standin.start()


def google_env(standin: GoogleStandin) -> dict[str, str]:
    return {
        "CALGATE_GOOGLE_CLIENT_ID": CLIENT_ID, "CALGATE_GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "CALGATE_GOOGLE_AUTH_URL": standin.auth_url, "CALGATE_GOOGLE_TOKEN_URL": f"{standin.url}/token",
        "CALGATE_GOOGLE_REVOKE_URL": f"{standin.url}/revoke", "CALGATE_GOOGLE_API_URL": f"{standin.url}/calendar/v3",
        "CALGATE_GOOGLE_USERINFO_URL": f"{standin.url}/oauth2/v3/userinfo", "CALGATE_GOOGLE_DIRECTORY_URL": standin.url,
        "CALGATE_PROVIDER_TIMEOUT": "3",
    }


@dataclass
class _Server:  # what tests.support.api.token_request needs of a server
    url: str


def connect_google(url: str, app, standin: GoogleStandin, email: str) -> Person:  # type: ignore[no-untyped-def]
    """The connect flow over HTTP, as tests/integration/providers/test_oauth_connect.py drives it."""
    standin.add_user(email)
    standin.consent = Consent(email=email)
    with httpx.Client(base_url=url, follow_redirects=False, timeout=30) as browser:
        flow = browser.get("/oauth/authorize", params=authorize_params(app, access_mode="read_write", provider_name="google")).headers["location"]
        page = browser.get(flow)
        to_provider = browser.post(f"{flow}/oauth-start", data={"csrf_token": csrf(page.text)})
        consented = httpx.get(to_provider.headers["location"], follow_redirects=False)
        assert browser.get(consented.headers["location"]).status_code == 303
        page = browser.get(flow)
        result = redirect_params(browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": "allow"}))
    tokens = token_request(_Server(url), app, result["code"]).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    calendars = eventually(lambda: httpx.get(f"{url}/v1/calendars", headers=headers).json()["calendars"] or None)
    return Person(tokens["account_id"], email, calendars[0]["calendar_id"], tokens["access_token"])


def test_google_unreachable_for_a_while_loses_no_write_and_writes_none_twice(rig_factory, google, report) -> None:  # type: ignore[no-untyped-def]
    rig = rig_factory(people=1, extra_env=google_env(google))
    services = services_for(rig.database_url, rig.directory, rig.cluster.secret_key)
    app = make_application(services, features={"free_busy"})
    people = [connect_google(rig.cluster.url, app, google, f"g{n}-{time.monotonic_ns() % 10**6}@example.test") for n in range(PEOPLE)]
    seeded = Seeded(app.application_id, app.client_secret, people, 0)
    background = Background(Load(rig.cluster.url, seeded, clients=3, mix=(0, 0, 1), guests=False, prefix="g"), seconds=5)
    background.at(1.5)
    google.stop()
    background.at(3.5)
    restart(google)
    result = background.join()
    # Writes that failed wait out their backoff (30 s, 1 min …): hurry them along.
    drain(rig.services, timeout=30, hurry=True, kinds=("provider_write",))

    assert all(s.status == 202 for s in result.samples), {s.status for s in result.samples}  # the API never noticed
    problems = verify_provider(rig.services, result, google, {p.calendar_id: p.email for p in people})
    assert problems == []
    with rig.services.uow() as uow:
        writes = uow.session.scalars(select(Job).where(Job.kind == "provider_write")).all()
    assert len(result.acknowledged()) > 20
    assert any(j.attempts > 1 for j in writes), "Google was never found away"
    report(f"Google's stand-in stopped from 1.5 s to 3.5 s of 5 s of upserts into {PEOPLE} people's Google calendars (read_write)")
    report(f"{len(result.samples)} upserts, all answered 202; {sum(1 for j in writes if j.attempts > 1)} of {len(writes)} "
           "provider_write jobs tried again; each acknowledged event at Google exactly once with calgate's content")
    assert google.failures == []  # every request calgate sent fit Google's discovery document
    services.db.dispose()
