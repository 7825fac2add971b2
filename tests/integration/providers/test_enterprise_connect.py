# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect end to end against the stand-ins: an administrator connects the
organization (Google Workspace with a domain-wide delegation key, Microsoft 365 with the
organization's app registration) through calgate's pages, the application gets a service
account token, authorizes people with it (single and batch), receives each callback, exchanges
the code, and reads availability across them. In free_busy mode the privacy test holds for
every person. Error paths: a scope outside delegated_scope, an unknown person, a callback URL
that is down, a revoked service account."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from calgate.domain.model import Job
from calgate.jobs.webhooks import sign
from tests.conftest import BACKENDS
from tests.integration.web._dashboard import Dashboard
from tests.standins.google import GoogleStandin
from tests.support.api import bearer, refresh_request, token_request
from tests.support.connect import csrf, redirect_params
from tests.support.factories import AppCredentials, make_application, make_developer_application
from tests.support.graph_standin import GraphStandin
from tests.support.providers import calgate_with_providers
from tests.support.server import LiveServer
from tests.support.stored import stored_text
from tests.support.syncing import eventually, sync_and_wait
from tests.support.webhooks import Receiver, receiving

DAY = dt.date.today() + dt.timedelta(days=5)
DOMAIN = "acme.test"
CALENDAR = "https://www.googleapis.com/auth/calendar"
FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy"
TENANT, ORG_CLIENT, ORG_SECRET = "8f0c6c8e-acme-tenant", "acme-app-0001", "acme-secret-" + secrets.token_hex(4)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory, google_standin: GoogleStandin, graph_standin: GraphStandin) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    directory = Path(tmp_path_factory.mktemp(f"calgate-enterprise-{request.param}"))
    with calgate_with_providers(request.param, directory, google_standin, graph_standin) as live:
        yield live


@pytest.fixture
def calgate(server: LiveServer, google_standin: GoogleStandin, graph_standin: GraphStandin) -> LiveServer:
    server.reset()
    google_standin.reset()
    graph_standin.reset()
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


def ec_params(app: AppCredentials, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri,
        "scope": "service_account/accounts/manage", "delegated_scope": "free_busy_write", "state": "ec-" + secrets.token_hex(3),
    }
    params.update(extra)
    return params


