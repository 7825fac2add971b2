# SPDX-License-Identifier: Apache-2.0
"""Google and Microsoft end to end through calgate's own connect flow, against the stand-ins: a
deep link with access_mode and provider_name, the provider's consent screen, back to calgate's
consent, the token exchange, the first sync, Read Events or Free/Busy, Availability, and in
read_write the application's event written, updated and deleted at the provider. In free_busy
the privacy test holds: the provider sent subjects and locations, and none reach the database."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import httpx
import pytest

from calgate.domain.model import Job, utcnow
from tests.conftest import BACKENDS
from tests.standins.google import Consent, GoogleStandin
from tests.support.api import Connected, bearer, token_request
from tests.support.connect import authorize_params, csrf, redirect_params
from tests.support.factories import make_application
from tests.support.graph_standin import GraphStandin
from tests.support.providers import calgate_with_providers
from tests.support.server import LiveServer
from tests.support.stored import stored_text
from tests.support.syncing import eventually, sync_and_wait, sync_now
from tests.support.webhooks import Receiver

DAY = dt.date.today() + dt.timedelta(days=5)
UTC = dt.timezone.utc


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory, google_standin: GoogleStandin, graph_standin: GraphStandin) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """calgate with both providers configured, pointed at the stand-ins."""
    directory = Path(tmp_path_factory.mktemp(f"calgate-oauth-{request.param}"))
    with calgate_with_providers(request.param, directory, google_standin, graph_standin) as live:
        yield live


@pytest.fixture
def calgate(server: LiveServer) -> LiveServer:
    server.reset()
    return server


def connect(calgate: LiveServer, provider: str, access_mode: str) -> Connected:
    app = make_application(calgate.services, features={"free_busy"})
    with httpx.Client(base_url=calgate.url, follow_redirects=False, timeout=30) as browser:
        start = browser.get("/oauth/authorize", params=authorize_params(app, access_mode=access_mode, provider_name=provider))
        flow = start.headers["location"]
        page = browser.get(flow)
        assert page.status_code == 200 and "Continue to" in page.text, page.text
        to_provider = browser.post(f"{flow}/oauth-start", data={"csrf_token": csrf(page.text)})
        assert to_provider.status_code == 303
        consented = httpx.get(to_provider.headers["location"], follow_redirects=False)  # the provider's consent screen
        assert consented.status_code in (302, 303), consented.text
        back = browser.get(consented.headers["location"])  # calgate's callback
        assert back.status_code == 303, back.text
        page = browser.get(flow)
        assert "Allow" in page.text, page.text
        result = redirect_params(browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": "allow"}))
    response = token_request(calgate, app, result["code"])
    assert response.status_code == 200, response.text
    return Connected(creds=app, email="", tokens=response.json())


def free_hours(calgate: LiveServer, person: Connected) -> list[tuple[str, str]]:
    body = {
        "participants": [{"members": [{"sub": person.account_id}], "required": "all"}],
        "required_duration": {"minutes": 60},
        "query_periods": [{"start": f"{DAY}T08:00:00Z", "end": f"{DAY}T13:00:00Z"}],
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(person.creds.client_secret))
    assert response.status_code == 200, response.text
    return [(p["start"][11:16], p["end"][11:16]) for p in response.json()["available_periods"]]


def summaries(google: GoogleStandin, email: str) -> list[str]:
    """What the person's Google calendar holds now (cancelled events are gone)."""
    events = google.state.calendar(email, "primary").events.values()
    return [e.get("summary", "") for e in events if e.get("status") != "cancelled"]


