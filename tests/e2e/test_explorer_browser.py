# SPDX-License-Identifier: Apache-2.0
"""The availability explorer in chromium, on a seeded scenario: two hosted (No Calendar Access)
people with working hours and events. The grid the browser shows is the API's answer: its
available bars are POST /v1/availability's available_periods for the request the page shows,
and the busy bars sit where the events are. The pycronofy snippet, run as shown, agrees too.

Uses the shared ``page`` fixture (tests/e2e/conftest.py); runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.integration.api._availability import at, busy
from tests.integration.api._read_events import connect
from tests.integration.api.test_availability_managed import rule
from tests.support.api import bearer
from tests.e2e.dashboard import sign_in
from tests.support.factories import AppCredentials, make_developer_application
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
EVENTS = {  # (person, event_id): (start, end), all on Monday 11 January 2027
    ("ada", "standup"): (at(9, 30), at(10)),
    ("ada", "interview"): (at(13), at(14, 30)),
    ("bob", "lunch"): (at(12), at(13)),
    ("bob", "retro"): (at(15), at(16)),
}


def seed(calgate: LiveServer) -> tuple[str, AppCredentials, dict[str, Any]]:
    """A developer (their email) owning an application with Ada (09–17) and Bob (10–17)."""
    email, creds = make_developer_application(calgate.services, features={"no_calendar"}, name="Acme Interviews")
    people = {"ada": connect(calgate, creds), "bob": connect(calgate, creds)}
    for name, start in (("ada", "09:00"), ("bob", "10:00")):
        periods = [{"day": day, "start_time": start, "end_time": "17:00"} for day in WEEKDAYS]
        rule(calgate, people[name], "work", periods, tzid="Etc/UTC")
    for (name, event_id), (start, end) in EVENTS.items():
        busy(calgate, people[name], event_id, start, end)
    return email, creds, people


def bars(page: Page, lane: str, kind: str) -> list[tuple[str, str]]:
    found = page.locator(f'[data-testid=grid] [data-lane="{lane}"] .bar[data-kind="{kind}"]')
    return [(b.get_attribute("data-start") or "", b.get_attribute("data-end") or "") for b in found.all()]


def test_the_grid_is_the_apis_answer(
    calgate: LiveServer, page: Page, artifacts: Path, sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    email, creds, people = seed(calgate)
    sign_in(page, calgate.url, email)

    page.goto(f"{calgate.url}/dashboard/apps/{creds.application_id}/explorer")
    expect(page.get_by_role("heading", name="Availability explorer")).to_be_visible()
    for person in people.values():
        page.get_by_label(person.email, exact=True).check()
    page.get_by_label("Duration (minutes)").fill("30")
    page.get_by_label("Week").fill("2027-01-13")
    page.get_by_label("Time zone").fill("Etc/UTC")
    expect(page.get_by_label("Use their availability rules")).to_be_checked()
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_test_id("grid")).to_be_visible()

    request = json.loads(page.get_by_test_id("request-json").inner_text())
    response = httpx.post(f"{calgate.url}/v1/availability", json=request, headers=bearer(creds.client_secret))
    assert response.status_code == 200, response.text
    answer = response.json()
    expected = [(p["start"], p["end"]) for p in answer["available_periods"]]
    assert expected[:3] == [(at(10), at(12)), (at(14, 30), at(15)), (at(16), at(17))]
    assert bars(page, "available", "available") == expected
    for (name, _), span in EVENTS.items():
        assert span in bars(page, people[name].account_id, "busy")
    for name in people:
        monday = [b for b in bars(page, people[name].account_id, "busy") if b[0].startswith("2027-01-11")]
        assert sorted(monday) == sorted(span for (who, _), span in EVENTS.items() if who == name)
    expect(page.get_by_test_id("legend")).to_contain_text("Outside the person's availability rules")
    expect(page.get_by_test_id("curl")).to_contain_text("$CALGATE_CLIENT_SECRET")
    assert creds.client_secret not in page.content()

    page.get_by_test_id("grid").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "explorer.png"), full_page=True)
    page.get_by_test_id("result").screenshot(path=str(artifacts / "explorer-grid.png"))

    # The pycronofy snippet, run as the page shows it, gets the same periods.
    monkeypatch.setenv("CALGATE_CLIENT_SECRET", creds.client_secret)
    namespace: dict[str, Any] = {}
    exec(compile(page.get_by_test_id("pycronofy").inner_text(), "snippet.py", "exec"), namespace)  # noqa: S102
    assert [(p["start"], p["end"]) for p in namespace["available"]] == expected
