# SPDX-License-Identifier: Apache-2.0
"""Google Workspace domain-wide delegation: an organization's service account acting as one of
its people, so calgate reads and writes their calendars without each person's consent.

The service account's key file (the JSON the Google Cloud console downloads) signs a JWT whose
``sub`` is the person; Google's token endpoint exchanges it for an access token (the JWT bearer
grant, RFC 7523 §2.1, as Google's "Using OAuth 2.0 for Server to Server Applications" profiles
it). There is no refresh token: a new assertion is signed whenever the token expires. A
Workspace administrator must first authorize the service account's client ID for the scopes
(Admin console › Security › API controls › Domain-wide delegation).

Credentials are a plain dict like ``oauth``'s, with ``delegation`` (the parsed key),
``subject`` (the person's address) and ``scope`` instead of a refresh token. Errors become the
domain's: an unknown person → ``SourceNotFound``; delegation not authorized, a bad signature,
an unknown key → ``SourceAuthFailed``; unreachable, 429 and 5xx → ``SourceUnavailable``;
anything else → ``SourceError``. No message quotes the key or a token.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from typing import Any

import httpx
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceNotFound, SourceUnavailable
from calgate.providers.google.config import GoogleConfig
from calgate.providers.google.oauth import _Client, _post

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME = 3600  # Google's longest assertion: exp at most an hour after iat

__all__ = ["JWT_BEARER", "delegated_token", "parse_key", "person_credentials"]


def parse_key(text: str) -> dict[str, str]:
    """A service account key file → ``{"client_email", "private_key", "private_key_id", "client_id"}``.
    ``ValueError`` says what is wrong without quoting the file."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        raise ValueError("The service account key is not JSON: upload the key file Google Cloud downloaded") from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise ValueError('The key file is not a service account key ("type" must be "service_account")')
    email = data.get("client_email")
    if not isinstance(email, str) or "@" not in email:
        raise ValueError("The service account key has no client_email")
    pem = data.get("private_key")
    if not isinstance(pem, str) or not pem.strip():
        raise ValueError("The service account key has no private_key")
    _load(pem)
    key_id, client_id = data.get("private_key_id"), data.get("client_id")
    return {
        "client_email": email,
        "private_key": pem,
        "private_key_id": key_id if isinstance(key_id, str) else "",
        "client_id": client_id if isinstance(client_id, str) else "",  # public: the ID the admin authorizes
    }


def person_credentials(key: dict[str, str], subject: str, scopes: list[str]) -> dict[str, Any]:
    """Credentials for acting as ``subject``; the client fetches the access token on first use."""
    return {"delegation": key, "subject": subject.lower(), "scope": " ".join(scopes)}


def delegated_token(
    config: GoogleConfig,
    credentials: dict[str, Any],
    *,
    http: httpx.Client | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 20.0,
) -> dict[str, Any]:
    """``credentials`` with a new ``access_token`` and its ``expires_at``."""
    key, subject = credentials["delegation"], credentials["subject"]
    try:
        signed = assertion(key, subject, credentials.get("scope", ""), config.token_url)
    except (ValueError, KeyError):
        raise SourceAuthFailed("The stored service account key cannot sign: upload the key file again") from None
    form = {"grant_type": JWT_BEARER, "assertion": signed}
    with _Client(http, transport, timeout) as client:
        response = _post(client, config.token_url, form)
    if response.status_code == 429 or response.status_code >= 500:
        raise SourceUnavailable(f"Google's token endpoint is unavailable (HTTP {response.status_code})")
    try:
        answer = response.json()
    except ValueError:
        raise SourceError(f"Google's token endpoint answered HTTP {response.status_code} without JSON") from None
    if not isinstance(answer, dict):
        answer = {}
    if response.is_success and answer.get("access_token"):
        lifetime = int(answer.get("expires_in") or LIFETIME)
        expires_at = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=lifetime)
        return {**credentials, "access_token": answer["access_token"], "expires_at": expires_at.isoformat().replace("+00:00", "Z")}
    raise _refusal(key, subject, credentials.get("scope", ""), answer, response.status_code)


def assertion(key: dict[str, str], subject: str, scope: str, audience: str, now: int | None = None) -> str:
    """The signed JWT (RS256, RFC 7515 compact form) asking for ``scope`` as ``subject``."""
    now = int(time.time()) if now is None else now
    header = {"alg": "RS256", "typ": "JWT", **({"kid": key["private_key_id"]} if key.get("private_key_id") else {})}
    claims = {"iss": key["client_email"], "sub": subject, "scope": scope, "aud": audience, "iat": now, "exp": now + LIFETIME}
    signing_input = _b64(json.dumps(header, separators=(",", ":")).encode()) + "." + _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = _load(key["private_key"]).sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + _b64(signature)


def _refusal(key: dict[str, str], subject: str, scope: str, answer: dict[str, Any], status: int) -> SourceError:
    error = str(answer.get("error") or "")
    description = str(answer.get("error_description") or "").lower()
    if error == "invalid_grant" and ("email" in description or "user" in description):
        return SourceNotFound(f"Google Workspace has no such person: {subject}")
    if error == "unauthorized_client":
        client = key.get("client_id") or "the key file's client_id"
        return SourceAuthFailed(
            f"Google Workspace has not authorized the service account {key['client_email']} for domain-wide delegation "
            f"with {scope.replace(' ', ', ')}: a Workspace administrator must add its client ID ({client}) with these "
            "scopes in the Admin console (Security › Access and data control › API controls › Manage domain-wide delegation)"
        )
    if error == "invalid_grant":
        return SourceAuthFailed(
            "Google refused the service account's assertion (a deleted or disabled key, or a wrong clock): upload a current key"
        )
    return SourceError(f"Google's token endpoint refused the service account ({error or status})")


def _load(pem: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # UnicodeEncodeError is a ValueError
        raise ValueError("The service account's private_key is not a PEM RSA private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("The service account's private_key is not a PEM RSA private key")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
