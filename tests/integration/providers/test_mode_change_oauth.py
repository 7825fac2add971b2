# SPDX-License-Identifier: Apache-2.0
"""Changing the access mode of a Google or Microsoft calendar through calgate's connect flow,
against the stand-ins, in both directions (the CalDAV twin, on Radicale, is
``test_mode_change_caldav.py``).

Up (free_busy → read_write): the next Read Events has the person's events, with no sync
awaited; the calendar keeps its id (Graph lists it under the address in free_busy and under
its own id with details); the invitation the person accepted is not stored twice.
Down (read_write → free_busy): nothing of the person's events is left in the database, the
mail folder or the logs when they are sent back; their busy time still counts; the
application's event written into the calendar is handed over to invitations by email.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.integration.store._timelines import assert_consistent
from tests.standins.google import Consent, GoogleStandin
from tests.support.api import Connected, bearer, token_request
from tests.support.connect import authorize_params, csrf, redirect_params
from tests.support.factories import AppCredentials, make_application
from tests.support.graph_standin import GraphStandin
from tests.support.mode_change import calendar_ids, events, invitation_methods, profiles
from tests.support.providers import calgate_with_providers
from tests.support.server import LiveServer
from tests.support.stored import stored_text
from tests.support.syncing import eventually, sync_and_wait

DAY = dt.date.today() + dt.timedelta(days=5)
UTC = dt.timezone.utc
WINDOW = {"tzid": "Etc/UTC", "from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat()}


@pytest.fixture(scope="module", params=BACKENDS)
def server(request, tmp_path_factory, google_standin: GoogleStandin, graph_standin: GraphStandin) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    directory = Path(tmp_path_factory.mktemp(f"calgate-modes-{request.param}"))
    with calgate_with_providers(request.param, directory, google_standin, graph_standin) as live:
        yield live


@pytest.fixture
def calgate(server: LiveServer) -> LiveServer:
    server.reset()
    return server


def connect(calgate: LiveServer, app: AppCredentials, provider: str, access_mode: str, email: str) -> Connected:
    with httpx.Client(base_url=calgate.url, follow_redirects=False, timeout=30) as browser:
        flow = browser.get("/oauth/authorize", params=authorize_params(app, access_mode=access_mode, provider_name=provider)).headers["location"]
        page = browser.get(flow)
        to_provider = browser.post(f"{flow}/oauth-start", data={"csrf_token": csrf(page.text)})
        consented = httpx.get(to_provider.headers["location"], follow_redirects=False)
        assert browser.get(consented.headers["location"]).status_code == 303
        page = browser.get(flow)
        result = redirect_params(browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": "allow"}))
    response = token_request(calgate, app, result["code"])
    assert response.status_code == 200, response.text
    return Connected(creds=app, email=email, tokens=response.json())


def free_hours(calgate: LiveServer, person: Connected) -> list[tuple[str, str]]:
    body = {
        "participants": [{"members": [{"sub": person.account_id}], "required": "all"}],
        "required_duration": {"minutes": 60},
        "query_periods": [{"start": f"{DAY}T08:00:00Z", "end": f"{DAY}T18:00:00Z"}],
    }
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(person.creds.client_secret))
    assert response.status_code == 200, response.text
    return [(p["start"][11:16], p["end"][11:16]) for p in response.json()["available_periods"]]


def at(hour: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour), UTC)


# The person's events: 09–10, 11–12 and a series at 14–15 (three days from DAY); on DAY the
# free hours of 08–18 are these, with the application's event at 16–17 or without it.
FREE = [("08:00", "09:00"), ("10:00", "11:00"), ("12:00", "14:00"), ("15:00", "18:00")]
FREE_WITH_CALL = [("08:00", "09:00"), ("10:00", "11:00"), ("12:00", "14:00"), ("15:00", "16:00"), ("17:00", "18:00")]
CALL = {"event_id": "call-1", "summary": "Intro call", "start": f"{DAY}T16:00:00Z", "end": f"{DAY}T17:00:00Z", "tzid": "Etc/UTC"}


def google_person(google: GoogleStandin, marker: str) -> str:
    email = f"gg-{secrets.token_hex(3)}@example.test"
    google.reset()
    google.add_user(email)
    google.consent = Consent(email=email)
    for hour in (9, 11):
        google.state.create(email, email, {
            "summary": f"Private {marker}", "description": marker, "location": f"Room {marker}",
            "attendees": [{"email": f"{marker}@example.test"}],
            "start": {"dateTime": f"{DAY}T{hour:02}:00:00Z"}, "end": {"dateTime": f"{DAY}T{hour + 1:02}:00:00Z"},
        })
    for day in range(3):  # a series, as singleEvents=true lists it
        when = DAY + dt.timedelta(days=day)
        google.state.create(email, email, {
            "summary": f"Private {marker}", "recurringEventId": "series1", "iCalUID": f"series-{marker}@google.com",
            "originalStartTime": {"dateTime": f"{when}T14:00:00Z"},
            "start": {"dateTime": f"{when}T14:00:00Z"}, "end": {"dateTime": f"{when}T15:00:00Z"},
        })
    return email


def graph_person(graph: GraphStandin, marker: str) -> tuple[str, object]:
    email = f"gr-{secrets.token_hex(3)}@example.test"
    graph.reset()
    user = graph.add_user(email)
    graph.authorize_as = email
    for hour in (9, 11):
        graph.add_event(user, subject=f"Private {marker}", location=f"Room {marker}", body=marker, start=at(hour), end=at(hour + 1))
    graph.add_event(user, subject=f"Private {marker}", start=at(14), end=at(15), repeat=("daily", 3))
    return email, user


def upgrade(calgate: LiveServer, provider: str, email: str, marker: str, accept) -> None:  # type: ignore[no-untyped-def]
    app = make_application(calgate.services, features={"free_busy"})
    before = connect(calgate, app, provider, "free_busy", email)
    sync_and_wait(calgate, before.account_id)
    [calendar_id] = calendar_ids(calgate, before)
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=CALL, headers=before.headers).status_code == 202
    eventually(lambda: invitation_methods(calgate, email) == ["REQUEST"])
    [own] = events(calgate, before, WINDOW)
    accept(f"{own['event_uid']}@calgate")  # the person accepts the invitation into their calendar
    sync_and_wait(calgate, before.account_id)
    assert free_hours(calgate, before) == FREE_WITH_CALL

    after = connect(calgate, app, provider, "read_write", email)
    assert after.account_id == before.account_id and after.tokens["access_mode"] == "read_write"
    found = events(calgate, after, WINDOW, include_managed="true")  # no sync awaited
    assert sorted(e["summary"] for e in found) == sorted([f"Private {marker}"] * 3 + ["Intro call"])
    assert [e.get("event_id") for e in found if e["summary"] == "Intro call"] == ["call-1"]  # not the person's copy too
    assert calendar_ids(calgate, after) == [calendar_id]
    assert profiles(calgate, after.account_id) == [(provider, "read_write")]
    assert free_hours(calgate, after) == FREE_WITH_CALL
    assert_consistent(calgate.services)
    moved = {**CALL, "summary": "Intro call (moved)"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=moved, headers=after.headers).status_code == 202
    eventually(lambda: invitation_methods(calgate, email) == ["REQUEST", "REQUEST"])  # still an invitation


def downgrade(calgate: LiveServer, provider: str, email: str, marker: str, caplog, written) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    app = make_application(calgate.services, features={"free_busy"})
    before = connect(calgate, app, provider, "read_write", email)
    sync_and_wait(calgate, before.account_id)
    assert len(events(calgate, before, WINDOW)) == 3 and marker in stored_text(calgate)
    calendar_id = calendar_ids(calgate, before)[0]
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=CALL, headers=before.headers).status_code == 202
    copy = eventually(written)

    after = connect(calgate, app, provider, "free_busy", email)
    assert after.account_id == before.account_id and after.tokens["access_mode"] == "free_busy"
    assert marker not in stored_text(calgate) and marker not in caplog.text  # at once
    assert [e["event_id"] for e in events(calgate, after, WINDOW)] == ["call-1"]
    assert calendar_ids(calgate, after) == [calendar_id]
    assert profiles(calgate, after.account_id) == [(provider, "free_busy")]
    assert free_hours(calgate, after) == FREE_WITH_CALL
    assert_consistent(calgate.services)

    moved = {**CALL, "summary": "Intro call (moved)"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=moved, headers=after.headers).status_code == 202
    eventually(lambda: invitation_methods(calgate, email) == ["REQUEST"])
    response = httpx.request("DELETE", f"{calgate.url}/v1/calendars/{calendar_id}/events", json={"event_id": "call-1"}, headers=after.headers)
    assert response.status_code == 202
    eventually(lambda: invitation_methods(calgate, email) == ["REQUEST", "CANCEL"])
    assert written() == copy  # the copy in the calendar was left as it was
    sync_and_wait(calgate, after.account_id)
    assert free_hours(calgate, after) == FREE_WITH_CALL  # the copy's busy time, read as busy only
    assert marker not in stored_text(calgate) and marker not in caplog.text
    assert_consistent(calgate.services)


def test_google_free_busy_to_read_write(calgate, google_standin):  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(6)
    email = google_person(google_standin, marker)

    def accept(uid: str) -> None:
        google_standin.state.create(email, email, {
            "summary": "Intro call", "iCalUID": uid, "start": {"dateTime": f"{DAY}T16:00:00Z"}, "end": {"dateTime": f"{DAY}T17:00:00Z"},
        })

    upgrade(calgate, "google", email, marker, accept)
    assert google_standin.failures == []


def test_google_read_write_to_free_busy(calgate, google_standin, caplog):  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(6)
    email = google_person(google_standin, marker)

    def written() -> list[tuple[str, str]]:
        found = google_standin.state.calendar(email, "primary").events.values()
        return [(e["summary"], e["etag"]) for e in found if e.get("summary", "").startswith("Intro call") and e.get("status") != "cancelled"]

    downgrade(calgate, "google", email, marker, caplog, written)
    assert google_standin.failures == []


def test_graph_free_busy_to_read_write(calgate, graph_standin):  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(6)
    email, user = graph_person(graph_standin, marker)
    upgrade(calgate, "ms_graph", email, marker, lambda uid: graph_standin.add_event(user, subject="Intro call", start=at(16), end=at(17), ical_uid=uid))
    assert graph_standin.violations == []


def test_graph_read_write_to_free_busy(calgate, graph_standin, caplog):  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(6)
    email, user = graph_person(graph_standin, marker)

    def written() -> list[tuple[str, str]]:
        return [(e.subject, e.etag) for e in user.events.values() if e.subject.startswith("Intro call")]  # type: ignore[attr-defined]

    downgrade(calgate, "ms_graph", email, marker, caplog, written)
    assert graph_standin.violations == []