def admin_connects(calgate: LiveServer, app: AppCredentials, form: dict[str, str], **extra: str) -> dict[str, str]:
    """Walk the administrator's pages (mode and provider pre-selected by ``extra`` or chosen);
    returns the redirect's query."""
    with httpx.Client(base_url=calgate.url, follow_redirects=False, timeout=30) as browser:
        start = browser.get("/enterprise_connect/oauth/authorize", params=ec_params(app, **extra))
        if start.status_code == 302 and "error=" in start.headers["location"]:
            return redirect_params(start)
        flow = start.headers["location"]
        page = browser.get(flow)
        if 'name="access_mode"' in page.text:
            browser.post(f"{flow}/mode", data={"csrf_token": csrf(page.text), "access_mode": form.pop("_mode")})
            page = browser.get(flow)
        if 'name="provider_name"' in page.text:
            browser.post(f"{flow}/provider", data={"csrf_token": csrf(page.text), "provider_name": form.pop("_provider")})
            page = browser.get(flow)
        checked = browser.post(f"{flow}/credentials", data={"csrf_token": csrf(page.text), **form})
        if checked.status_code != 303:
            return {"form_error": checked.text}
        page = browser.get(flow)
        assert "Allow" in page.text, page.text
        return redirect_params(browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": "allow"}))


def google_org(google: GoogleStandin, people: list[str], scopes: list[str]) -> dict[str, str]:
    for email in ["admin@" + DOMAIN, *people]:
        google.add_user(email)
    key = google.new_service_account(DOMAIN, scopes)
    return {"service_account_key": json.dumps(key), "admin_email": "admin@" + DOMAIN}


def service_account_token(calgate: LiveServer, app: AppCredentials, result: dict[str, str]) -> dict[str, Any]:
    response = token_request(calgate, app, result["code"])
    assert response.status_code == 200, response.text
    return response.json()


def exchange_callback(calgate: LiveServer, app: AppCredentials, callback: dict[str, Any], callback_url: str) -> dict[str, Any]:
    response = token_request(calgate, app, callback["authorization"]["code"], redirect_uri=callback_url)
    assert response.status_code == 200, response.text
    return response.json()


def callbacks(receiver: Receiver, count: int) -> list[dict[str, Any]]:
    eventually(lambda: len(receiver.requests) >= count, timeout=60)
    return [r.json for r in receiver.requests]


def available(calgate: LiveServer, app: AppCredentials, subs: list[str]) -> list[tuple[str, str]]:
    body = {
        "participants": [{"members": [{"sub": s} for s in subs], "required": "all"}],
        "required_duration": {"minutes": 30},
        "query_periods": [{"start": f"{DAY}T08:00:00Z", "end": f"{DAY}T17:00:00Z"}],
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(app.client_secret))
    assert response.status_code == 200, response.text
    return [(p["start"][11:16], p["end"][11:16]) for p in response.json()["available_periods"]]


def test_google_batch_of_ten_in_free_busy_mode(calgate, google_standin, receiver, caplog):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    marker = "zq" + secrets.token_hex(6)
    people = [f"p{i}@{DOMAIN}" for i in range(10)]
    form = google_org(google_standin, people, [FREEBUSY])
    for i, email in enumerate(people):  # person i is busy from 09:00 + i/2 h for half an hour, with details to keep out
        start = dt.datetime.combine(DAY, dt.time(9)) + dt.timedelta(minutes=30 * i)
        google_standin.state.create(email, email, {
            "summary": f"{marker} summary", "description": f"{marker} description", "location": f"{marker} room",
            "attendees": [{"email": f"{marker}@elsewhere.test"}],
            "start": {"dateTime": f"{start:%Y-%m-%dT%H:%M:%S}Z"}, "end": {"dateTime": f"{start + dt.timedelta(minutes=30):%Y-%m-%dT%H:%M:%S}Z"},
        })
    app = make_application(calgate.services, features={"free_busy"})
    result = admin_connects(calgate, app, form, access_mode="free_busy", provider_name="google")
    sa = service_account_token(calgate, app, result)
    assert result["state"] and sa["expires_in"] == 1800 and sa["service_account_id"].startswith("ser_")
    assert sa["scope"] == "service_account/accounts/manage" and sa["refresh_token"]

    info = httpx.get(f"{calgate.url}/v1/userinfo", headers=bearer(sa["access_token"])).json()
    assert info["sub"] == sa["service_account_id"] and info["cronofy.type"] == "service_account"
    assert info["cronofy.data"]["service_account"] == {"provider_name": "google", "domain": DOMAIN}
    assert info["cronofy.data"]["authorization"]["delegated_scope"] == "free_busy_write"

    batch = {"service_account_authorizations": [
        {"email": email, "callback_url": receiver.url, "scope": "free_busy_write", "state": f"s{i}"} for i, email in enumerate(people)
    ]}
    response = httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=batch, headers=bearer(sa["access_token"]))
    assert response.status_code == 202 and response.content == b""

    received = callbacks(receiver, 10)
    secret = app.client_secret
    assert all(r.headers["cronofy-hmac-sha256"] == sign(secret, r.body) for r in receiver.requests)
    assert sorted(c["authorization"]["state"] for c in received) == sorted(f"s{i}" for i in range(10))
    subs = []
    for callback in received:
        tokens = exchange_callback(calgate, app, callback, receiver.url)
        assert tokens["access_mode"] == "free_busy" and tokens["linking_profile"]["provider_name"] == "google_free_busy"
        subs.append(tokens["sub"])
        sync_and_wait(calgate, tokens["sub"])
        assert httpx.get(f"{calgate.url}/v1/account", headers=bearer(tokens["access_token"])).status_code == 200
    assert len(set(subs)) == 10
    # Everyone is busy somewhere between 09:00 and 14:00; together free before and after.
    assert available(calgate, app, subs) == [("08:00", "09:00"), ("14:00", "17:00")]
    assert available(calgate, app, subs[:1]) == [("08:00", "09:00"), ("09:30", "17:00")]
    stored = stored_text(calgate)
    assert marker not in stored and marker not in caplog.text
    key_line = json.loads(form["service_account_key"])["private_key"].splitlines()[2]
    assert key_line not in stored and key_line not in caplog.text  # the organization's key is sealed
    assert google_standin.failures == []
    # A code is single use, even for the callback's redirect_uri.
    again = token_request(calgate, app, received[0]["authorization"]["code"], redirect_uri=receiver.url)
    assert again.status_code == 400


