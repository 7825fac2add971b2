# SPDX-License-Identifier: Apache-2.0
"""Recurring events: the wire rule, its RRULE in the invitation, and the occurrences stored
(``domain/recurrence``, ``domain/event_series``), across a DST change."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from calgate.domain import event_series, itip, model, recurrence
from calgate.domain.errors import ValidationFailed
from calgate.domain.event_input import EventInput

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 1, tzinfo=UTC)


def _event(**fields) -> model.Event:
    base = dict(
        id="evt_1", calendar_id="cal", account_id="acc", application_id="app", event_id="e1", summary="1:1",
        start={"time": "2026-03-23T14:30:00Z", "tzid": "Europe/Berlin"}, end={"time": "2026-03-23T15:00:00Z", "tzid": "Europe/Berlin"},
        start_at=NOW, end_at=NOW, created_at=NOW, updated_at=NOW,
    )
    return model.Event(**{**base, **fields})


def _rules(**rule) -> dict:
    return {"rules": [rule]}


def test_occurrences_keep_local_time_across_dst():
    event = _event(recurrence=_rules(frequency="weekly", count=3))
    starts = [o.start.wire() for o in event_series.occurrences(event, NOW)]
    assert starts == ["2026-03-23T14:30:00Z", "2026-03-30T13:30:00Z", "2026-04-06T13:30:00Z"]  # 15:30 in Berlin


def test_an_unending_rule_stops_at_the_horizon():
    event = _event(recurrence=_rules(frequency="daily"))
    found = event_series.occurrences(event, NOW)
    assert 1000 < len(found) <= recurrence.MAX_OCCURRENCES
    first = dt.datetime(2026, 3, 23, 14, 30, tzinfo=UTC)  # later than NOW: the horizon counts from it
    assert first + recurrence.HORIZON - dt.timedelta(days=1) <= found[-1].start.instant() < first + recurrence.HORIZON


def test_until_a_date_includes_that_day_in_the_events_zone():
    event = _event(recurrence=_rules(frequency="daily", until="2026-03-25"))
    assert [o.start.wire()[:10] for o in event_series.occurrences(event, NOW)] == ["2026-03-23", "2026-03-24", "2026-03-25"]


def test_the_invitation_carries_the_rule_and_the_other_fields():
    event = _event(
        recurrence=_rules(frequency="weekly", interval=2, by_day=["monday", "friday"], until="2026-06-01"),
        conferencing={"provider_description": "Videotech", "join_url": "https://video.example/j/1"},
        event_private=True, extended_transparency="out_of_office",
    )
    vevent = icalendar.Calendar.from_ical(itip.build(event, itip.REQUEST, "calendar@calgate.test", [])).walk("VEVENT")[0]
    rule = vevent["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["INTERVAL"] == [2] and rule["BYDAY"] == ["MO", "FR"]
    assert rule["UNTIL"][0] == dt.datetime(2026, 6, 1, 21, 59, 59, tzinfo=UTC)  # the end of 1 June in Berlin
    assert str(vevent["CLASS"]) == "PRIVATE"
    assert str(vevent["CONFERENCE"]) == "https://video.example/j/1" and vevent["CONFERENCE"].params["LABEL"] == "Videotech"
    assert "https://video.example/j/1" in str(vevent["DESCRIPTION"])
    assert str(vevent["X-MICROSOFT-CDO-BUSYSTATUS"]) == "OOF"


def test_an_occurrence_row_writes_no_rule():
    vevent = icalendar.Calendar.from_ical(
        itip.build(_event(recurrence=_rules(frequency="daily"), series_id="evt_0"), itip.REQUEST, "c@calgate.test", [])
    ).walk("VEVENT")[0]
    assert "RRULE" not in vevent


@pytest.mark.parametrize("value", [
    {"rules": [{"frequency": "weekly", "interval": 0}]},
    {"rules": [{"frequency": "weekly", "count": True}]},
    {"rules": [{"frequency": "weekly", "until": "soon"}]},
    {"rules": [{"frequency": "weekly", "by_day": ["funday"]}]},
    {"rules": [{"frequency": "weekly", "every": 2}]},
    {"rules": "weekly"},
    [],
])
def test_bad_rules_are_a_422_naming_recurrence(value):
    params = {"event_id": "e", "summary": "s", "start": "2026-03-23T14:30:00Z", "end": "2026-03-23T15:00:00Z", "recurrence": value}
    with pytest.raises(ValidationFailed) as raised:
        EventInput.from_params(params)
    assert set(raised.value.errors) == {"recurrence"}


@pytest.mark.parametrize("fields", [
    {"recurrence": {"rules": [{"frequency": "weekly", "by_day": [{"day": "monday"}]}]}},
    {"recurrence": {"rules": [{"frequency": ["weekly"]}]}},
    {"extended_transparency": ["busy"]},
    {"conferencing": {"profile_id": ["explicit"]}},
])
def test_unhashable_values_are_a_422_not_a_500(fields):
    params = {"event_id": "e", "summary": "s", "start": "2026-03-23T14:30:00Z", "end": "2026-03-23T15:00:00Z", **fields}
    with pytest.raises(ValidationFailed) as raised:
        EventInput.from_params(params)
    assert set(raised.value.errors) == set(fields)
