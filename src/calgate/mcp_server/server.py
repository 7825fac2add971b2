# SPDX-License-Identifier: Apache-2.0
"""The MCP server: ``build`` registers the tools on an ``MCPServer`` (the official SDK's), and
``http_app`` serves it over streamable HTTP behind a bearer check.

- **stdio** (``calgate mcp``): one credential for the whole process, given as ``--token`` or
  ``CALGATE_MCP_TOKEN``; ``build(services, token)``.
- **streamable HTTP** (``calgate mcp --http``): every request must carry ``Authorization:
  Bearer`` with an access token or API key; without one, or with one calgate does not know,
  it is answered 401 before the SDK sees it, and each tool call resolves the credential of
  its own request again (``build(services)``). The server is stateless (no session is kept
  between requests), so any number of them can run behind a load balancer.
"""

from __future__ import annotations

import json
from importlib.metadata import version

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from starlette.types import ASGIApp, Receive, Scope, Send

from calgate.domain.errors import CalgateError, Unauthenticated
from calgate.mcp_server import credentials, errors, tools_read, tools_write
from calgate.mcp_server.credentials import Principal
from calgate.rate_limits import RateLimited
from calgate.services import Services

PATH = "/mcp"
INSTRUCTIONS = (
    "calgate connects people's calendars. Use list_calendars for calendar ids, read_free_busy or "
    "find_availability for free time (never event details), then create_event, update_event or "
    "cancel_event; create_scheduling_link makes a page where someone picks a time. Times without "
    "Z or an offset are local in the tzid you give."
)


def build(services: Services, token: str | None = None) -> MCPServer:
    """The server with every tool. With ``token`` (stdio) every call acts with it; without
    (HTTP), with the bearer of the call's own request."""

    def principal_of(ctx: Context) -> Principal:
        presented = token if token is not None else credentials.bearer(ctx.headers)
        if presented is None:
            raise Unauthenticated("Send an access token or API key as 'Authorization: Bearer <token>'")
        # Over HTTP, BearerGate already counted the request against the rate limit.
        return credentials.resolve(services, presented, rate_limited=token is not None)

    server = MCPServer("calgate", instructions=INSTRUCTIONS, version=version("calgate"), log_level="WARNING")
    tools_read.register(server, services, principal_of)
    tools_write.register(server, services, principal_of)
    return server


class BearerGate:
    """ASGI middleware: requests to the MCP endpoint without a known bearer credential are
    answered 401 (RFC 6750 §3) and never reach the SDK."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            token = credentials.bearer(headers)
            try:
                if token is None:
                    raise Unauthenticated("Send an access token or API key as 'Authorization: Bearer <token>'")
                await anyio.to_thread.run_sync(credentials.resolve, self.services, token)
            except (CalgateError, RateLimited) as exc:
                status = 429 if isinstance(exc, RateLimited) else 401 if isinstance(exc, Unauthenticated) else 403
                await _refuse(send, status, errors.message(exc))
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="calgate"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def http_app(services: Services, host: str = "127.0.0.1") -> ASGIApp:
    """The streamable HTTP app at ``/mcp``, every request behind ``BearerGate``. ``host``
    is where it listens: on loopback the SDK also checks Host and Origin (DNS rebinding)."""
    app = build(services).streamable_http_app(streamable_http_path=PATH, stateless_http=True, json_response=True, host=host)
    return BearerGate(app, services)