def test_graph_read_write_person_is_synced_and_written_to(calgate, graph_standin, receiver):  # type: ignore[no-untyped-def]
    graph_standin.add_application(TENANT, ORG_CLIENT, ORG_SECRET, {"User.Read.All", "Calendars.ReadWrite"})
    graph_standin.add_user("admin@" + DOMAIN)
    ada = graph_standin.add_user("ada@" + DOMAIN)
    start = dt.datetime.combine(DAY, dt.time(10), dt.timezone.utc)
    graph_standin.add_event(ada, subject="Planning", start=start, end=start + dt.timedelta(hours=1))
    app = make_application(calgate.services, features={"free_busy"})
    form = {"tenant": TENANT, "client_id": ORG_CLIENT, "client_secret": ORG_SECRET, "admin_email": "admin@" + DOMAIN}
    result = admin_connects(calgate, app, form, access_mode="read_write", provider_name="ms_graph",
                            delegated_scope="read_write")
    sa = service_account_token(calgate, app, result)

    single = {"email": "ada@" + DOMAIN, "callback_url": receiver.url, "scope": "read_write"}
    assert httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=single, headers=bearer(sa["access_token"])).status_code == 202
    [callback] = callbacks(receiver, 1)
    assert "state" not in callback["authorization"]
    tokens = exchange_callback(calgate, app, callback, receiver.url)
    sync_and_wait(calgate, tokens["sub"])
    headers = bearer(tokens["access_token"])
    window = {"tzid": "Etc/UTC", "from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat()}
    events = httpx.get(f"{calgate.url}/v1/events", params=window, headers=headers).json()["events"]
    assert [e["summary"] for e in events] == ["Planning"]
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=headers).json()["calendars"][0]["calendar_id"]
    body = {"event_id": "ec-1", "summary": "Interview", "start": f"{DAY}T14:00:00Z", "end": f"{DAY}T15:00:00Z", "tzid": "Etc/UTC"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=body, headers=headers).status_code == 202
    eventually(lambda: any(e.subject == "Interview" for e in ada.events.values()))
    assert graph_standin.violations == []
    assert any(path.startswith("/v1.0/users/") for _, path, _ in graph_standin.requests)
    assert ORG_SECRET not in stored_text(calgate)


def test_the_admin_chooses_the_mode_and_provider_and_wrong_credentials_are_shown(calgate, google_standin):  # type: ignore[no-untyped-def]
    form = google_org(google_standin, [], [FREEBUSY])
    app = make_application(calgate.services, features={"free_busy", "no_calendar"})
    wrong = dict(form, admin_email="nobody@" + DOMAIN, _mode="free_busy", _provider="google")
    outcome = admin_connects(calgate, app, wrong)
    assert "no such person" in outcome.get("form_error", ""), outcome
    broken = dict(form, service_account_key="{not json", _mode="free_busy", _provider="google")
    page = admin_connects(calgate, app, broken)["form_error"]
    assert "not JSON" in page and "not json" not in page.replace("not JSON", "")
    # The key only covers free/busy: read_write is refused by Google, and calgate says so.
    refused = dict(form, _mode="read_write", _provider="google")
    assert "refused" in admin_connects(calgate, app, refused)["form_error"]
    ok = dict(form, _mode="free_busy", _provider="google")
    result = admin_connects(calgate, app, ok)
    assert service_account_token(calgate, app, result)["access_mode"] == "free_busy"


@pytest.mark.parametrize(
    "extra, error",
    [
        ({"scope": "read_write"}, "invalid_scope"),
        ({"delegated_scope": ""}, "invalid_scope"),
        ({"access_mode": "no_calendar"}, "invalid_request"),
        ({"provider_name": "caldav"}, "invalid_request"),
        ({"provider_name": "google_free_busy", "access_mode": "read_write"}, "invalid_request"),
    ],
)
def test_bad_requests_redirect_with_an_error(calgate, extra, error):  # type: ignore[no-untyped-def]
    app = make_application(calgate.services, features={"free_busy", "no_calendar"})
    with httpx.Client(base_url=calgate.url, follow_redirects=False) as browser:
        response = browser.get("/enterprise_connect/oauth/authorize", params=ec_params(app, **extra))
    assert redirect_params(response)["error"] == error


