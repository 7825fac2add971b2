# SPDX-License-Identifier: Apache-2.0
"""Fixtures shared by the API tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api._read_events import connect
from tests.support.api import Connected


@pytest.fixture
def person(calgate: Any) -> Connected:
    """A person connected in No Access mode, with their hosted calendar's id."""
    return connect(calgate)
