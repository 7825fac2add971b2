"""POST /v1/availability's 422s (the limits in api/availability.py): every problem named,
all of them in one answer."""

import pytest

from tests.integration.api._availability import WORKDAY, application, ask, at, errors, query


@pytest.fixture
def key(calgate):
    return application(calgate).client_secret


def keys(response, field):
    assert response.status_code == 422, response.text
    return [e["key"] for e in response.json()["errors"][field]]


def test_missing_fields_are_all_named(calgate, key):
    response = ask(calgate, key, {})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"participants", "required_duration", "query_periods"}
    assert keys(response, "required_duration") == ["errors.required"]


def test_each_field_out_of_its_limits(calgate, key):
    body = {
        "participants": [{"members": ["acc_1"], "required": 2}],
        "required_duration": {"minutes": 1441},
        "query_periods": [{"start": at(9), "end": at(8)}],
        "start_interval": {"minutes": 7},
        "buffer": {"before": {"minutes": -5}},
        "max_results": 513,
        "response_format": "weeks",
    }
    response = ask(calgate, key, body)
    found = response.json()["errors"]
    assert set(found) == {"participants", "required_duration", "query_periods", "start_interval", "buffer", "max_results", "response_format"}
    assert errors(response, "participants") == ['participants[0].required must be "all" or a number from 1 to 1']
    assert errors(response, "required_duration") == ["required_duration must be between 1 and 1440 minutes, not 1441"]
    assert errors(response, "query_periods") == ["query_periods[0].end must be after its start"]
    assert errors(response, "start_interval") == ["start_interval must be one of 5, 10, 15, 20, 30, 45, 60 minutes"]


@pytest.mark.parametrize(
    ("change", "field", "key_name"),
    [
        ({"participants": [{"members": ["acc_1"]}] * 11}, "participants", "errors.too_many"),
        ({"participants": [{"members": [f"acc_{i}" for i in range(51)]}]}, "participants", "errors.too_many"),
        ({"participants": [{"members": []}]}, "participants", "errors.invalid"),
        ({"participants": [{"members": [{"calendar_ids": []}]}]}, "participants", "errors.invalid"),
        ({"required_duration": {"minutes": 0}}, "required_duration", "errors.invalid"),
        ({"required_duration": 30}, "required_duration", "errors.invalid"),
        ({"query_periods": [WORKDAY] * 51}, "query_periods", "errors.too_many"),
        ({"query_periods": [{"start": "2027-01-01T00:00:00Z", "end": "2027-02-05T00:00:01Z"}]}, "query_periods", "errors.invalid"),
        ({"query_periods": [{"start": "2027-01-11T09:00:00.500Z", "end": at(17)}]}, "query_periods", "errors.invalid"),
        ({"query_periods": [{"start": "2027-01-11T09:00:00", "end": at(17)}]}, "query_periods", "errors.invalid"),
        ({"query_slots": [{"start": at(9)}]}, "query_slots", "errors.not_allowed"),
        ({"buffer": {"after": {"minimum": {"minutes": 30}, "maximum": {"minutes": 10}}}}, "buffer", "errors.invalid"),
        ({"max_results": 0}, "max_results", "errors.invalid"),
    ],
)
def test_limits(calgate, key, change, field, key_name):
    assert key_name in keys(ask(calgate, key, {**query("acc_1"), **change}), field)


def test_the_span_limit_is_35_days(calgate, key):
    periods = [{"start": "2027-01-01T00:00:00Z", "end": "2027-01-01T01:00:00Z"}, {"start": "2027-02-04T23:00:00Z", "end": "2027-02-05T00:00:00Z"}]
    # 35 days exactly is allowed; the answer is then about the (unknown) member
    assert keys(ask(calgate, key, query("acc_1", periods=periods)), "participants") == ["errors.unknown_sub"]
    periods[1]["end"] = "2027-02-05T00:00:01Z"
    assert keys(ask(calgate, key, query("acc_1", periods=periods)), "query_periods") == ["errors.invalid"]


def test_an_invalid_json_body(calgate, key):
    import httpx

    response = httpx.post(f"{calgate.url}/v1/availability", content=b"{", headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    assert keys(response, "body") == ["errors.invalid"]