def test_unknown_client_or_redirect_uri_is_shown_never_redirected(calgate):  # type: ignore[no-untyped-def]
    app = make_application(calgate.services)
    with httpx.Client(base_url=calgate.url, follow_redirects=False) as browser:
        assert browser.get("/enterprise_connect/oauth/authorize", params=ec_params(app, redirect_uri="https://evil.test/")).status_code == 400
        assert browser.get("/enterprise_connect/oauth/authorize", params=ec_params(app, client_id="nope")).status_code == 400


@pytest.fixture
def google_service_account(calgate, google_standin):  # type: ignore[no-untyped-def]
    form = google_org(google_standin, ["ada@" + DOMAIN], [FREEBUSY])
    app = make_application(calgate.services, features={"free_busy"})
    result = admin_connects(calgate, app, form, access_mode="free_busy", provider_name="google")
    return app, service_account_token(calgate, app, result)


def test_scope_outside_delegated_scope_is_a_422_and_nothing_is_queued(calgate, google_service_account, receiver):  # type: ignore[no-untyped-def]
    app, sa = google_service_account
    batch = {"service_account_authorizations": [
        {"email": "ada@" + DOMAIN, "callback_url": receiver.url, "scope": "free_busy_write"},
        {"email": "ada@" + DOMAIN, "callback_url": receiver.url, "scope": "read_write"},
    ]}
    response = httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=batch, headers=bearer(sa["access_token"]))
    assert response.status_code == 422
    [error] = response.json()["errors"]["service_account_authorizations[1].scope"]
    assert error["key"] == "errors.not_within_delegated_scope"
    with calgate.services.uow() as uow:
        assert [j for j in uow.session.scalars(select(Job)) if j.kind == "service_account_authorization"] == []


def test_service_account_tokens_work_only_where_they_belong(calgate, google_service_account):  # type: ignore[no-untyped-def]
    app, sa = google_service_account
    assert httpx.get(f"{calgate.url}/v1/calendars", headers=bearer(sa["access_token"])).status_code == 403
    refreshed = refresh_request(calgate, app, sa["refresh_token"])
    assert refreshed.status_code == 200 and refreshed.json()["expires_in"] == 1800
    assert refreshed.json()["service_account_id"] == sa["service_account_id"]


def test_an_unknown_person_gets_an_error_callback(calgate, google_service_account, receiver):  # type: ignore[no-untyped-def]
    app, sa = google_service_account
    single = {"email": "ghost@" + DOMAIN, "callback_url": receiver.url, "scope": "free_busy_write", "state": "g"}
    assert httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=single, headers=bearer(sa["access_token"])).status_code == 202
    [callback] = callbacks(receiver, 1)
    assert callback["authorization"]["error"] == "unknown_person" and callback["authorization"]["state"] == "g"
    assert callback["authorization"]["email"] == "ghost@" + DOMAIN and "code" not in callback["authorization"]


def test_a_callback_url_that_is_down_is_retried_then_recorded_as_failed(calgate, google_service_account):  # type: ignore[no-untyped-def]
    app, sa = google_service_account
    with receiving([503]) as flaky:
        single = {"email": "ada@" + DOMAIN, "callback_url": flaky.url, "scope": "free_busy_write"}
        assert httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=single, headers=bearer(sa["access_token"])).status_code == 202
        eventually(lambda: len(flaky.requests) >= 1, timeout=60)
        # The runner records the failed attempt just after the answer arrives.
        job = eventually(lambda: (j := _callback_job(calgate)) is not None and j.last_error is not None and j)
        assert job.status == "pending" and job.attempts == 1 and "503" in job.last_error
        _due_now(calgate, job.id)  # as the backoff passing would
        eventually(lambda: len(flaky.requests) >= 2, timeout=60)
        exchange_callback(calgate, app, flaky.requests[1].json, flaky.url)
    # Down for good: after the last attempt the job is failed, and the dashboard lists it.
    down = "http://127.0.0.1:9/hooks"
    single = {"email": "ada@" + DOMAIN, "callback_url": down, "scope": "free_busy_write"}
    assert httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=single, headers=bearer(sa["access_token"])).status_code == 202

    def failed() -> Job | None:  # each retry made due at once, as the backoff passing would
        job = _callback_job(calgate, down)
        if job is not None and job.status != "failed":
            _due_now(calgate, job.id)
        return job if job is not None and job.status == "failed" else None

    job = eventually(failed, timeout=60)
    assert job.attempts == calgate.services.jobs.max_attempts
    from calgate.domain import deliveries
    with calgate.services.uow() as uow:
        developer_id = uow.applications.get(app.application_id).developer_id
        rows = deliveries.troubled(uow, developer_id)
    assert [(r.state, r.recipient) for r in rows if r.recipient == down] == [("failed", down)]


