# SPDX-License-Identifier: Apache-2.0
"""Who is asking: the bearer credential of a tool call, resolved as the HTTP API resolves it.

- An **access token** of an account acts as that account: its tools are the account's
  (calendars, free/busy, events), within the token's scopes and the account's access mode;
  Availability may name any of the application's accounts, as ``POST /v1/availability`` lets
  an access token do.
- An application's **API key** (its client secret) acts as the application: Availability over
  its accounts and Real-Time Scheduling links. Tools that act for one account refuse it.

Over stdio the credential is fixed for the process (``--token`` or ``CALGATE_MCP_TOKEN``);
over HTTP it is each request's ``Authorization: Bearer``. It is resolved again on every call,
so an expired or revoked token stops working at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from calgate.domain import applications, authorization, model
from calgate.domain.errors import Forbidden, Unauthenticated
from calgate.domain.model import utcnow
from calgate.services import Services

ENV_TOKEN = "CALGATE_MCP_TOKEN"


@dataclass(frozen=True)
class Principal:
    """The application asking and, for an access token, the account it acts for."""

    application: model.Application
    caller: authorization.Caller | None = None

    def account_caller(self, tool: str) -> authorization.Caller:
        """The account's Caller, or a clear refusal for an API key."""
        if self.caller is None:
            raise Forbidden(
                f"{tool} acts for one account: connect with that account's access token, not the application's API key"
            )
        return self.caller

    def api_key_application(self, tool: str) -> model.Application:
        """The application, when the credential is its API key (as the API asks for these)."""
        if self.caller is not None:
            raise Forbidden(f"{tool} is the application's: connect with its API key (client secret), not an account's access token")
        return self.application


def resolve(services: Services, token: str, *, rate_limited: bool = True) -> Principal:
    """The Principal behind ``token``: an access token first, then an API key (both unknown:
    Unauthenticated). A service account's token is refused (it acts for no account). With
    ``rate_limited`` it takes one request of the application's rate limit."""
    token = token.strip()
    if not token:
        raise Unauthenticated(f"No credential: give an access token or API key ({ENV_TOKEN}, --token, or Authorization: Bearer)")
    with services.reader() as uow:
        try:
            caller = authorization.authenticate(uow, token, utcnow())
        except Unauthenticated as refused:
            try:
                principal = Principal(applications.by_api_key(uow, token))
            except Unauthenticated:
                if refused.description == Unauthenticated().description:  # neither: say so
                    raise Unauthenticated("The credential is neither a live access token nor an API key") from None
                raise refused from None  # a token calgate knows: expired, revoked
        else:
            principal = Principal(caller.application, caller)
    if rate_limited:
        services.limiter.check(principal.application.id)  # the API's rate limit, per application
    return principal


def bearer(headers: Mapping[str, str] | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    if headers is None:
        return None
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