def test_google_read_write(calgate, google_standin):  # type: ignore[no-untyped-def]
    email = f"ada-{secrets.token_hex(3)}@example.test"
    google_standin.reset()
    google_standin.add_user(email)
    google_standin.consent = Consent(email=email)
    google_standin.state.create(email, email, {
        "summary": "Planning", "start": {"dateTime": f"{DAY}T09:00:00Z"}, "end": {"dateTime": f"{DAY}T10:00:00Z"},
    })
    person = connect(calgate, "google", "read_write")
    sync_and_wait(calgate, person.account_id)
    window = {"tzid": "Etc/UTC", "from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat()}
    events = httpx.get(f"{calgate.url}/v1/events", params=window, headers=person.headers).json()["events"]
    assert [e["summary"] for e in events] == ["Planning"]
    assert free_hours(calgate, person) == [("08:00", "09:00"), ("10:00", "13:00")]

    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    body = {"event_id": "b-1", "summary": "Interview", "start": f"{DAY}T11:00:00Z", "end": f"{DAY}T12:00:00Z", "tzid": "Etc/UTC"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: "Interview" in summaries(google_standin, email))
    body["summary"] = "Interview (panel)"
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: summaries(google_standin, email).count("Interview (panel)") == 1 and "Interview" not in summaries(google_standin, email))
    body["summary"] = "Interview"
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: "Interview" in summaries(google_standin, email))
    response = httpx.request("DELETE", f"{calgate.url}/v1/calendars/{calendar_id}/events", json={"event_id": "b-1"}, headers=person.headers)
    assert response.status_code == 202
    eventually(lambda: "Interview" not in summaries(google_standin, email))
    assert google_standin.failures == []


