"""Read Events and Free/Busy: parsing the query, the window rule, which events a read returns."""

import datetime as dt

import pytest

from calgate.domain import free_busy, reads
from calgate.domain.errors import MissingScope, NotFound, ValidationFailed
from tests.unit.domain._reads import NOW, T0, FakeUow, at, caller, event, query


def _error(fields: dict[str, object]) -> dict[str, list[tuple[str, str]]]:
    with pytest.raises(ValidationFailed) as caught:
        reads.Query.parse(fields, {}, NOW)
    return caught.value.errors


# --- parsing --------------------------------------------------------------------------------


def test_tzid_is_required_and_must_be_a_zone():
    assert _error({"from": "2026-01-01"})["tzid"][0][0] == "errors.required"
    assert _error({"tzid": "Mars/Olympus"})["tzid"][0][0] == "errors.invalid"
    assert _error({"tzid": ["Europe/London"]})["tzid"][0][0] == "errors.invalid"


@pytest.mark.parametrize(
    "tzid, day, instant",
    [
        ("America/New_York", "2026-03-08", "2026-03-08T05:00:00Z"),  # EST, the day clocks go forward
        ("America/New_York", "2026-03-09", "2026-03-09T04:00:00Z"),  # EDT
        ("America/New_York", "2026-11-01", "2026-11-01T04:00:00Z"),  # EDT, the day clocks go back
        ("America/New_York", "2026-11-02", "2026-11-02T05:00:00Z"),  # EST
        ("Europe/London", "2026-03-29", "2026-03-29T00:00:00Z"),  # GMT
        ("Europe/London", "2026-03-30", "2026-03-29T23:00:00Z"),  # BST
        ("Europe/London", "2026-10-25", "2026-10-24T23:00:00Z"),  # BST
        ("Europe/London", "2026-10-26", "2026-10-26T00:00:00Z"),  # GMT
    ],
)
def test_date_bounds_are_local_midnights_in_tzid(tzid, day, instant):
    assert reads.Query.parse({"tzid": tzid, "from": day, "to": "2026-12-31"}, {}, NOW).start == at(instant)
    assert reads.Query.parse({"tzid": tzid, "from": "2026-01-01", "to": day}, {}, NOW).end == at(instant)


