# SPDX-License-Identifier: Apache-2.0
"""``make demo``: calgate and the booking demo side by side, from nothing, offline.

1. migrate calgate's embedded database (SQLite under var/, mail to var/mail/);
2. create the demo's application with the CLI, Free/Busy and No Access enabled — once: its
   credentials are kept in var/demo/app.json and reused while calgate still knows them;
3. start ``calgate serve`` on 127.0.0.1:8000 and wait until it is ready;
4. start the demo on 127.0.0.1:8001 (it seeds its two hosted team members, application
   calendars with working hours, through pycronofy as it starts);
5. print both URLs and keep both running until Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .config import load_credentials, save_credentials

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CALGATE = str(BIN / "calgate")
HOST = "127.0.0.1"
CALGATE_PORT = int(os.environ.get("CALGATE_PORT", "8000"))
DEMO_PORT = int(os.environ.get("DEMO_PORT", "8001"))
DATA_DIR = Path(os.environ.get("DEMO_DATA_DIR", ROOT / "var" / "demo"))
MAIL_DIR = Path(os.environ.get("CALGATE_MAIL_DIR", ROOT / "var" / "mail"))
APP_NAME = "Acme booking demo"


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((HOST, port)) != 0


def calgate_cli(*args: str) -> str:
    return subprocess.run([CALGATE, *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def credentials(redirect_uri: str) -> dict[str, str]:
    """The saved credentials while calgate still has that application, else a new one."""
    saved = load_credentials(DATA_DIR)
    known = {a["client_id"] for a in json.loads(calgate_cli("apps", "list"))}
    if saved.get("client_id") in known and saved.get("redirect_uri") == redirect_uri:
        print(f"reusing the demo application {saved['client_id']} ({DATA_DIR}/app.json)")
        return saved
    created = json.loads(
        calgate_cli("apps", "create", "--name", APP_NAME, "--redirect-uri", redirect_uri,
                    "--enable", "free_busy", "--enable", "no_calendar")
    )
    fresh = {"client_id": created["client_id"], "client_secret": created["client_secret"], "redirect_uri": redirect_uri}
    save_credentials(DATA_DIR, fresh)
    (DATA_DIR / "state.json").unlink(missing_ok=True)  # the old application's people and tokens
    print(f"created the demo application {fresh['client_id']} (saved in {DATA_DIR}/app.json)")
    return fresh


def wait_until_up(url: str, process: subprocess.Popen[bytes], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with code {process.returncode}; see its output above")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up at {url} within {timeout:.0f}s")


def start(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})})


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    for port in (CALGATE_PORT, DEMO_PORT):
        if not port_free(port):
            raise SystemExit(f"port {port} is in use (is `make serve` or another demo running?)")
    calgate_url = f"http://{HOST}:{CALGATE_PORT}"
    demo_url = f"http://{HOST}:{DEMO_PORT}"
    calgate_cli("migrate")
    creds = credentials(f"{demo_url}/callback")
    processes = [start([CALGATE, "serve", "--host", HOST, "--port", str(CALGATE_PORT), "--no-migrate"],
                       {"CALGATE_PUBLIC_URL": calgate_url})]
    try:
        wait_until_up(f"{calgate_url}/readyz", processes[0], "calgate")
        demo_env = {
            "DEMO_CALGATE_URL": calgate_url, "DEMO_PORT": str(DEMO_PORT), "DEMO_DATA_DIR": str(DATA_DIR),
            "DEMO_CLIENT_ID": creds["client_id"], "DEMO_CLIENT_SECRET": creds["client_secret"],
        }
        processes.append(start([sys.executable, "-m", "examples.booking"], demo_env))
        wait_until_up(f"{demo_url}/healthz", processes[1], "the demo")
        print(
            f"\n  The booking demo:  {demo_url}\n  calgate:           {calgate_url}  (dashboard: {calgate_url}/dashboard)\n"
            f"  Mail (codes, invitations): {MAIL_DIR}\n\nCtrl-C stops both.\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop(processes)
    print("calgate and the demo stopped")


if __name__ == "__main__":
    main()
