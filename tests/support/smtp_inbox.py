# SPDX-License-Identifier: Apache-2.0
"""A real SMTP server (aiosmtpd on loopback) that keeps what it is sent, and a live calgate
that mails through it (``CALGATE_SMTP_URL``) instead of into its mail folder."""

from __future__ import annotations

import threading
from typing import Any
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from tests.support.server import LiveServer, database_url, free_port, make_settings


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    def handle_message(self, message: Message) -> None:
        with self._lock:
            self.messages.append(message)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[Message]:
        """Messages to ``address``, oldest first."""
        with self._lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list[Message]:
        """The first ``count`` messages to ``address``, once they arrived."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} message(s) to {address}, got {len(self.to(address))}")
            time.sleep(0.02)
        return self.to(address)[:count]


@contextmanager
def smtp_calgate(backend: str, directory: Path) -> Iterator[tuple[LiveServer, Inbox]]:
    """A live calgate on ``backend`` whose mail goes out over SMTP to the returned inbox."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with database_url(backend, directory) as url:
            server = LiveServer(make_settings(url, directory, smtp_url=f"smtp://127.0.0.1:{controller.port}")).start()
            try:
                yield server, inbox
            finally:
                server.stop()
    finally:
        controller.stop()


def smtp_fixtures(prefix: str) -> tuple[Any, Any, Any]:
    """The ``smtp_server`` (per backend and module: a calgate mailing into an inbox),
    ``calgate`` (reset) and ``inbox`` (emptied) fixtures of a test module; assign them to those
    names there."""
    import pytest

    from tests.conftest import BACKENDS

    @pytest.fixture(scope="module", params=BACKENDS)
    def smtp_server(request, tmp_path_factory):  # type: ignore[no-untyped-def]
        with smtp_calgate(request.param, tmp_path_factory.mktemp(f"{prefix}-{request.param}")) as pair:
            yield pair

    @pytest.fixture
    def calgate(smtp_server):  # type: ignore[no-untyped-def]
        server, inbox = smtp_server
        server.reset()
        inbox.clear()
        return server

    @pytest.fixture
    def inbox(smtp_server, calgate):  # type: ignore[no-untyped-def]
        return smtp_server[1]

    return smtp_server, calgate, inbox
