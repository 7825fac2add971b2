# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect, the administrator's side: ``GET /enterprise_connect/oauth/authorize``.

``validate_request`` checks the request; the administrator picks the access mode (when
``delegated_scope`` asks for free_busy_write and the app offers both: ``chosen_mode``) and the
provider (``chosen_provider``), gives the organization's credentials, and allows: ``allow``
makes the ``ser_`` service account, its grant and the authorization code. What the service
account then does is ``service_accounts``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from calgate.domain import access_modes, authorization, ids, model, scopes
from calgate.domain.developers import normalize_email
from calgate.domain.errors import AuthorizeError, ValidationFailed
from calgate.domain.ports import UnitOfWork

ACCOUNTS_MANAGE = "service_account/accounts/manage"
ACCOUNTS_UNRESTRICTED = "service_account/accounts/unrestricted_access"
RESOURCES_MANAGE = "service_account/resources/manage"
RESOURCES_UNRESTRICTED = "service_account/resources/unrestricted_access"
SERVICE_ACCOUNT_SCOPES = (ACCOUNTS_MANAGE, ACCOUNTS_UNRESTRICTED, RESOURCES_MANAGE, RESOURCES_UNRESTRICTED)
SCOPE_DESCRIPTIONS = {
    ACCOUNTS_MANAGE: "Connect the calendars of people in your organization, one person at a time",
    ACCOUNTS_UNRESTRICTED: "Connect the calendars of anyone in your organization",
    RESOURCES_MANAGE: "List your organization's rooms and resources",
    RESOURCES_UNRESTRICTED: "List and connect your organization's rooms and resources",
}
# Enterprise Connect reaches an organization's directory: the providers that have one.
PROVIDERS = ("google", "ms_graph")
PROVIDER_LABELS = {"google": "Google Workspace", "ms_graph": "Microsoft 365"}
_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class EnterpriseRequest:
    client_id: str
    redirect_uri: str
    scope: str
    delegated_scope: str
    state: str | None
    access_mode: str | None
    provider: str | None
    code_challenge: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EnterpriseRequest":
        return cls(**data)

    def choose(self, mode: str | None = None, provider: str | None = None) -> "EnterpriseRequest":
        return replace(self, access_mode=mode or self.access_mode, provider=provider or self.provider)

    def cleared(self) -> "EnterpriseRequest":
        return replace(self, access_mode=None, provider=None)


def offered_modes(app: model.Application) -> list[access_modes.AccessModePolicy]:
    """An organization is connected in read_write, or in free_busy where the app enables it
    (no_calendar connects no organization)."""
    return [p for p in app.offered_modes() if not p.hosted]


def validate_request(uow: UnitOfWork, params: dict[str, str]) -> tuple[model.Application, EnterpriseRequest]:
    """RFC 6749 §4.1.2.1 order, as Individual Connect: client and redirect_uri problems are
    shown (never redirected to), the rest redirect with ``error=``."""
    app = uow.applications.by_client_id(params.get("client_id") or "")
    if app is None:
        raise AuthorizeError("invalid_client", "The client_id is not recognised", redirectable=False)
    redirect_uri = params.get("redirect_uri") or ""
    if redirect_uri not in app.redirect_uris:
        raise AuthorizeError("invalid_redirect_uri", "The redirect_uri is not registered for this application", redirectable=False)
    if params.get("response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "response_type must be code")
    requested = scopes.parse(params.get("scope"))
    if not requested:
        raise AuthorizeError("invalid_scope", f"scope is required: one or more of {' '.join(SERVICE_ACCOUNT_SCOPES)}")
    unknown = [s for s in requested if s not in SERVICE_ACCOUNT_SCOPES]
    if unknown:
        raise AuthorizeError("invalid_scope", f"Unknown service account scope(s): {' '.join(unknown)}")
    delegated = scopes.parse(params.get("delegated_scope"))
    if not delegated:
        raise AuthorizeError("invalid_scope", "delegated_scope is required: the scopes the application may ask for over people")
    if scopes.unknown(delegated):
        raise AuthorizeError("invalid_scope", f"Unknown delegated scope(s): {' '.join(scopes.unknown(delegated))}")
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is None and method is not None:
        raise AuthorizeError("invalid_request", "code_challenge_method given without code_challenge")
    if challenge is not None and ((method or "plain") not in authorization.PKCE_METHODS or not _PKCE_CHALLENGE.match(challenge)):
        raise AuthorizeError("invalid_request", "code_challenge must be 43 base64url characters, with code_challenge_method S256")
    choice = access_modes.resolve_choice(params.get("access_mode"), params.get("provider_name"), delegated, app.features)
    if choice.mode is not None and choice.mode.hosted:
        raise AuthorizeError("invalid_request", "Enterprise Connect connects an organization's calendars: access_mode must be read_write or free_busy")
    if choice.provider is not None and choice.provider not in PROVIDERS:
        raise AuthorizeError("invalid_request", "Enterprise Connect supports provider_name google (Google Workspace) and ms_graph (Microsoft 365)")
    mode = choice.mode
    if mode is None and len(offered_modes(app)) == 1:
        mode = access_modes.READ_WRITE
    return app, EnterpriseRequest(
        client_id=app.client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(requested),
        delegated_scope=" ".join(delegated),
        state=params.get("state"),
        access_mode=mode.name if mode else None,
        provider=choice.provider,
        code_challenge=challenge,
    )


def chosen_mode(app: model.Application, request: EnterpriseRequest, mode: str) -> EnterpriseRequest:
    if mode not in {p.name for p in offered_modes(app)}:
        raise ValidationFailed.single("access_mode", "invalid", "Choose one of the offered options")
    return request.choose(mode=mode)


def chosen_provider(request: EnterpriseRequest, provider: str) -> EnterpriseRequest:
    if provider not in PROVIDERS:
        raise ValidationFailed.single("provider_name", "invalid", "Choose Google Workspace or Microsoft 365")
    return request.choose(provider=provider)


def describe(request: EnterpriseRequest) -> tuple[list[str], list[scopes.ScopeInfo]]:
    """What the consent screen lists: the service account's powers, and what the application
    may then do with each person's calendar."""
    policy = access_modes.policy(request.access_mode or access_modes.READ_WRITE.name)
    return [SCOPE_DESCRIPTIONS[s] for s in request.scope.split()], policy.describe(request.delegated_scope.split())


def allow(
    uow: UnitOfWork,
    app: model.Application,
    request: EnterpriseRequest,
    domain: str,
    admin_email: str,
    credentials_sealed: str,
    now: dt.datetime,
    code_ttl: int,
) -> str:
    """The administrator allowed: the service account, its grant, and the code to redirect with."""
    if request.access_mode is None or request.provider not in PROVIDERS:
        raise ValidationFailed.single("provider_name", "invalid", "Choose an access mode and a provider first")
    service_account = model.ServiceAccount(
        id=ids.new_id("ser"), application_id=app.id, provider=request.provider, access_mode=request.access_mode,
        scope=request.scope, delegated_scope=request.delegated_scope, domain=domain.lower(), email=normalize_email(admin_email),
        credentials_sealed=credentials_sealed, created_at=now,
    )
    uow.service_accounts.add(service_account)
    grant = model.Grant(
        id=ids.new_id("grt"), application_id=app.id, account_id=None, scope=request.scope,
        access_mode=request.access_mode, service_account_id=service_account.id,
    )
    uow.grants.add(grant)
    return authorization.issue_code(uow, grant, request.redirect_uri, request.code_challenge, now, code_ttl)
