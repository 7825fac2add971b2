# SPDX-License-Identifier: Apache-2.0
"""Every Create or Update Event field through pycronofy (issue 23): each is either honoured,
and seen again in Read Events, Free/Busy or Availability, or refused with a 422 naming it.
Each test fails if its field were accepted and dropped."""

from __future__ import annotations

import pytest
from pycronofy.exceptions import PyCronofyRequestError

from tests.support.factories import make_application

WINDOW = {"from_date": "2026-11-30", "to_date": "2027-01-31", "tzid": "Etc/UTC"}
MONDAY = "2026-11-30"  # a Monday


@pytest.fixture
def client(calgate, sdk):
    app = make_application(calgate.services)
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    client.sub = client.application_calendar("room-7")["sub"]
    return client


@pytest.fixture
def calendar_id(client) -> str:
    [calendar] = client.list_calendars()
    return str(calendar["calendar_id"])


def upsert(client, calendar_id: str, event_id: str = "e1", **fields) -> None:
    body = {"event_id": event_id, "summary": "Weekly 1:1", "start": f"{MONDAY}T09:00:00Z", "end": f"{MONDAY}T09:30:00Z", **fields}
    client.upsert_event(calendar_id, body)


def read(client, **options) -> list[dict]:
    return [e for e in client.read_events(**{**WINDOW, **options}) if e.get("event_id")]


def refused(client, calendar_id: str, **fields) -> dict:
    with pytest.raises(PyCronofyRequestError) as raised:
        upsert(client, calendar_id, **fields)
    assert raised.value.response.status_code == 422
    return raised.value.response.json()["errors"]


def test_a_weekly_rule_gives_every_occurrence(client, calendar_id):
    upsert(client, calendar_id, recurrence={"rules": [{"frequency": "weekly", "count": 4}]})
    occurrences = read(client)
    assert [e["start"] for e in occurrences] == [
        "2026-11-30T09:00:00Z", "2026-12-07T09:00:00Z", "2026-12-14T09:00:00Z", "2026-12-21T09:00:00Z",
    ]
    assert {e["event_id"] for e in occurrences} == {"e1"}
    assert all(e["recurring"] for e in occurrences)
    assert len({e["series_identifier"] for e in occurrences}) == 1
    assert len({e["event_uid"] for e in occurrences}) == 4

    busy = list(client.read_free_busy(from_date="2026-12-14", to_date="2026-12-15", tzid="Etc/UTC", include_managed=True))
    assert [(b["start"], b["end"]) for b in busy] == [("2026-12-14T09:00:00Z", "2026-12-14T09:30:00Z")]

    free = client.availability(
        participants={"members": [client.sub]}, required_duration=30,
        available_periods=[{"start": "2026-12-21T08:00:00Z", "end": "2026-12-21T10:00:00Z"}],
    )
    assert [(p["start"], p["end"]) for p in free] == [
        ("2026-12-21T08:00:00Z", "2026-12-21T09:00:00Z"), ("2026-12-21T09:30:00Z", "2026-12-21T10:00:00Z"),
    ]


def test_by_day_interval_until_and_removing_the_rule(client, calendar_id):
    rule = {"frequency": "weekly", "interval": 2, "by_day": ["monday", "thursday"], "until": "2026-12-17"}
    upsert(client, calendar_id, recurrence={"rules": [rule]})
    assert [e["start"][:10] for e in read(client)] == ["2026-11-30", "2026-12-03", "2026-12-14", "2026-12-17"]
    upsert(client, calendar_id, summary="Renamed")  # recurrence left out: the rules are kept
    assert [e["summary"] for e in read(client)] == ["Renamed"] * 4
    upsert(client, calendar_id, recurrence={"rules": []})  # an empty list removes them
    [single] = read(client)
    assert single["recurring"] is False and single["start"] == f"{MONDAY}T09:00:00Z"


def test_a_deleted_series_takes_its_occurrences(client, calendar_id):
    upsert(client, calendar_id, recurrence={"rules": [{"frequency": "daily", "count": 3}]})
    client.delete_event(calendar_id, "e1")
    assert read(client) == []


def test_recurrence_refusals_name_the_field(client, calendar_id):
    for bad in (
        {"rules": [{"frequency": "hourly"}]},
        {"rules": [{"frequency": "daily", "count": 2, "until": "2027-01-01"}]},
        {"rules": [{"frequency": "daily", "by_day": ["monday"]}]},
        {"rules": [{"frequency": "daily"}, {"frequency": "weekly"}]},
        "weekly",
    ):
        assert "recurrence" in refused(client, calendar_id, recurrence=bad)


