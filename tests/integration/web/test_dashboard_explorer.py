# SPDX-License-Identifier: Apache-2.0
"""The availability explorer (web/dashboard/explorer.py): the form lists the application's
accounts; a run draws a lane per member with the reasons it cannot take each part of the week
and a lane of what is available, which is what POST /v1/availability answers for the request
the page shows; mistakes are a 422 on the page; only the owner sees it. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from calgate.domain import applications
from tests.integration.api._availability import at, busy
from tests.integration.api._read_events import connect, set_participation
from tests.integration.api.test_availability_managed import rule
from tests.integration.web._dashboard import Dashboard
from tests.integration.web._pages import Element, Page
from tests.support.api import Connected, bearer
from tests.support.factories import AppCredentials
from tests.support.server import LiveServer

WEEK = "2027-01-13"  # a Wednesday: the explorer asks about its week, Monday 11 to Monday 18 January
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


@dataclass
class Scenario:
    app_id: str
    creds: AppCredentials
    ada: Connected
    bob: Connected

    @property
    def path(self) -> str:
        return f"/dashboard/apps/{self.app_id}/explorer"


def credentials(server: LiveServer, application_id: str) -> AppCredentials:
    with server.services.uow() as uow:
        app = uow.applications.get(application_id)
    return AppCredentials(app.client_id, applications.reveal_secret(app, server.services.box), app.redirect_uris[0], app.id)


def working_hours(calgate: LiveServer, person: Connected, start: str, end: str) -> None:
    rule(calgate, person, "work", [{"day": d, "start_time": start, "end_time": end} for d in WEEKDAYS], tzid="Etc/UTC")


@pytest.fixture
def scenario(calgate: LiveServer, developer: Dashboard) -> Scenario:
    """Ada works 09–17 with a stand-up and a tentative review on Monday; Bob works 10–16 and
    has lunch on Monday."""
    app_id = developer.create_app("Acme Interviews", feature_no_calendar="on")
    creds = credentials(calgate, app_id)
    ada, bob = connect(calgate, creds), connect(calgate, creds)
    working_hours(calgate, ada, "09:00", "17:00")
    working_hours(calgate, bob, "10:00", "16:00")
    busy(calgate, ada, "standup", at(11), at(12))
    busy(calgate, ada, "review", at(14), at(15))
    set_participation(calgate, ada, "review", "tentative")
    busy(calgate, bob, "lunch", at(12), at(13))
    return Scenario(app_id, creds, ada, bob)


def run(developer: Dashboard, scenario: Scenario, *people: Connected, **fields: str) -> httpx.Response:
    form = {"duration": "60", "week": WEEK, "tzid": "Etc/UTC", "response_format": "periods", "managed": "on", **fields}
    form.update({f"member_{p.account_id}": "on" for p in people})
    return developer.submit(scenario.path, **form)


def lanes(page: Page) -> dict[str, list[tuple[str, str, str, str]]]:
    """Each lane of the grid by its key: its bars as (kind, start, end, label)."""
    found = {}
    for lane in page.find(data_testid="grid")[0].children:
        if lane.attrs.get("data-lane") is None:
            continue
        bars = [b for track in lane.children for b in track.children if b.attrs.get("data-kind")]
        found[str(lane.attrs["data-lane"])] = [_bar(b) for b in bars]
    return found


def _bar(bar: Element) -> tuple[str, str, str, str]:
    return str(bar.attrs["data-kind"]), str(bar.attrs["data-start"]), str(bar.attrs["data-end"]), bar.clean_text


def ask(calgate: LiveServer, secret: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{calgate.url}/v1/availability", json=body, headers=bearer(secret))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_form_lists_the_applications_accounts(calgate: LiveServer, developer: Dashboard, scenario: Scenario) -> None:
    page = developer.page(scenario.path)
    assert "Availability explorer" in page.headings()
    rows = {str(e.attrs["data-sub"]) for e in page.elements if e.tag == "tr" and e.attrs.get("data-sub")}
    assert rows == {scenario.ada.account_id, scenario.bob.account_id}
    assert page.label_for(f"member_{scenario.ada.account_id}") == scenario.ada.email
    assert page.field("Time zone").attrs["value"] == "Etc/UTC"
    assert page.field("Response format").tag == "select"
    assert page.field("Availability request (JSON)").tag == "textarea"
    week = page.field("Week").attrs["value"]
    assert dt.date.fromisoformat(str(week)) == dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    assert page.unlabelled_fields() == []
    assert "grid" not in {e.attrs.get("data-testid") for e in page.elements}


def test_a_run_draws_a_lane_per_member_with_the_reasons(developer: Dashboard, scenario: Scenario) -> None:
    response = run(developer, scenario, scenario.ada, scenario.bob)
    assert response.status_code == 200, response.text
    page = Page(response.text)
    drawn = lanes(page)
    ada, bob = scenario.ada.account_id, scenario.bob.account_id
    assert list(drawn) == [ada, bob, "available"] or list(drawn) == [bob, ada, "available"]
    monday = [bar for bar in drawn[ada] if bar[1].startswith("2027-01-11")]
    assert [bar[:3] for bar in monday] == [
        ("outside_availability_rules", "2027-01-11T00:00:00Z", at(9)),
        ("busy", at(11), at(12)),
        ("tentative", at(14), at(15)),
        ("outside_availability_rules", at(17), "2027-01-12T09:00:00Z"),
    ]
    assert monday[1][3].startswith("busy · standup")  # the application's own event names its event_id
    assert monday[2][3].startswith("tentative · review")
    assert ("busy", at(12), at(13)) in [bar[:3] for bar in drawn[bob]]
    assert {bar[0] for bar in drawn["available"]} == {"available"}
    assert drawn["available"][0][1:3] == (at(10), at(11))
    lane_labels = {e.attrs["data-lane"]: e.clean_text for e in page.elements if e.attrs.get("data-lane")}
    assert scenario.ada.email in lane_labels[ada] and "fresh" in lane_labels[ada]
    legend = page.testid("legend")
    for words in ("Busy", "Tentative", "Outside the person's availability rules", "Buffer", "Constraint", "cannot vouch"):
        assert words in legend
    assert "Event standup" not in response.text  # the event's summary is no part of the answer or the page
    assert scenario.creds.client_secret not in response.text


def test_the_drawing_is_the_apis_answer(calgate: LiveServer, developer: Dashboard, scenario: Scenario) -> None:
    page = Page(run(developer, scenario, scenario.ada, scenario.bob).text)
    request = json.loads(page.testid("request-json"))
    assert request["explain"] is True and request["include_member_statuses"] is True
    assert json.loads(page.testid("answer-json")) == (answer := ask(calgate, scenario.creds.client_secret, request))
    drawn = lanes(page)
    assert [(s, e) for _, s, e, _ in drawn["available"]] == [(p["start"], p["end"]) for p in answer["available_periods"]]
    for explained in answer["explanations"]:
        assert [(k, s, e) for k, s, e, _ in drawn[explained["sub"]]] == [
            (p["reason"], p["start"], p["end"]) for p in explained["unavailable"]
        ]
    curl = page.testid("curl")
    assert "/v1/availability" in curl and "$CALGATE_CLIENT_SECRET" in curl
    assert "client.availability(" in page.testid("pycronofy")


def test_a_pasted_request_is_run_as_it_is(calgate: LiveServer, developer: Dashboard, scenario: Scenario) -> None:
    pasted = {
        "participants": [{"members": [{"sub": scenario.bob.account_id, "managed_availability": True}]}],
        "required_duration": {"minutes": 30},
        "query_periods": [{"start": at(9), "end": at(17)}],
        "response_format": "slots",
        "start_interval": {"minutes": 30},
    }
    response = run(developer, scenario, scenario.ada, request_json=json.dumps(pasted))
    assert response.status_code == 200, response.text
    page = Page(response.text)
    assert json.loads(page.testid("request-json")) == {**pasted, "explain": True, "include_member_statuses": True}
    drawn = lanes(page)
    assert list(drawn) == [scenario.bob.account_id, "available"]
    answer = ask(calgate, scenario.creds.client_secret, json.loads(page.testid("request-json")))
    assert [(s, e) for _, s, e, _ in drawn["available"]] == [(p["start"], p["end"]) for p in answer["available_slots"]]
    assert drawn["available"][0][1:3] == (at(10), at(10, 30))
    assert page.field("Availability request (JSON)").clean_text == json.dumps(pasted)  # the form keeps it


def test_bad_json_is_shown_on_the_page(developer: Dashboard, scenario: Scenario) -> None:
    for typed in ("{not json", "[1, 2]", '{"participants": "\\u0000"}'):
        response = run(developer, scenario, scenario.ada, request_json=typed)
        assert response.status_code == 422, response.text
        page = Page(response.text)
        assert "request_json" in page.testid("errors")
        assert page.field("Availability request (JSON)").clean_text == typed.strip()
        assert json.loads(page.testid("problem"))["errors"]["request_json"][0]["key"] == "errors.invalid"


def test_a_request_the_api_refuses_is_its_422_on_the_page(developer: Dashboard, scenario: Scenario) -> None:
    pasted = {"participants": [{"members": ["acc_nobody"]}], "query_periods": [{"start": at(9), "end": at(8)}]}
    response = run(developer, scenario, request_json=json.dumps(pasted))
    assert response.status_code == 422
    problem = json.loads(Page(response.text).testid("problem"))
    assert {"required_duration", "query_periods"} <= set(problem["errors"])
    assert problem["errors"]["required_duration"][0]["key"] == "errors.required"

    unknown = {**pasted, "required_duration": {"minutes": 30}, "query_periods": [{"start": at(9), "end": at(17)}]}
    problem = json.loads(Page(run(developer, scenario, request_json=json.dumps(unknown)).text).testid("problem"))
    assert problem["errors"]["participants"][0]["key"] == "errors.unknown_sub"


def test_mistakes_in_the_form_keep_what_was_typed(developer: Dashboard, scenario: Scenario) -> None:
    response = run(developer, scenario, duration="soon", week="next week", tzid="Mars/Olympus")
    assert response.status_code == 422
    page = Page(response.text)
    assert "tzid" in page.testid("errors")
    assert page.field("Duration (minutes)").attrs["value"] == "soon"
    assert page.field("Time zone").attrs["value"] == "Mars/Olympus"

    response = run(developer, scenario, duration="soon", week="next week")
    assert response.status_code == 422
    errors = Page(response.text).testid("errors")
    assert "members" in errors and "duration" in errors and "week" in errors
    assert Page(response.text).field("Week").attrs["value"] == "next week"

    for week, tzid in (("9999-12-31", "Etc/UTC"), ("0001-01-01", "Asia/Tokyo")):  # past the last or first instant
        response = run(developer, scenario, scenario.ada, week=week, tzid=tzid, duration="²")
        assert response.status_code == 422
        assert "week" in Page(response.text).testid("errors") and "duration" in Page(response.text).testid("errors")
    response = run(developer, scenario, scenario.ada, week="0001-01-01")  # a Monday, but before the API's years
    assert response.status_code == 422 and "query_periods" in json.loads(Page(response.text).testid("problem"))["errors"]

    response = run(developer, scenario, scenario.ada, duration="2000")
    assert response.status_code == 422
    assert "required_duration" in json.loads(Page(response.text).testid("problem"))["errors"]
    assert "checked" in Page(response.text).one(id=f"member_{scenario.ada.account_id}").attrs


def test_someone_elses_application_is_not_found(
    developer: Dashboard, other_developer: Dashboard, scenario: Scenario
) -> None:
    response = other_developer.http.get(scenario.path)
    assert response.status_code == 404
    assert "Application not found" in Page(response.text).headings()
    posted = other_developer.submit("/dashboard", scenario.path, duration="30", week=WEEK, tzid="Etc/UTC",
                                    **{f"member_{scenario.ada.account_id}": "on"})
    assert posted.status_code == 404
    assert scenario.ada.email not in posted.text
    assert developer.http.get("/dashboard/apps/app_does_not_exist/explorer").status_code == 404


def test_signed_out_it_asks_to_sign_in(developer: Dashboard, visitor: Dashboard, scenario: Scenario) -> None:
    assert visitor.http.get(scenario.path).headers["location"] == "/dashboard/sign-in"
    developer.submit("/dashboard", "/dashboard/sign-out")
    response = developer.http.get(scenario.path)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/sign-in"


def test_a_run_without_the_csrf_token_is_refused(developer: Dashboard, scenario: Scenario) -> None:
    form = {"duration": "30", "week": WEEK, f"member_{scenario.ada.account_id}": "on"}
    response = developer.http.post(scenario.path, data=form)
    assert response.status_code == 403
    assert "grid" not in response.text
