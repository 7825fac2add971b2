# SPDX-License-Identifier: Apache-2.0
"""Talk to calgate's Cronofy-compatible API over HTTP: token requests and bearer calls."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.connect import connect_hosted
from tests.support.factories import AppCredentials
from tests.support.server import LiveServer


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pkce_pair() -> tuple[str, str]:
    """A random code_verifier and its S256 code_challenge (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
    return verifier, challenge


def token_request(server: LiveServer, creds: AppCredentials, code: str, **overrides: Any) -> httpx.Response:
    """POST /oauth/token with the authorization_code grant (JSON body); ``overrides`` replace
    or add body fields (a value of None drops the field)."""
    body: dict[str, Any] = {
        "grant_type": "authorization_code",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "code": code,
        "redirect_uri": creds.redirect_uri,
    }
    body.update(overrides)
    return httpx.post(f"{server.url}/oauth/token", json={k: v for k, v in body.items() if v is not None})


def refresh_request(server: LiveServer, creds: AppCredentials, refresh_token: str, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "grant_type": "refresh_token",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": refresh_token,
    }
    body.update(overrides)
    return httpx.post(f"{server.url}/oauth/token", json=body)


def revoke_request(server: LiveServer, creds: AppCredentials, **fields: Any) -> httpx.Response:
    body: dict[str, Any] = {"client_id": creds.client_id, "client_secret": creds.client_secret, **fields}
    return httpx.post(f"{server.url}/oauth/token/revoke", json=body)


@dataclass
class Connected:
    """What an application holds after a person connected through the No Access flow."""

    creds: AppCredentials
    email: str
    tokens: dict[str, Any]

    @property
    def access_token(self) -> str:
        return str(self.tokens["access_token"])

    @property
    def refresh_token(self) -> str:
        return str(self.tokens["refresh_token"])

    @property
    def account_id(self) -> str:
        return str(self.tokens["account_id"])

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access_token)


def connect_and_exchange(
    server: LiveServer, creds: AppCredentials, email: str | None = None, **extra: str
) -> Connected:
    """Connect a person (No Access) and exchange the code for tokens."""
    email = email or f"person-{secrets.token_hex(4)}@example.com"
    result = connect_hosted(server, creds, email=email, **extra)
    assert "code" in result, result
    response = token_request(server, creds, result["code"])
    assert response.status_code == 200, response.text
    return Connected(creds=creds, email=email, tokens=response.json())
