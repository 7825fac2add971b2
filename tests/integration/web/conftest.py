# SPDX-License-Identifier: Apache-2.0
"""Signed-out and signed-in dashboard clients, on the live server (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.integration.web._dashboard import Dashboard
from tests.support.server import LiveServer


def _client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, follow_redirects=False)


@pytest.fixture
def visitor(calgate: LiveServer) -> Iterator[Dashboard]:
    """Someone who has not signed in yet."""
    with _client(calgate) as client:
        yield Dashboard(client)


@pytest.fixture
def developer(calgate: LiveServer) -> Iterator[Dashboard]:
    """A developer who has just signed up (and so is signed in)."""
    with _client(calgate) as client:
        dashboard = Dashboard(client)
        assert dashboard.sign_up().status_code == 303
        yield dashboard


@pytest.fixture
def other_developer(calgate: LiveServer) -> Iterator[Dashboard]:
    with _client(calgate) as client:
        dashboard = Dashboard(client)
        assert dashboard.sign_up().status_code == 303
        yield dashboard