def test_time_bounds_are_instants_whatever_the_tzid():
    q = reads.Query.parse({"tzid": "Asia/Tokyo", "from": "2026-03-08T05:00:00Z", "to": "2026-03-09 04:00:00+00:00"}, {}, NOW)
    assert (q.start, q.end) == (at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z"))


def test_the_default_window_is_42_days_back_to_201_ahead_of_today_in_tzid():
    q = reads.Query.parse({"tzid": "Europe/London"}, {}, NOW)  # 15 June 2026, BST
    assert q.start == at("2026-05-03T23:00:00Z")  # 4 May, midnight BST
    assert q.end == at("2027-01-02T00:00:00Z")  # 2 January 2027, midnight GMT
    assert q.managed_unbounded
    assert not reads.Query.parse({"tzid": "Europe/London", "from": "2026-06-01"}, {}, NOW).managed_unbounded


def test_one_bound_takes_the_default_for_the_other():
    q = reads.Query.parse({"tzid": "Etc/UTC", "to": "2026-07-01"}, {}, NOW)
    assert q.start == at("2026-05-04T00:00:00Z") and q.end == at("2026-07-01T00:00:00Z")


@pytest.mark.parametrize(
    "fields, field, key, words",
    [
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to", "errors.invalid", "to must be after from"),
        ({"from": "2026-05-01", "to": "2026-05-01"}, "to", "errors.invalid", "to must be after from"),
        ({"from": "2028-01-01"}, "from", "errors.invalid", "to was not given"),
        ({"from": "2026-01-01", "to": "2027-03-01"}, "to", "errors.invalid", "at most 400 days"),
        ({"from": "yesterday"}, "from", "errors.invalid", "not a valid Time or Date"),
        ({"to": "2026-02-30"}, "to", "errors.invalid", "not a valid Time or Date"),
        ({"from": "2026-05-01T10:00:00.250Z"}, "from", "errors.invalid", "whole seconds"),
        ({"from": "2026-05-01T10:00:00"}, "from", "errors.invalid", "needs a time zone"),
        ({"last_modified": "2026-05-01"}, "last_modified", "errors.invalid", "must be a Time"),
        ({"last_modified": "soon"}, "last_modified", "errors.invalid", "not a valid"),
        ({"calendar_ids": [1, 2]}, "calendar_ids", "errors.invalid", "list of calendar ids"),
    ],
)
def test_bad_parameters_are_field_errors(fields, field, key, words):
    errors = _error({"tzid": "Etc/UTC", **fields})
    assert errors[field][0][0] == key
    assert words in errors[field][0][1]


def test_calendar_ids_may_be_one_string_or_a_list_and_flags_are_kept():
    assert query(calendar_ids="cal_a").calendar_ids == ("cal_a",)
    assert query(calendar_ids=["cal_a", "cal_b", "cal_a"]).calendar_ids == ("cal_a", "cal_b")
    q = query(include_deleted=True, only_managed=True, localized_times=True, last_modified="2026-05-01T10:00:00Z")
    assert q.include_deleted and q.only_managed and q.localized_times and not q.include_managed
    assert q.last_modified == at("2026-05-01T10:00:00Z")


def test_a_query_survives_its_round_trip_through_a_cursor():
    q = query(calendar_ids=["cal_a"], include_managed=True, last_modified="2026-05-01T10:00:00Z")
    cursor = reads.Cursor(reads.EVENTS, "grt_1", q, NOW, page=3, after=(at("2026-05-02T10:00:00Z"), "evt_9"))
    assert reads.Cursor.from_data(cursor.to_data()) == cursor
    with pytest.raises(NotFound):
        reads.Cursor.from_data({"kind": "events"})
    with pytest.raises(NotFound):
        reads.Cursor.from_data(["not", "a", "cursor"])


# --- the window rule --------------------------------------------------------------------------


def _returns(e, q, calendar_events=True, snapshot=NOW):
    return reads.selected(reads.EventView.of(e, q.tzid, "app_1"), q, snapshot, calendar_events)


@pytest.mark.parametrize(
    "bounds, returned",
    [
        ({"from": "2026-05-01T11:00:00Z"}, True),  # ends exactly at from: "ends on or after from"
        ({"from": "2026-05-01T11:00:01Z"}, False),
        ({"to": "2026-05-01T10:00:00Z"}, False),  # to is exclusive
        ({"to": "2026-05-01T10:00:01Z"}, True),
        ({"from": "2026-05-01T10:30:00Z", "to": "2026-05-01T10:31:00Z"}, True),  # inside the event
    ],
)
def test_an_event_is_returned_when_it_starts_before_to_and_ends_on_or_after_from(bounds, returned):
    e = event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z")
    q = query(include_managed=True, **{"from": "2026-04-01", "to": "2026-06-01", **bounds})
    assert _returns(e, q) is returned


def test_all_day_events_fall_at_the_readers_midnights():
    # All day on 29 March 2026 (London goes to BST that night): it ends at 23:00Z for a London
    # reader and at midnight UTC for a UTC reader.
    e = event("2026-03-29", "2026-03-30", tzid="Europe/London")
    window = {"from": "2026-03-29T23:30:00Z", "to": "2026-03-30T00:30:00Z", "include_managed": True}
    assert not _returns(e, query(tzid="Europe/London", **window))
    assert _returns(e, query(tzid="Etc/UTC", **window))


@pytest.mark.parametrize(
    "include_managed, only_managed, calendar_events, managed, returned",
    [
        (False, False, True, True, False),  # Cronofy's default leaves the app's own events out
        (False, False, True, False, True),
        (True, False, True, True, True),
        (True, False, True, False, True),
        (False, True, True, True, True),
        (False, True, True, False, False),
        # a mode whose policy shows only the app's own events: as if only_managed=true
        (False, False, False, True, True),
        (False, False, False, False, False),
        (True, False, False, False, False),
    ],
)
def test_managed_events_and_the_policy(include_managed, only_managed, calendar_events, managed, returned):
    e = event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", managed=managed)
    q = query(include_managed=include_managed, only_managed=only_managed)
    assert _returns(e, q, calendar_events) is returned


def test_without_from_and_to_managed_events_ignore_the_default_window():
    far = dict(start="2030-05-01T10:00:00Z", end="2030-05-01T11:00:00Z")
    q = reads.Query.parse({"tzid": "Etc/UTC"}, {"include_managed": True}, NOW)
    assert _returns(event(**far), q)
    assert not _returns(event(**far, managed=False), q)
    bounded = reads.Query.parse({"tzid": "Etc/UTC", "to": "2026-07-01"}, {"include_managed": True}, NOW)
    assert not _returns(event(**far), bounded)


def test_deleted_modified_and_newer_than_the_snapshot():
    times_ = dict(start="2026-05-01T10:00:00Z", end="2026-05-01T11:00:00Z")
    assert not _returns(event(**times_, deleted=True), query(include_managed=True))
    assert _returns(event(**times_, deleted=True), query(include_managed=True, include_deleted=True))
    since = query(include_managed=True, last_modified="2026-03-01T00:00:00Z")
    assert not _returns(event(**times_, updated=at("2026-02-28T23:59:59Z")), since)
    assert _returns(event(**times_, updated=at("2026-03-01T00:00:00Z")), since)
    assert not _returns(event(**times_, created=NOW + dt.timedelta(seconds=1)), query(include_managed=True))


def test_include_moved_also_finds_where_an_event_was_before_its_last_move():
    moved = event(start="2026-05-01T10:00:00Z", end="2026-05-01T11:00:00Z", managed=False)
    moved.move(at("2026-08-03T10:00:00Z"), at("2026-08-03T11:00:00Z"))
    moved.start, moved.end = {"time": "2026-08-03T10:00:00Z", "tzid": "Etc/UTC"}, {"time": "2026-08-03T11:00:00Z", "tzid": "Etc/UTC"}
    may = {"from": "2026-05-01", "to": "2026-05-02"}
    assert not _returns(moved, query(**may))
    assert _returns(moved, query(**may, include_moved=True))
    assert _returns(moved, query(**{"from": "2026-08-03", "to": "2026-08-04"}))
    unmoved = event(start="2026-05-01T10:00:00Z", end="2026-05-01T11:00:00Z", managed=False)
    unmoved.move(unmoved.start_at, unmoved.end_at)  # the same times: not a move
    assert unmoved.moved_from_start_at is None


# --- free/busy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, status",
    [
        ({}, "busy"),
        ({"participation_status": "tentative"}, "tentative"),
        ({"participation_status": "declined"}, None),
        ({"transparency": "transparent"}, None),
        ({"deleted": True}, None),
    ],
)
def test_free_busy_status(fields, status):
    assert reads.free_busy_status(event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", **fields)) == status


def test_blocks_name_only_the_apps_own_events():
    own = event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", uid="evt_1")
    other = event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", uid="evt_2", managed=False)
    blocks = free_busy.read_free_busy(FakeUow([own, other]), caller(), query(include_managed=True), 100, NOW).items
    assert [(b.event_uid, b.event_id) for b in blocks] == [("evt_1", "id-evt_1"), (None, None)]


# --- the services, over an in-memory store --------------------------------------------------------


def _mixed():
    return FakeUow([
        event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", uid="evt_own"),
        event("2026-05-01T12:00:00Z", "2026-05-01T13:00:00Z", uid="evt_theirs", managed=False),
    ])


def _uids(page):
    return [view.event.id for view in page.items]


def test_in_free_busy_mode_read_events_shows_only_the_apps_own_events_and_free_busy_everything():
    fb = caller("free_busy", scope="free_busy_write")
    assert _uids(reads.read_events(_mixed(), fb, query(), 100, NOW)) == ["evt_own"]
    assert _uids(reads.read_events(_mixed(), fb, query(include_managed=True), 100, NOW)) == ["evt_own"]
    blocks = free_busy.read_free_busy(_mixed(), fb, query(include_managed=True), 100, NOW).items
    assert [b.status for b in blocks] == ["busy", "busy"]
    assert [b.event_uid for b in blocks] == ["evt_own", None]


@pytest.mark.parametrize("mode", ["read_write", "no_calendar"])
def test_in_the_other_modes_read_events_shows_the_calendars_events(mode):
    c = caller(mode)
    assert _uids(reads.read_events(_mixed(), c, query(), 100, NOW)) == ["evt_theirs"]
    assert _uids(reads.read_events(_mixed(), c, query(include_managed=True), 100, NOW)) == ["evt_own", "evt_theirs"]


def test_scopes_are_required():
    with pytest.raises(MissingScope):
        reads.read_events(_mixed(), caller(scope="read_free_busy"), query(), 100, NOW)
    with pytest.raises(MissingScope):
        free_busy.read_free_busy(_mixed(), caller(scope="read_account"), query(), 100, NOW)


def test_unknown_calendar_ids_are_not_found_and_known_ones_filter():
    uow = FakeUow(
        [event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", uid="a"),
         event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", uid="b", calendar="cal_2")],
        extra_calendars=["cal_2"],
    )
    with pytest.raises(NotFound):
        reads.read_events(uow, caller(), query(calendar_ids=["cal_2", "cal_elsewhere"]), 100, NOW)
    assert _uids(reads.read_events(uow, caller(), query(calendar_ids=["cal_2"], include_managed=True), 100, NOW)) == ["b"]


def test_ordered_by_start_then_uid():
    uow = FakeUow([
        event("2026-05-02T10:00:00Z", "2026-05-02T11:00:00Z", uid="evt_a"),
        event("2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", uid="evt_c"),
        event("2026-05-01T10:00:00Z", "2026-05-01T10:30:00Z", uid="evt_b"),
    ])
    assert _uids(reads.read_events(uow, caller(), query(include_managed=True), 100, T0)) == ["evt_b", "evt_c", "evt_a"]
