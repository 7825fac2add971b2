# SPDX-License-Identifier: Apache-2.0
"""No MCP tool can return what a Free/Busy account's events say.

A person connects a CalDAV calendar (real Radicale) in free_busy mode; their events carry a
unique marker in the summary, description, location, organizer, attendees and UID
(``tests/support/caldav.private_event``). Then every tool the server lists is called, with
the person's access token and with the application's API key, on the marker's day, including
the calls that must fail; the marker appears in no answer, while free/busy and availability
still see the busy time.
"""

from __future__ import annotations

import datetime as dt
import secrets

import httpx
import pytest

from tests.support.caldav import connect_caldav, private_event
from tests.support.factories import make_application
from tests.support.mcp_client import Answer, McpHttpServer, over_http
from tests.support.syncing import sync_and_wait

DAY = dt.date.today() + dt.timedelta(days=3)


@pytest.fixture
def app(calgate):  # type: ignore[no-untyped-def]
    return make_application(calgate.services, features={"free_busy"})


def test_no_tool_returns_a_free_busy_accounts_event_details(calgate, radicale, app, mcp_http: McpHttpServer) -> None:  # type: ignore[no-untyped-def]
    marker = "zq" + secrets.token_hex(8)
    user = radicale.new_user()
    collection = radicale.make_calendar(user, "private", "Private")
    radicale.put(f"{collection}a.ics", private_event(DAY, "a", marker, "100000", "110000"))
    radicale.put(f"{collection}b.ics", private_event(DAY, "b", marker, "130000", "133000", "STATUS:TENTATIVE\r\n"))
    person = connect_caldav(calgate, app, radicale.url, user, access_mode="free_busy")
    sync_and_wait(calgate, person.account_id)
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    day = {"start": f"{DAY}T08:00", "end": f"{DAY}T18:00"}
    members = [{"members": [person.account_id]}]
    answers: dict[str, list[Answer]] = {}
    called: set[str] = set()

    def call(mcp, name: str, arguments: dict) -> Answer:  # type: ignore[no-untyped-def, type-arg]
        called.add(name)
        answer = mcp.call(name, arguments)
        answers.setdefault(name, []).append(answer)
        return answer

    with over_http(mcp_http.url, person.access_token) as mcp:
        listed = set(mcp.tools())
        assert not call(mcp, "list_calendars", {}).is_error
        blocks = call(mcp, "read_free_busy", {"tzid": "Etc/UTC", "start": str(DAY), "end": str(DAY + dt.timedelta(days=1))})
        assert [(b["start"], b["free_busy_status"]) for b in blocks.data["free_busy"]] == [
            (f"{DAY}T10:00:00+00:00", "busy"), (f"{DAY}T13:00:00+00:00", "tentative"),
        ]
        call(mcp, "read_free_busy", {"tzid": "Europe/Berlin"})  # the default window, another zone
        free = call(mcp, "find_availability", {"duration_minutes": 60, "tzid": "Etc/UTC", "periods": [day]})
        assert free.data["available"][0]["end"] == f"{DAY}T10:00:00+00:00"
        created = call(mcp, "create_event", {
            "calendar_id": calendar_id, "event_id": "mcp-1", "summary": "Intro", "start": f"{DAY}T16:00", "end": f"{DAY}T16:30",
            "tzid": "Etc/UTC",
        })
        assert created.data["delivery"] == "email_invitation"
        call(mcp, "update_event", {"calendar_id": calendar_id, "event_id": "mcp-1", "start": f"{DAY}T16:30", "end": f"{DAY}T17:00"})
        call(mcp, "update_event", {"calendar_id": calendar_id, "event_id": "a", "summary": "x"})  # the person's own: not found
        call(mcp, "cancel_event", {"calendar_id": calendar_id, "event_id": "mcp-1"})
        call(mcp, "cancel_event", {"calendar_id": calendar_id, "event_id": f"a-{marker}"})
        call(mcp, "create_scheduling_link", {"summary": "x", "duration_minutes": 30, "periods": [day], "tzid": "Etc/UTC",
                                             "participants": members, "target_calendars": [], "redirect_uri": "https://x.example"})
        call(mcp, "get_scheduling_link", {"real_time_scheduling_id": "sch_x"})

    with over_http(mcp_http.url, app.client_secret) as mcp:
        call(mcp, "find_availability", {"duration_minutes": 30, "tzid": "Etc/UTC", "periods": [day], "participants": members,
                                        "response_format": "slots", "start_interval_minutes": 30})
        link = call(mcp, "create_scheduling_link", {
            "summary": "Interview", "duration_minutes": 30, "periods": [day], "tzid": "Etc/UTC", "participants": members,
            "target_calendars": [{"sub": person.account_id, "calendar_id": calendar_id}], "redirect_uri": "https://app.example/done",
        })
        assert not link.is_error, link.data
        call(mcp, "get_scheduling_link", {"real_time_scheduling_id": link.data["real_time_scheduling_id"]})
        for name in ("list_calendars", "read_free_busy", "create_event", "update_event", "cancel_event"):
            refused = call(mcp, name, {"tzid": "Etc/UTC"} if name == "read_free_busy" else {
                "calendar_id": calendar_id, "event_id": "mcp-1", "summary": "x", "start": f"{DAY}T16:00", "end": f"{DAY}T16:30",
                "tzid": "Etc/UTC"} if name != "list_calendars" else {})
            assert refused.is_error

    assert called == listed, f"tools not called: {listed - called}"
    for name, results in answers.items():
        for answer in results:
            assert marker not in answer.raw, f"{name} returned event details: {answer.raw[:500]}"
            assert "Divorce" not in answer.raw and "Bring papers" not in answer.raw
