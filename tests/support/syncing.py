# SPDX-License-Identifier: Apache-2.0
"""Waiting for what a live calgate's background jobs bring: a sync asked for now, or any
condition polled until it holds. Shared by every provider's end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from calgate.domain import sync
from calgate.domain.model import Job, utcnow
from tests.support.server import LiveServer

T = TypeVar("T")


def sync_now(server: LiveServer, account_id: str) -> None:
    """Bring every connected profile's next sync forward to now (as the interval passing would)."""
    with server.services.uow() as uow:
        for profile in uow.profiles.of_account(account_id):
            if profile.credentials_sealed is not None and profile.revoked_at is None:
                sync.request_sync(uow, profile, utcnow())
        uow.commit()


def synced_at(server: LiveServer, account_id: str) -> Any:
    with server.services.uow() as uow:
        return [p.last_synced_at for p in uow.profiles.of_account(account_id)]


def sync_and_wait(server: LiveServer, account_id: str, timeout: float = 30) -> None:
    """Ask for a sync and wait until it has run (every profile synced after the request)."""
    before = utcnow()
    sync_now(server, account_id)
    try:
        eventually(lambda: all(t is not None and t >= before for t in synced_at(server, account_id)) or None, timeout)
    except AssertionError:
        with server.services.uow() as uow:  # say what the queue looked like
            jobs = [(j.kind, j.status, j.run_after, j.locked_until, j.last_error) for j in uow.session.query(Job)]
            profiles = [(p.last_synced_at, p.sync_error, p.connected) for p in uow.profiles.of_account(account_id)]
        raise AssertionError(f"no sync after {before}: jobs {jobs}, profiles {profiles}") from None


def eventually(probe: Callable[[], T | None], timeout: float = 30) -> T:
    """Poll ``probe`` until it gives something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.05)
