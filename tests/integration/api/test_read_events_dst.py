"""Daylight saving time in Read Events and Free/Busy: New York (2026: 8 March, 1 November)
and London (29 March, 25 October), with and without localized_times."""

import pytest

from tests.integration.api._read_events import ok, read, upsert

NY, LONDON = "America/New_York", "Europe/London"

# (event_id, zone, start UTC, end UTC, localized start, localized end): 09:00–10:00 local on
# each side of each transition, and events that span one.
TIMED = [
    ("ny-before-spring", NY, "2026-03-07T14:00:00Z", "2026-03-07T15:00:00Z", "2026-03-07T09:00:00-05:00", "2026-03-07T10:00:00-05:00"),
    ("ny-after-spring", NY, "2026-03-09T13:00:00Z", "2026-03-09T14:00:00Z", "2026-03-09T09:00:00-04:00", "2026-03-09T10:00:00-04:00"),
    ("ny-across-spring", NY, "2026-03-08T06:00:00Z", "2026-03-08T07:30:00Z", "2026-03-08T01:00:00-05:00", "2026-03-08T03:30:00-04:00"),
    ("ny-before-autumn", NY, "2026-10-31T13:00:00Z", "2026-10-31T14:00:00Z", "2026-10-31T09:00:00-04:00", "2026-10-31T10:00:00-04:00"),
    ("ny-after-autumn", NY, "2026-11-02T14:00:00Z", "2026-11-02T15:00:00Z", "2026-11-02T09:00:00-05:00", "2026-11-02T10:00:00-05:00"),
    ("ny-across-autumn", NY, "2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z", "2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"),
    ("ldn-before-spring", LONDON, "2026-03-28T09:00:00Z", "2026-03-28T10:00:00Z", "2026-03-28T09:00:00+00:00", "2026-03-28T10:00:00+00:00"),
    ("ldn-after-spring", LONDON, "2026-03-30T08:00:00Z", "2026-03-30T09:00:00Z", "2026-03-30T09:00:00+01:00", "2026-03-30T10:00:00+01:00"),
    ("ldn-across-spring", LONDON, "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T00:30:00+00:00", "2026-03-29T02:30:00+01:00"),
    ("ldn-before-autumn", LONDON, "2026-10-24T08:00:00Z", "2026-10-24T09:00:00Z", "2026-10-24T09:00:00+01:00", "2026-10-24T10:00:00+01:00"),
    ("ldn-after-autumn", LONDON, "2026-10-26T09:00:00Z", "2026-10-26T10:00:00Z", "2026-10-26T09:00:00+00:00", "2026-10-26T10:00:00+00:00"),
    ("ldn-across-autumn", LONDON, "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T01:30:00+01:00", "2026-10-25T01:30:00+00:00"),
]
ALL_DAY = [("ny-all-day", NY, "2026-03-08", "2026-03-09"), ("ldn-all-day", LONDON, "2026-10-24", "2026-10-27")]
YEAR = {"from": "2026-01-01", "to": "2026-12-31", "include_managed": "true"}


@pytest.fixture
def dst(calgate, person):
    for event_id, zone, start, end, _, _ in TIMED:
        upsert(calgate, person, event_id, {"time": start, "tzid": zone}, {"time": end, "tzid": zone})
    for event_id, zone, start, end in ALL_DAY:
        upsert(calgate, person, event_id, start, end, tzid=zone)
    return person


def _by_id(body, key="events"):
    return {e["event_id"]: e for e in body[key]}


@pytest.mark.parametrize("reader", ["Etc/UTC", NY, LONDON])
def test_times_read_back_in_utc_and_localized_in_the_events_zone(calgate, dst, reader):
    plain = _by_id(ok(read(calgate, dst, tzid=reader, **YEAR)))
    localized = _by_id(ok(read(calgate, dst, tzid=reader, localized_times="true", **YEAR)))
    for event_id, zone, start, end, local_start, local_end in TIMED:
        assert (plain[event_id]["start"], plain[event_id]["end"]) == (start, end)
        assert localized[event_id]["start"] == {"time": local_start, "tzid": zone}
        assert localized[event_id]["end"] == {"time": local_end, "tzid": zone}
    for event_id, zone, start, end in ALL_DAY:
        assert (plain[event_id]["start"], plain[event_id]["end"]) == (start, end)
        assert localized[event_id]["start"] == {"time": start, "tzid": zone}
        assert localized[event_id]["end"] == {"time": end, "tzid": zone}


def test_free_busy_localizes_the_same_way(calgate, dst):
    blocks = _by_id(ok(read(calgate, dst, "/v1/free_busy", tzid=NY, localized_times="True", **YEAR)), "free_busy")
    assert blocks["ny-across-spring"]["start"] == {"time": "2026-03-08T01:00:00-05:00", "tzid": NY}
    assert blocks["ny-across-spring"]["end"] == {"time": "2026-03-08T03:30:00-04:00", "tzid": NY}
    assert blocks["ny-all-day"]["start"] == {"time": "2026-03-08", "tzid": NY}


def _ids(calgate, person, tzid, frm, to, path="/v1/events", key="events"):
    body = ok(read(calgate, person, path, tzid=tzid, include_managed="true", **{"from": frm, "to": to}))
    return sorted(e["event_id"] for e in body[key])


def test_date_bounds_are_midnights_in_tzid_across_the_transitions(calgate, dst):
    # 8 March in New York runs from 05:00Z (EST) to 04:00Z next day (EDT): 23 hours
    assert _ids(calgate, dst, NY, "2026-03-08", "2026-03-09") == ["ny-across-spring", "ny-all-day"]
    # an all-day event falls at the reader's midnights: in New York it ends at 04:00Z on the
    # 9th (EDT), in London at 00:00Z
    assert _ids(calgate, dst, NY, "2026-03-09T02:00:00Z", "2026-03-09T12:00:00Z") == ["ny-all-day"]
    assert _ids(calgate, dst, LONDON, "2026-03-09T02:00:00Z", "2026-03-09T12:00:00Z") == []
    # 1 November in New York: 04:00Z (EDT) to 05:00Z next day (EST): 25 hours
    assert _ids(calgate, dst, NY, "2026-11-01", "2026-11-02") == ["ny-across-autumn"]
    # London, 29 March (23 hours) and 25 October (25 hours)
    assert _ids(calgate, dst, LONDON, "2026-03-29", "2026-03-30") == ["ldn-across-spring"]
    assert _ids(calgate, dst, LONDON, "2026-10-25", "2026-10-26") == ["ldn-across-autumn", "ldn-all-day"]


def test_an_event_just_after_local_midnight_past_the_transition(calgate, person):
    # 00:30 EDT on 9 March is 04:30Z: after New York's 9 March began (04:00Z, not 05:00Z)
    upsert(calgate, person, "early", {"time": "2026-03-09T04:30:00Z", "tzid": NY}, {"time": "2026-03-09T05:00:00Z", "tzid": NY})
    upsert(calgate, person, "late", {"time": "2026-03-09T03:30:00Z", "tzid": NY}, {"time": "2026-03-09T03:45:00Z", "tzid": NY})
    assert _ids(calgate, person, NY, "2026-03-08", "2026-03-09") == ["late"]
    assert _ids(calgate, person, NY, "2026-03-09", "2026-03-10") == ["early"]
    assert _ids(calgate, person, NY, "2026-03-09", "2026-03-10", "/v1/free_busy", "free_busy") == ["early"]