def test_graph_free_busy_keeps_no_detail(calgate, graph_standin, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    marker = "zq" + secrets.token_hex(6)
    email = f"bob-{secrets.token_hex(3)}@example.test"
    graph_standin.reset()
    user = graph_standin.add_user(email)
    graph_standin.authorize_as = email
    graph_standin.add_event(user, subject=f"Private {marker}", location=f"Room {marker}",
                            start=dt.datetime.combine(DAY, dt.time(9), UTC), end=dt.datetime.combine(DAY, dt.time(10), UTC))
    person = connect(calgate, "ms_graph", "free_busy")
    assert person.tokens["access_mode"] == "free_busy"
    sync_and_wait(calgate, person.account_id)
    assert free_hours(calgate, person) == [("08:00", "09:00"), ("10:00", "13:00")]
    assert graph_standin.details_sent > 0  # the provider did send them…
    assert marker not in stored_text(calgate)  # …and none was kept
    assert marker not in caplog.text
    assert graph_standin.violations == []


def test_google_free_busy_keeps_no_detail(calgate, google_standin, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    marker = "zq" + secrets.token_hex(6)
    email = f"cy-{secrets.token_hex(3)}@example.test"
    google_standin.reset()
    google_standin.add_user(email)
    google_standin.consent = Consent(email=email)
    google_standin.state.create(email, email, {
        "summary": f"Private {marker}", "location": f"Room {marker}", "description": marker,
        "start": {"dateTime": f"{DAY}T09:00:00Z"}, "end": {"dateTime": f"{DAY}T10:00:00Z"},
    })
    person = connect(calgate, "google", "free_busy")
    sync_and_wait(calgate, person.account_id)
    assert free_hours(calgate, person) == [("08:00", "09:00"), ("10:00", "13:00")]
    assert marker not in stored_text(calgate) and marker not in caplog.text
    assert "events.list" not in google_standin.calls  # the freebusy scope only: never asked for events
    assert google_standin.failures == []


def test_graph_read_write(calgate, graph_standin):  # type: ignore[no-untyped-def]
    email = f"dee-{secrets.token_hex(3)}@example.test"
    graph_standin.reset()
    user = graph_standin.add_user(email)
    graph_standin.authorize_as = email
    graph_standin.add_event(user, subject="Planning", start=dt.datetime.combine(DAY, dt.time(9), UTC), end=dt.datetime.combine(DAY, dt.time(10), UTC))
    person = connect(calgate, "ms_graph", "read_write")
    sync_and_wait(calgate, person.account_id)
    assert free_hours(calgate, person) == [("08:00", "09:00"), ("10:00", "13:00")]
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    body = {"event_id": "b-1", "summary": "Interview", "start": f"{DAY}T11:00:00Z", "end": f"{DAY}T12:00:00Z", "tzid": "Etc/UTC"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: "Interview" in [e.subject for e in user.events.values()])
    body["summary"] = "Interview (panel)"
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: [e.subject for e in user.events.values()].count("Interview (panel)") == 1)
    body["summary"] = "Interview"
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    eventually(lambda: "Interview" in [e.subject for e in user.events.values()])
    response = httpx.request("DELETE", f"{calgate.url}/v1/calendars/{calendar_id}/events", json={"event_id": "b-1"}, headers=person.headers)
    assert response.status_code == 202
    eventually(lambda: "Interview" not in [e.subject for e in user.events.values()])
    assert graph_standin.violations == []


def test_writes_accepted_while_google_answers_429_and_503_all_arrive_once(calgate, google_standin):  # type: ignore[no-untyped-def]
    email = f"eve-{secrets.token_hex(3)}@example.test"
    google_standin.reset()
    google_standin.add_user(email)
    google_standin.consent = Consent(email=email)
    person = connect(calgate, "google", "read_write")
    sync_and_wait(calgate, person.account_id)
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    google_standin.fail_next("events.insert", 5, status=503, retry_after=0)  # more than one job attempt's tries
    for n in range(3):
        body = {"event_id": f"w-{n}", "summary": f"Write {n}", "start": f"{DAY}T1{n}:00:00Z", "end": f"{DAY}T1{n}:30:00Z"}
        assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202
    google_standin.fail_next("events.update", 2, status=429, retry_after=0)
    body = {"event_id": "w-0", "summary": "Write 0 (moved)", "start": f"{DAY}T09:00:00Z", "end": f"{DAY}T09:30:00Z"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=person.headers).status_code == 202

    def arrived() -> bool:
        # the runner's backoff (30 s, 1 min …) passes at once when it is asked at a later "now"
        later = utcnow() + dt.timedelta(hours=2)
        for _ in range(10):  # bounded: at a later "now" the periodic sync is always due again
            if not calgate.services.jobs.run_once(now=later):
                break
        return sorted(summaries(google_standin, email)) == ["Write 0 (moved)", "Write 1", "Write 2"]

    eventually(arrived, timeout=60)
    with calgate.services.uow() as uow:
        writes = [j for j in uow.session.query(Job).filter_by(kind="provider_write")]
    assert all(j.status == "done" for j in writes) and any(j.attempts > 1 for j in writes)  # some had to try again
    assert google_standin.failures == []


def test_declining_at_the_provider_reaches_the_application_as_access_denied(calgate, google_standin):  # type: ignore[no-untyped-def]
    google_standin.reset()
    google_standin.consent = Consent(decline=True)
    app = make_application(calgate.services, features={"free_busy"})
    params = authorize_params(app, access_mode="free_busy", provider_name="google")
    with httpx.Client(base_url=calgate.url, follow_redirects=False, timeout=30) as browser:
        flow = browser.get("/oauth/authorize", params=params).headers["location"]
        page = browser.get(flow)
        to_provider = browser.post(f"{flow}/oauth-start", data={"csrf_token": csrf(page.text)})
        refused = httpx.get(to_provider.headers["location"], follow_redirects=False)
        result = redirect_params(browser.get(refused.headers["location"]))
    assert result == {"error": "access_denied", "state": params["state"]}


def test_revoked_access_disconnects_the_profile_and_tells_the_channel(calgate, graph_standin):  # type: ignore[no-untyped-def]
    email = f"fay-{secrets.token_hex(3)}@example.test"
    graph_standin.reset()
    graph_standin.add_user(email)
    graph_standin.authorize_as = email
    person = connect(calgate, "ms_graph", "read_write")
    sync_and_wait(calgate, person.account_id)
    receiver = Receiver().start()
    try:
        assert httpx.post(f"{calgate.url}/v1/channels", json={"callback_url": receiver.url}, headers=person.headers).status_code == 200
        graph_standin.revoke_refresh_tokens()  # the person removed calgate's access at Microsoft
        graph_standin.expire_access_tokens()
        sync_now(calgate, person.account_id)
        notices = receiver.wait_for(2)
    finally:
        receiver.stop()
    assert [n.json["notification"]["type"] for n in notices] == ["verification", "profile_disconnected"]
    profile = httpx.get(f"{calgate.url}/v1/profiles", headers=person.headers).json()["profiles"][0]
    assert profile["profile_connected"] is False and profile["profile_relink_url"].endswith(profile["profile_id"])
    assert "Connect again from the application" in httpx.get(profile["profile_relink_url"]).text


def member_status(calgate: LiveServer, person: Connected) -> dict[str, Any]:
    """The member's status, with the explanation of their unavailable time beside it."""
    body = {
        "participants": [{"members": [{"sub": person.account_id}]}], "required_duration": {"minutes": 60},
        "query_periods": [{"start": f"{DAY}T08:00:00Z", "end": f"{DAY}T13:00:00Z"}], "include_member_statuses": True,
        "explain": True,
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(person.creds.client_secret))
    assert response.status_code == 200, response.text
    [status] = response.json()["member_statuses"]
    [explained] = response.json()["explanations"]
    status["unavailable"] = [(p["start"][11:16], p["end"][11:16], p["reason"]) for p in explained["unavailable"]]
    return status  # type: ignore[no-any-return]


def test_a_failing_then_stale_source_is_never_read_as_free(calgate, google_standin):  # type: ignore[no-untyped-def]
    """Google's freeBusy answers 200 with an error for the calendar: the sync fails, the last
    good read still counts for a while (failing), then the person is offered nowhere (stale)."""
    email = f"dee-{secrets.token_hex(3)}@example.test"
    google_standin.reset()
    google_standin.add_user(email)
    google_standin.consent = Consent(email=email)
    google_standin.state.create(email, email, {"start": {"dateTime": f"{DAY}T09:00:00Z"}, "end": {"dateTime": f"{DAY}T10:00:00Z"}})
    person = connect(calgate, "google", "free_busy")
    sync_and_wait(calgate, person.account_id)
    assert member_status(calgate, person)["status"] == "fresh"

    google_standin.state.freebusy_errors[email] = "backendError"
    sync_now(calgate, person.account_id)
    with calgate.services.uow() as uow:
        [profile_id] = [p.id for p in uow.profiles.of_account(person.account_id)]

    def failures() -> int:
        with calgate.services.uow() as uow:
            return uow.profiles.get(profile_id).sync_failures

    eventually(lambda: failures() > 0)
    failing = member_status(calgate, person)
    assert failing["status"] == "failing" and failing["detail"] and failing["last_synced_at"]
    assert failing["sync_status"] == "active"  # Cronofy has no word for a failing sync
    assert failing["unavailable"] == [("09:00", "10:00", "busy")]  # a free_busy block: no event named
    assert free_hours(calgate, person) == [("08:00", "09:00"), ("10:00", "13:00")]  # the last good read

    with calgate.services.uow() as uow:  # an hour and more without a good read
        uow.profiles.get(profile_id).last_synced_at = utcnow() - dt.timedelta(hours=2)
        uow.commit()
    stale = member_status(calgate, person)
    assert stale["status"] == "stale" and stale["detail"].startswith("Not read for 120 minutes")
    assert stale["unavailable"] == [("08:00", "13:00", "source_unavailable")]
    assert free_hours(calgate, person) == []
    assert stale["sync_status"] == "active"  # it was read once

    with calgate.services.uow() as uow:  # as before the first sync finished
        uow.profiles.get(profile_id).last_synced_at = None
        uow.commit()
    assert member_status(calgate, person)["sync_status"] == "pending"
