# SPDX-License-Identifier: Apache-2.0
"""A Google Workspace organization's calendar resources (rooms, equipment) for Enterprise
Connect's ``GET /v1/resources``, from the Admin SDK Directory API's ``resources.calendars.list``
(``GET /admin/directory/v1/customer/my_customer/resources/calendars``; ``items[].resourceEmail``
and ``resourceName``, ``maxResults`` at most 500, ``pageToken``/``nextPageToken``).

The Directory API answers administrators only, so the service account acts as one
(``admin_email``) through domain-wide delegation (``delegation``) with ``DIRECTORY_SCOPE``; a
Workspace administrator must add that scope to the client ID's authorized scopes beside the
calendar ones.

Errors: the scope not authorized (``unauthorized_client`` at the token endpoint) and 401/403
from the API are ``SourceAuthFailed``, worded for that administrator; 429, 5xx and an
unreachable Google are ``SourceUnavailable`` (with Retry-After); anything else ``SourceError``.
No message quotes the key or a token. Nothing is retried here: the caller answers a listing
request and may ask again.
"""

from __future__ import annotations

from typing import Any

import httpx

from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceNotFound, SourceUnavailable
from calgate.providers.google import delegation
from calgate.providers.google.client import reasons
from calgate.providers.google.config import GoogleConfig
from calgate.providers.http import retry_after

__all__ = ["DIRECTORY_SCOPE", "calendar_resources"]

DIRECTORY_SCOPE = "https://www.googleapis.com/auth/admin.directory.resource.calendar.readonly"
PATH = "/admin/directory/v1/customer/my_customer/resources/calendars"
PAGE_SIZE = 500  # the method's maximum maxResults


def calendar_resources(
    config: GoogleConfig,
    key: dict[str, str],
    admin_email: str,
    *,
    timeout: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> list[tuple[str, str]]:
    """Every calendar resource of the organization as ``(resourceEmail, resourceName)``, sorted
    by name; ``key`` is a parsed service account key (``delegation.parse_key``)."""
    credentials = delegation.person_credentials(key, admin_email, [DIRECTORY_SCOPE])
    url = config.directory_base.rstrip("/") + PATH
    found: dict[str, str] = {}
    with httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": "calgate"}) as http:
        try:
            credentials = delegation.delegated_token(config, credentials, http=http)
        except SourceNotFound:
            raise SourceNotFound(f"Google Workspace has no such administrator: {credentials['subject']}") from None
        headers = {"Authorization": f"Bearer {credentials['access_token']}", "Accept": "application/json"}
        token: str | None = None
        seen: set[str] = set()
        while True:
            params = {"maxResults": str(PAGE_SIZE), **({"pageToken": token} if token else {})}
            page = _page(http, url, params, headers, key, credentials["subject"])
            for item in page.get("items") or []:
                if isinstance(item, dict) and item.get("resourceEmail"):
                    email = str(item["resourceEmail"])
                    found[email] = str(item.get("resourceName") or email)
            token = page.get("nextPageToken") or None
            if token is None:
                break
            if token in seen:  # a server repeating itself would page forever
                raise SourceError("Google's Directory API repeated a page token while listing calendar resources")
            seen.add(token)
    return sorted(found.items(), key=lambda pair: (pair[1].casefold(), pair[0].casefold()))


def _page(
    http: httpx.Client, url: str, params: dict[str, str], headers: dict[str, str], key: dict[str, str], admin: str
) -> dict[str, Any]:
    try:
        response = http.get(url, params=params, headers=headers)
    except httpx.TimeoutException:
        raise SourceUnavailable("Google's Directory API did not answer in time") from None
    except httpx.TransportError:
        raise SourceUnavailable("Could not reach Google's Directory API") from None
    code = response.status_code
    if code in (401, 403):
        client = key.get("client_id") or "the client_id of its key file"
        raise SourceAuthFailed(
            f"Google Workspace refused to list calendar resources as {admin}: a Workspace administrator must authorize "
            f"the service account's client ID ({client}) for {DIRECTORY_SCOPE} in the Admin console (Security › Access "
            "and data control › API controls › Manage domain-wide delegation), and the address must be an administrator "
            "allowed to read calendar resources"
        )
    if code == 429 or code >= 500:
        raise SourceUnavailable(f"Google's Directory API is unavailable (HTTP {code})", retry_after(response.headers.get("Retry-After")))
    if not 200 <= code < 300:
        why = ", ".join(sorted(reasons(response))) or "no reason"
        raise SourceError(f"Google's Directory API refused to list calendar resources (HTTP {code}: {why})")
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SourceError("Google's Directory API sent an answer calgate cannot read")
    return data
