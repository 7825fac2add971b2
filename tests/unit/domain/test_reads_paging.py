"""Paging reads: keyset pages, honest totals, cursors bound to one grant and one hour."""

import datetime as dt

import pytest

from calgate.domain import free_busy, reads
from calgate.domain.errors import NotFound, ValidationFailed
from tests.unit.domain._reads import NOW, FakeUow, caller, event, query

START = dt.datetime(2026, 5, 1, tzinfo=dt.timezone.utc)


def _events(n):
    """n half-hour events, two at each start, so the uid breaks ties."""
    out = []
    for i in range(n):
        start = START + dt.timedelta(hours=i // 2)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        out.append(event(start.strftime(fmt), (start + dt.timedelta(minutes=30)).strftime(fmt), uid=f"evt_{i:04d}"))
    return out


def _walk(uow, c, first, size=100, now=NOW):
    pages, request = [], first
    while request is not None:
        page = reads.read_events(uow, c, request, size, now)
        pages.append(page)
        request = page.next
    return pages


def test_pages_cover_everything_once_in_order_with_right_totals():
    uow = FakeUow(_events(250))
    pages = _walk(uow, caller(), query(include_managed=True))
    assert [(p.current, p.total, len(p.items)) for p in pages] == [(1, 3, 100), (2, 3, 100), (3, 3, 50)]
    uids = [v.event.id for p in pages for v in p.items]
    assert uids == [f"evt_{i:04d}" for i in range(250)]
    assert pages[-1].next is None and all(p.next is not None for p in pages[:-1])


@pytest.mark.parametrize("n, shape", [(0, [(1, 1, 0)]), (1, [(1, 1, 1)]), (100, [(1, 1, 100)]), (101, [(1, 2, 100), (2, 2, 1)])])
def test_page_boundaries(n, shape):
    pages = _walk(FakeUow(_events(n)), caller(), query(include_managed=True))
    assert [(p.current, p.total, len(p.items)) for p in pages] == shape


def test_an_event_deleted_between_pages_shifts_nothing_and_a_new_one_waits_for_the_next_read():
    events = _events(250)
    uow = FakeUow(events)
    first = reads.read_events(uow, caller(), query(include_managed=True), 100, NOW)
    events[5].deleted = True  # already shown
    events[150].deleted = True  # not yet shown
    events.append(event("2026-05-01T00:00:00Z", "2026-05-03T00:00:00Z", uid="evt_new", created=NOW + dt.timedelta(seconds=5)))
    later = NOW + dt.timedelta(minutes=5)
    second = reads.read_events(uow, caller(), first.next, 100, later)
    third = reads.read_events(uow, caller(), second.next, 100, later)
    assert second.items[0].event.id == "evt_0100"
    assert [v.event.id for v in second.items + third.items] == [f"evt_{i:04d}" for i in range(100, 250) if i != 150]
    assert (third.current, third.total, third.next) == (3, 3, None)


def test_a_cursor_belongs_to_one_grant_and_one_kind_of_read():
    uow = FakeUow(_events(150))
    first = reads.read_events(uow, caller(grant_id="grt_1"), query(include_managed=True), 100, NOW)
    with pytest.raises(NotFound):
        reads.read_events(uow, caller(grant_id="grt_2"), first.next, 100, NOW)
    with pytest.raises(NotFound):
        free_busy.read_free_busy(uow, caller(grant_id="grt_1"), first.next, 100, NOW)


def test_a_cursor_expires_after_an_hour():
    uow = FakeUow(_events(150))
    first = reads.read_events(uow, caller(), query(include_managed=True), 100, NOW)
    assert reads.read_events(uow, caller(), first.next, 100, NOW + reads.PAGE_TTL).current == 2
    with pytest.raises(ValidationFailed) as caught:
        reads.read_events(uow, caller(), first.next, 100, NOW + reads.PAGE_TTL + dt.timedelta(seconds=1))
    [(key, description)] = caught.value.errors["page"]
    assert key == "errors.expired" and "read again from the first page" in description


def test_free_busy_pages_the_same_way():
    uow = FakeUow(_events(150))
    first = free_busy.read_free_busy(uow, caller(), query(include_managed=True), 100, NOW)
    second = free_busy.read_free_busy(uow, caller(), first.next, 100, NOW)
    assert (first.current, first.total, second.current, second.total, second.next) == (1, 2, 2, 2, None)
    assert len({b.event_uid for b in first.items + second.items}) == 150
