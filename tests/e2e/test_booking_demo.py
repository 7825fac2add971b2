# SPDX-License-Identifier: Apache-2.0
"""The booking demo (examples/booking/) as a visitor uses it, in chromium, against a live calgate.

The demo runs as its own process (``python -m examples.booking``), exactly as ``make demo``
starts it, pointed at the test's calgate and given an application with Free/Busy and No Access
enabled. The story: Ada connects with No Access from the demo's deep link; Grace picks
Free/Busy and her CalDAV server (a real Radicale, where she is busy at the first time the team
could offer) through calgate's chooser; the booking page offers only times when everyone is
free, with the buffer kept; a booking reaches both of them as iMIP invitations; forged push
notifications are refused, while calgate's own (Ada accepting by email) make the booking page
refresh itself. Then a scheduling link: the demo creates one for an invitee (Real-Time
Scheduling, through pycronofy), the invitee books on calgate's page, and the demo sees it
completed. Screenshots of each page go to test-artifacts/demo-*.png.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from calgate.mail.inbound import InboundServer
from tests.support.factories import AppCredentials, make_application
from tests.support.itip import calendar_part, parsed, reply, reply_mail, send_smtp, vevent
from tests.support.mail import mail_to, verification_code, wait_for_mail
from tests.support.radicale import Radicale, RadicaleUser
from tests.support.server import LiveServer, free_port

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
APP_NAME = "Acme booking demo"
SLOW_MS = 20_000  # a CalDAV first sync, a push notification and the page's 2 s poll


@dataclass(frozen=True)
class Demo:
    url: str
    creds: AppCredentials
    data_dir: Path
    log: Path

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def demo(calgate: LiveServer, tmp_path: Path) -> Iterator[Demo]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    creds = make_application(
        calgate.services, features={"free_busy", "no_calendar"}, name=APP_NAME, redirect_uri=f"{url}/callback"
    )
    env = {
        **os.environ,
        "DEMO_CALGATE_URL": calgate.url,
        "DEMO_PORT": str(port),
        "DEMO_DATA_DIR": str(tmp_path / "demo"),  # its state.json: people and their tokens
        "DEMO_CLIENT_ID": creds.client_id,
        "DEMO_CLIENT_SECRET": creds.client_secret,
    }
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "examples.booking"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    running = Demo(url, creds, tmp_path / "demo", log)
    try:
        wait_until_up(f"{url}/healthz", process, running)
        yield running
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen[bytes], demo: Demo) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the demo exited:\n{demo.output()}"
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the demo did not start:\n{demo.output()}")


@pytest.fixture
def inbound(calgate: LiveServer) -> Iterator[InboundServer]:
    """calgate's receiver of replies by email (``calgate inbound-smtp``)."""
    server = InboundServer(calgate.services.uow, calgate.settings.organizer_email, "127.0.0.1", free_port()).start()
    try:
        yield server
    finally:
        server.stop()


# -- page steps -----------------------------------------------------------------------------------


def connect_links(page: Page) -> dict[tuple[str, str], dict[str, list[str]]]:
    """The deep links on the Connect page, by (access_mode, provider_name), as query dicts."""
    found = {}
    for link in page.locator("a[data-access-mode]").all():
        key = (str(link.get_attribute("data-access-mode")), str(link.get_attribute("data-provider-name")))
        found[key] = parse_qs(urlsplit(str(link.get_attribute("href"))).query)
    return found


def check_deep_links(page: Page, demo: Demo) -> None:
    links = connect_links(page)
    providers = ["google", "ms_graph", "apple", "caldav"]
    expected = {("no_calendar", "")} | {(m, p) for m in ("read_write", "free_busy") for p in providers}
    assert set(links) == expected
    [state] = {q["state"][0] for q in links.values()}  # one state, checked at the callback
    for (mode, provider), query in links.items():
        assert query == {
            "response_type": ["code"],
            "client_id": [demo.creds.client_id],
            "redirect_uri": [f"{demo.url}/callback"],
            "scope": ["free_busy_write"],
            "state": [state],
            "access_mode": [mode],
            **({"provider_name": [provider]} if provider else {}),
        }
    chooser = parse_qs(urlsplit(str(page.locator("#chooser").get_attribute("href"))).query)
    assert "access_mode" not in chooser and chooser["scope"] == ["free_busy_write"]


