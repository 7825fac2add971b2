# SPDX-License-Identifier: Apache-2.0
"""Google's REST APIs over httpx for one connection: a bearer token kept fresh, rate limits
waited out, and failures turned into the domain's errors.

- **Token.** Fetched before a request when missing or expiring within a minute, and once more
  when Google answers 401 anyway (revoked meanwhile, clock skew): with the refresh token, or
  for domain-wide delegation (``delegation`` in the credentials) with a newly signed assertion.
  ``credentials`` is always the current dict; ``credentials_changed`` tells the caller to
  persist it.
- **Retries.** 429, 500, 502, 503, 504, and 403 with reason ``rateLimitExceeded`` or
  ``userRateLimitExceeded`` (Google's quota answers) are tried again up to ``TRIES`` times in
  all, after ``Retry-After`` when given, else exponential backoff from half a second, as long
  as the waits add up to at most ``MAX_WAIT`` seconds; then ``SourceUnavailable`` with the
  wait Google asked for.
- **Errors.** 401 → ``SourceAuthFailed``; 403 for missing scopes → ``SourceAuthFailed`` (the
  link must be made again with them), other 403 → ``SourceError``; 404, 410 →
  ``SourceNotFound``; 409, 412 → ``SourceConflict``. Messages carry no tokens or content.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import httpx

from calgate.domain.calendar_sources import (
    SourceAuthFailed,
    SourceConflict,
    SourceError,
    SourceNotFound,
    SourceUnavailable,
)
from calgate.providers.http import retry_after
from calgate.providers.google import delegation, oauth
from calgate.providers.google.config import GoogleConfig

TRIES = 3
MAX_WAIT = 10.0
REFRESH_AHEAD = dt.timedelta(seconds=60)
RETRIED = frozenset({429, 500, 502, 503, 504})
QUOTA_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


class GoogleClient:
    def __init__(
        self,
        credentials: dict[str, Any],
        config: GoogleConfig,
        *,
        timeout: float = 20.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.credentials = dict(credentials)
        self.credentials_changed = False
        self.config = config
        self._sleep = sleep
        self.http = httpx.Client(timeout=timeout, transport=transport, headers={"User-Agent": "calgate"})

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Google's answer once it is neither a 401 nor a rate limit; any other status is the
        caller's to read (``check`` raises the domain error for it)."""
        if self._expiring():
            self._refresh()
        refreshed, waited, tries = False, 0.0, 0
        while True:
            tries += 1
            response = self._send(method, url, params=params, json=json, headers=headers)
            if response.status_code == 401 and not refreshed:
                self._refresh()
                refreshed = True
                continue
            if response.status_code == 401:
                raise SourceAuthFailed("Google refused this connection's credentials: link the account again")
            if not _retried(response):
                return response
            asked = retry_after(response.headers.get("Retry-After"))
            delay = asked if asked is not None else 0.5 * 2 ** (tries - 1)
            if tries >= TRIES or waited + delay > MAX_WAIT:
                raise SourceUnavailable(f"Google is rate limiting or unavailable (HTTP {response.status_code})", asked)
            self._sleep(delay)
            waited += delay

    def call(self, method: str, url: str, **options: Any) -> Any:
        """``request`` and the JSON of a successful answer (None when empty)."""
        response = self.request(method, url, **options)
        check(response)
        return response.json() if response.content else None

    def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        headers = {**(options.pop("headers") or {}), "Authorization": f"Bearer {self.credentials.get('access_token', '')}"}
        try:
            return self.http.request(method, url, headers=headers, **options)
        except httpx.TimeoutException as exc:
            raise SourceUnavailable("Google did not answer in time") from exc
        except httpx.TransportError as exc:
            raise SourceUnavailable("Could not reach Google") from exc

    def _expiring(self) -> bool:
        value = self.credentials.get("expires_at")
        if not value or not self.credentials.get("access_token"):
            return True
        try:
            expires = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return True
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        return expires - REFRESH_AHEAD <= dt.datetime.now(dt.UTC)

    def _refresh(self) -> None:
        if "delegation" in self.credentials:  # a service account acting as the person: sign a new assertion
            self.credentials = delegation.delegated_token(self.config, self.credentials, http=self.http)
        else:
            self.credentials = oauth.refresh(self.config, self.credentials, http=self.http)
        self.credentials_changed = True


def reasons(response: httpx.Response) -> set[str]:
    """The ``reason``s of Google's error body (``error.errors[].reason``, ``error.details[].reason``)."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return set()
    if not isinstance(error, dict):
        return set()
    found = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict) and e.get("reason")}
    found |= {str(d.get("reason")) for d in error.get("details", []) if isinstance(d, dict) and d.get("reason")}
    return found


def _retried(response: httpx.Response) -> bool:
    code = response.status_code
    return code in RETRIED or (code == 403 and bool(reasons(response) & QUOTA_REASONS))


def check(response: httpx.Response) -> None:
    code = response.status_code
    if 200 <= code < 300:
        return
    if code == 401:
        raise SourceAuthFailed("Google refused this connection's credentials: link the account again")
    if code == 403 and reasons(response) & SCOPE_REASONS:
        raise SourceAuthFailed("Google did not grant calgate the access this needs: link the account again")
    if code in (404, 410):
        raise SourceNotFound("Google has no such calendar or event")
    if code in (409, 412):
        raise SourceConflict("The event changed at Google meanwhile, or exists already")
    if code == 429 or code >= 500:
        raise SourceUnavailable(f"Google is unavailable (HTTP {code})", retry_after(response.headers.get("Retry-After")))
    raise SourceError(f"Google refused a {response.request.method} request (HTTP {code}: {', '.join(sorted(reasons(response))) or 'no reason'})")
