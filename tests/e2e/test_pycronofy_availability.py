# SPDX-License-Identifier: Apache-2.0
"""pycronofy asks calgate for availability (wire notes §4.5, §9.1 test_availability.py):
``Client.availability`` in each of its argument styles and ``Client.sequenced_availability``.
pycronofy sends the access token it holds (here an application calendar's) and the older
``available_periods`` name; the token may ask about the application's other calendars."""

from __future__ import annotations

import datetime as dt

import pycronofy
import pycronofy.settings
import pytest

from tests.support.factories import make_application

UTC = dt.timezone.utc
DAY = dt.date(2027, 1, 11)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=UTC)


def wire(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def rooms(sdk, calgate):
    """Two application calendars of one application, each with a client holding its tokens,
    and their subs."""
    app = make_application(calgate.services)
    clients, subs = [], []
    for name in ("room-1", "room-2"):
        client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
        subs.append(client.application_calendar(name)["sub"])
        clients.append(client)
    return clients, subs


def book(client, event_id: str, start: dt.datetime, end: dt.datetime) -> None:
    [calendar] = client.list_calendars()
    client.upsert_event(calendar["calendar_id"], {"event_id": event_id, "summary": "Booked", "start": start, "end": end})


PERIODS = ({"start": at(9), "end": at(17)},)


def test_availability_in_each_argument_style(rooms):
    (first, second), (one, two) = rooms
    book(first, "a", at(10), at(11))
    book(second, "b", at(13), at(14))

    # groups of bare subs, an int duration, periods as datetimes
    periods = first.availability(
        participants=({"members": [one]}, {"members": [two]}), required_duration=60, available_periods=[dict(p) for p in PERIODS]
    )
    assert [(p["start"], p["end"]) for p in periods] == [
        (wire(at(9)), wire(at(10))), (wire(at(11)), wire(at(13))), (wire(at(14)), wire(at(17)))
    ]
    assert sorted(p["sub"] for p in periods[0]["participants"]) == sorted([one, two])

    # one group unwrapped, slots, start interval and buffers as ints
    slots = first.availability(
        participants={"members": [one, two]}, required_duration=30, available_periods=[dict(p) for p in PERIODS],
        start_interval=30, buffer={"before": 15, "after": {"minutes": 15}}, response_format="slots",
    )
    assert [s["start"] for s in slots][:3] == [wire(at(9)), wire(at(11, 30)), wire(at(12))]

    # fully specified: member periods, buffer minimums, max_results
    limited = first.availability(
        participants={"members": [{"sub": one, "available_periods": [{"start": at(15), "end": at(17)}]}, {"sub": two}], "required": "all"},
        required_duration={"minutes": 30}, available_periods=[dict(p) for p in PERIODS],
        buffer={"before": {"minimum": {"minutes": 30}}, "after": {"minimum": 45}}, max_results=1,
    )
    assert [(p["start"], p["end"]) for p in limited] == [(wire(at(15)), wire(at(17)))]

    # query slots
    asked = first.availability(
        participants={"members": [one, two]}, required_duration=30,
        query_slots=[{"start": at(9)}, {"start": at(10)}], response_format="slots",
    )
    assert [s["start"] for s in asked] == [wire(at(9))]


def test_sequenced_availability(rooms):
    (first, second), (one, two) = rooms
    book(first, "a", at(9), at(10))
    sequence = [
        {"sequence_id": "interview", "ordinal": 1, "participants": {"members": [one]}, "required_duration": 60},
        {
            "sequence_id": "debrief", "ordinal": 2, "participants": {"members": [two]}, "required_duration": 30,
            "start_interval": 30, "buffer": {"before": {"minimum": 0, "maximum": 60}},
        },
    ]
    found = first.sequenced_availability(sequence=sequence, available_periods=[{"start": at(9), "end": at(12)}])
    assert [[(s["sequence_id"], s["start"], s["end"]) for s in chain["sequence"]] for chain in found] == [
        [("interview", wire(at(10)), wire(at(11))), ("debrief", wire(at(11)), wire(at(11, 30)))],
    ]


def test_an_unknown_sub_is_a_request_error(rooms):
    (first, _), _ = rooms
    with pytest.raises(pycronofy.exceptions.PyCronofyRequestError) as raised:
        first.availability(participants={"members": ["acc_000000000000000000000000"]}, required_duration=30, available_periods=[dict(p) for p in PERIODS])
    assert raised.value.response.status_code == 422
    assert "participants" in raised.value.response.json()["errors"]