def test_explicit_conferencing_is_read_back(client, calendar_id):
    details = {"profile_id": "explicit", "provider_description": "Videotech", "join_url": "https://video.example/j/1"}
    upsert(client, calendar_id, conferencing=details)
    [event] = read(client)
    assert event["conferencing"] == {"provider_description": "Videotech", "join_url": "https://video.example/j/1"}
    assert event["meeting_url"] == "https://video.example/j/1"
    upsert(client, calendar_id, summary="Kept")  # left out: kept, as Cronofy does
    assert read(client)[0]["meeting_url"] == "https://video.example/j/1"
    upsert(client, calendar_id, conferencing={"profile_id": "none"})
    assert "meeting_url" not in read(client)[0]


def test_conferencing_calgate_cannot_provision_is_refused(client, calendar_id):
    assert "conferencing" in refused(client, calendar_id, conferencing={"profile_id": "default"})
    assert "conferencing" in refused(client, calendar_id, conferencing={"profile_id": "integrated"})
    assert "conferencing" in refused(client, calendar_id, conferencing={"profile_id": "explicit", "provider_description": "x", "join_url": "ftp://x"})


def test_event_private_is_read_back(client, calendar_id):
    upsert(client, calendar_id, event_private=True)
    assert read(client)[0]["event_private"] is True
    assert "event_private" in refused(client, calendar_id, event_private="yes please")


def test_extended_transparency_is_read_back_and_sets_busyness(client, calendar_id):
    upsert(client, calendar_id, extended_transparency="working_elsewhere")
    [event] = read(client)
    assert (event["extended_transparency"], event["transparency"]) == ("working_elsewhere", "transparent")
    assert list(client.read_free_busy(from_date=MONDAY, to_date="2026-12-01", tzid="Etc/UTC", include_managed=True)) == []
    upsert(client, calendar_id, extended_transparency="out_of_office")
    assert read(client)[0]["extended_transparency"] == "out_of_office"
    assert "extended_transparency" in refused(client, calendar_id, extended_transparency="napping")
    assert "extended_transparency" in refused(client, calendar_id, extended_transparency="working_elsewhere", transparency="opaque")


def test_reminders_create_only_keeps_the_first_reminders(client, calendar_id):
    upsert(client, calendar_id, reminders=[{"minutes": 10}], reminders_create_only=True)
    upsert(client, calendar_id, summary="Moved", reminders=[{"minutes": 60}], reminders_create_only=True)
    assert read(client)[0]["reminders"] == [{"minutes": 10}]
    upsert(client, calendar_id, summary="Again", reminders=[{"minutes": 60}])
    assert read(client)[0]["reminders"] == [{"minutes": 60}]


def test_location_geo_is_returned_with_include_geo(client, calendar_id):
    upsert(client, calendar_id, location={"description": "Office", "lat": "51.5072", "long": "-0.1276"})
    assert read(client)[0]["location"] == {"description": "Office"}
    assert read(client, include_geo=True)[0]["location"] == {"description": "Office", "lat": "51.5072", "long": "-0.1276"}
    assert "location" in refused(client, calendar_id, location={"description": "Nowhere", "lat": "91", "long": "0"})


def test_locale_english_is_taken_others_refused(client, calendar_id):
    upsert(client, calendar_id, locale="en-GB")
    assert len(read(client)) == 1
    assert "locale" in refused(client, calendar_id, locale="fr")


@pytest.mark.parametrize("name, value", [
    ("attachments", [{"attachment_id": "att_1"}]),
    ("subscriptions", [{"type": "webhook", "uri": "https://app.example/hook", "interactions": [{"type": "conferencing_assigned"}]}]),
])
def test_fields_calgate_cannot_keep_are_refused(client, calendar_id, name, value):
    assert name in refused(client, calendar_id, **{name: value})
    assert read(client) == []  # nothing was written


def test_external_events_are_refused_where_calgate_cannot_write_them(client, calendar_id):
    """An application calendar holds only the application's own events: editing or
    deleting an external one there is a 422 naming event_uid, not a silent success."""
    with pytest.raises(PyCronofyRequestError) as raised:
        client.upsert_event(calendar_id, {"event_uid": "evt_external_1", "summary": "x", "start": f"{MONDAY}T09:00:00Z", "end": f"{MONDAY}T10:00:00Z"})
    assert raised.value.response.status_code == 422 and "event_uid" in raised.value.response.json()["errors"]
    with pytest.raises(PyCronofyRequestError) as raised:
        client.delete_external_event(calendar_id, "evt_external_1")
    assert raised.value.response.status_code == 422 and "event_uid" in raised.value.response.json()["errors"]
