# SPDX-License-Identifier: Apache-2.0
"""OAuth 2.0 with the Microsoft identity platform (v2 endpoints): the authorization code flow
with PKCE (S256) for a confidential web app, and refresh.

Scopes follow calgate's access modes: read_write asks ``Calendars.ReadWrite``; free_busy asks
only ``Calendars.ReadBasic``, the least privilege Graph lists for ``getSchedule`` (it does not
cover reading events, which that mode never does). ``offline_access`` yields a refresh token,
``openid email User.Read`` the account's address.

Credentials, as calgate stores them: ``{"access_token", "refresh_token", "expires_at"`` (ISO
8601, UTC), ``"scope"}``. Errors: ``invalid_grant`` (expired, revoked or consent withdrawn) is
``SourceAuthFailed``; an unreachable or failing endpoint is ``SourceUnavailable``; anything else
``SourceError``. Messages never quote tokens.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx

from calgate.domain.authorization import pkce_challenge
from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceUnavailable
from calgate.providers.msgraph.config import GraphConfig

__all__ = ["authorization_url", "exchange_code", "new_code_verifier", "refresh", "scopes_for"]

READ_WRITE_SCOPES = "offline_access openid email User.Read Calendars.ReadWrite"
FREE_BUSY_SCOPES = "offline_access openid email User.Read Calendars.ReadBasic"


def scopes_for(stores_event_details: bool) -> str:
    return READ_WRITE_SCOPES if stores_event_details else FREE_BUSY_SCOPES


def new_code_verifier() -> str:
    """A PKCE code verifier (RFC 7636 §4.1: 43-128 unreserved characters)."""
    return secrets.token_urlsafe(64)[:96]


def authorization_url(
    config: GraphConfig,
    *,
    redirect_uri: str,
    state: str,
    code_verifier: str,
    stores_event_details: bool,
    login_hint: str | None = None,
) -> str:
    """Where to send the person's browser. Keep ``state`` and ``code_verifier`` for the callback."""
    params = {
        "client_id": config.client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "response_mode": "query",
        "scope": scopes_for(stores_event_details),
        "state": state,
        "code_challenge": pkce_challenge(code_verifier),
        "code_challenge_method": "S256",
        "prompt": "select_account",
    }
    if login_hint:
        params["login_hint"] = login_hint
    return f"{config.authorize_endpoint}?{urlencode(params)}"


def exchange_code(
    config: GraphConfig,
    *,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    stores_event_details: bool,
    timeout: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, str]:
    form = {
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
        "scope": scopes_for(stores_event_details),
    }
    return _credentials(_post(config, form, timeout, transport), None)


def refresh(
    config: GraphConfig,
    credentials: dict[str, Any],
    *,
    timeout: float = 20.0,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, str]:
    """New credentials from the refresh token (Microsoft may rotate it; the old one is kept
    when no new one comes back)."""
    token = credentials.get("refresh_token")
    if not token:
        raise SourceAuthFailed("Microsoft did not grant offline access: connect the calendar again")
    form = {
        "client_id": config.client_id,
        "client_secret": config.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": token,
    }
    if credentials.get("scope"):
        granted = {s for s in str(credentials["scope"]).split() if s != "offline_access"}
        form["scope"] = " ".join(["offline_access", *sorted(granted)])
    return _credentials(_post(config, form, timeout, transport), token)


def _post(config: GraphConfig, form: dict[str, str], timeout: float, transport: httpx.BaseTransport | None) -> dict[str, Any]:
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.post(config.token_endpoint, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"Microsoft's sign-in service is unreachable ({type(exc).__name__})") from None
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code == 200 and isinstance(data, dict) and data.get("access_token"):
        return data
    code = data.get("error") if isinstance(data, dict) else None
    if code in ("invalid_grant", "interaction_required", "consent_required"):
        raise SourceAuthFailed("Microsoft refused the authorization: connect the calendar again")
    if response.status_code == 429 or response.status_code >= 500:
        raise SourceUnavailable(f"Microsoft's sign-in service is unavailable (HTTP {response.status_code})")
    raise SourceError(f"Microsoft's sign-in service refused the request ({code or response.status_code})")


def _credentials(data: dict[str, Any], previous_refresh: str | None) -> dict[str, str]:
    expires_in = int(data.get("expires_in") or 3600)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in)
    return {
        "access_token": str(data["access_token"]),
        "refresh_token": str(data.get("refresh_token") or previous_refresh or ""),
        "expires_at": expires_at.replace(microsecond=0).isoformat(),
        "scope": str(data.get("scope", "")),
    }
