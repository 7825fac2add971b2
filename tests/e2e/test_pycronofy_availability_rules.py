# SPDX-License-Identifier: Apache-2.0
"""pycronofy manages availability rules end to end (upsert, list, get, delete), and available
periods through its generic batch entries, the only way it has to send them (wire notes §4.6,
§4.7, §9.1)."""

from __future__ import annotations

import pytest
from pycronofy.batch import BatchBuilder
from pycronofy.exceptions import PyCronofyPartialSuccessError, PyCronofyRequestError


RULE = {
    "availability_rule_id": "rule-1",
    "tzid": "America/Chicago",
    "weekly_periods": [
        {"day": "monday", "start_time": "09:30", "end_time": "12:30"},
        {"day": "monday", "start_time": "14:00", "end_time": "17:00"},
        {"day": "wednesday", "start_time": "09:30", "end_time": "12:30"},
    ],
}


def test_availability_rule_lifecycle(client):
    [calendar] = client.list_calendars()
    rule = {**RULE, "calendar_ids": [calendar["calendar_id"]]}
    assert client.upsert_availability_rule(rule) == rule
    assert client.get_availability_rule("rule-1") == rule
    assert client.list_availability_rules() == [rule]

    moved = {**RULE, "availability_rule_id": "rule-1", "tzid": "Europe/London"}
    assert client.upsert_availability_rule(moved) == moved  # the same id: replaced
    client.upsert_availability_rule({**RULE, "availability_rule_id": "rule-2"})
    assert [r["availability_rule_id"] for r in client.list_availability_rules()] == ["rule-1", "rule-2"]

    client.delete_availability_rule("rule-1")
    assert [r["availability_rule_id"] for r in client.list_availability_rules()] == ["rule-2"]
    with pytest.raises(PyCronofyRequestError) as raised:
        client.get_availability_rule("rule-1")
    assert raised.value.response.status_code == 404
    with pytest.raises(PyCronofyRequestError) as raised:
        client.delete_availability_rule("rule-1")
    assert raised.value.response.status_code == 404


def test_a_bad_rule_raises(client):
    with pytest.raises(PyCronofyRequestError) as raised:
        client.upsert_availability_rule({**RULE, "tzid": None})
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["errors"]["tzid"][0]["key"] == "errors.required"
    assert client.list_availability_rules() == []


def test_available_periods_in_a_batch(calgate, client):
    builder = BatchBuilder()
    builder.post("/v1/available_periods", {"available_period_id": "slot-1", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"})
    builder.post("/v1/available_periods", {"available_period_id": "slot-2", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z"})
    builder.delete("/v1/available_periods", {"available_period_id": "slot-1"})
    assert [entry.status() for entry in client.batch(builder).entries] == [202, 202, 202]

    read = client.request_handler.get(endpoint="available_periods").json()
    assert read == {
        "pages": {"current": 1, "total": 1},
        "available_periods": [{"available_period_id": "slot-2", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T10:00:00Z"}],
    }

    failing = BatchBuilder()
    failing.post("/v1/available_periods", {"available_period_id": "slot-3", "start": "2026-12-02T09:00:00Z", "end": "2026-12-02T08:00:00Z"})
    failing.delete("/v1/available_periods", {"delete_all": True})
    with pytest.raises(PyCronofyPartialSuccessError) as raised:
        client.batch(failing)
    [error] = raised.value.batch_response.errors()
    assert error.status() == 422
    assert client.request_handler.get(endpoint="available_periods").json()["available_periods"] == []
