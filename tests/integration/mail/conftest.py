# SPDX-License-Identifier: Apache-2.0
"""A person connected in No Access mode on the live server (as ada@example.com)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import Connected, connect_and_exchange
from tests.support.factories import make_application
from tests.support.server import LiveServer


@pytest.fixture
def person(calgate: LiveServer) -> Connected:
    connected = connect_and_exchange(calgate, make_application(calgate.services, features={"no_calendar"}), email="ada@example.com")
    calendars = httpx.get(f"{calgate.url}/v1/calendars", headers=connected.headers).json()["calendars"]
    connected.calendar_id = calendars[0]["calendar_id"]  # type: ignore[attr-defined]
    return connected
