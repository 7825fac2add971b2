"""Real-Time Scheduling over HTTP (wire notes §4.10): pycronofy creates a link, reads its status
by token and by id, and disables it; the page behind the URL offers the live free times and
books one into the target calendars (a hosted application calendar directly, a No Access
person by invitation), redirects the visitor on, and sends the signed callback; a time booked
meanwhile is refused with the times left; 422s in Cronofy's shape; another application's link
is a 404."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pycronofy
import pycronofy.settings
import pytest

from calgate.jobs.webhooks import sign
from tests.support.api import connect_and_exchange
from tests.support.application_calendars import make_application_calendar
from tests.support.connect import csrf
from tests.support.factories import make_application
from tests.support.mail import mail_to, wait_for_mail
from tests.support.webhooks import receiving

DAY = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).date()
NINE = dt.datetime.combine(DAY, dt.time(9), dt.timezone.utc)
EVENT = {"event_id": "interview-7", "summary": "Interview with Globex", "description": "About the role.", "tzid": "Europe/London"}
DONE = "https://app.example.test/booked"


def at(hour: int, minute: int = 0) -> str:
    return (NINE.replace(hour=hour, minute=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"}, name="Globex Hiring")


@pytest.fixture
def client(calgate, app, monkeypatch):
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    monkeypatch.setattr(pycronofy.settings, "APP_BASE_URL", calgate.url)
    return pycronofy.Client(client_id=app.client_id, client_secret=app.client_secret)


@pytest.fixture
def room(calgate, app):
    return make_application_calendar(calgate, app, "interview-room")


@pytest.fixture
def receiver():
    with receiving() as receiver:
        yield receiver


def availability(*subs: str, start: int = 9, end: int = 11) -> dict:
    return {
        "participants": [{"members": list(subs), "required": "all"}],
        "required_duration": 30,
        "start_interval": 30,
        "available_periods": [{"start": at(start), "end": at(end)}],
    }


def make_link(client, room, **extra) -> dict:
    targets = extra.pop("target_calendars", [{"sub": room.sub, "calendar_id": room.calendar_id}])
    return client.real_time_scheduling(
        availability(*extra.pop("subs", [room.sub])), {"redirect_uri": DONE, "state": "cand-42", "scope": "read_free_busy"},
        dict(EVENT), targets, **extra,
    )["real_time_scheduling"]


def token_of(link: dict) -> str:
    return link["url"].rsplit("/", 1)[1]


def open_page(calgate, link: dict, browser: httpx.Client, tzid: str = "Europe/London") -> httpx.Response:
    return browser.get(f"/rts/{token_of(link)}", params={"tzid": tzid})


def choose(browser: httpx.Client, link: dict, page: httpx.Response, slot: str, email: str = "marty@example.com", **extra) -> httpx.Response:
    form = {"csrf_token": csrf(page.text), "slot": slot, "email": email, "display_name": "Marty McFly", "tzid": "Europe/London", **extra}
    return browser.post(f"/rts/{token_of(link)}", data=form)


def browser_for(calgate) -> httpx.Client:
    return httpx.Client(base_url=calgate.url, follow_redirects=False, timeout=30)


def test_pycronofy_creates_a_link_whose_status_it_reads_by_token_and_by_id(calgate, client, room):
    link = make_link(client, room)
    assert link["real_time_scheduling_id"].startswith("sch_")
    assert link["url"].startswith(f"{calgate.url}/rts/")
    by_token = client.get_real_time_scheduling_status(token=token_of(link))["real_time_scheduling"]
    by_id = client.get_real_time_scheduling_status(real_time_scheduling_id=link["real_time_scheduling_id"])["real_time_scheduling"]
    assert by_token == by_id
    assert by_id["status"] == "open" and by_id["url"] == link["url"]
    assert by_id["event"] == EVENT  # no start or end before a time is chosen


def test_the_page_offers_the_free_times_in_the_visitors_zone(calgate, client, room):
    httpx.post(
        f"{calgate.url}/v1/calendars/{room.calendar_id}/events", headers=room.headers,
        json={"event_id": "busy", "summary": "Busy", "start": at(9, 30), "end": at(10)},
    ).raise_for_status()
    link = make_link(client, room)
    with browser_for(calgate) as browser:
        page = open_page(calgate, link, browser, tzid="America/New_York")
    assert page.status_code == 200
    offered = sorted(v for v in parse_values(page.text))
    assert offered == [at(9), at(10), at(10, 30)]  # 09:30 is busy; 11:00 would end past the period
    local = NINE.astimezone(dt.timezone(dt.timedelta(hours=-5)))  # December: New York is UTC-5
    assert f"{local:%H:%M} – " in page.text and "America/New_York" in page.text


def parse_values(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('name="slot" value="')[1:]]


def test_booking_writes_the_event_invites_the_visitor_redirects_and_calls_back_signed(calgate, app, client, room, receiver):
    person = connect_and_exchange(calgate, app, access_mode="no_calendar")
    person_calendar = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    targets = [{"sub": room.sub, "calendar_id": room.calendar_id}, {"sub": person.account_id, "calendar_id": person_calendar}]
    link = make_link(client, room, subs=[room.sub, person.account_id], target_calendars=targets,
                     callback_urls={"completed_url": receiver.url})
    with browser_for(calgate) as browser:
        page = open_page(calgate, link, browser)
        done = choose(browser, link, page, at(10))
    assert done.status_code == 303
    assert urlsplit(done.headers["location"])._replace(query="").geturl() == DONE
    assert parse_qs(urlsplit(done.headers["location"]).query) == {"state": ["cand-42"]}

    status = client.get_real_time_scheduling_status(real_time_scheduling_id=link["real_time_scheduling_id"])["real_time_scheduling"]
    assert status["status"] == "completed"
    assert status["event"]["start"] == {"time": at(10), "tzid": "Europe/London"}
    assert status["event"]["end"] == {"time": at(10, 30), "tzid": "Europe/London"}
    assert status["booking"]["booker"] == {"email": "marty@example.com", "display_name": "Marty McFly"}

    # The hosted calendar holds it; the No Access person gets an invitation, as does the visitor.
    window = {"from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=1)).isoformat(), "tzid": "Etc/UTC", "include_managed": "true"}
    events = httpx.get(f"{calgate.url}/v1/events", params=window, headers=room.headers).json()["events"]
    assert [(e["event_id"], e["summary"], e["start"]) for e in events] == [("interview-7", "Interview with Globex", at(10))]
    invitation = wait_for_mail(calgate.mail_dir, person.email)
    assert "Interview with Globex" in str(invitation["Subject"])
    assert wait_for_mail(calgate.mail_dir, "marty@example.com")

    [callback] = receiver.wait_for(1)
    assert callback.headers["cronofy-hmac-sha256"] == sign(app.client_secret, callback.body)
    body = callback.json
    assert body["notification"]["type"] == "completed"
    assert body["real_time_scheduling"] == {"real_time_scheduling_id": link["real_time_scheduling_id"], "status": "completed"}
    assert body["event"]["start"] == {"time": at(10), "tzid": "Europe/London"}
    assert sorted(p["sub"] for p in body["participants"]) == sorted([room.sub, person.account_id])
    assert body["user"] == {"tzid": "Europe/London", "email": "marty@example.com", "display_name": "Marty McFly"}

    with browser_for(calgate) as browser:  # the link books nothing more; it shows the booking
        again = open_page(calgate, link, browser)
    assert again.status_code == 200 and "booked" in again.text and 'name="slot"' not in again.text
    assert "An invitation is on its way to marty@example.com" in again.text  # the No Access person's calendar sent it


def test_a_time_booked_through_another_link_is_gone(calgate, client, room):
    first, second = make_link(client, room), make_link(client, room)
    with browser_for(calgate) as browser:
        page_one, page_two = open_page(calgate, first, browser), open_page(calgate, second, browser)
        assert choose(browser, first, page_one, at(9)).status_code == 303
        taken = choose(browser, second, page_two, at(9), email="doc@example.com")
    assert taken.status_code == 409
    assert "just been taken" in taken.text
    assert at(9) not in parse_values(taken.text) and at(9, 30) in parse_values(taken.text)
    status = client.get_real_time_scheduling_status(real_time_scheduling_id=second["real_time_scheduling_id"])
    assert status["real_time_scheduling"]["status"] == "open"


def test_minimum_notice_hides_the_times_too_soon(calgate, client, room):
    soon = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) + dt.timedelta(hours=1)
    body = availability(room.sub)
    body["available_periods"] = [{"start": soon.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": (soon + dt.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")}]
    link = client.real_time_scheduling(body, {"redirect_uri": DONE}, dict(EVENT), [{"sub": room.sub, "calendar_id": room.calendar_id}], {"hours": 4})
    with browser_for(calgate) as browser:
        page = browser.get(f"/rts/{token_of(link['real_time_scheduling'])}")
    earliest = min(dt.datetime.fromisoformat(v.replace("Z", "+00:00")) for v in parse_values(page.text))
    assert earliest >= soon - dt.timedelta(hours=1) + dt.timedelta(hours=4)


def test_disabling_shows_the_message_and_books_nothing(calgate, client, room):
    link = make_link(client, room)
    with browser_for(calgate) as browser:
        page = open_page(calgate, link, browser)
        disabled = client.disable_real_time_scheduling_link(link["real_time_scheduling_id"], "Let's hold off\nuntil next month.")
        assert disabled["real_time_scheduling"]["status"] == "disabled"
        refused = choose(browser, link, page, at(9))
        shown = open_page(calgate, link, browser)
    assert shown.status_code == 410 and "Let&#39;s hold off\nuntil next month." in shown.text
    assert refused.status_code == 410
    with calgate.services.uow() as uow:
        assert uow.events.by_event_id(room.calendar_id, "interview-7") is None


def test_a_completed_link_cannot_be_disabled(calgate, client, room):
    link = make_link(client, room)
    with browser_for(calgate) as browser:
        assert choose(browser, link, open_page(calgate, link, browser), at(9)).status_code == 303
    response = httpx.post(
        f"{calgate.url}/v1/real_time_scheduling/{link['real_time_scheduling_id']}/disable",
        json={"display_message": "too late"}, headers={"Authorization": f"Bearer {client.auth.client_secret}"},
    )
    assert response.status_code == 422 and "real_time_scheduling_id" in response.json()["errors"]


def test_no_times_suitable_tells_the_application(calgate, client, room, receiver):
    link = make_link(client, room, callback_urls={"no_times_suitable_url": receiver.url})
    with browser_for(calgate) as browser:
        page = open_page(calgate, link, browser)
        told = browser.post(f"/rts/{token_of(link)}/no_times_suitable", data={"csrf_token": csrf(page.text)})
    assert told.status_code == 200
    [callback] = receiver.wait_for(1)
    assert callback.json["notification"]["type"] == "no_times_suitable"
    assert client.get_real_time_scheduling_status(token=token_of(link))["real_time_scheduling"]["status"] == "open"


def test_a_page_with_nothing_to_offer_calls_back_once(calgate, client, room, receiver):
    httpx.post(
        f"{calgate.url}/v1/calendars/{room.calendar_id}/events", headers=room.headers,
        json={"event_id": "all-morning", "summary": "Busy", "start": at(8), "end": at(12)},
    ).raise_for_status()
    link = make_link(client, room, callback_urls={"no_times_displayed_url": receiver.url})
    with browser_for(calgate) as browser:
        first, second = open_page(calgate, link, browser), open_page(calgate, link, browser)
    assert "no times left" in first.text and second.status_code == 200
    [callback] = receiver.wait_for(1)
    assert callback.json["notification"]["type"] == "no_times_displayed"
    assert len(receiver.requests) == 1


def test_bad_visitor_input_is_a_422_page_that_keeps_the_choice(calgate, client, room):
    link = make_link(client, room)
    with browser_for(calgate) as browser:
        page = open_page(calgate, link, browser)
        bad = choose(browser, link, page, at(9), email="not-an-address")
        no_slot = choose(browser, link, page, "")
    assert bad.status_code == 422 and "Enter your email address" in bad.text
    assert f'value="{at(9)}" checked' in bad.text
    assert no_slot.status_code == 422 and "Choose one of the times" in no_slot.text
    assert client.get_real_time_scheduling_status(token=token_of(link))["real_time_scheduling"]["status"] == "open"


def test_unknown_tokens_are_a_404_page(calgate):
    with browser_for(calgate) as browser:
        response = browser.get("/rts/not-a-token")
    assert response.status_code == 404 and "does not exist" in response.text


def post_link(calgate, secret, body) -> httpx.Response:
    return httpx.post(f"{calgate.url}/v1/real_time_scheduling", json=body, headers={"Authorization": f"Bearer {secret}"})


def valid_body(room) -> dict:
    return {
        "oauth": {"redirect_uri": DONE},
        "event": dict(EVENT),
        "availability": {
            "participants": [{"members": [{"sub": room.sub}]}], "required_duration": {"minutes": 30},
            "query_periods": [{"start": at(9), "end": at(11)}],
        },
        "target_calendars": [{"sub": room.sub, "calendar_id": room.calendar_id}],
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.pop("oauth"), "oauth"),
        (lambda b: b["oauth"].update(redirect_uri="not a url"), "oauth.redirect_uri"),
        (lambda b: b["event"].pop("summary"), "event"),
        (lambda b: b["event"].update(start=at(9)), "event"),
        (lambda b: b["event"].pop("event_id"), "event"),
        (lambda b: b["event"].update(event_uid="evt_x"), "event"),
        (lambda b: b["event"].update(recurrence={"rules": [{"frequency": "weekly"}]}), "event"),
        (lambda b: b.pop("availability"), "availability"),
        (lambda b: b["availability"].update(required_duration={"minutes": 0}), "availability"),
        (lambda b: b.update(target_calendars=[]), "target_calendars"),
        (lambda b: b["target_calendars"][0].update(calendar_id="cal_nope"), "target_calendars"),
        (lambda b: b["target_calendars"][0].update(sub="acc_nope"), "target_calendars"),
        (lambda b: b["target_calendars"][0].update(event={"conferencing": {"profile_id": "integrated"}}), "target_calendars"),
        (lambda b: b.update(minimum_notice={"hours": -1}), "minimum_notice"),
        (lambda b: b.update(callback_urls={"finished_url": "https://x.test/"}), "callback_urls"),
        (lambda b: b.update(callback_url="ftp://x.test/"), "callback_url"),
        (lambda b: b.update(event_creation="many"), "event_creation"),
        (lambda b: b.update(tzid="Mars/Olympus"), "tzid"),
    ],
)
def test_bad_bodies_are_422_naming_the_field(calgate, app, room, change, field):
    body = valid_body(room)
    change(body)
    response = post_link(calgate, app.client_secret, body)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"], response.json()


def test_the_api_key_can_come_in_the_body_as_ruby_sends_it(calgate, app, room):
    body = {**valid_body(room), "client_id": app.client_id, "client_secret": app.client_secret}
    response = httpx.post(f"{calgate.url}/v1/real_time_scheduling", json=body)
    assert response.status_code == 200, response.text
    assert httpx.post(f"{calgate.url}/v1/real_time_scheduling", json={**body, "client_secret": "wrong"}).status_code == 401


def test_another_applications_link_is_not_found(calgate, app, room):
    link = post_link(calgate, app.client_secret, valid_body(room)).json()["real_time_scheduling"]
    other = make_application(calgate.services, name="Other")
    headers = {"Authorization": f"Bearer {other.client_secret}"}
    assert httpx.get(f"{calgate.url}/v1/real_time_scheduling/{link['real_time_scheduling_id']}", headers=headers).status_code == 404
    assert httpx.get(f"{calgate.url}/v1/real_time_scheduling", params={"token": token_of(link)}, headers=headers).status_code == 404
    disable = httpx.post(f"{calgate.url}/v1/real_time_scheduling/{link['real_time_scheduling_id']}/disable", json={"display_message": "x"}, headers=headers)
    assert disable.status_code == 404
    # and its calendars cannot be targets of the other application's links
    assert post_link(calgate, other.client_secret, valid_body(room)).status_code == 422


def test_an_access_token_is_not_an_api_key(calgate, room):
    response = post_link(calgate, room.access_token, valid_body(room))
    assert response.status_code == 401


def test_the_mail_of_a_booking_is_sent_once(calgate, app, client, room):
    person = connect_and_exchange(calgate, app, access_mode="no_calendar")
    calendar_id = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"][0]["calendar_id"]
    link = make_link(client, room, subs=[person.account_id], target_calendars=[{"sub": person.account_id, "calendar_id": calendar_id}])
    with browser_for(calgate) as browser:
        page = open_page(calgate, link, browser)
        assert choose(browser, link, page, at(9)).status_code == 303
        again = choose(browser, link, page, at(9, 30))  # the same form sent twice
    assert again.status_code == 200 and "booked" in again.text
    wait_for_mail(calgate.mail_dir, "marty@example.com")
    deadline = time.monotonic() + 15
    while not any("Interview with Globex" in str(m["Subject"]) for m in mail_to(calgate.mail_dir, person.email)):
        assert time.monotonic() < deadline, "the person was never invited"
        time.sleep(0.05)
    time.sleep(1)  # a second booking's mail would be queued by now
    assert len(mail_to(calgate.mail_dir, "marty@example.com")) == 1


def test_people_racing_for_one_time_one_wins_and_the_others_see_it_gone(calgate, client, room):
    """Six visitors of six links over the same member submit the same time at once: one is
    booked, five are told it was taken, and the calendar holds one event."""
    links = [make_link(client, room) for _ in range(6)]
    browsers = [browser_for(calgate) for _ in links]
    pages = [open_page(calgate, link, browser) for link, browser in zip(links, browsers)]
    barrier = threading.Barrier(len(links))

    def submit(index: int) -> int:
        barrier.wait()
        return choose(browsers[index], links[index], pages[index], at(10), email=f"visitor{index}@example.com").status_code

    with ThreadPoolExecutor(max_workers=len(links)) as pool:
        statuses = sorted(pool.map(submit, range(len(links))))
    for browser in browsers:
        browser.close()
    assert statuses == [303] + [409] * 5
    completed = [client.get_real_time_scheduling_status(token=token_of(link))["real_time_scheduling"]["status"] for link in links]
    assert sorted(completed) == ["completed"] + ["open"] * 5
    with calgate.services.uow() as uow:
        booked = [e for e in uow.events.in_calendar(room.calendar_id) if not e.deleted]
    assert [(e.event_id, e.start_at) for e in booked] == [("interview-7", NINE.replace(hour=10))]


def test_one_link_submitted_twice_at_once_books_once(calgate, client, room):
    link = make_link(client, room)
    browsers = [browser_for(calgate) for _ in range(4)]
    pages = [open_page(calgate, link, browser) for browser in browsers]
    barrier = threading.Barrier(len(browsers))

    def submit(index: int) -> int:
        barrier.wait()
        return choose(browsers[index], link, pages[index], at(9, 30 * (index % 2))).status_code

    with ThreadPoolExecutor(max_workers=len(browsers)) as pool:
        statuses = sorted(pool.map(submit, range(len(browsers))))
    for browser in browsers:
        browser.close()
    assert statuses == [200, 200, 200, 303]  # the others see the booking
    with calgate.services.uow() as uow:
        assert len([e for e in uow.events.in_calendar(room.calendar_id) if not e.deleted]) == 1
