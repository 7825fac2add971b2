# SPDX-License-Identifier: Apache-2.0
"""The Real-Time Scheduling page (web/scheduling) as a visitor uses it in chromium, against a
live calgate on SQLite and PostgreSQL: with JavaScript it opens in the browser's own zone;
without it the zone is changed with the form and a time is booked with the keyboard alone; a
time taken meanwhile is announced with the times left; a disabled link shows its message; and
the page's structure is what assistive technology needs (labels, fieldsets with legends,
alerts, lang, one h1). The application's redirect URLs (localhost:9999) have no server behind
them: the browser context catches them. Screenshots go to test-artifacts/rts-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.e2e.conftest import TIMEOUT_MS
from tests.support.api import connect_and_exchange
from tests.support.application_calendars import AppCalendar, make_application_calendar
from tests.support.connect import csrf
from tests.support.factories import AppCredentials, make_application
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser

DAY = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)).date()
# Two days of half-hour slots: 14:00–16:00 and, the day after, 14:00–15:00 UTC. In Tokyo
# (UTC+9) the first day's 15:00 and 15:30 are already the next morning's 00:00 and 00:30.
PERIODS = [(DAY, 14, 16), (DAY + dt.timedelta(days=1), 14, 15)]
STARTS = [
    dt.datetime.combine(day, dt.time(hour, minute), dt.timezone.utc)
    for day, first, last in PERIODS for hour in range(first, last) for minute in (0, 30)
]
EVENT = {"event_id": "intro-call", "summary": "Intro call with Globex", "description": "Half an hour to get to know each other.", "tzid": "Europe/London"}
APP_URL = "http://localhost:9999"
DONE = f"{APP_URL}/booked"
STATE = "cand-7"


def utc(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_days(tzid: str, starts: list[dt.datetime] = STARTS) -> list[tuple[str, list[str]]]:
    """What the page should show in ``tzid``: per local day (the legend), the slots' local times."""
    zone = ZoneInfo(tzid)
    days: dict[str, list[str]] = {}
    for start in starts:
        local, end = start.astimezone(zone), (start + dt.timedelta(minutes=30)).astimezone(zone)
        days.setdefault(f"{local:%A} {local.day} {local:%B %Y}", []).append(f"{local:%H:%M} – {end:%H:%M}")
    return list(days.items())


def shown_days(page: Page) -> list[tuple[str, list[str]]]:
    """The page's slots as a person hears them: each group's name and its radios' names."""
    found = []
    for group in page.get_by_role("group").all():
        expect(group.get_by_role("radio")).to_have_count(group.locator("label").count())
        found.append((group.locator("legend").inner_text(), [label.inner_text().strip() for label in group.locator("label").all()]))
    return found


@pytest.fixture
def app(calgate: LiveServer) -> AppCredentials:
    return make_application(calgate.services, features={"no_calendar"}, name="Globex Hiring")


@pytest.fixture
def client(sdk, app: AppCredentials):  # type: ignore[no-untyped-def]
    return sdk.Client(client_id=app.client_id, client_secret=app.client_secret)


@pytest.fixture
def room(calgate: LiveServer, app: AppCredentials) -> AppCalendar:
    return make_application_calendar(calgate, app, "interview-room")


class Landed:
    """The application's redirect URLs, caught in the browser: where calgate sent the visitor."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def handle(self, route: Route) -> None:
        self.urls.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Globex</title><h1>Back at Globex</h1>")


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Callable[..., tuple[Page, Landed]]]:
    """Open a browser context with the given options (time zone, JavaScript) and a page in it."""
    opened: list[BrowserContext] = []

    def open_page(**options: Any) -> tuple[Page, Landed]:
        context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB", **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        opened.append(context)
        landed = Landed()
        context.route(f"{APP_URL}/**", landed.handle)
        return context.new_page(), landed

    yield open_page
    for context in opened:
        context.close()


def make_link(client, room: AppCalendar, *also: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A link over the room's free time, booked into the room (and ``also`` these calendars)."""
    availability = {
        "participants": [{"members": [room.sub], "required": "all"}],
        "required_duration": {"minutes": 30},
        "start_interval": {"minutes": 30},
        "available_periods": [
            {"start": utc(dt.datetime.combine(day, dt.time(first), dt.timezone.utc)), "end": utc(dt.datetime.combine(day, dt.time(last), dt.timezone.utc))}
            for day, first, last in PERIODS
        ],
    }
    link = client.real_time_scheduling(
        availability, {"redirect_uri": f"{APP_URL}/callback", "state": STATE}, dict(EVENT),
        [{"sub": room.sub, "calendar_id": room.calendar_id}, *also], redirect_urls={"completed_url": DONE},
    )["real_time_scheduling"]
    return dict(link)


