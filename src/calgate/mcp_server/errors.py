# SPDX-License-Identifier: Apache-2.0
"""Domain errors as MCP tool errors: a clear message naming what to fix, never a traceback.

A tool error is a result with ``isError`` and the message as its text, which the assistant
reads and can act on (the SDK prefixes "Error executing tool NAME: "). Anything unexpected
is left to the SDK, which answers "Error executing tool NAME" and logs the traceback on the
server's stderr only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError

from calgate.domain.errors import (
    CalgateError, Conflict, Forbidden, MissingScope, NotFound, ProviderUnavailable, StoreUnavailable, Unauthenticated,
    ValidationFailed,
)
from calgate.rate_limits import RateLimited


def message(exc: Exception) -> str:
    """What the assistant is told."""
    if isinstance(exc, ValidationFailed):
        problems = [description if description.startswith(field) else f"{field}: {description}"
                    for field, pairs in exc.errors.items() for _, description in pairs]
        return "Invalid input: " + "; ".join(problems)
    if isinstance(exc, NotFound):
        return f"Not found: no such {exc.what} for these credentials"
    if isinstance(exc, MissingScope):
        return f"Not permitted: the credentials do not grant the {exc.scope} scope (the account must authorize it again)"
    if isinstance(exc, Forbidden):
        return f"Not permitted: {exc.description}"
    if isinstance(exc, Unauthenticated):
        return f"Not authenticated: {exc.description}"
    if isinstance(exc, (Conflict, StoreUnavailable)):
        return "calgate is busy: nothing was changed; try again shortly"
    if isinstance(exc, ProviderUnavailable):
        return f"The calendar provider did not answer: {exc.description}; try again shortly"
    if isinstance(exc, RateLimited):
        return str(exc)
    return str(exc)


@contextmanager
def as_tool_errors() -> Iterator[None]:
    """Run a tool's work; a known error becomes a ToolError carrying ``message``."""
    try:
        yield
    except (CalgateError, RateLimited) as exc:
        raise ToolError(message(exc)) from None