DIRECTORY = "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly"


def test_resources_of_a_google_workspace(calgate, google_standin):  # type: ignore[no-untyped-def]
    form = google_org(google_standin, [], [FREEBUSY, DIRECTORY])
    google_standin.add_resource(DOMAIN, "room-b@resource.calendar.google.com", "Room B")
    google_standin.add_resource(DOMAIN, "room-a@resource.calendar.google.com", "Room A")
    google_standin.add_resource("other.test", "elsewhere@resource.calendar.google.com", "Elsewhere")
    app = make_application(calgate.services, features={"free_busy"})
    result = admin_connects(calgate, app, form, access_mode="free_busy", provider_name="google",
                            scope="service_account/accounts/manage service_account/resources/manage")
    sa = service_account_token(calgate, app, result)
    response = httpx.get(f"{calgate.url}/v1/resources", headers=bearer(sa["access_token"]))
    assert response.status_code == 200, response.text
    assert response.json() == {"resources": [
        {"email": "room-a@resource.calendar.google.com", "name": "Room A"},
        {"email": "room-b@resource.calendar.google.com", "name": "Room B"},
    ]}
    google_standin.delegate(json.loads(form["service_account_key"])["client_email"], [FREEBUSY])  # the admin withdraws it
    refused = httpx.get(f"{calgate.url}/v1/resources", headers=bearer(sa["access_token"]))
    assert refused.status_code == 403 and "admin.directory.resource.calendar.readonly" in refused.json()["error_description"]


def test_resources_of_a_microsoft_365_tenant_and_the_scope_they_need(calgate, graph_standin):  # type: ignore[no-untyped-def]
    graph_standin.add_application(TENANT, ORG_CLIENT, ORG_SECRET, {"User.Read.All", "Calendars.ReadBasic", "Place.Read.All"})
    graph_standin.add_user("admin@" + DOMAIN)
    graph_standin.add_room("boardroom@" + DOMAIN, "Boardroom")
    app = make_application(calgate.services, features={"free_busy"})
    form = {"tenant": TENANT, "client_id": ORG_CLIENT, "client_secret": ORG_SECRET, "admin_email": "admin@" + DOMAIN}
    with_resources = admin_connects(calgate, app, dict(form), access_mode="free_busy", provider_name="ms_graph",
                                    scope="service_account/resources/manage")
    sa = service_account_token(calgate, app, with_resources)
    response = httpx.get(f"{calgate.url}/v1/resources", headers=bearer(sa["access_token"]))
    assert response.json() == {"resources": [{"email": "boardroom@" + DOMAIN, "name": "Boardroom"}]}
    without = service_account_token(calgate, app, admin_connects(calgate, app, dict(form), access_mode="free_busy", provider_name="ms_graph"))
    assert httpx.get(f"{calgate.url}/v1/resources", headers=bearer(without["access_token"])).status_code == 403
    graph_standin.fail("rooms", status=503)
    unavailable = httpx.get(f"{calgate.url}/v1/resources", headers=bearer(sa["access_token"]))
    assert unavailable.status_code == 503 and unavailable.json()["error"] == "provider_unavailable"


