"""Real-Time Sequencing over HTTP (Cronofy's alpha ``/v1/real_time_sequencing``): pycronofy
creates a link whose availability is a sequence of steps; the page offers whole sequences
(each step after the one before, each step's members free); booking writes one event per
step into the target calendars of that step's members; status and disable; 422s."""

from __future__ import annotations

import datetime as dt

import httpx
import pycronofy
import pycronofy.settings
import pytest

from tests.support.application_calendars import make_application_calendar
from tests.support.connect import csrf
from tests.support.factories import make_application

DAY = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=4)).date()


def at(hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(DAY, dt.time(hour, minute), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, name="Globex Hiring")


@pytest.fixture
def client(calgate, app, monkeypatch):
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    return pycronofy.Client(client_id=app.client_id, client_secret=app.client_secret)


@pytest.fixture
def rooms(calgate, app):
    return make_application_calendar(calgate, app, "interviewer"), make_application_calendar(calgate, app, "manager")


def sequence(interviewer, manager) -> dict:
    return {
        "sequence": [
            {"sequence_id": "interview", "ordinal": 1, "participants": [{"members": [interviewer.sub]}], "required_duration": 60,
             "event": {"event_id": "seq-interview", "summary": "Technical interview"}},
            {"sequence_id": "debrief", "ordinal": 2, "participants": [{"members": [manager.sub]}], "required_duration": 30,
             "event": {"event_id": "seq-debrief", "summary": "Meet the manager"}},
        ],
        "available_periods": [{"start": at(9), "end": at(12)}],
    }


def make(client, rooms) -> dict:
    interviewer, manager = rooms
    answer = client.real_time_sequencing(
        sequence(interviewer, manager), {"redirect_uri": "https://app.example.test/done"},
        {"event_id": "seq", "summary": "Hiring loop", "tzid": "Europe/London"},
        [{"sub": interviewer.sub, "calendar_id": interviewer.calendar_id}, {"sub": manager.sub, "calendar_id": manager.calendar_id}],
    )
    assert answer["url"] == answer["real_time_sequencing"]["url"]
    return answer["real_time_sequencing"]


def offered(page: httpx.Response) -> list[str]:
    return [part.split('"', 1)[0] for part in page.text.split('name="slot" value="')[1:]]


def test_the_page_offers_sequences_and_booking_writes_each_step(calgate, app, client, rooms):
    interviewer, manager = rooms
    httpx.post(f"{calgate.url}/v1/calendars/{manager.calendar_id}/events", headers=manager.headers,
               json={"event_id": "busy", "summary": "Busy", "start": at(10), "end": at(11)}).raise_for_status()
    link = make(client, rooms)
    assert link["real_time_sequencing_id"].startswith("seq_")
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        page = browser.get(link["url"], params={"tzid": "Etc/UTC"})
        choices = offered(page)
        # 09:00-10:00 interview, then the manager's first free half hour: 11:00
        assert choices[0] == f"{at(9)},{at(11)}"
        assert "Technical interview" in page.text and "Meet the manager" in page.text
        booked = browser.post(link["url"], data={
            "csrf_token": csrf(page.text), "slot": choices[0], "tzid": "Etc/UTC", "email": "cand@example.com", "display_name": "Cand",
        })
    assert booked.status_code == 303
    status = httpx.get(f"{calgate.url}/v1/real_time_sequencing/{link['real_time_sequencing_id']}",
                       headers={"Authorization": f"Bearer {app.client_secret}"}).json()["real_time_sequencing"]
    assert status["status"] == "completed"
    assert [(s["sequence_id"], s["start"], s["end"]) for s in status["booking"]["sequence"]] == [
        ("interview", at(9), at(10)), ("debrief", at(11), at(11, 30)),
    ]
    window = {"from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat(), "tzid": "Etc/UTC", "only_managed": "true"}
    theirs = httpx.get(f"{calgate.url}/v1/events", params=window, headers=interviewer.headers).json()["events"]
    mine = httpx.get(f"{calgate.url}/v1/events", params=window, headers=manager.headers).json()["events"]
    assert [(e["event_id"], e["summary"], e["start"]) for e in theirs] == [("seq-interview", "Technical interview", at(9))]
    assert sorted((e["event_id"], e["start"]) for e in mine) == [("busy", at(10)), ("seq-debrief", at(11))]


def test_a_step_without_an_event_of_its_own_takes_the_links(calgate, app, client, rooms):
    interviewer, manager = rooms
    body = sequence(interviewer, manager)
    del body["sequence"][1]["event"]
    link = client.real_time_sequencing(
        body, {"redirect_uri": "https://app.example.test/done"}, {"event_id": "loop", "summary": "Hiring loop"},
        [{"sub": manager.sub, "calendar_id": manager.calendar_id}],
    )["real_time_sequencing"]
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        page = browser.get(link["url"], params={"tzid": "Etc/UTC"})
        assert browser.post(link["url"], data={
            "csrf_token": csrf(page.text), "slot": offered(page)[0], "tzid": "Etc/UTC", "email": "cand@example.com",
        }).status_code == 303
    with calgate.services.uow() as uow:
        event = uow.events.by_event_id(manager.calendar_id, "loop-debrief")
    assert event is not None and event.summary == "Hiring loop"


def test_status_by_token_and_disable(calgate, app, client, rooms):
    link = make(client, rooms)
    headers = {"Authorization": f"Bearer {app.client_secret}"}
    token = link["url"].rsplit("/", 1)[1]
    found = httpx.get(f"{calgate.url}/v1/real_time_sequencing", params={"token": token}, headers=headers).json()
    assert found["real_time_sequencing"]["status"] == "open"
    off = httpx.post(f"{calgate.url}/v1/real_time_sequencing/{link['real_time_sequencing_id']}/disable",
                     json={"display_message": "Filled"}, headers=headers)
    assert off.status_code == 200 and off.json()["real_time_sequencing"]["status"] == "disabled"
    assert httpx.get(link["url"]).status_code == 410
    # a sequencing link is not a scheduling link, and the other way round
    assert httpx.get(f"{calgate.url}/v1/real_time_scheduling/{link['real_time_sequencing_id']}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b["availability"].pop("sequence"),
        lambda b: b["availability"]["sequence"][0].update(required_duration={"minutes": 0}),
        lambda b: b["availability"]["sequence"][1].update(sequence_id="interview"),
        lambda b: b["availability"]["sequence"][0]["event"].pop("summary"),
        lambda b: b["availability"]["sequence"][0]["participants"][0].update(members=["acc_unknown"]),
    ],
)
def test_bad_sequences_are_422_under_availability(calgate, app, rooms, change):
    interviewer, manager = rooms
    body = {
        "oauth": {"redirect_uri": "https://app.example.test/done"}, "event": {"event_id": "seq", "summary": "Loop"},
        "availability": sequence(interviewer, manager),
        "target_calendars": [{"sub": interviewer.sub, "calendar_id": interviewer.calendar_id}],
    }
    for step in body["availability"]["sequence"]:
        step["required_duration"] = {"minutes": step["required_duration"]}
    change(body)
    response = httpx.post(f"{calgate.url}/v1/real_time_sequencing", json=body, headers={"Authorization": f"Bearer {app.client_secret}"})
    assert response.status_code == 422, response.text
    assert "availability" in response.json()["errors"], response.json()
