# SPDX-License-Identifier: Apache-2.0
"""The booking demo's own rules, without a browser or a calgate: its push notification
receiver believes only callbacks signed with the client secret, its OAuth callback only a
state it issued, and its deep links are written as Cronofy's Calendar Access Modes guide writes
them. (tests/e2e/test_booking_demo.py runs the whole demo against a live calgate.)"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import uvicorn

from examples.booking import links
from examples.booking.app import STATE_COOKIE, create_app
from examples.booking.config import Config
from examples.booking.state import Store
from tests.support.server import free_port

SECRET = "demo-client-secret"
BODY = json.dumps({"notification": {"type": "change", "changes_since": "2026-01-05T09:00:00Z"}, "channel": {"channel_id": "chn_1"}}).encode()


def signed(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(calgate_url="http://calgate.invalid", port=8001, data_dir=tmp_path, client_id="demo-client", client_secret=SECRET)


@pytest.fixture
def http(config: Config) -> Iterator[httpx.Client]:
    """The demo on a loopback port, without its startup (which seeds the team in calgate): no
    calgate is needed for these."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the demo did not start"
        time.sleep(0.02)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def version(http: httpx.Client) -> int:
    return int(http.get("/version").json()["version"])


def notifications(config: Config) -> list[dict[str, object]]:
    return list(Store(config.data_dir).read()["notifications"])


def test_a_signed_notification_is_taken_and_moves_the_version_on(http: httpx.Client, config: Config) -> None:
    response = http.post("/push/acc_1", content=BODY, headers={"Cronofy-HMAC-SHA256": signed(BODY)})
    assert response.status_code == 202
    assert version(http) == 1
    [entry] = notifications(config)
    assert (entry["sub"], entry["type"], entry["changes_since"]) == ("acc_1", "change", "2026-01-05T09:00:00Z")


def test_any_of_several_signatures_will_do(http: httpx.Client) -> None:
    """Cronofy sends a comma-separated list while a client secret is being rotated."""
    header = f"{signed(BODY, 'the-old-secret')},{signed(BODY)}"
    assert http.post("/push/acc_1", content=BODY, headers={"Cronofy-HMAC-SHA256": header}).status_code == 202


@pytest.mark.parametrize(
    "headers, body",
    [
        ({}, BODY),
        ({"Cronofy-HMAC-SHA256": ""}, BODY),
        ({"Cronofy-HMAC-SHA256": signed(BODY, "not-the-secret")}, BODY),
        ({"Cronofy-HMAC-SHA256": signed(BODY)}, BODY.replace(b"change", b"chang3")),  # tampered
        ({"Cronofy-HMAC-SHA256": signed(BODY)}, json.dumps(json.loads(BODY), indent=1).encode()),  # re-encoded
        ({"Cronofy-HMAC-SHA256": signed(b"\xff\xfe")}, b"\xff\xfe"),  # not UTF-8: never JSON
    ],
    ids=["missing", "empty", "wrong_secret", "tampered", "reencoded", "not_utf8"],
)
def test_a_forged_notification_is_refused(http: httpx.Client, config: Config, headers: dict[str, str], body: bytes) -> None:
    response = http.post("/push/acc_1", content=body, headers=headers)
    assert response.status_code == 401
    assert version(http) == 0
    assert notifications(config) == []


@pytest.mark.parametrize("cookie", [None, "another-state"], ids=["no_cookie", "other_state"])
def test_the_callback_needs_the_state_it_issued(http: httpx.Client, cookie: str | None) -> None:
    if cookie:
        http.cookies.set(STATE_COOKIE, cookie)
    response = http.get("/callback", params={"code": "a-code", "state": "the-state"}, follow_redirects=False)
    assert response.status_code == 400
    assert "state does not match" in response.text


def test_a_refusal_goes_back_to_the_connect_page(http: httpx.Client) -> None:
    http.cookies.set(STATE_COOKIE, "the-state")
    response = http.get("/callback", params={"error": "access_denied", "state": "the-state"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/connect?error=access_denied"


def test_deep_links_are_written_as_the_guide_writes_them(config: Config) -> None:
    by_mode = links.deep_links(config, "st-1")
    url = by_mode["free_busy"][0].url
    assert url.startswith("http://calgate.invalid/oauth/authorize?")
    assert parse_qsl(urlsplit(url).query) == [
        ("response_type", "code"),
        ("client_id", "demo-client"),
        ("redirect_uri", "http://127.0.0.1:8001/callback"),
        ("scope", "free_busy_write"),
        ("state", "st-1"),
        ("access_mode", "free_busy"),
        ("provider_name", "google"),
    ]
    [no_access] = by_mode["no_calendar"]
    assert dict(parse_qsl(urlsplit(no_access.url).query))["access_mode"] == "no_calendar"
    assert "provider_name" not in no_access.url
    assert {link.provider_name for link in by_mode["read_write"]} == {"google", "ms_graph", "apple", "caldav"}
