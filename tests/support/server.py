# SPDX-License-Identifier: Apache-2.0
"""A real calgate on a loopback port, in a thread, for tests that need HTTP (SDKs, browser)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from calgate.app import create_app
from calgate.config import Settings
from calgate.services import Services, create_services
from calgate.store.migrate import upgrade
from calgate.store.tables import metadata

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def database_url(backend: str, directory: Path) -> Iterator[str]:
    """An empty database of the given backend, removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'calgate.db'}"
        return
    base = os.environ.get("CALGATE_TEST_DATABASE_URL", DEFAULT_PG)
    schema = f"calgate_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services: Services = create_services(settings)
        upgrade(self.services.db.engine)
        self.app = create_app(settings, self.services)
        port = int(settings.public_url.rsplit(":", 1)[1])
        config = uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return self.settings.public_url

    @property
    def mail_dir(self) -> Path:
        return self.settings.mail_dir

    def start(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("calgate test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.services.db.dispose()

    def reset(self) -> None:
        """Empty every table and the mail folder between tests."""
        with self.services.db.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
        for path in self.mail_dir.glob("*.eml"):
            path.unlink()


def make_settings(database: str, directory: Path, **overrides: object) -> Settings:
    port = free_port()
    values: dict[str, object] = {
        "database_url": database,
        "public_url": f"http://127.0.0.1:{port}",
        "secret_key": "test-secret-key-" + secrets.token_hex(8),
        "mail_dir": directory / "mail",
        "organizer_email": "calendar@calgate.test",
        "smtp_url": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
