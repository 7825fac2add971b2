"""Available Periods: POST, GET (paged) and DELETE /v1/available_periods, in POST /v1/batch
too (wire notes §4.6, §4.7, §5), and the query the Availability endpoint reads them with."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import httpx
import pytest

from calgate.domain import managed_availability
from calgate.domain.availability.types import Interval
from tests.integration.api._read_events import connect, ok, restrict_scope
from tests.support.application_calendars import make_application_calendar
from tests.support.factories import make_application

PERIODS = "/v1/available_periods"
UTC = dt.timezone.utc
FMT = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def person(calgate, app):
    return connect(calgate, app)


def upsert(calgate, holder, period_id: str = "slot-1", start: object = "2026-12-01T09:00:00Z", end: object = "2026-12-01T10:00:00Z", **fields) -> httpx.Response:
    body = {"available_period_id": period_id, "start": start, "end": end, **fields}
    return httpx.post(f"{calgate.url}{PERIODS}", json={k: v for k, v in body.items() if v is not None}, headers=holder.headers)


def added(calgate, holder, *args, **fields) -> None:
    response = upsert(calgate, holder, *args, **fields)
    assert response.status_code == 202 and response.content == b"", response.text


def read(calgate, holder, body: object = None, **params) -> httpx.Response:
    return httpx.request("GET", f"{calgate.url}{PERIODS}", params=params, json=body, headers=holder.headers)


def periods(calgate, holder, **params) -> dict[str, dict]:
    """Every period the holder reads (all pages), by id."""
    body = ok(read(calgate, holder, **params))
    found = list(body["available_periods"])
    while "next_page" in body["pages"]:
        body = ok(httpx.get(body["pages"]["next_page"], headers=holder.headers))
        found += body["available_periods"]
    return {p["available_period_id"]: p for p in found}


def delete(calgate, holder, path: str = PERIODS, **kwargs) -> httpx.Response:
    headers = {**holder.headers, **kwargs.pop("headers", {})}
    return httpx.request("DELETE", f"{calgate.url}{path}", headers=headers, **kwargs)


def batch(calgate, holder, entries) -> list[dict]:
    response = httpx.post(f"{calgate.url}/v1/batch", json={"batch": entries}, headers=holder.headers)
    assert response.status_code == 207, response.text
    return response.json()["batch"]


def test_upsert_then_read_then_move(calgate, person):
    added(calgate, person)
    body = ok(read(calgate, person, body={}))  # pycronofy-style: a JSON {} on GET
    assert body == {
        "pages": {"current": 1, "total": 1},
        "available_periods": [{"available_period_id": "slot-1", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}],
    }
    added(calgate, person, start="2026-12-02T09:00:00+01:00", end="2026-12-02 09:30:00Z")
    assert periods(calgate, person) == {
        "slot-1": {"available_period_id": "slot-1", "start": "2026-12-02T08:00:00Z", "end": "2026-12-02T09:30:00Z"}
    }


def test_localized_times_use_the_periods_zone(calgate, person):
    added(calgate, person, "summer", {"time": "2026-07-01T14:00:00Z", "tzid": "Europe/London"}, "2026-07-01T15:00:00Z")
    added(calgate, person, "zoned", "2026-12-01T14:00:00Z", "2026-12-01T15:00:00Z", tzid="America/New_York")
    added(calgate, person, "plain", "2026-12-02T14:00:00Z", "2026-12-02T15:00:00Z")
    localized = periods(calgate, person, localized_times="true")
    assert localized["summer"]["start"] == {"time": "2026-07-01T15:00:00+01:00", "tzid": "Europe/London"}
    assert localized["summer"]["end"] == {"time": "2026-07-01T16:00:00+01:00", "tzid": "Europe/London"}
    assert localized["zoned"]["start"] == {"time": "2026-12-01T09:00:00-05:00", "tzid": "America/New_York"}
    assert localized["plain"]["start"] == {"time": "2026-12-02T14:00:00+00:00", "tzid": "Etc/UTC"}
    plain = periods(calgate, person, localized_times="False", tzid="Asia/Tokyo")
    assert plain["summer"]["start"] == "2026-07-01T14:00:00Z"
    assert plain["zoned"]["start"] == "2026-12-01T14:00:00Z"


def test_the_window_follows_read_events(calgate, person):
    added(calgate, person, "ends-at-from", "2026-11-30T23:00:00Z", "2026-12-01T00:00:00Z")
    added(calgate, person, "inside", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z")
    added(calgate, person, "starts-at-to", "2026-12-02T00:00:00Z", "2026-12-02T01:00:00Z")
    added(calgate, person, "long-ago", "2020-01-01T09:00:00Z", "2020-01-01T10:00:00Z")
    added(calgate, person, "far-ahead", "2030-01-01T09:00:00Z", "2030-01-01T10:00:00Z")
    window = {"from": "2026-12-01", "to": "2026-12-02"}
    assert set(periods(calgate, person, tzid="Etc/UTC", **window)) == {"ends-at-from", "inside"}
    # the dates are midnights in tzid: Tokyo's 1 December began at 15:00 UTC on 30 November
    assert set(periods(calgate, person, tzid="Asia/Tokyo", **window)) == {"ends-at-from", "inside"}
    assert set(periods(calgate, person, tzid="America/Los_Angeles", **window)) == {"inside", "starts-at-to"}
    assert set(periods(calgate, person, tzid="Etc/UTC", **{"from": "2026-12-01T09:30:00Z", "to": "2027-01-01"})) == {"inside", "starts-at-to"}
    # one bound alone: the other is Read Events' default, 42 days back or 201 ahead of today
    today = dt.datetime.now(UTC).date()
    added(calgate, person, "soon", f"{today + dt.timedelta(days=10)}T09:00:00Z", f"{today + dt.timedelta(days=10)}T10:00:00Z")
    found = set(periods(calgate, person, tzid="Etc/UTC", **{"from": str(today)}))
    assert "soon" in found and not found & {"long-ago", "far-ahead"}
    assert not set(periods(calgate, person, tzid="Etc/UTC", to=str(today))) & {"soon", "long-ago", "far-ahead"}
    # without from and to: all of them, tzid or not
    everything = {"ends-at-from", "inside", "starts-at-to", "long-ago", "far-ahead", "soon"}
    assert set(periods(calgate, person)) == everything
    assert set(periods(calgate, person, tzid="Europe/Paris")) == everything


@pytest.mark.parametrize(
    "params, field, key",
    [
        ({"from": "2026-12-01"}, "tzid", "errors.required"),
        ({"to": "2026-12-01"}, "tzid", "errors.required"),
        ({"tzid": "Mars/Olympus"}, "tzid", "errors.invalid"),
        ({"tzid": "Etc/UTC", "from": "yesterday"}, "from", "errors.invalid"),
        ({"tzid": "Etc/UTC", "from": "2026-12-02", "to": "2026-12-01"}, "to", "errors.invalid"),
        ({"localized_times": "perhaps"}, "localized_times", "errors.invalid"),
    ],
)
def test_bad_reads(calgate, person, params, field, key):
    response = read(calgate, person, **params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][field][0]["key"] == key


@pytest.mark.parametrize(
    "fields, field, key",
    [
        ({"period_id": None}, "available_period_id", "errors.required"),
        ({"period_id": "x" * 65}, "available_period_id", "errors.too_long"),
        ({"period_id": "créneau"}, "available_period_id", "errors.invalid"),
        ({"start": None}, "start", "errors.required"),
        ({"end": None}, "end", "errors.required"),
        ({"start": "2026-12-01", "end": "2026-12-02"}, "start", "errors.invalid"),
        ({"end": "2026-12-01T08:00:00Z"}, "end", "errors.invalid"),
        ({"end": "2026-12-01T09:00:00Z"}, "end", "errors.invalid"),
        ({"start": "2026-12-01T09:00:00.500Z"}, "start", "errors.invalid"),
        ({"start": "2026-12-01T09:00:00"}, "start", "errors.invalid"),
        ({"tzid": "Mars/Olympus"}, "tzid", "errors.invalid"),
        ({"start": {"time": "2026-12-01T09:00:00Z", "tzid": "Nowhere"}}, "start.tzid", "errors.invalid"),
    ],
)
def test_bad_periods_get_field_errors(calgate, person, fields, field, key):
    response = upsert(calgate, person, **fields)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][field][0]
    assert error["key"] == key and error["description"]
    assert periods(calgate, person) == {}


COUNT = 250


def _fill(calgate, holder, count: int) -> None:
    """``count`` periods through POST /v1/batch, two per half hour so pages split ties on id."""
    start = dt.datetime(2026, 12, 1, 8, tzinfo=UTC)
    entries = []
    for i in range(count):
        at = start + dt.timedelta(minutes=30 * (i // 2))
        data = {"available_period_id": f"p{i:03d}", "start": at.strftime(FMT), "end": (at + dt.timedelta(minutes=45)).strftime(FMT)}
        entries.append({"method": "POST", "relative_url": PERIODS, "data": data})
    for first in range(0, count, 50):
        assert {r["status"] for r in batch(calgate, holder, entries[first:first + 50])} == {202}


def test_paging_through_250(calgate, person):
    _fill(calgate, person, COUNT)
    window = {"tzid": "Etc/UTC", "from": "2026-12-01", "to": "2026-12-31"}
    bodies = [ok(read(calgate, person, **window))]
    while "next_page" in bodies[-1]["pages"]:
        next_page = bodies[-1]["pages"]["next_page"]
        assert re.fullmatch(re.escape(f"{calgate.url}{PERIODS}/pages/") + r"[A-Za-z0-9_\-.]+", next_page), next_page
        parts = urlsplit(next_page)
        assert f"{parts.scheme}://{parts.netloc}" == calgate.url and not parts.query
        bodies.append(ok(httpx.request("GET", next_page, json={}, headers=person.headers)))
    assert [b["pages"] for b in bodies[1:]][-1] == {"current": 3, "total": 3}
    assert [(b["pages"]["current"], b["pages"]["total"]) for b in bodies] == [(1, 3), (2, 3), (3, 3)]
    assert [len(b["available_periods"]) for b in bodies] == [100, 100, 50]
    entries = [p for b in bodies for p in b["available_periods"]]
    assert sorted(p["available_period_id"] for p in entries) == [f"p{i:03d}" for i in range(COUNT)]  # no gaps, no repeats
    order = [(p["start"], p["available_period_id"]) for p in entries]
    assert order == sorted(order)
    # unbounded reads page too
    assert len(periods(calgate, person)) == COUNT


def test_page_urls_ignore_their_query_and_belong_to_their_caller(calgate, app, person):
    _fill(calgate, person, 101)
    first = ok(read(calgate, person, localized_times="true"))
    next_page = first["pages"]["next_page"]
    second = ok(httpx.get(next_page, headers=person.headers))
    assert second["pages"] == {"current": 2, "total": 2} and len(second["available_periods"]) == 1
    assert isinstance(second["available_periods"][0]["start"], dict)  # the first request's localized_times
    # the Node SDK appends the original options again; they change nothing
    assert ok(httpx.get(next_page, params={"tzid": "Asia/Tokyo", "localized_times": "false"}, headers=person.headers)) == second
    stranger = make_application_calendar(calgate, app, "room-1")
    assert httpx.get(next_page, headers=stranger.headers).status_code == 404
    assert httpx.get(next_page).status_code == 401
    token = urlsplit(next_page).path.rsplit("/", 1)[1]
    assert httpx.get(f"{calgate.url}/v1/events/pages/{token}", headers=person.headers).status_code == 404
    assert httpx.get(f"{calgate.url}{PERIODS}/pages/{token[:-3]}AAA", headers=person.headers).status_code == 404


def test_delete_by_id_in_the_body_or_the_query_string_and_with_a_trailing_slash(calgate, person):
    for period_id in ("a", "b", "c", "d"):
        added(calgate, person, period_id)
    assert delete(calgate, person, json={"available_period_id": "a"}).status_code == 202
    assert delete(calgate, person, params={"available_period_id": "b"}, json={}).status_code == 202
    php = delete(calgate, person, PERIODS + "/", json={"available_period_id": "c"})  # PHP's deleteAvailablePeriod
    assert php.status_code == 202 and php.content == b""
    assert set(periods(calgate, person)) == {"d"}
    assert delete(calgate, person, json={"available_period_id": "gone"}).status_code == 202  # idempotent


def test_delete_all(calgate, person):
    for period_id in ("a", "b", "c"):
        added(calgate, person, period_id)
    assert delete(calgate, person, json={"delete_all": True}).status_code == 202
    assert periods(calgate, person) == {}
    added(calgate, person, "d")
    assert delete(calgate, person, PERIODS + "/?delete_all=True", json={}).status_code == 202
    assert periods(calgate, person) == {}


@pytest.mark.parametrize(
    "kwargs, field, key",
    [
        ({}, "available_period_id", "errors.required"),
        ({"content": b"[]", "headers": {"Content-Type": "application/json"}}, "available_period_id", "errors.required"),
        ({"json": {"delete_all": False}}, "available_period_id", "errors.required"),
        ({"json": {"delete_all": True, "available_period_id": "a"}}, "delete_all", "errors.invalid"),
        ({"json": {"available_period_id": 5}}, "available_period_id", "errors.invalid"),
    ],
)
def test_bad_deletes(calgate, person, kwargs, field, key):
    added(calgate, person, "a")
    response = delete(calgate, person, **kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][field][0]["key"] == key
    assert set(periods(calgate, person)) == {"a"}


def test_other_accounts_periods_are_out_of_reach(calgate, app, person):
    added(calgate, person, "mine")
    neighbour = make_application_calendar(calgate, app, "room-1")
    stranger = make_application_calendar(calgate, make_application(calgate.services), "room-1")
    for other in (neighbour, stranger):
        assert periods(calgate, other) == {}
        assert delete(calgate, other, json={"available_period_id": "mine"}).status_code == 202
        assert delete(calgate, other, json={"delete_all": True}).status_code == 202
        added(calgate, other, "mine", "2027-01-01T09:00:00Z", "2027-01-01T10:00:00Z")
        assert periods(calgate, other)["mine"]["start"] == "2027-01-01T09:00:00Z"
    assert periods(calgate, person)["mine"]["start"] == "2026-12-01T09:00:00Z"


def test_scopes(calgate, person):
    added(calgate, person)
    restrict_scope(calgate, person, "free_busy")  # read_account, list_calendars, read_free_busy
    assert set(periods(calgate, person)) == {"slot-1"}
    assert upsert(calgate, person).json()["scope"] == "create_event"
    assert delete(calgate, person, json={"delete_all": True}).json()["scope"] == "delete_event"
    [entry] = batch(calgate, person, [{"method": "POST", "relative_url": PERIODS, "data": {"available_period_id": "x", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}}])
    assert entry["status"] == 403 and entry["data"]["scope"] == "create_event"
    restrict_scope(calgate, person, "create_event")
    assert read(calgate, person).status_code == 403


def test_batch_entries(calgate, person):
    added(calgate, person, "old")
    slot = {"available_period_id": "new", "start": "2026-12-03T09:00:00Z", "end": "2026-12-03T10:00:00Z"}
    answer = batch(
        calgate,
        person,
        [
            {"method": "POST", "relative_url": PERIODS, "data": slot},
            {"method": "POST", "relative_url": PERIODS + "/", "data": {**slot, "available_period_id": "other"}},
            {"method": "POST", "relative_url": PERIODS, "data": {**slot, "end": "2026-12-03T08:00:00Z"}},
            {"method": "DELETE", "relative_url": PERIODS, "data": {"available_period_id": "old"}},
            {"method": "DELETE", "relative_url": PERIODS},
            {"method": "PUT", "relative_url": PERIODS, "data": slot},
            {"method": "POST", "relative_url": PERIODS + "/pages/abc", "data": slot},
        ],
    )
    assert [r["status"] for r in answer] == [202, 202, 422, 202, 422, 405, 404]
    assert answer[2]["data"]["errors"]["end"][0]["key"] == "errors.invalid"
    assert answer[4]["data"]["errors"]["available_period_id"][0]["key"] == "errors.required"
    assert set(periods(calgate, person)) == {"new", "other"}
    [cleared] = batch(calgate, person, [{"method": "DELETE", "relative_url": PERIODS, "data": {"delete_all": True}}])
    assert cleared == {"status": 202}
    assert periods(calgate, person) == {}


def test_for_member_gives_the_availability_query_rules_and_overlapping_periods(calgate, person):
    added(calgate, person, "before", "2026-12-01T08:00:00Z", "2026-12-01T09:00:00Z")  # ends as the window opens
    added(calgate, person, "overlaps", "2026-12-01T08:30:00Z", "2026-12-01T09:30:00Z")
    added(calgate, person, "inside", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    added(calgate, person, "after", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z")  # starts as it closes
    for rule_id in ("weekdays", "weekends"):
        rule = {"availability_rule_id": rule_id, "tzid": "Europe/London", "weekly_periods": [{"day": "monday", "start_time": "09:00", "end_time": "17:00"}]}
        ok(httpx.post(f"{calgate.url}/v1/availability_rules", json=rule, headers=person.headers))
    other = make_application_calendar(calgate, make_application(calgate.services), "room-1")
    added(calgate, other, "theirs", "2026-12-01T10:00:00Z", "2026-12-01T11:00:00Z")
    window = Interval(dt.datetime(2026, 12, 1, 9, tzinfo=UTC), dt.datetime(2026, 12, 1, 12, tzinfo=UTC))
    with calgate.services.uow() as uow:
        rules, found = managed_availability.for_member(uow, person.account_id, window, None)
        assert [r.availability_rule_id for r in rules] == ["weekdays", "weekends"]
        assert rules[0].tzid == "Europe/London" and rules[0].weekly_periods == [{"day": "monday", "start_time": "09:00", "end_time": "17:00"}]
        assert [p.available_period_id for p in found] == ["overlaps", "inside"]
        assert found[0].start_at == dt.datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
        rules, _ = managed_availability.for_member(uow, person.account_id, window, ["weekends", "unknown", "weekends"])
        assert [r.availability_rule_id for r in rules] == ["weekends"]
        assert managed_availability.for_member(uow, person.account_id, window, [])[0] == []
