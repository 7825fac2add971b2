# SPDX-License-Identifier: Apache-2.0
"""Drive calgate's MCP server with the official SDK's own client (``mcp.Client``) from
synchronous tests: over streamable HTTP with a bearer, or over stdio launching a command.

``McpSession.call`` answers a tool call as ``(is_error, structured content or text)``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from calgate.mcp_server.server import PATH, http_app
from calgate.services import Services
from tests.support.server import free_port


@dataclass
class Answer:
    is_error: bool
    data: Any  # the structured content, else the text
    raw: str  # everything the result carries, as text (for privacy checks)


def _answer(result: CallToolResult) -> Answer:
    text = "\n".join(getattr(c, "text", "") for c in result.content)
    raw = text + json.dumps(result.structured_content or {}) + json.dumps(result.model_dump(mode="json"))
    return Answer(bool(result.is_error), result.structured_content if result.structured_content is not None else text, raw)


class McpSession:
    def __init__(self, portal: BlockingPortal, client: Client) -> None:
        self.portal, self.client = portal, client

    def tools(self) -> list[str]:
        return [t.name for t in self.portal.call(self.client.list_tools).tools]

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> Answer:
        return _answer(self.portal.call(self.client.call_tool, name, arguments or {}))


@contextlib.asynccontextmanager
async def _http_client(url: str, token: str | None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0)) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            yield client


@contextlib.contextmanager
def over_http(url: str, token: str | None) -> Iterator[McpSession]:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(_http_client(url, token)) as client:
        yield McpSession(portal, client)


@contextlib.contextmanager
def over_stdio(command: str, args: list[str], env: dict[str, str]) -> Iterator[McpSession]:
    params = StdioServerParameters(command=command, args=args, env=env)
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(params)) as client:
        yield McpSession(portal, client)


class McpHttpServer:
    """``calgate.mcp_server.server.http_app`` on a loopback port, in a thread, over ``services``."""

    def __init__(self, services: Services) -> None:
        self.port = free_port()
        config = uvicorn.Config(http_app(services), host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def __enter__(self) -> "McpHttpServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the MCP test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
