# SPDX-License-Identifier: Apache-2.0
"""Requests that carry a UI Element token, and what they may reach (``domain/element_tokens``).

Cronofy's UI Elements present the token as the ``et`` query parameter on the ordinary v1
routes (``GET /v1/events?et=…``, ``POST /v1/availability?et=…``, with a ``Cronofy-Element``
header and no ``Authorization``), so calgate accepts exactly that. A request that carries
``et`` is authenticated by it alone: a bearer credential beside it is ignored, and a route the
token cannot reach is a 403 JSON error, whatever else the request holds.

``OPERATIONS`` names the account routes an element token may reach (``deps.get_caller``) by
the domain's operations; Availability and Sequenced Availability read the token themselves
(``api/availability``); every other route refuses it (``deps.bearer_token``).
"""

from __future__ import annotations

from fastapi import Request

from calgate.domain import element_tokens as domain
from calgate.domain.errors import Forbidden

PARAMETER = "et"

OPERATIONS: dict[tuple[str, str], str] = {
    ("GET", "/v1/events"): domain.READ_EVENTS,
    ("GET", "/v1/events/pages/{token}"): domain.READ_EVENTS,
    ("GET", "/v1/free_busy"): domain.READ_FREE_BUSY,
    ("GET", "/v1/free_busy/pages/{token}"): domain.READ_FREE_BUSY,
    ("POST", "/v1/availability_rules"): domain.AVAILABILITY_RULES,
    ("GET", "/v1/availability_rules"): domain.AVAILABILITY_RULES,
    ("GET", "/v1/availability_rules/{availability_rule_id:path}"): domain.AVAILABILITY_RULES,
    ("DELETE", "/v1/availability_rules/{availability_rule_id:path}"): domain.AVAILABILITY_RULES,
    ("POST", "/v1/available_periods"): domain.AVAILABLE_PERIODS,
    ("GET", "/v1/available_periods"): domain.AVAILABLE_PERIODS,
    ("GET", "/v1/available_periods/pages/{token}"): domain.AVAILABLE_PERIODS,
    ("DELETE", "/v1/available_periods"): domain.AVAILABLE_PERIODS,
    ("DELETE", "/v1/available_periods/"): domain.AVAILABLE_PERIODS,
}


def presented(request: Request) -> str | None:
    """The element token the request carries, or None when it carries none."""
    return request.query_params.get(PARAMETER)


def origin(request: Request) -> str | None:
    return request.headers.get("origin")


def operation(request: Request) -> str:
    """The operation the matched route performs; a route not listed refuses element tokens."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    found = OPERATIONS.get((request.method, path))
    if found is None:
        raise unreachable(request)
    return found


def unreachable(request: Request) -> Forbidden:
    return Forbidden(f"An element token cannot reach {request.method} {request.url.path}")
