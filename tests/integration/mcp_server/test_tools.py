# SPDX-License-Identifier: Apache-2.0
"""calgate's MCP tools, driven by the official SDK's client over streamable HTTP against the
live calgate (SQLite and PostgreSQL): what each tool answers, that it answers what the HTTP API
answers, that writes reach the person through the job queue (invitations by email in No Access
mode), and that scopes, credentials and bad input are refused with clear errors."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.support.api import Connected, bearer, connect_and_exchange
from tests.support.factories import make_application
from tests.support.mail import mail_to, wait_for_mail
from tests.support.mcp_client import McpHttpServer, over_http

DAY = dt.date.today() + dt.timedelta(days=3)
ALL_TOOLS = {
    "list_calendars", "read_free_busy", "find_availability", "create_event", "update_event", "cancel_event",
    "create_scheduling_link", "get_scheduling_link",
}


@pytest.fixture
def app(calgate):  # type: ignore[no-untyped-def]
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def person(calgate, app) -> Connected:  # type: ignore[no-untyped-def]
    return connect_and_exchange(calgate, app)


def calendar_of(calgate, person: Connected) -> str:  # type: ignore[no-untyped-def]
    return httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]


def managed_events(calgate, person: Connected) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    params = {"tzid": "Etc/UTC", "include_managed": "true", "only_managed": "true"}
    return httpx.get(f"{calgate.url}/v1/events", params=params, headers=person.headers).json()["events"]


def test_the_tools_are_listed(mcp_http: McpHttpServer, person: Connected) -> None:
    with over_http(mcp_http.url, person.access_token) as mcp:
        assert set(mcp.tools()) == ALL_TOOLS


def test_list_calendars_answers_as_the_api_does(calgate, mcp_http, person, app) -> None:  # type: ignore[no-untyped-def]
    api = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()
    with over_http(mcp_http.url, person.access_token) as mcp:
        answer = mcp.call("list_calendars")
    assert not answer.is_error, answer.data
    assert answer.data["sub"] == person.account_id and answer.data["access_mode"] == "no_calendar"
    assert answer.data["calendars"] == api["calendars"]
    with over_http(mcp_http.url, app.client_secret) as mcp:
        refused = mcp.call("list_calendars")
    assert refused.is_error and "acts for one account" in refused.data and "access token" in refused.data


def test_events_are_created_updated_and_cancelled_by_invitation(calgate, mcp_http, person) -> None:  # type: ignore[no-untyped-def]
    calendar_id = calendar_of(calgate, person)
    sent = len(mail_to(calgate.mail_dir, person.email))  # the connect flow's code
    with over_http(mcp_http.url, person.access_token) as mcp:
        created = mcp.call("create_event", {
            "calendar_id": calendar_id, "event_id": "intro-1", "summary": "Intro call", "description": "Agenda",
            "start": f"{DAY}T10:00", "end": f"{DAY}T10:30", "tzid": "Europe/Berlin", "location": "Room 4",
        })
        assert not created.is_error, created.data
        assert created.data["delivery"] == "email_invitation" and created.data["event_id"] == "intro-1"
        invitation = wait_for_mail(calgate.mail_dir, person.email, skip=sent)  # sent by the job queue
        assert "METHOD:REQUEST" in invitation.as_string() and "Intro call" in invitation.as_string()

        again = mcp.call("create_event", {
            "calendar_id": calendar_id, "event_id": "intro-1", "summary": "Other", "start": f"{DAY}T12:00",
            "end": f"{DAY}T12:30", "tzid": "Europe/Berlin",
        })
        assert again.is_error and "already exists" in again.data

        [event] = managed_events(calgate, person)
        local = dt.datetime.fromisoformat(f"{DAY}T10:00").replace(tzinfo=dt.timezone.utc)
        assert event["summary"] == "Intro call" and event["description"] == "Agenda"
        assert event["start"] != local.strftime("%Y-%m-%dT%H:%M:%SZ")  # read as Berlin time, not UTC
        sent = len(mail_to(calgate.mail_dir, person.email))

        updated = mcp.call("update_event", {"calendar_id": calendar_id, "event_id": "intro-1", "summary": "Intro call (moved)"})
        assert not updated.is_error, updated.data
        [event] = managed_events(calgate, person)
        assert event["summary"] == "Intro call (moved)"
        assert event["description"] == "Agenda" and event["location"]["description"] == "Room 4"  # kept
        wait_for_mail(calgate.mail_dir, person.email, skip=sent)
        sent = len(mail_to(calgate.mail_dir, person.email))

        cancelled = mcp.call("cancel_event", {"calendar_id": calendar_id, "event_id": "intro-1"})
        assert not cancelled.is_error and cancelled.data["cancelled"] is True
        cancellation = wait_for_mail(calgate.mail_dir, person.email, skip=sent)
        assert "METHOD:CANCEL" in cancellation.as_string()
        assert managed_events(calgate, person) == []
        twice = mcp.call("cancel_event", {"calendar_id": calendar_id, "event_id": "intro-1"})
        assert twice.is_error and "no such event" in twice.data
        unknown = mcp.call("update_event", {"calendar_id": "cal_nope", "event_id": "intro-1", "summary": "x"})
        assert unknown.is_error and "no such calendar" in unknown.data


def test_free_busy_and_availability_answer_as_the_api_does(calgate, mcp_http, person, app) -> None:  # type: ignore[no-untyped-def]
    calendar_id = calendar_of(calgate, person)
    event = {"event_id": "busy-1", "summary": "Busy", "start": f"{DAY}T10:00:00Z", "end": f"{DAY}T11:00:00Z"}
    assert httpx.post(f"{calgate.url}/v1/calendars/{calendar_id}/events", json=event, headers=person.headers).status_code == 202
    with over_http(mcp_http.url, person.access_token) as mcp:
        blocks = mcp.call("read_free_busy", {"tzid": "Etc/UTC", "start": str(DAY), "end": str(DAY + dt.timedelta(days=1))})
        assert not blocks.is_error, blocks.data
        assert blocks.data["free_busy"] == [{
            "calendar_id": calendar_id, "start": f"{DAY}T10:00:00+00:00", "end": f"{DAY}T11:00:00+00:00",
            "free_busy_status": "busy", "event_id": "busy-1",
        }]
        mine = mcp.call("find_availability", {
            "duration_minutes": 60, "tzid": "Etc/UTC", "periods": [{"start": f"{DAY}T09:00", "end": f"{DAY}T12:00"}],
        })
    assert not mine.is_error, mine.data
    assert [(a["start"], a["end"]) for a in mine.data["available"]] == [
        (f"{DAY}T09:00:00+00:00", f"{DAY}T10:00:00+00:00"), (f"{DAY}T11:00:00+00:00", f"{DAY}T12:00:00+00:00"),
    ]
    body = {
        "participants": [{"members": [{"sub": person.account_id}], "required": "all"}], "required_duration": {"minutes": 60},
        "query_periods": [{"start": f"{DAY}T08:00:00Z", "end": f"{DAY}T11:00:00Z"}],
    }
    api = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(app.client_secret)).json()
    with over_http(mcp_http.url, app.client_secret) as mcp:
        # 09:00 in Berlin is 08:00 UTC (winter) or 07:00 (summer): ask in UTC to compare with the API.
        asked = mcp.call("find_availability", {
            "duration_minutes": 60, "tzid": "Etc/UTC", "periods": [{"start": f"{DAY}T08:00:00Z", "end": f"{DAY}T11:00:00Z"}],
            "participants": [{"members": [person.account_id]}],
        })
        assert [(a["start"], a["end"]) for a in asked.data["available"]] == [
            (dt.datetime.fromisoformat(p["start"].replace("Z", "+00:00")).isoformat(),
             dt.datetime.fromisoformat(p["end"].replace("Z", "+00:00")).isoformat()) for p in api["available_periods"]
        ]
        assert asked.data["member_statuses"][0]["sub"] == person.account_id
        alone = mcp.call("find_availability", {"duration_minutes": 60, "tzid": "Etc/UTC", "periods": body["query_periods"]})
        assert alone.is_error and "access token" in alone.data
        refused = mcp.call("read_free_busy", {"tzid": "Etc/UTC"})
        assert refused.is_error and "acts for one account" in refused.data


def test_scopes_are_enforced_as_by_the_api(calgate, mcp_http, app) -> None:  # type: ignore[no-untyped-def]
    reader = connect_and_exchange(calgate, app)
    # Narrower than any connect flow grants a hosted account (they all need free_busy_write):
    # what an application asking for "read_account list_calendars read_free_busy" would hold.
    with calgate.services.uow() as uow:
        [grant] = uow.grants.of_account(app.application_id, reader.account_id)
        grant.scope = "read_account list_calendars read_free_busy"
        uow.commit()
    calendar_id = calendar_of(calgate, reader)
    with over_http(mcp_http.url, reader.access_token) as mcp:
        assert not mcp.call("read_free_busy", {"tzid": "Etc/UTC"}).is_error
        write = mcp.call("create_event", {
            "calendar_id": calendar_id, "summary": "x", "start": f"{DAY}T10:00", "end": f"{DAY}T11:00", "tzid": "Etc/UTC",
        })
        cancel = mcp.call("cancel_event", {"calendar_id": calendar_id, "event_id": "x"})
    assert write.is_error and "create_event scope" in write.data
    assert cancel.is_error and "delete_event scope" in cancel.data
    free_busy = httpx.get(f"{calgate.url}/v1/free_busy", params={"tzid": "Etc/UTC", "include_managed": "true"}, headers=reader.headers)
    assert free_busy.json()["free_busy"] == []  # nothing was written


def test_bad_input_is_a_clear_error(calgate, mcp_http, person) -> None:  # type: ignore[no-untyped-def]
    calendar_id = calendar_of(calgate, person)
    with over_http(mcp_http.url, person.access_token) as mcp:
        zone = mcp.call("read_free_busy", {"tzid": "Mars/Olympus"})
        backwards = mcp.call("create_event", {
            "calendar_id": calendar_id, "summary": "x", "start": f"{DAY}T11:00", "end": f"{DAY}T10:00", "tzid": "Etc/UTC",
        })
        long = mcp.call("find_availability", {"duration_minutes": 5000, "tzid": "Etc/UTC", "periods": [
            {"start": f"{DAY}T09:00", "end": f"{DAY}T12:00"}]})
        typed = mcp.call("find_availability", {"duration_minutes": "an hour", "tzid": "Etc/UTC", "periods": []})
        nothing = mcp.call("update_event", {"calendar_id": calendar_id, "event_id": "x"})
        garbled = mcp.call("create_event", {
            "calendar_id": calendar_id, "summary": "x", "start": "tomorrow at ten", "end": f"{DAY}T10:00", "tzid": "Etc/UTC",
        })
    assert zone.is_error and "'Mars/Olympus' is not a known IANA time zone" in zone.data
    assert backwards.is_error and "end must be after start" in backwards.data
    assert long.is_error and "required_duration" in long.data
    assert typed.is_error and "duration_minutes" in typed.data
    assert nothing.is_error and "at least one field" in nothing.data
    assert garbled.is_error and "start" in garbled.data
    for answer in (zone, backwards, long, typed, nothing, garbled):
        assert "Traceback" not in answer.raw


def test_scheduling_links_are_the_applications(calgate, mcp_http, person, app) -> None:  # type: ignore[no-untyped-def]
    calendar_id = calendar_of(calgate, person)
    arguments = {
        "summary": "Interview", "duration_minutes": 30, "tzid": "Europe/London",
        "periods": [{"start": f"{DAY}T09:00", "end": f"{DAY}T12:00"}],
        "participants": [{"members": [person.account_id]}],
        "target_calendars": [{"sub": person.account_id, "calendar_id": calendar_id}],
        "redirect_uri": "https://app.example.com/booked",
    }
    with over_http(mcp_http.url, person.access_token) as mcp:
        refused = mcp.call("create_scheduling_link", arguments)
    assert refused.is_error and "API key" in refused.data
    with over_http(mcp_http.url, app.client_secret) as mcp:
        made = mcp.call("create_scheduling_link", arguments)
        assert not made.is_error, made.data
        assert made.data["url"].startswith(f"{calgate.url}/rts/") and made.data["status"] == "open"
        status = mcp.call("get_scheduling_link", {"real_time_scheduling_id": made.data["real_time_scheduling_id"]})
        bad = mcp.call("create_scheduling_link", {**arguments, "redirect_uri": "not a url"})
        missing = mcp.call("get_scheduling_link", {"real_time_scheduling_id": "sch_nope"})
    assert status.data["status"] == "open" and status.data["url"] == made.data["url"]
    assert httpx.get(made.data["url"]).status_code == 200  # the page a person books on
    api = httpx.get(f"{calgate.url}/v1/real_time_scheduling/{made.data['real_time_scheduling_id']}", headers=bearer(app.client_secret))
    assert api.json()["real_time_scheduling"]["status"] == "open"
    assert bad.is_error and "redirect_uri" in bad.data
    assert missing.is_error and "no such real_time_scheduling" in missing.data


def test_http_requests_without_a_known_bearer_are_401(mcp_http: McpHttpServer, person: Connected) -> None:
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    for auth in ({}, bearer("not-a-token"), {"Authorization": "Basic abc"}):
        response = httpx.post(mcp_http.url, json=initialize, headers={**headers, **auth})
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "error" in response.json()

