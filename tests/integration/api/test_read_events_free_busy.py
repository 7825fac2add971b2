"""GET /v1/free_busy against hosted calendars (wire notes §4.3): busy and tentative blocks,
free time left out, no text. Read Events in Free/Busy mode is covered in
tests/unit/domain/test_reads.py (no free_busy accounts can be connected yet)."""

from tests.integration.api._read_events import (
    delete,
    ok,
    read,
    set_participation,
    upsert,
)

WINDOW = {"tzid": "Etc/UTC", "from": "2026-12-01", "to": "2026-12-02", "include_managed": "true"}


def _event(calgate, person, event_id, hour, **fields):
    upsert(calgate, person, event_id, f"2026-12-01T{hour:02d}:00:00Z", f"2026-12-01T{hour:02d}:30:00Z", **fields)


def test_statuses_and_what_counts_as_free(calgate, person):
    _event(calgate, person, "busy", 9, description="secret", location={"description": "Room 1"})
    _event(calgate, person, "maybe", 10)
    _event(calgate, person, "no-thanks", 11)
    _event(calgate, person, "see-through", 12, transparency="transparent")
    _event(calgate, person, "cancelled", 13)
    delete(calgate, person, "cancelled")
    set_participation(calgate, person, "maybe", "tentative")
    set_participation(calgate, person, "no-thanks", "declined")
    body = ok(read(calgate, person, "/v1/free_busy", body={}, **WINDOW))
    assert body["pages"] == {"current": 1, "total": 1}
    blocks = body["free_busy"]
    assert [(b["event_id"], b["free_busy_status"]) for b in blocks] == [("busy", "busy"), ("maybe", "tentative")]
    assert blocks[0]["event_uid"].startswith("evt_")
    assert set(blocks[0]) == {"calendar_id", "start", "end", "free_busy_status", "event_uid", "event_id"}
    assert (blocks[0]["calendar_id"], blocks[0]["start"], blocks[0]["end"]) == (
        person.calendar_id, "2026-12-01T09:00:00Z", "2026-12-01T09:30:00Z"
    )
    # deleted events stay out even when asked for
    again = ok(read(calgate, person, "/v1/free_busy", **WINDOW, include_deleted="true"))
    assert [b["event_id"] for b in again["free_busy"]] == ["busy", "maybe"]


def test_the_apps_own_events_need_include_managed(calgate, person):
    _event(calgate, person, "mine", 9)
    window = {k: v for k, v in WINDOW.items() if k != "include_managed"}
    assert ok(read(calgate, person, "/v1/free_busy", **window))["free_busy"] == []  # Cronofy's default
    assert len(ok(read(calgate, person, "/v1/free_busy", **window, include_managed="True"))["free_busy"]) == 1
    assert len(ok(read(calgate, person, "/v1/free_busy", **window, only_managed="true"))["free_busy"]) == 1


def test_window_and_calendar_filters_apply(calgate, person):
    _event(calgate, person, "nine", 9)
    frm = {"tzid": "Etc/UTC", "include_managed": "true", "from": "2026-12-01T09:30:00Z", "to": "2026-12-02"}
    assert [b["event_id"] for b in ok(read(calgate, person, "/v1/free_busy", **frm))["free_busy"]] == ["nine"]
    frm["from"] = "2026-12-01T09:30:01Z"
    assert ok(read(calgate, person, "/v1/free_busy", **frm))["free_busy"] == []
    response = read(calgate, person, "/v1/free_busy", **WINDOW, **{"calendar_ids[]": ["cal_nope"]})
    assert response.status_code == 404
