# SPDX-License-Identifier: Apache-2.0
"""calgate as an OAuth 2.0 authorization server towards applications.

Authorization codes (RFC 6749 §4.1) are single use, live ``code_ttl`` seconds and are bound to
the client, the redirect_uri and, when the request carried one, a PKCE challenge (RFC 7636,
S256 only). Replaying a code revokes the grant it issued (RFC 6749 §4.1.2; RFC 9700 §4.1.2).
Access and refresh tokens are 32 random characters stored only as SHA-256 digests. A refresh
returns a new access token and the same refresh token (Cronofy's documented behaviour).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass

from calgate.domain import access_modes, applications, ids, model
from calgate.domain.errors import Forbidden, MissingScope, OAuthError, Unauthenticated
from calgate.domain.ports import UnitOfWork

PKCE_METHODS = ("S256",)


def pkce_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(verifier)) without padding (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_code(
    uow: UnitOfWork,
    grant: model.Grant,
    redirect_uri: str,
    code_challenge: str | None,
    now: dt.datetime,
    ttl: int,
) -> str:
    code = ids.new_secret(32)
    uow.codes.add(
        model.AuthorizationCode(
            digest=ids.digest(code),
            application_id=grant.application_id,
            grant_id=grant.id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            expires_at=now + dt.timedelta(seconds=ttl),
        )
    )
    return code


@dataclass(frozen=True)
class IssuedTokens:
    grant: model.Grant
    access_token: str
    refresh_token: str
    expires_in: int


SERVICE_ACCOUNT_ACCESS_TTL = 1800  # seconds: a service account's tokens live half an hour (wire notes §2.6)


def _ttl(grant: model.Grant, ttl: int) -> int:
    return min(ttl, SERVICE_ACCOUNT_ACCESS_TTL) if grant.account_id is None else ttl


def _issue_access(uow: UnitOfWork, grant: model.Grant, now: dt.datetime, ttl: int) -> str:
    token = ids.new_secret(32)
    uow.tokens.add(
        model.Token(digest=ids.digest(token), kind="access", grant_id=grant.id, expires_at=now + dt.timedelta(seconds=ttl))
    )
    return token


def exchange_code(
    uow: UnitOfWork,
    client_id: str | None,
    client_secret: str | None,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
    now: dt.datetime,
    access_ttl: int,
) -> IssuedTokens:
    app = applications.authenticate_client(uow, client_id, client_secret)
    if not code:
        raise OAuthError("invalid_request", "code is required")
    stored = uow.codes.get_for_update(ids.digest(code))
    if stored is None or stored.application_id != app.id:
        raise OAuthError("invalid_grant", "The authorization code is not recognised")
    grant = uow.grants.get(stored.grant_id)
    if grant is None:
        raise OAuthError("invalid_grant", "The authorization code is not recognised")
    if stored.used_at is not None:
        revoke_grant(uow, grant, now)
        uow.commit()  # the revocation must stand even though this request fails
        raise OAuthError("invalid_grant", "The authorization code was already used; its tokens are revoked")
    if stored.expires_at <= now:
        raise OAuthError("invalid_grant", "The authorization code has expired")
    if redirect_uri != stored.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
    if stored.code_challenge is not None:
        if not code_verifier or not ids.same_secret(pkce_challenge(code_verifier), stored.code_challenge):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
    if not grant.active:
        raise OAuthError("invalid_grant", "The authorization was revoked")
    stored.used_at = now
    return issue_tokens(uow, grant, now, access_ttl)


def issue_tokens(uow: UnitOfWork, grant: model.Grant, now: dt.datetime, access_ttl: int) -> IssuedTokens:
    """A new refresh token and access token on ``grant`` (a code exchange, an application
    calendar request)."""
    access_ttl = _ttl(grant, access_ttl)
    refresh = ids.new_secret(32)
    uow.tokens.add(model.Token(digest=ids.digest(refresh), kind="refresh", grant_id=grant.id))
    access = _issue_access(uow, grant, now, access_ttl)
    return IssuedTokens(grant=grant, access_token=access, refresh_token=refresh, expires_in=access_ttl)


def refresh(
    uow: UnitOfWork,
    client_id: str | None,
    client_secret: str | None,
    refresh_token: str | None,
    now: dt.datetime,
    access_ttl: int,
) -> IssuedTokens:
    app = applications.authenticate_client(uow, client_id, client_secret)
    token = uow.tokens.get(ids.digest(refresh_token or ""))
    grant = uow.grants.get(token.grant_id) if token is not None else None
    if (
        token is None
        or token.kind != "refresh"
        or token.revoked_at is not None
        or grant is None
        or grant.application_id != app.id
        or not grant.active
    ):
        raise OAuthError("invalid_grant", "The refresh token is not recognised")
    access_ttl = _ttl(grant, access_ttl)
    access = _issue_access(uow, grant, now, access_ttl)
    return IssuedTokens(grant=grant, access_token=access, refresh_token=refresh_token or "", expires_in=access_ttl)


def revoke_grant(uow: UnitOfWork, grant: model.Grant, now: dt.datetime) -> None:
    """The grant and its tokens; a service account's own grant takes the service account with
    it (``revoke_service_account``)."""
    grant.revoked_at = grant.revoked_at or now
    for token in uow.tokens.of_grant(grant.id):
        token.revoked_at = token.revoked_at or now
    if grant.account_id is None and grant.service_account_id is not None:
        service_account = uow.service_accounts.get(grant.service_account_id)
        if service_account is not None and service_account.revoked_at is None:
            revoke_service_account(uow, service_account, now)


def revoke_service_account(uow: UnitOfWork, service_account: model.ServiceAccount, now: dt.datetime) -> None:
    """The service account, its tokens, and every person's access it gave (their grants and
    profiles; what a person connected themselves stays)."""
    service_account.revoked_at = service_account.revoked_at or now
    for grant in uow.grants.of_service_account(service_account.id):
        revoke_grant(uow, grant, now)
    for profile in uow.service_accounts.profiles(service_account.id):
        if profile.revoked_at is None:
            profile.revoked_at, profile.connected = now, False


def revoke(
    uow: UnitOfWork,
    client_id: str | None,
    client_secret: str | None,
    token: str | None,
    sub: str | None,
    now: dt.datetime,
) -> None:
    """POST /oauth/token/revoke: by access or refresh token, else by sub (RFC 7009 semantics:
    an unknown token is not an error)."""
    app = applications.authenticate_client(uow, client_id, client_secret)
    if token:
        stored = uow.tokens.get(ids.digest(token))
        grant = uow.grants.get(stored.grant_id) if stored is not None else None
        if grant is not None and grant.application_id == app.id:
            revoke_grant(uow, grant, now)
        return
    if sub:
        service_account = uow.service_accounts.get(sub) if sub.startswith("ser_") else None
        if service_account is not None and service_account.application_id == app.id:
            revoke_service_account(uow, service_account, now)
        for grant in uow.grants.of_account(app.id, sub):
            revoke_grant(uow, grant, now)
        return
    raise OAuthError("invalid_request", "Give the token or the sub to revoke")


@dataclass(frozen=True)
class Caller:
    """Who is calling with a bearer access token, resolved once per request."""

    application: model.Application
    grant: model.Grant
    account: model.Account

    @property
    def policy(self) -> access_modes.AccessModePolicy:
        return access_modes.policy(self.grant.access_mode)

    @property
    def granted(self) -> frozenset[str]:
        return self.policy.grants(self.grant.scopes)

    def require(self, scope: str) -> None:
        if scope not in self.granted:
            raise MissingScope(scope)


def token_context(uow: UnitOfWork, access_token: str, now: dt.datetime) -> model.TokenContext:
    """A live access token with its active grant and what the grant is for, read in one query."""
    found = uow.access.token(ids.digest(access_token))
    stored = found.token if found is not None else None
    if stored is None or stored.kind != "access" or stored.revoked_at is not None:
        raise Unauthenticated()
    if stored.expires_at is not None and stored.expires_at <= now:
        raise Unauthenticated("The access token has expired; refresh it")
    if found is None or found.grant is None or not found.grant.active:
        raise Unauthenticated("The authorization was revoked")
    return found


def authenticate(uow: UnitOfWork, access_token: str, now: dt.datetime) -> Caller:
    return caller_of(token_context(uow, access_token, now))


def caller_of(found: model.TokenContext) -> Caller:
    """The Caller of a token ``token_context`` accepted: an account's, not a service account's."""
    grant = found.grant
    assert grant is not None  # token_context checked it
    if grant.account_id is None:
        raise Forbidden("A service account's token acts for no account: authorize the person with it first (POST /v1/service_account_authorizations)")
    if found.application is None or found.account is None:
        raise Unauthenticated()
    return Caller(application=found.application, grant=grant, account=found.account)
