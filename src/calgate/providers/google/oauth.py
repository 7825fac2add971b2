# SPDX-License-Identifier: Apache-2.0
"""Linking a Google account: OAuth 2.0 authorization code flow with PKCE (RFC 7636, S256),
offline access (a refresh token), and refreshing the access token.

Scopes are the least each access mode needs: read_write asks for ``calendar`` (list calendars,
read and write events), free_busy only for ``calendar.freebusy`` (it cannot list calendars or
read an event); both add ``openid`` and ``email`` to learn the account's address.

Credentials are a plain dict, as calgate seals them: ``access_token``, ``refresh_token``,
``expires_at`` (ISO 8601 UTC) and ``scope`` (space separated, as granted). Errors become the
domain's: ``invalid_grant`` (a code used twice, a revoked or expired refresh token) →
``SourceAuthFailed``; unreachable, 429 and 5xx → ``SourceUnavailable``; anything else
(a misconfigured client) → ``SourceError``. Messages carry no tokens.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

import httpx

from calgate.domain.authorization import pkce_challenge
from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceUnavailable
from calgate.providers.google.config import GoogleConfig

CALENDAR = "https://www.googleapis.com/auth/calendar"
FREEBUSY = "https://www.googleapis.com/auth/calendar.freebusy"
IDENTITY = ["openid", "email"]

__all__ = ["authorization_url", "exchange_code", "pkce_pair", "refresh", "revoke", "scopes_for"]


def scopes_for(stores_event_details: bool) -> list[str]:
    return [CALENDAR if stores_event_details else FREEBUSY, *IDENTITY]


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for S256."""
    verifier = secrets.token_urlsafe(48)
    return verifier, pkce_challenge(verifier)


def authorization_url(
    config: GoogleConfig,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scopes: list[str],
    login_hint: str | None = None,
) -> str:
    params = {
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "false",
    }
    if login_hint:
        params["login_hint"] = login_hint
    return config.auth_url + ("&" if "?" in config.auth_url else "?") + urlencode(params)


def exchange_code(
    config: GoogleConfig,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    *,
    http: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 20.0,
) -> dict[str, Any]:
    answer = _token_request(
        config,
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier},
        http=http,
        transport=transport,
        timeout=timeout,
    )
    if not answer.get("refresh_token"):
        raise SourceError("Google granted no offline access (no refresh token)")
    return _credentials(answer, None)


def refresh(
    config: GoogleConfig,
    credentials: dict[str, Any],
    *,
    http: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 20.0,
) -> dict[str, Any]:
    """New credentials with a fresh access token (Google keeps the refresh token unless it
    sends a new one)."""
    token = credentials.get("refresh_token")
    if not token:
        raise SourceAuthFailed("The Google connection has no refresh token: link the account again")
    answer = _token_request(config, {"grant_type": "refresh_token", "refresh_token": token}, http=http, transport=transport, timeout=timeout)
    return _credentials(answer, credentials)


def revoke(
    config: GoogleConfig, token: str, *, http: httpx.Client | None = None, transport: httpx.BaseTransport | None = None, timeout: float = 20.0
) -> None:
    """Revoke a refresh (or access) token; one Google no longer knows counts as revoked."""
    with _Client(http, transport, timeout) as client:
        response = _post(client, config.revoke_url, {"token": token})
    if response.status_code >= 500 or response.status_code == 429:
        raise SourceUnavailable(f"Google did not revoke the token (HTTP {response.status_code})")


def _token_request(
    config: GoogleConfig, form: dict[str, str], *, http: httpx.Client | None, transport: httpx.BaseTransport | None, timeout: float
) -> dict[str, Any]:
    form = {**form, "client_id": config.client_id, "client_secret": config.client_secret}
    with _Client(http, transport, timeout) as client:
        response = _post(client, config.token_url, form)
    if response.status_code == 429 or response.status_code >= 500:
        raise SourceUnavailable(f"Google's token endpoint is unavailable (HTTP {response.status_code})")
    try:
        answer = response.json()
    except ValueError:
        raise SourceError(f"Google's token endpoint answered HTTP {response.status_code} without JSON") from None
    if response.is_success and isinstance(answer, dict) and answer.get("access_token"):
        return answer
    error = answer.get("error") if isinstance(answer, dict) else None
    if error == "invalid_grant":
        raise SourceAuthFailed("Google no longer accepts this connection: link the account again")
    raise SourceError(f"Google's token endpoint refused the request ({error or response.status_code})")


class _Client:
    """The caller's client, or a short-lived one."""

    def __init__(self, http: httpx.Client | None, transport: httpx.BaseTransport | None, timeout: float) -> None:
        self.own = http is None
        self.http = http or httpx.Client(transport=transport, timeout=timeout, headers={"User-Agent": "calgate"})

    def __enter__(self) -> httpx.Client:
        return self.http

    def __exit__(self, *exc: object) -> None:
        if self.own:
            self.http.close()


def _post(client: httpx.Client, url: str, form: dict[str, str]) -> httpx.Response:
    try:
        return client.post(url, data=form, headers={"Accept": "application/json"})
    except httpx.TimeoutException as exc:
        raise SourceUnavailable("Google did not answer in time") from exc
    except httpx.TransportError as exc:
        raise SourceUnavailable("Could not reach Google") from exc


def _credentials(answer: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    lifetime = int(answer.get("expires_in") or 3600)
    expires_at = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=lifetime)
    return {
        "access_token": answer["access_token"],
        "refresh_token": answer.get("refresh_token") or (previous or {}).get("refresh_token"),
        "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        "scope": answer.get("scope") or (previous or {}).get("scope", ""),
    }
