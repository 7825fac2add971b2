"""Availability Rules: POST, GET and DELETE /v1/availability_rules (wire notes §4.6)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api._read_events import connect, ok, restrict_scope
from tests.support.application_calendars import make_application_calendar
from tests.support.factories import make_application

RULES = "/v1/availability_rules"
WORKING_HOURS = {
    "availability_rule_id": "default",
    "tzid": "America/Chicago",
    "weekly_periods": [
        {"day": "monday", "start_time": "09:30", "end_time": "12:30"},
        {"day": "monday", "start_time": "14:00", "end_time": "17:00"},
        {"day": "wednesday", "start_time": "09:30", "end_time": "12:30"},
    ],
}


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def person(calgate, app):
    return connect(calgate, app)


def upsert(calgate, holder, **fields) -> httpx.Response:
    return httpx.post(f"{calgate.url}{RULES}", json={**WORKING_HOURS, **fields}, headers=holder.headers)


def get(calgate, holder, rule_id: str = "") -> httpx.Response:
    return httpx.get(f"{calgate.url}{RULES}/{rule_id}" if rule_id else f"{calgate.url}{RULES}", headers=holder.headers)


def delete(calgate, holder, rule_id: str, headers: dict | None = None, **kwargs) -> httpx.Response:
    return httpx.request("DELETE", f"{calgate.url}{RULES}/{rule_id}", headers={**holder.headers, **(headers or {})}, **kwargs)


def test_upsert_answers_the_rule_and_get_and_list_read_it_back(calgate, person):
    body = {**WORKING_HOURS, "calendar_ids": [person.calendar_id]}
    created = ok(upsert(calgate, person, calendar_ids=[person.calendar_id]))
    assert created == {"availability_rule": body}
    assert ok(get(calgate, person, "default")) == {"availability_rule": body}
    assert ok(get(calgate, person)) == {"availability_rules": [body]}


def test_upsert_replaces_the_rule_with_the_same_id(calgate, person):
    upsert(calgate, person, calendar_ids=[person.calendar_id])
    weekend = [{"day": "saturday", "start_time": "10:00", "end_time": "14:00"}]
    again = ok(upsert(calgate, person, tzid="Europe/London", weekly_periods=weekend))
    expected = {"availability_rule_id": "default", "tzid": "Europe/London", "weekly_periods": weekend}
    assert again == {"availability_rule": expected}  # calendar_ids left out: all calendars again
    ok(upsert(calgate, person, availability_rule_id="evenings"))
    listed = ok(get(calgate, person))["availability_rules"]
    assert [r["availability_rule_id"] for r in listed] == ["default", "evenings"]
    assert listed[0] == expected


def test_times_and_days_are_normalised_and_24_00_ends_the_day(calgate, person):
    periods = [
        {"day": "Friday", "start_time": "9:00", "end_time": "24:00"},
        {"day": "sunday", "start_time": "00:00", "end_time": "00:30"},
    ]
    answer = ok(upsert(calgate, person, weekly_periods=periods))["availability_rule"]
    assert answer["weekly_periods"] == [
        {"day": "friday", "start_time": "09:00", "end_time": "24:00"},
        {"day": "sunday", "start_time": "00:00", "end_time": "00:30"},
    ]
    assert ok(upsert(calgate, person, weekly_periods=[]))["availability_rule"]["weekly_periods"] == []


@pytest.mark.parametrize(
    "fields, field, key",
    [
        ({"availability_rule_id": None}, "availability_rule_id", "errors.required"),
        ({"availability_rule_id": ""}, "availability_rule_id", "errors.required"),
        ({"availability_rule_id": "x" * 65}, "availability_rule_id", "errors.too_long"),
        ({"availability_rule_id": "büro"}, "availability_rule_id", "errors.invalid"),
        ({"availability_rule_id": 7}, "availability_rule_id", "errors.invalid"),
        ({"tzid": None}, "tzid", "errors.required"),
        ({"tzid": "Mars/Olympus"}, "tzid", "errors.invalid"),
        ({"calendar_ids": []}, "calendar_ids", "errors.invalid"),
        ({"calendar_ids": [1]}, "calendar_ids", "errors.invalid"),
        ({"calendar_ids": ["cal_nope"]}, "calendar_ids", "errors.invalid"),
        ({"weekly_periods": None}, "weekly_periods", "errors.required"),
        ({"weekly_periods": "monday"}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": ["monday"]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "funday", "start_time": "09:00", "end_time": "10:00"}]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "monday", "end_time": "10:00"}]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "monday", "start_time": "25:00", "end_time": "26:00"}]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "monday", "start_time": "09:60", "end_time": "10:00"}]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "monday", "start_time": "0930", "end_time": "10:00"}]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "monday", "start_time": "24:00", "end_time": "24:00"}]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "monday", "start_time": "10:00", "end_time": "10:00"}]}, "weekly_periods", "errors.invalid"),
        ({"weekly_periods": [{"day": "monday", "start_time": "22:00", "end_time": "02:00"}]}, "weekly_periods", "errors.invalid"),
    ],
)
def test_bad_rules_get_field_errors(calgate, person, fields, field, key):
    response = upsert(calgate, person, **fields)
    assert response.status_code == 422, response.text
    [error, *_] = response.json()["errors"][field]
    assert error["key"] == key and error["description"]
    assert ok(get(calgate, person)) == {"availability_rules": []}


def test_every_problem_is_reported_at_once(calgate, person):
    response = upsert(
        calgate, person, availability_rule_id=None, tzid="Nowhere/Special",
        weekly_periods=[{"day": "monday", "start_time": "10:00", "end_time": "09:00"}, {"day": "someday", "start_time": "x", "end_time": "y"}],
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"availability_rule_id", "tzid", "weekly_periods"}
    descriptions = [e["description"] for e in errors["weekly_periods"]]
    assert any("weekly_periods[0].end_time" in d for d in descriptions)
    assert any("weekly_periods[1].day" in d for d in descriptions)
    assert any("weekly_periods[1].start_time" in d for d in descriptions)


def test_other_accounts_rules_are_not_found(calgate, app, person):
    ok(upsert(calgate, person))
    neighbour = make_application_calendar(calgate, app, "room-1")  # same application
    stranger = make_application_calendar(calgate, make_application(calgate.services), "room-1")
    for other in (neighbour, stranger):
        assert ok(get(calgate, other)) == {"availability_rules": []}
        response = get(calgate, other, "default")
        assert response.status_code == 404 and response.json()["error"] == "not_found"
        assert delete(calgate, other, "default").status_code == 404
        # the same id is theirs to use, apart from ours
        assert ok(upsert(calgate, other, tzid="Asia/Tokyo"))["availability_rule"]["tzid"] == "Asia/Tokyo"
        response = upsert(calgate, other, calendar_ids=[person.calendar_id])
        assert response.status_code == 422 and response.json()["errors"]["calendar_ids"][0]["key"] == "errors.invalid"
    assert ok(get(calgate, person, "default"))["availability_rule"]["tzid"] == "America/Chicago"


def test_delete_ignores_any_body(calgate, person):
    for rule_id in ("a", "b", "c"):
        ok(upsert(calgate, person, availability_rule_id=rule_id))
    php = delete(calgate, person, "a", content=b"[]", headers={"Content-Type": "application/json"})
    assert php.status_code == 202 and php.content == b""
    node = delete(calgate, person, "b", json={"availability_rule_id": "b"})
    assert node.status_code == 202
    nonsense = delete(calgate, person, "c", content=b"not json", headers={"Content-Type": "application/json"})
    assert nonsense.status_code == 202
    assert ok(get(calgate, person)) == {"availability_rules": []}
    assert get(calgate, person, "a").status_code == 404
    assert delete(calgate, person, "a").status_code == 404


def test_ids_may_hold_any_ascii_including_slashes(calgate, person):
    rule_id = "office/houston:9-5"
    ok(upsert(calgate, person, availability_rule_id=rule_id))
    assert ok(get(calgate, person, rule_id))["availability_rule"]["availability_rule_id"] == rule_id
    assert ok(get(calgate, person, "office%2Fhouston:9-5"))["availability_rule"]["availability_rule_id"] == rule_id
    assert delete(calgate, person, rule_id).status_code == 202
    assert ok(get(calgate, person)) == {"availability_rules": []}


def test_scopes(calgate, person):
    ok(upsert(calgate, person))
    restrict_scope(calgate, person, "read_only")  # read_account, but neither create_event nor delete_event
    assert ok(get(calgate, person, "default"))
    for response in (upsert(calgate, person), delete(calgate, person, "default")):
        assert response.status_code == 403, response.text
    assert upsert(calgate, person).json()["scope"] == "create_event"
    assert delete(calgate, person, "default").json()["scope"] == "delete_event"
    restrict_scope(calgate, person, "create_event delete_event")
    assert get(calgate, person).status_code == 403 and get(calgate, person).json()["scope"] == "read_account"
    assert upsert(calgate, person).status_code == 200
    assert delete(calgate, person, "default").status_code == 202


def test_needs_a_valid_token(calgate):
    assert httpx.get(f"{calgate.url}{RULES}").status_code == 401
    assert httpx.post(f"{calgate.url}{RULES}", json=WORKING_HOURS, headers={"Authorization": "Bearer nope"}).status_code == 401
