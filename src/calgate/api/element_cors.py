# SPDX-License-Identifier: Apache-2.0
"""CORS for UI Elements: a page on the application's site calls the v1 API from the browser
with an element token (``?et=``, ``api/element_auth``), so the browser must be let read the
answer.

Only requests that carry ``et`` on a ``/v1/`` path get CORS headers; every other request passes
through untouched (no credentialed CORS anywhere: cookies are never involved). A preflight
(``OPTIONS`` with ``Access-Control-Request-Method``) answers ``204`` allowing the asked method
and the headers an Element sends. The real request then gets ``Access-Control-Allow-Origin``
set to its ``Origin``: what it may read is still decided by the token, which is bound to one
origin and refuses any other with a 403 (``domain/element_tokens``), so echoing the origin lets
a page read nothing its token does not already allow.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calgate.api.element_auth import PARAMETER

METHODS = "GET, POST, DELETE"
HEADERS = "Content-Type, Cronofy-Element"
MAX_AGE = "600"


def _carries_token(scope: Scope) -> bool:
    query = scope.get("query_string", b"")
    return PARAMETER.encode() + b"=" in query and bool(parse_qs(query.decode("latin-1")).get(PARAMETER))


class ElementCors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/") or not _carries_token(scope):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            preflight = Response(status_code=204, headers={
                "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": METHODS,
                "Access-Control-Allow-Headers": HEADERS, "Access-Control-Max-Age": MAX_AGE, "Vary": "Origin",
            })
            await preflight(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent = MutableHeaders(scope=message)
                sent["Access-Control-Allow-Origin"] = origin
                sent.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, with_cors)