def status_of(client, link: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return dict(client.get_real_time_scheduling_status(real_time_scheduling_id=link["real_time_scheduling_id"])["real_time_scheduling"])


def expect_landed(page: Page, landed: Landed) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Back at Globex")
    assert len(landed.urls) == 1, landed.urls
    where = urlsplit(landed.urls[0])
    assert where._replace(query="").geturl() == DONE and parse_qs(where.query) == {"state": [STATE]}


def room_events(calgate: LiveServer, room: AppCalendar) -> list[tuple[str, str]]:
    window = {"from": DAY.isoformat(), "to": (DAY + dt.timedelta(days=3)).isoformat(), "tzid": "Etc/UTC", "include_managed": "true"}
    events = httpx.get(f"{calgate.url}/v1/events", params=window, headers=room.headers).json()["events"]
    return [(e["event_id"], e["start"]) for e in events]


def fill_in(page: Page, name: str = "Marty McFly", email: str = "marty@example.com") -> None:
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your email address").fill(email)


# -- the tests ------------------------------------------------------------------------------------


def test_with_javascript_the_page_opens_in_the_browsers_zone_and_books(calgate, client, room, contexts, artifacts) -> None:  # type: ignore[no-untyped-def]
    page, landed = contexts(timezone_id="America/New_York")
    link = make_link(client, room)
    page.goto(link["url"])  # no tzid: the link's zone (London) first, then the script moves on
    expect(page).to_have_url(re.compile(r"[?&]tzid=America%2FNew_York$"))
    expect(page.get_by_label("Times are shown in")).to_have_value("America/New_York")
    expect(page.get_by_role("heading", level=1)).to_have_text("Intro call with Globex")
    assert shown_days(page) == expected_days("America/New_York")
    expect(page.get_by_text("The invitation is sent")).to_have_count(0)  # a room alone invites no one
    page.screenshot(path=artifacts / "rts-js-new-york.png", full_page=True)

    [(second_day, second_day_times)] = expected_days("America/New_York")[1:]
    page.get_by_role("group", name=second_day).get_by_role("radio", name=second_day_times[1]).check()
    fill_in(page)
    page.screenshot(path=artifacts / "rts-js-filled.png", full_page=True)
    page.get_by_role("button", name="Book this time").click()

    expect_landed(page, landed)
    status = status_of(client, link)
    assert status["status"] == "completed"
    assert status["booking"]["start"] == utc(STARTS[5]) and status["booking"]["tzid"] == "America/New_York"
    assert status["booking"]["booker"] == {"email": "marty@example.com", "display_name": "Marty McFly"}
    assert room_events(calgate, room) == [("intro-call", utc(STARTS[5]))]


def test_without_javascript_the_zone_is_chosen_in_the_form_and_the_keyboard_books(calgate, client, room, contexts, artifacts) -> None:  # type: ignore[no-untyped-def]
    page, landed = contexts(java_script_enabled=False, timezone_id="America/New_York")
    link = make_link(client, room)
    page.goto(link["url"])
    zone = page.get_by_label("Times are shown in")
    expect(zone).to_have_value("Europe/London")  # nothing ran to move it to the browser's zone
    assert shown_days(page) == expected_days("Europe/London")
    page.screenshot(path=artifacts / "rts-nojs-london.png", full_page=True)

    zone.select_option("Asia/Tokyo")
    page.get_by_role("button", name="Show times").click()
    expect(page).to_have_url(re.compile(r"\?tzid=Asia%2FTokyo$"))
    expect(zone).to_have_value("Asia/Tokyo")
    tokyo = expected_days("Asia/Tokyo")
    assert [len(times) for _, times in tokyo] == [2, 4]  # the first UTC day's last two slots fall on the next Tokyo day
    assert shown_days(page) == tokyo
    page.screenshot(path=artifacts / "rts-nojs-tokyo.png", full_page=True)

    # Keyboard only: from the zone select, Tab to the button, Tab into the times, arrows move
    # through them (across the days' fieldsets), Space keeps the choice, Tab to the fields.
    zone.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Show times")).to_be_focused()
    page.keyboard.press("Tab")
    radios = page.get_by_role("radio")
    expect(radios.nth(0)).to_be_focused()
    page.keyboard.press("Space")
    expect(radios.nth(0)).to_be_checked()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    third = page.get_by_role("group", name=tokyo[1][0]).get_by_role("radio", name=tokyo[1][1][0])
    expect(third).to_be_focused()
    expect(third).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Doc Brown")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your email address")).to_be_focused()
    page.keyboard.type("doc@example.com")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Book this time")).to_be_focused()
    page.screenshot(path=artifacts / "rts-nojs-keyboard.png", full_page=True)
    page.keyboard.press("Enter")

    expect_landed(page, landed)
    status = status_of(client, link)
    assert status["status"] == "completed" and status["booking"]["start"] == utc(STARTS[2])
    assert status["booking"]["tzid"] == "Asia/Tokyo"
    assert room_events(calgate, room) == [("intro-call", utc(STARTS[2]))]

    # Coming back to the link shows the booking, in the zone it was booked in.
    page.goto(link["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("You're booked")
    local = STARTS[2].astimezone(ZoneInfo("Asia/Tokyo"))
    expect(page.locator("main")).to_contain_text(f"{local:%A} {local.day} {local:%B %Y, %H:%M} – 00:30 (Asia/Tokyo)")
    expect(page.get_by_role("radio")).to_have_count(0)
    expect(page.get_by_text("An invitation is on its way")).to_have_count(0)  # an application calendar invites no one
    page.screenshot(path=artifacts / "rts-booked.png", full_page=True)


def book_elsewhere(calgate: LiveServer, client, room: AppCalendar, start: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    """Another visitor, through another link over the same room, books ``start``."""
    other = make_link(client, room)
    with httpx.Client(base_url=calgate.url, timeout=30) as visitor:
        page = visitor.get(urlsplit(other["url"]).path, params={"tzid": "Europe/London"})
        form = {"csrf_token": csrf(page.text), "slot": utc(start), "email": "biff@example.com", "tzid": "Europe/London"}
        assert visitor.post(urlsplit(other["url"]).path, data=form).status_code == 303


def test_a_time_taken_meanwhile_is_announced_with_the_times_left(calgate, client, room, contexts, artifacts) -> None:  # type: ignore[no-untyped-def]
    page, landed = contexts(timezone_id="Europe/London")
    link = make_link(client, room)
    page.goto(link["url"])
    london = expected_days("Europe/London")
    first_day, first_times = london[0]
    page.get_by_role("radio", name=first_times[0]).first.check()
    fill_in(page)

    book_elsewhere(calgate, client, room, STARTS[0])
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Book this time").click()
    assert answer.value.status == 409
    expect(page.get_by_role("alert")).to_have_text("That time has just been taken. Please choose another.")
    assert shown_days(page) == expected_days("Europe/London", STARTS[1:])
    expect(page.get_by_role("radio", checked=True)).to_have_count(0)
    expect(page.get_by_label("Your name")).to_have_value("Marty McFly")  # what they typed is kept
    expect(page.get_by_label("Your email address")).to_have_value("marty@example.com")
    page.screenshot(path=artifacts / "rts-taken.png", full_page=True)
    assert status_of(client, link)["status"] == "open"

    page.get_by_role("group", name=first_day).get_by_role("radio").first.check()
    page.get_by_role("button", name="Book this time").click()
    expect_landed(page, landed)
    assert status_of(client, link)["booking"]["start"] == utc(STARTS[1])


def test_a_disabled_link_shows_its_message(calgate, client, room, contexts, artifacts) -> None:  # type: ignore[no-untyped-def]
    page, landed = contexts(timezone_id="Europe/London")
    link = make_link(client, room)
    page.goto(link["url"])
    page.get_by_role("radio").first.check()
    fill_in(page)
    client.disable_real_time_scheduling_link(link["real_time_scheduling_id"], "We have filled the role.\nThank you for your interest.")

    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Book this time").click()  # the page was open before
    assert answer.value.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("This scheduling link is closed")
    expect(page.get_by_role("status")).to_have_text("We have filled the role.\nThank you for your interest.")

    page.goto(link["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("This scheduling link is closed")
    expect(page.get_by_role("status")).to_contain_text("We have filled the role.")
    expect(page.get_by_role("radio")).to_have_count(0)
    page.screenshot(path=artifacts / "rts-disabled.png", full_page=True)
    assert landed.urls == [] and room_events(calgate, room) == []
    assert status_of(client, link)["status"] == "disabled"


def unlabelled(page: Page) -> list[str]:
    """The form controls a screen reader could not name."""
    return list(page.evaluate(
        """() => Array.from(document.querySelectorAll("input:not([type=hidden]), select, textarea, button"))
              .filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label") && !e.textContent.trim())
              .map(e => e.outerHTML)"""
    ))


@pytest.fixture
def person_calendar(calgate: LiveServer, app: AppCredentials) -> dict[str, str]:
    """A No Access person's hosted calendar: it mails its event's attendees an invitation."""
    person = connect_and_exchange(calgate, app, access_mode="no_calendar")
    calendars = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers).json()["calendars"]
    return {"sub": person.account_id, "calendar_id": calendars[0]["calendar_id"]}


def test_the_page_is_built_for_assistive_technology(calgate, client, room, person_calendar, contexts, artifacts) -> None:  # type: ignore[no-untyped-def]
    page, _ = contexts(timezone_id="Europe/London")
    link = make_link(client, room, person_calendar)
    page.goto(link["url"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_title("Choose a time: Intro call with Globex · calgate")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert unlabelled(page) == []
    for name in ("Times are shown in", "Your name", "Your email address"):
        expect(page.get_by_label(name)).to_be_visible()
    expect(page.get_by_label("Your email address")).to_have_accessible_description("The invitation is sent to this address.")
    # Every time is a radio button named by its time, inside its day's fieldset named by a legend.
    london = expected_days("Europe/London")
    expect(page.get_by_role("group")).to_have_count(len(london))
    for day, times in london:
        expect(page.get_by_role("group", name=day).get_by_role("radio")).to_have_count(len(times))
    expect(page.locator("fieldset.slots input[type=radio]")).to_have_count(len(STARTS))
    expect(page.get_by_role("radio")).to_have_count(len(STARTS))

    # Errors are announced, and tied to what they are about.
    page.get_by_label("Your email address").fill("not-an-address")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Book this time").click()
    assert answer.value.status == 422
    alerts = page.get_by_role("alert")
    expect(alerts).to_have_count(2)
    expect(alerts.nth(0)).to_have_text("Choose one of the times")
    expect(alerts.nth(1)).to_have_text("Enter your email address, such as name@example.com")
    email = page.get_by_label("Your email address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Enter your email address, such as name@example.com The invitation is sent to this address.")
    expect(email).to_have_value("not-an-address")
    expect(page.get_by_role("radio").first).to_have_accessible_description("Choose one of the times")
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    assert unlabelled(page) == []
    page.screenshot(path=artifacts / "rts-errors.png", full_page=True)
