# SPDX-License-Identifier: Apache-2.0
"""The MCP server over streamable HTTP, beside the live calgate and on its services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.mcp_client import McpHttpServer


@pytest.fixture
def mcp_http(calgate: Any) -> Iterator[McpHttpServer]:
    with McpHttpServer(calgate.services) as server:
        yield server
