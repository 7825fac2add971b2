# SPDX-License-Identifier: Apache-2.0
"""Where the demo finds calgate, its own address, its data folder and its application's
credentials: environment variables (``DEMO_*``) or command-line options, so the same code runs
under ``make demo`` and inside the tests against a calgate on a random port."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pycronofy.settings

CREDENTIALS_FILE = "app.json"


@dataclass(frozen=True)
class Config:
    calgate_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8001
    data_dir: Path = Path("var/demo")
    client_id: str = ""
    client_secret: str = ""
    tzid: str = "Europe/London"  # the zone slots are shown in

    @property
    def public_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/callback"


def from_environment(**overrides: object) -> Config:
    """DEMO_CALGATE_URL, DEMO_HOST, DEMO_PORT, DEMO_DATA_DIR, DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET, DEMO_TZID; options given on the command line win. Credentials not
    given either way are read from ``{data_dir}/app.json`` (what ``run_demo.py`` saves)."""
    env = os.environ
    config = Config(
        calgate_url=env.get("DEMO_CALGATE_URL", Config.calgate_url).rstrip("/"),
        host=env.get("DEMO_HOST", Config.host),
        port=int(env.get("DEMO_PORT", Config.port)),
        data_dir=Path(env.get("DEMO_DATA_DIR", str(Config.data_dir))),
        client_id=env.get("DEMO_CLIENT_ID", ""),
        client_secret=env.get("DEMO_CLIENT_SECRET", ""),
        tzid=env.get("DEMO_TZID", Config.tzid),
    )
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    if not config.client_id:
        saved = load_credentials(config.data_dir)
        config = replace(config, client_id=saved.get("client_id", ""), client_secret=saved.get("client_secret", ""))
    return config


def load_credentials(data_dir: Path) -> dict[str, str]:
    path = data_dir / CREDENTIALS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def save_credentials(data_dir: Path, credentials: dict[str, str]) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CREDENTIALS_FILE
    path.write_text(json.dumps(credentials, indent=2) + "\n")
    path.chmod(0o600)  # it holds the client secret


def point_sdk_at(calgate_url: str) -> None:
    """The one change a Cronofy application needs: the SDK's base URLs. pycronofy reads them
    when a Client is made, so call this before making any."""
    pycronofy.settings.API_BASE_URL = calgate_url
    pycronofy.settings.APP_BASE_URL = calgate_url