def consent(page: Page, shot: Path) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Allow {APP_NAME} access?")
    page.screenshot(path=shot, full_page=True)
    page.get_by_role("button", name="Allow").click()


def connect_no_calendar(page: Page, calgate: LiveServer, name: str, email: str, shots: Path) -> None:
    page.get_by_role("link", name="Connect without a calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect without a calendar")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your email address").fill(email)
    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    page.get_by_label("Code").fill(verification_code(wait_for_mail(calgate.mail_dir, email)))
    page.get_by_role("button", name="Continue").click()
    consent(page, shots / "demo-calgate-consent-no-calendar.png")


def connect_caldav_from_chooser(page: Page, radicale: Radicale, user: RadicaleUser, email: str, shots: Path) -> None:
    page.locator("#chooser").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"How should {APP_NAME} see your calendar?")
    page.screenshot(path=shots / "demo-chooser.png", full_page=True)
    page.locator('button[data-mode="free_busy"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Which calendar do you use?")
    page.get_by_role("button", name="Other CalDAV server", exact=True).click()
    page.locator("#server_url").fill(radicale.url)
    page.get_by_label("Username", exact=True).fill(user.username)
    page.get_by_label("App-specific password").fill(user.password)
    page.locator("#email").fill(email)
    page.screenshot(path=shots / "demo-calgate-caldav-form.png", full_page=True)
    page.get_by_role("button", name="Check and continue").click()
    consent(page, shots / "demo-calgate-consent-free-busy.png")


def expect_person_page(page: Page, name: str, mode: str, provider: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{name} is connected")
    expect(page.locator("#access-mode")).to_have_text(mode)
    expect(page.locator("#provider-name")).to_have_text(provider)
    expect(page.locator("#calendars tr")).not_to_have_count(1)  # a header and at least one calendar
    expect(page.get_by_role("button", name="Revoke access")).to_be_visible()


def expect_settled(page: Page, demo: Demo) -> None:
    """The page shows the demo's latest version: it has no refresh pending."""
    version = httpx.get(f"{demo.url}/version").json()["version"]
    expect(page.locator("body")).to_have_attribute("data-version", str(version), timeout=SLOW_MS)


def slot_starts(page: Page) -> list[str]:
    return [str(b.get_attribute("data-start")) for b in page.locator("button.slot").all()]


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def near(slot: dt.datetime, busy: dt.datetime) -> bool:
    """Whether a 30-minute slot overlaps the 30-minute busy time widened by the 15-minute buffer."""
    margin = dt.timedelta(minutes=30 + 15)
    return busy - margin < slot < busy + margin


def busy_event(start: dt.datetime) -> str:
    stamp = "%Y%m%dT%H%M%SZ"
    end = start + dt.timedelta(minutes=30)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//grace//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:grace-dentist@example.test\r\nDTSTAMP:{start:{stamp}}\r\nDTSTART:{start:{stamp}}\r\n"
        f"DTEND:{end:{stamp}}\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def invitation_for(calgate: LiveServer, email: str, skip: int, start: str) -> bytes:
    message = wait_for_mail(calgate.mail_dir, email, skip=skip)
    assert str(parsed(message)["METHOD"]) == "REQUEST"
    event = vevent(message)
    assert event.decoded("dtstart") == parse_time(start)
    assert event.decoded("dtend") == parse_time(start) + dt.timedelta(minutes=30)
    assert str(event["summary"]) == "Meeting with our team"
    return calendar_part(message)


def demo_state(demo: Demo) -> dict[str, Any]:
    return json.loads((demo.data_dir / "state.json").read_text())  # type: ignore[no-any-return]


def userinfo_status(calgate: LiveServer, token: str) -> int:
    return httpx.get(f"{calgate.url}/v1/userinfo", headers={"Authorization": f"Bearer {token}"}).status_code


def signed(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


# -- the story ------------------------------------------------------------------------------------


def test_book_a_meeting_with_the_team(
    calgate: LiveServer, demo: Demo, page: Page, artifacts: Path, radicale: Radicale, inbound: InboundServer
) -> None:
    ada = f"ada-{secrets.token_hex(3)}@example.test"
    grace = f"grace-{secrets.token_hex(3)}@example.test"
    grace_user = radicale.new_user()
    grace_calendar = radicale.make_calendar(grace_user, "work", "Work")

    # The team alone: the two seeded application calendars' working hours overlap.
    page.goto(f"{demo.url}/book")
    expect(page.locator("button.slot").first).to_be_visible()
    team_first = slot_starts(page)[0]
    page.goto(demo.url)
    expect(page.get_by_text("Priya (London)")).to_be_visible()
    page.screenshot(path=artifacts / "demo-home.png", full_page=True)

    # 1. Ada, No Access, from the deep link.
    page.get_by_role("link", name="Connect your calendar").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connect your calendar")
    check_deep_links(page, demo)
    page.screenshot(path=artifacts / "demo-connect.png", full_page=True)
    connect_no_calendar(page, calgate, "Ada Lovelace", ada, artifacts)
    expect_person_page(page, "Ada Lovelace", "No Access", "cronofy")
    page.screenshot(path=artifacts / "demo-connected-no-calendar.png", full_page=True)
    ada_sub = urlsplit(page.url).path.rsplit("/", 1)[1]

    # 2. Grace, through calgate's chooser: Free/Busy on her CalDAV server, busy at team_first.
    radicale.put(f"{grace_calendar}dentist.ics", busy_event(parse_time(team_first)))
    page.get_by_role("link", name="Connect someone else").click()
    connect_caldav_from_chooser(page, radicale, grace_user, grace, artifacts)
    expect_person_page(page, grace, "Free/Busy", "caldav_free_busy")
    page.screenshot(path=artifacts / "demo-connected-free-busy.png", full_page=True)

    # 3. Booking: once calgate has read Grace's calendar (its notification refreshes the page),
    # her dentist and the 15-minute buffer after it are not offered.
    page.get_by_role("link", name="Book a meeting").first.click()
    expect(page.locator("button.slot").first).to_be_visible(timeout=SLOW_MS)
    expect(page.locator('.notification[data-type="verification"]')).to_have_count(2, timeout=SLOW_MS)
    starts = slot_starts(page)
    assert not [s for s in starts if near(parse_time(s), parse_time(team_first))], (team_first, starts)
    page.screenshot(path=artifacts / "demo-book.png", full_page=True)

    before = {email: len(mail_to(calgate.mail_dir, email)) for email in (ada, grace)}
    chosen = starts[0]
    expect_settled(page, demo)  # no refresh under the click
    page.locator(f'button.slot[data-start="{chosen}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Booked:")
    expect(page.locator("#participants")).to_contain_text(f"an email invitation to {ada} (No Access)")
    expect(page.locator("#participants")).to_contain_text(f"an email invitation to {grace} (Free/Busy)")
    page.screenshot(path=artifacts / "demo-booked.png", full_page=True)

    # 4. The invitations: iMIP REQUESTs for exactly that slot, to both of them.
    ada_invite = invitation_for(calgate, ada, before[ada], chosen)
    invitation_for(calgate, grace, before[grace], chosen)

    # 5. Push notifications: forgeries are refused ...
    body = json.dumps({"notification": {"type": "change", "changes_since": chosen}, "channel": {}}).encode()
    push = f"{demo.url}/push/{ada_sub}"
    version = httpx.get(f"{demo.url}/version").json()["version"]
    assert httpx.post(push, content=body).status_code == 401
    assert httpx.post(push, content=body, headers={"Cronofy-HMAC-SHA256": signed("not-the-secret", body)}).status_code == 401
    tampered = body.replace(b"change", b"chang3")
    assert httpx.post(push, content=tampered, headers={"Cronofy-HMAC-SHA256": signed(demo.creds.client_secret, body)}).status_code == 401
    assert httpx.get(f"{demo.url}/version").json()["version"] == version  # nothing was recorded

    # ... and calgate's own is taken: Ada accepts by email, calgate tells the demo, and the
    # booking page, open meanwhile, refreshes itself to show it.
    page.get_by_role("link", name="Back to booking").click()
    expect(page.locator(f'.answer[data-sub="{ada_sub}"]')).to_have_text("needs_action")
    expect(page.locator('.notification[data-type="change"]')).to_have_count(0)  # the forgeries are not listed
    send_smtp(inbound.port, reply_mail(reply(ada_invite, ada, "ACCEPTED"), ada, calgate.settings.organizer_email))
    expect(page.locator(f'.notification[data-type="change"][data-sub="{ada_sub}"]')).to_have_count(1, timeout=SLOW_MS)
    expect(page.locator(f'.answer[data-sub="{ada_sub}"]')).to_have_text("accepted")
    page.screenshot(path=artifacts / "demo-book-after-reply.png", full_page=True)

    # 6. Revoking Grace: calgate ends her token, and she is gone from the demo and its query.
    [grace_token] = [p["access_token"] for p in demo_state(demo)["people"].values() if p["email"] == grace]
    assert userinfo_status(calgate, grace_token) == 200
    page.goto(demo.url)
    page.get_by_role("link", name=grace).click()
    page.get_by_role("button", name="Revoke access").click()
    expect(page.get_by_role("status")).to_have_text("Access revoked: we no longer see that calendar.")
    expect(page.get_by_role("link", name=grace)).to_have_count(0)
    page.screenshot(path=artifacts / "demo-revoked.png", full_page=True)
    assert userinfo_status(calgate, grace_token) == 401
    page.get_by_role("link", name="Book a meeting").first.click()
    expect(page.locator("#slots button.slot").first).to_be_visible()
    expect(page.get_by_role("link", name=grace)).to_have_count(0)


def test_send_a_scheduling_link(calgate: LiveServer, demo: Demo, page: Page, artifacts: Path) -> None:
    invitee = f"biff-{secrets.token_hex(3)}@example.test"
    page.goto(f"{demo.url}/book")
    expect(page.locator("button.slot").first).to_be_visible()
    team_first = slot_starts(page)[0]

    # The team member creates a link for the invitee and sees it, open.
    page.goto(demo.url)
    page.get_by_role("link", name="Send a scheduling link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send a scheduling link")
    page.get_by_label("Their email address").fill(invitee)
    page.get_by_role("button", name="Create scheduling link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Scheduling link for {invitee}")
    expect(page.locator("#link-status")).to_have_text("open")
    url = str(page.locator("#scheduling-url").get_attribute("href"))
    assert url.startswith(f"{calgate.url}/rts/")
    mailto = str(page.get_by_role("link", name=f"Email it to {invitee}").get_attribute("href"))
    assert urlsplit(mailto).path == invitee.replace("@", "%40") and url in parse_qs(urlsplit(mailto).query)["body"][0]
    page.screenshot(path=artifacts / "demo-link.png", full_page=True)

    # The invitee opens it: calgate's page offers the team's times; they book the first.
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Meeting with our team")
    first = page.get_by_role("radio").first
    chosen = str(first.get_attribute("value"))
    assert chosen == team_first  # the same availability the demo's booking page asks for
    first.check()
    page.get_by_label("Your name").fill("Biff Tannen")
    page.get_by_label("Your email address").fill(invitee)
    page.screenshot(path=artifacts / "demo-link-calgate-page.png", full_page=True)
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: you're booked with our team")
    expect(page.locator("#booked-start")).to_have_attribute("datetime", chosen)
    page.screenshot(path=artifacts / "demo-link-scheduled.png", full_page=True)

    # Back in the demo: completed, for that time, and gone from the team's availability.
    page.goto(demo.url)
    page.get_by_role("link", name="Send a scheduling link").first.click()
    expect(page.locator("#sent .link-status")).to_have_text(["completed"])
    page.get_by_role("link", name=invitee).click()
    expect(page.locator("#link-status")).to_have_text("completed")
    expect(page.locator("#booked-start")).to_have_attribute("datetime", chosen)
    expect(page.get_by_role("button", name="Withdraw the link")).to_have_count(0)
    page.screenshot(path=artifacts / "demo-link-completed.png", full_page=True)
    page.goto(f"{demo.url}/book")
    expect(page.locator("button.slot").first).to_be_visible()
    assert chosen not in slot_starts(page)

    # A second link, withdrawn: calgate's page then shows the demo's message.
    page.goto(f"{demo.url}/links")
    page.get_by_label("Their email address").fill("marty@example.test")
    page.get_by_role("button", name="Create scheduling link").click()
    second = str(page.locator("#scheduling-url").get_attribute("href"))
    page.get_by_role("button", name="Withdraw the link").click()
    expect(page.locator("#link-status")).to_have_text("disabled")
    page.goto(second)
    expect(page.get_by_role("heading", level=1)).to_have_text("This scheduling link is closed")
    expect(page.get_by_role("status")).to_have_text("This link has been withdrawn. Ask us for a new one.")
