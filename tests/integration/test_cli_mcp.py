# SPDX-License-Identifier: Apache-2.0
"""`calgate mcp` as a real process, driven by the MCP SDK's own client: over stdio (the SDK
launches the command) with CALGATE_MCP_TOKEN, and with --http over streamable HTTP; a write
made through it is carried out by the live server's job queue (the invitation is mailed).
A missing or unknown credential stops it with a clear message."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.api import connect_and_exchange
from tests.support.factories import make_application
from tests.support.mail import mail_to, wait_for_mail
from tests.support.mcp_client import over_http, over_stdio
from tests.support.server import LiveServer, free_port

CALGATE = str(Path(sys.executable).parent / "calgate")
DAY = dt.date.today() + dt.timedelta(days=2)


def server_env(calgate: LiveServer, **extra: str) -> dict[str, str]:
    settings = calgate.settings
    return {
        "CALGATE_DATABASE_URL": settings.database_url,
        "CALGATE_SECRET_KEY": settings.secret_key.get_secret_value(),
        "CALGATE_PUBLIC_URL": settings.public_url,
        "CALGATE_MAIL_DIR": str(settings.mail_dir),
        "CALGATE_ORGANIZER_EMAIL": settings.organizer_email,
        **extra,
    }


def test_stdio_acts_with_the_token_and_writes_through_the_queue(calgate: LiveServer) -> None:
    app = make_application(calgate.services, features={"no_calendar"})
    person = connect_and_exchange(calgate, app)
    sent = len(mail_to(calgate.mail_dir, person.email))
    with over_stdio(CALGATE, ["mcp"], server_env(calgate, CALGATE_MCP_TOKEN=person.access_token)) as mcp:
        calendars = mcp.call("list_calendars")
        assert not calendars.is_error, calendars.data
        assert calendars.data["sub"] == person.account_id
        calendar_id = calendars.data["calendars"][0]["calendar_id"]
        created = mcp.call("create_event", {
            "calendar_id": calendar_id, "summary": "Planning", "start": f"{DAY}T09:00", "end": f"{DAY}T09:30", "tzid": "America/New_York",
        })
        assert not created.is_error, created.data
    invitation = wait_for_mail(calgate.mail_dir, person.email, skip=sent)  # the server's job runner sent it
    assert "Planning" in invitation.as_string() and "METHOD:REQUEST" in invitation.as_string()


def test_a_missing_or_unknown_credential_stops_it(calgate: LiveServer) -> None:
    env = {**os.environ, **server_env(calgate)}
    env.pop("CALGATE_MCP_TOKEN", None)
    missing = subprocess.run([CALGATE, "mcp"], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert missing.returncode == 2 and "CALGATE_MCP_TOKEN" in missing.stderr
    unknown = subprocess.run([CALGATE, "mcp", "--token", "nope"], env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert unknown.returncode == 1 and "neither a live access token nor an API key" in unknown.stderr
    both = subprocess.run([CALGATE, "mcp", "--http", "--token", "x"], env=env, capture_output=True, text=True, timeout=60)
    assert both.returncode == 2 and "--token is for stdio" in both.stderr


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("calgate mcp --http did not listen")


def test_http_takes_each_requests_bearer(calgate: LiveServer) -> None:
    app = make_application(calgate.services, features={"no_calendar"})
    person = connect_and_exchange(calgate, app)
    port = free_port()
    process = subprocess.Popen(
        [CALGATE, "mcp", "--http", "--port", str(port)], env={**os.environ, **server_env(calgate)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}/mcp"
        with over_http(url, person.access_token) as mcp:
            assert mcp.call("list_calendars").data["sub"] == person.account_id
        with over_http(url, app.client_secret) as mcp:
            assert "access token" in mcp.call("list_calendars").data
        assert httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
        assert process.stdout is not None
        process.stdout.close()
