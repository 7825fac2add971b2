# SPDX-License-Identifier: Apache-2.0
"""Microsoft 365 application (app-only) access for Enterprise Connect: an organization's own
app registration (tenant id, client id, client secret) gets tokens with the OAuth 2.0 client
credentials grant (RFC 6749 §4.4; Microsoft identity platform, "OAuth 2.0 client credentials
flow"), and ``GraphSource`` acts on one person's calendar through ``/users/{id|upn}/…``.

Credentials of such a connection: ``{"delegation": {"tenant", "client_id", "client_secret"},
"subject": <the person's address, lower-cased>}``, plus ``"access_token"`` and ``"expires_at"``
(ISO 8601, UTC) once a token was fetched. There is no refresh token in this grant: an expired
token is replaced by asking again with the client secret.

Application permissions the admin grants (with admin consent) to the app registration, the
least privileged the Graph v1.0 reference lists for each call calgate makes:

- both modes: ``User.Read.All`` — ``GET /users/{id|upn}`` (the person's address; "Get a user",
  https://learn.microsoft.com/graph/api/user-get: app-only needs User.Read.All or higher;
  User.ReadBasic.All is not accepted there).
- read_write: ``Calendars.ReadWrite`` — list calendars (least: Calendars.ReadBasic,
  https://learn.microsoft.com/graph/api/user-list-calendars), calendarView delta (least:
  Calendars.Read, https://learn.microsoft.com/graph/api/event-delta), and creating, updating
  and deleting events (Calendars.ReadWrite); the one permission covers them all.
- free_busy: ``Calendars.ReadBasic`` — ``POST /users/{id|upn}/calendar/getSchedule`` (least
  privileged application permission, https://learn.microsoft.com/graph/api/calendar-getschedule);
  it does not read event bodies, and that mode never reads events.

Application permissions reach every mailbox in the tenant unless an Exchange Online
application access policy (or RBAC for Applications) narrows them; a mailbox outside that
scope answers 403, which ``GraphSource`` reports as ``SourceAuthFailed``.

Errors of the token request: a wrong or expired secret (``invalid_client``, AADSTS7000215,
AADSTS7000222), an app unknown in the tenant (``unauthorized_client``, AADSTS700016) and an
unknown tenant (AADSTS90002, AADSTS900023) are ``SourceAuthFailed``; 429, 5xx and an unreachable
endpoint are ``SourceUnavailable``; anything else ``SourceError``. Messages never quote the
secret or a token.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

import httpx

from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceUnavailable
from calgate.providers.msgraph.config import GraphConfig

__all__ = ["GRAPH_DEFAULT_SCOPE", "app_token", "person_credentials"]

GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"  # the app's granted application permissions
ORGANIZATION_KEYS = ("tenant", "client_id", "client_secret")
UNKNOWN_TENANT = frozenset({90002, 900023})  # tenant not found; not a valid tenant name
WRONG_SECRET = frozenset({7000215, 7000222})  # invalid secret; expired secret
UNKNOWN_APP = frozenset({700016})  # no such application in the tenant


def person_credentials(organization: dict[str, str], subject: str) -> dict[str, Any]:
    """The credentials ``GraphSource`` takes to act, with the organization's app registration
    (``{"tenant", "client_id", "client_secret"}``), on the calendar of ``subject`` (an email
    address or userPrincipalName). No token yet: the source fetches one before its first call."""
    return {"delegation": {key: str(organization[key]) for key in ORGANIZATION_KEYS}, "subject": subject.strip().lower()}


def app_token(
    config: GraphConfig,
    credentials: dict[str, Any],
    *,
    timeout: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """``credentials`` with a fresh ``access_token`` and ``expires_at``, from the client
    credentials grant at the organization's own tenant (``config`` gives the authority)."""
    organization = credentials["delegation"]
    url = f"{config.authority.rstrip('/')}/{quote(str(organization['tenant']), safe='')}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": str(organization["client_id"]),
        "client_secret": str(organization["client_secret"]),
        "scope": GRAPH_DEFAULT_SCOPE,
    }
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"Microsoft's sign-in service is unreachable ({type(exc).__name__})") from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if response.status_code == 200 and data.get("access_token"):
        expires_in = int(data.get("expires_in") or 3600)
        expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
        return {**credentials, "access_token": str(data["access_token"]),
                "expires_at": expires_at.replace(microsecond=0).isoformat()}
    raise _refusal(response.status_code, data, str(organization["tenant"]))


def _refusal(status: int, data: dict[str, Any], tenant: str) -> SourceError:
    """The error for a refused token request, worded for the admin who set up the app."""
    code = data.get("error") if isinstance(data.get("error"), str) else None
    numbers = _aadsts_codes(data)
    if numbers & UNKNOWN_TENANT:
        return SourceAuthFailed(f"Microsoft 365 has no tenant {tenant!r}: check the organization's tenant id")
    if numbers & UNKNOWN_APP or code == "unauthorized_client":
        return SourceAuthFailed("Microsoft 365 has no app registration with this client id in the organization's "
                                "tenant (or it is disabled): check the client id")
    if numbers & WRONG_SECRET or code == "invalid_client":
        return SourceAuthFailed("Microsoft 365 refused the app registration's client secret: it is wrong or has "
                                "expired; create a new secret and enter it again")
    if status == 429 or status >= 500 or code == "temporarily_unavailable":
        return SourceUnavailable(f"Microsoft's sign-in service is unavailable (HTTP {status})")
    return SourceError(f"Microsoft's sign-in service refused the app's token request ({code or status})")


def _aadsts_codes(data: dict[str, Any]) -> set[int]:
    """The AADSTS error numbers of an identity platform error (``error_codes``, else the
    ``AADSTS…:`` prefix of ``error_description``)."""
    numbers = {n for n in data.get("error_codes") or [] if isinstance(n, int)}
    description = data.get("error_description")
    if isinstance(description, str):
        numbers |= {int(n) for n in re.findall(r"AADSTS(\d+)", description)}
    return numbers
