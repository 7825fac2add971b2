"""Paging Read Events and Free/Busy (wire notes §5): absolute next_page URLs without a query
string, right totals, every event once, tokens bound to the caller; pycronofy follows them."""

import datetime as dt
from urllib.parse import urlsplit

import httpx
import pycronofy
import pycronofy.settings
import pytest

from tests.integration.api._read_events import connect, ok, read, upsert

COUNT = 250
WINDOW = {"tzid": "Etc/UTC", "from": "2026-12-01", "to": "2026-12-31", "include_managed": "true"}


def _fill(calgate, person, count):
    """``count`` events, two per half hour, so pages split ties on uid too."""
    start = dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone.utc)
    with httpx.Client() as client:
        for i in range(count):
            at = start + dt.timedelta(minutes=30 * (i // 2))
            fmt = "%Y-%m-%dT%H:%M:%SZ"
            upsert(calgate, person, f"e{i:03d}", at.strftime(fmt), (at + dt.timedelta(minutes=45)).strftime(fmt), client=client)
    return person


@pytest.fixture
def many(calgate, person):
    return _fill(calgate, person, COUNT)


def _follow(calgate, person, first, key):
    bodies, response = [], first
    while True:
        body = ok(response)
        bodies.append(body)
        next_page = body["pages"].get("next_page")
        if next_page is None:
            return bodies
        response = httpx.request("GET", next_page, json={}, headers=person.headers)


def test_paging_through_250(calgate, many):
    for path, key in (("/v1/events", "events"), ("/v1/free_busy", "free_busy")):
        bodies = _follow(calgate, many, read(calgate, many, path, body={}, **WINDOW), key)
        assert [b["pages"]["current"] for b in bodies] == [1, 2, 3]
        assert all(b["pages"]["total"] == 3 for b in bodies)
        assert [len(b[key]) for b in bodies] == [100, 100, 50]
        assert "next_page" not in bodies[-1]["pages"]
        for body in bodies[:-1]:
            url = body["pages"]["next_page"]
            parts = urlsplit(url)
            assert f"{parts.scheme}://{parts.netloc}" == calgate.url  # CALGATE_PUBLIC_URL, absolute
            assert parts.path.startswith(f"{path}/pages/") and parts.path.count("/") == 4
            assert "?" not in url and not parts.query
        entries = [e for b in bodies for e in b[key]]
        assert sorted(e["event_id"] for e in entries) == [f"e{i:03d}" for i in range(COUNT)]  # no gaps, no repeats
        order = [(e["start"], e["event_uid"]) for e in entries]
        assert order == sorted(order)  # by start, then uid


def test_page_urls_ignore_their_query_and_belong_to_their_caller(calgate, person):
    many = _fill(calgate, person, 101)
    first = ok(read(calgate, many, **WINDOW))
    next_page = first["pages"]["next_page"]
    second = ok(httpx.get(next_page, headers=many.headers))
    # the Node SDK appends the original options again; they change nothing
    again = ok(httpx.get(next_page, params={**WINDOW, "include_managed": "false", "tzid": "Asia/Tokyo"}, headers=many.headers))
    assert again == second and second["pages"]["current"] == 2
    stranger = connect(calgate)
    response = httpx.get(next_page, headers=stranger.headers)
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert httpx.get(next_page).status_code == 401
    # tampered with, or taken to the other resource's pages
    token = urlsplit(next_page).path.rsplit("/", 1)[1]
    flipped = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    assert httpx.get(f"{calgate.url}/v1/events/pages/{flipped}", headers=many.headers).status_code == 404
    assert httpx.get(f"{calgate.url}/v1/free_busy/pages/{token}", headers=many.headers).status_code == 404


def test_pycronofy_reads_every_page(calgate, many, monkeypatch):
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    monkeypatch.setattr(pycronofy.settings, "APP_BASE_URL", calgate.url)
    client = pycronofy.Client(access_token=many.access_token)
    window = dict(from_date=dt.date(2026, 12, 1), to_date=dt.date(2026, 12, 31), tzid="Etc/UTC")
    pages = client.read_events(**window)  # include_managed=True is pycronofy's default
    assert (pages.current, pages.total) == (1, 3)
    events = list(pages)
    assert sorted(e["event_id"] for e in events) == [f"e{i:03d}" for i in range(COUNT)]
    blocks = list(client.read_free_busy(**window))
    assert len(blocks) == COUNT and {b["free_busy_status"] for b in blocks} == {"busy"}
    assert len(list(client.read_events(calendar_ids=(many.calendar_id,), only_managed=True, **window))) == COUNT
    assert list(client.read_events(include_managed=False, **window)) == []
