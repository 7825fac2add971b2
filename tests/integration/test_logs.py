# SPDX-License-Identifier: Apache-2.0
"""Logs of the calgate commands: JSON lines when asked, and no credential in any of them, the
HTTP access log included (a provider's code in a callback's query string, a bearer token)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from calgate.logs import redact
from tests.support.server import free_port


def test_redact_masks_credentials_and_keeps_the_rest() -> None:
    line = 'GET /oauth/provider/callback?state=abc&code=4/0AbCd-ef HTTP/1.1" 303 Authorization: Bearer ya29.a0Af_x'
    assert redact(line) == 'GET /oauth/provider/callback?state=abc&code=[redacted] HTTP/1.1" 303 Authorization: Bearer [redacted]'
    assert redact("client_secret=s3cr3t&refresh_token=1//abc") == "client_secret=[redacted]&refresh_token=[redacted]"
    assert redact("nothing secret here: zipcode=1234") == "nothing secret here: zipcode=1234"


def test_serve_logs_json_lines_without_secrets(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CALGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'calgate.db'}", "CALGATE_MAIL_DIR": str(tmp_path / "mail"),
           "CALGATE_LOG_FORMAT": "json", "CALGATE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen([sys.executable, "-m", "calgate", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        httpx.get(f"http://127.0.0.1:{port}/oauth/provider/callback", params={"state": "st1", "code": "PROVIDERCODE123"})
        httpx.get(f"http://127.0.0.1:{port}/v1/account", headers={"Authorization": "Bearer ACCESSTOKEN456"})
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    lines = [line for line in err.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    access = [e["message"] for e in entries if e["logger"] == "uvicorn.access"]
    assert any("/oauth/provider/callback" in m and "code=[redacted]" in m for m in access), access
    assert "PROVIDERCODE123" not in err and "ACCESSTOKEN456" not in err
