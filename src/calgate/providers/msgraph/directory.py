# SPDX-License-Identifier: Apache-2.0
"""A Microsoft 365 organization's rooms for Enterprise Connect's ``GET /v1/resources``, from
Graph v1.0 "List places" (``GET /places/microsoft.graph.room``; ``value[].emailAddress`` and
``displayName``, ``$top`` for the page size, ``@odata.nextLink`` to the next page), read with
the organization's own app registration (``delegation.app_token``).

That call needs the application permission ``Place.Read.All`` (the least privileged, and the
only one, the reference lists), granted with admin consent. Rooms hidden from the global
address list are not listed (Graph leaves them out).

Errors: a refused token request is whatever ``delegation`` says; 401/403 from Graph are
``SourceAuthFailed``, worded for the admin; 429, 5xx and an unreachable Graph are
``SourceUnavailable`` (with Retry-After); anything else ``SourceError``. Nothing is retried here.
"""

from __future__ import annotations

from typing import Any

import httpx

from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceUnavailable
from calgate.providers.http import retry_after
from calgate.providers.msgraph import delegation
from calgate.providers.msgraph.config import GraphConfig

__all__ = ["PLACES_PERMISSION", "rooms"]

PLACES_PERMISSION = "Place.Read.All"
PAGE_SIZE = 100  # Graph's default page for places


def rooms(
    config: GraphConfig,
    organization: dict[str, str],
    *,
    timeout: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> list[tuple[str, str]]:
    """Every room of the organization's tenant as ``(emailAddress, displayName)``, sorted by
    name; ``organization`` is ``{"tenant", "client_id", "client_secret"}``."""
    credentials = delegation.app_token(config, {"delegation": dict(organization)}, timeout=timeout, transport=transport)
    headers = {"Authorization": f"Bearer {credentials['access_token']}", "Accept": "application/json"}
    found: dict[str, str] = {}
    url: str | None = config.graph(f"places/microsoft.graph.room?$top={PAGE_SIZE}")
    seen: set[str] = set()
    with httpx.Client(timeout=timeout, transport=transport) as http:
        while url:
            page = _page(http, url, headers)
            for item in page.get("value") or []:
                if isinstance(item, dict) and item.get("emailAddress"):
                    email = str(item["emailAddress"])
                    found[email] = str(item.get("displayName") or email)
            url = page.get("@odata.nextLink") or None
            if url is not None:
                if url in seen:  # a server repeating itself would page forever
                    raise SourceError("Microsoft Graph repeated a page while listing rooms")
                seen.add(url)
    return sorted(found.items(), key=lambda pair: (pair[1].casefold(), pair[0].casefold()))


def _page(http: httpx.Client, url: str, headers: dict[str, str]) -> dict[str, Any]:
    try:
        response = http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"Microsoft Graph is unreachable ({type(exc).__name__})") from None
    code = response.status_code
    if code in (401, 403):
        raise SourceAuthFailed(
            f"Microsoft 365 refused the organization's app the list of rooms: an administrator must grant the app "
            f"registration the application permission {PLACES_PERMISSION} (Microsoft Graph) with admin consent"
        )
    if code == 429 or code >= 500:
        raise SourceUnavailable(f"Microsoft Graph is unavailable (HTTP {code})", retry_after(response.headers.get("Retry-After")))
    if not 200 <= code < 300:
        raise SourceError(f"Microsoft Graph refused to list rooms (HTTP {code}{_graph_code(response)})")
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SourceError("Microsoft Graph sent an answer calgate cannot read")
    return data


def _graph_code(response: httpx.Response) -> str:
    try:
        code = response.json().get("error", {}).get("code")
    except (ValueError, AttributeError):
        return ""
    return f", {code}" if isinstance(code, str) else ""