def test_revoking_the_service_account_revokes_everyone_it_authorized(calgate, google_service_account, receiver):  # type: ignore[no-untyped-def]
    app, sa = google_service_account
    single = {"email": "ada@" + DOMAIN, "callback_url": receiver.url, "scope": "free_busy_write"}
    httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=single, headers=bearer(sa["access_token"]))
    tokens = exchange_callback(calgate, app, callbacks(receiver, 1)[0], receiver.url)
    assert httpx.get(f"{calgate.url}/v1/account", headers=bearer(tokens["access_token"])).status_code == 200
    revoked = httpx.post(f"{calgate.url}/oauth/token/revoke", json={
        "client_id": app.client_id, "client_secret": app.client_secret, "token": sa["refresh_token"],
    })
    assert revoked.status_code == 200
    assert httpx.get(f"{calgate.url}/v1/account", headers=bearer(tokens["access_token"])).status_code == 401
    assert httpx.get(f"{calgate.url}/v1/userinfo", headers=bearer(sa["access_token"])).status_code == 401
    with calgate.services.uow() as uow:
        assert all(p.revoked_at is not None for p in uow.service_accounts.profiles(sa["service_account_id"]))


def test_the_dashboard_lists_the_organization_and_revokes_it(calgate, google_standin, receiver):  # type: ignore[no-untyped-def]
    form = google_org(google_standin, ["ada@" + DOMAIN], [FREEBUSY])
    email, app = make_developer_application(calgate.services, features={"free_busy"})
    sa = service_account_token(calgate, app, admin_connects(calgate, app, form, access_mode="free_busy", provider_name="google"))
    single = {"email": "ada@" + DOMAIN, "callback_url": receiver.url, "scope": "free_busy_write"}
    httpx.post(f"{calgate.url}/v1/service_account_authorizations", json=single, headers=bearer(sa["access_token"]))
    tokens = exchange_callback(calgate, app, callbacks(receiver, 1)[0], receiver.url)
    ser, base = sa["service_account_id"], f"/dashboard/apps/{app.application_id}/accounts"

    with httpx.Client(base_url=calgate.url, follow_redirects=False) as http:
        dashboard = Dashboard(http)
        assert dashboard.sign_in(email).status_code == 303
        page = dashboard.page(base)
        row = page.one(data_service_account=ser)
        cells = [c.clean_text for c in row.children if c.tag == "td"]
        assert cells[:5] == [f"{DOMAIN} {ser}", "Google", "Free/Busy", "admin@" + DOMAIN, "1"]
        key, raw = json.loads(form["service_account_key"]), dashboard.http.get(base).text
        assert key["private_key"][40:80] not in raw and key["client_email"] not in raw  # never the credentials
        person = dashboard.page(f"{base}/{tokens['sub']}")
        assert ser in person.testid("through-service-account")

        response = dashboard.submit(base, f"/dashboard/apps/{app.application_id}/service_accounts/{ser}/revoke")
        assert response.status_code == 303 and response.headers["location"] == base
        after = dashboard.page(base)
        assert after.one(data_service_account=ser).attrs["data-state"] == "revoked"
        assert after.one(data_account=tokens["sub"]).attrs["data-state"] == "revoked"
    assert httpx.get(f"{calgate.url}/v1/account", headers=bearer(tokens["access_token"])).status_code == 401
    assert httpx.get(f"{calgate.url}/v1/userinfo", headers=bearer(sa["access_token"])).status_code == 401

    with httpx.Client(base_url=calgate.url, follow_redirects=False) as http:  # someone else's application: 404
        stranger = Dashboard(http)
        assert stranger.sign_up().status_code == 303
        other = stranger.submit("/dashboard", f"/dashboard/apps/{app.application_id}/service_accounts/{ser}/revoke")
        assert other.status_code == 404


def _callback_job(calgate: LiveServer, url: str | None = None) -> Job | None:
    with calgate.services.uow() as uow:
        jobs = [j for j in uow.session.scalars(select(Job)) if j.kind == "service_account_callback"
                and (url is None or j.payload["callback_url"] == url)]
    return jobs[-1] if jobs else None


def _due_now(calgate: LiveServer, job_id: str) -> None:
    from calgate.domain.model import utcnow

    with calgate.services.uow() as uow:
        job = uow.jobs.get(job_id)
        if job is not None and job.status == "pending":
            job.run_after = utcnow()
        uow.commit()
