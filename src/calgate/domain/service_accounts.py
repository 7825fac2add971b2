# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect: an organization's administrator connects it once, and the application
then gains access to people's calendars there without each of them consenting.

    GET /enterprise_connect/oauth/authorize   ``validate_request``; the admin picks the access
        mode (when ``delegated_scope`` asks for free_busy_write and the app offers both) and the
        provider, gives the organization's credentials, and allows: ``allow`` makes the
        ``ser_`` service account, its grant and the authorization code.
    POST /oauth/token                         the code gives a service account token (short-lived,
        ``authorization.SERVICE_ACCOUNT_ACCESS_TTL``), refreshed like any other.
    POST /v1/service_account_authorizations   ``request_authorizations``: one job per person
        (``AUTHORIZE_JOB``). The job checks the person at the provider with the organization's
        credentials, then ``authorize_person`` connects them (account, profile, calendars,
        first sync, grant) and a callback job (``CALLBACK_JOB``) POSTs the code, or the reason
        the person could not be authorized, to the application's callback_url.

Scopes: ``scope`` holds the service account's own (``SERVICE_ACCOUNT_SCOPES``);
``delegated_scope`` bounds what may later be granted over people, in the calgate scope
vocabulary (bundles included). Every person it authorizes is connected in the service
account's access mode. Revoking the service account (``authorization.revoke_service_account``,
also reached by revoking its token) revokes every grant and profile it gave.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from calgate.domain import access_modes, authorization, ids, model, scopes, sync
from calgate.domain.calendar_sources import RemoteCalendar
from calgate.domain.developers import normalize_email, valid_email
from calgate.domain.errors import AuthorizeError, Forbidden, NotFound, Unauthenticated, ValidationFailed
from calgate.domain.ports import UnitOfWork

ACCOUNTS_MANAGE = "service_account/accounts/manage"
ACCOUNTS_UNRESTRICTED = "service_account/accounts/unrestricted_access"
RESOURCES_MANAGE = "service_account/resources/manage"
RESOURCES_UNRESTRICTED = "service_account/resources/unrestricted_access"
SERVICE_ACCOUNT_SCOPES = (ACCOUNTS_MANAGE, ACCOUNTS_UNRESTRICTED, RESOURCES_MANAGE, RESOURCES_UNRESTRICTED)
RESOURCE_SCOPES = (RESOURCES_MANAGE, RESOURCES_UNRESTRICTED)
SCOPE_DESCRIPTIONS = {
    ACCOUNTS_MANAGE: "Connect the calendars of people in your organization, one person at a time",
    ACCOUNTS_UNRESTRICTED: "Connect the calendars of anyone in your organization",
    RESOURCES_MANAGE: "List your organization's rooms and resources",
    RESOURCES_UNRESTRICTED: "List and connect your organization's rooms and resources",
}
# Enterprise Connect reaches an organization's directory: the providers that have one.
PROVIDERS = ("google", "ms_graph")
PROVIDER_LABELS = {"google": "Google Workspace", "ms_graph": "Microsoft 365"}
MAX_BATCH = 50
AUTHORIZE_JOB = "service_account_authorization"
CALLBACK_JOB = "service_account_callback"
_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")


# -- the administrator's authorization request ----------------------------------------------


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


# -- calling as the service account -----------------------------------------------------------


@dataclass(frozen=True)
class ServiceAccountCaller:
    application: model.Application
    grant: model.Grant
    service_account: model.ServiceAccount

    def require(self, *any_of: str) -> None:
        if not set(any_of) & set(self.grant.scopes):
            raise Forbidden(f"The service account was not granted {' or '.join(any_of)}")


def authenticate(uow: UnitOfWork, access_token: str, now: dt.datetime) -> ServiceAccountCaller:
    grant = authorization.token_grant(uow, access_token, now)
    if grant.service_account_id is None or grant.account_id is not None:
        raise Forbidden("This endpoint needs a service account's token (Enterprise Connect)")
    service_account = uow.service_accounts.get(grant.service_account_id)
    application = uow.applications.get(grant.application_id)
    if service_account is None or service_account.revoked_at is not None or application is None:
        raise Unauthenticated("The service account was revoked")
    return ServiceAccountCaller(application, grant, service_account)


# -- authorizing people -------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    email: str
    callback_url: str
    scope: str
    state: str | None


def _check_callback(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "callback_url must be an absolute http or https URL"
    return None


def read_authorizations(body: dict[str, Any]) -> list[AuthorizationRequest]:
    """The single form ``{email, callback_url, scope, state}`` or the batch form
    ``{service_account_authorizations: [...]}`` (1 to 50), never both; 422 on anything else.
    A batch's top-level ``state`` is each entry's default."""
    batch = body.get("service_account_authorizations")
    single_fields = {"email", "callback_url", "scope"} & set(body)
    if batch is not None and single_fields:
        raise ValidationFailed.single(
            "service_account_authorizations", "errors.mixed", "Send either one authorization or a batch, not both"
        )
    if batch is None:
        items, prefix = [body], ""
    elif not isinstance(batch, list) or not 1 <= len(batch) <= MAX_BATCH:
        raise ValidationFailed.single(
            "service_account_authorizations", "errors.length", f"Send between 1 and {MAX_BATCH} authorizations"
        )
    else:
        items, prefix = batch, "service_account_authorizations"
    errors: dict[str, list[tuple[str, str]]] = {}
    out = []
    for index, item in enumerate(items):
        def field(name: str) -> str:
            return f"{prefix}[{index}].{name}" if prefix else name

        if not isinstance(item, dict):
            errors[field("email")] = [("errors.invalid", "Each authorization is an object")]
            continue
        values = {}
        for name in ("email", "callback_url", "scope", "state"):
            value = item.get(name)
            if value is None and name == "state" and prefix:
                value = body.get("state")
            if value is not None and not isinstance(value, str):
                errors[field(name)] = [("errors.invalid", f"{name} must be a string")]
            values[name] = value if isinstance(value, str) else None
        email = normalize_email(values["email"] or "")
        if not values["email"]:
            errors[field("email")] = [("errors.required", "email is required")]
        elif not valid_email(email):
            errors[field("email")] = [("errors.invalid", "email is not a valid email address")]
        if not values["callback_url"]:
            errors[field("callback_url")] = [("errors.required", "callback_url is required")]
        elif (problem := _check_callback(values["callback_url"])) is not None:
            errors[field("callback_url")] = [("errors.invalid", problem)]
        if not values["scope"]:
            errors[field("scope")] = [("errors.required", "scope is required")]
        out.append(AuthorizationRequest(email, values["callback_url"] or "", values["scope"] or "", values["state"]))
    if errors:
        raise ValidationFailed(errors)
    return out


def request_authorizations(uow: UnitOfWork, caller: ServiceAccountCaller, requests: list[AuthorizationRequest]) -> None:
    """Check every scope against delegated_scope (nothing is queued unless all pass), then
    queue one authorization job per person."""
    caller.require(ACCOUNTS_MANAGE, ACCOUNTS_UNRESTRICTED)
    service_account = caller.service_account
    policy = access_modes.policy(service_account.access_mode)
    allowed = scopes.expand(service_account.delegated_scope.split(), policy.bundle_extras)
    errors: dict[str, list[tuple[str, str]]] = {}
    for index, item in enumerate(requests):
        field = f"service_account_authorizations[{index}].scope" if len(requests) > 1 else "scope"
        requested = scopes.parse(item.scope)
        unknown = scopes.unknown(requested)
        if unknown:
            errors[field] = [("errors.invalid", f"Unknown scope(s): {' '.join(unknown)}")]
        elif not scopes.expand(requested, policy.bundle_extras) <= allowed:
            outside = sorted(scopes.expand(requested, policy.bundle_extras) - allowed)
            errors[field] = [(
                "errors.not_within_delegated_scope",
                f"The scope asks for {' '.join(outside)}, outside the delegated_scope the administrator granted "
                f"({service_account.delegated_scope})",
            )]
    if errors:
        raise ValidationFailed(errors)
    for item in requests:
        uow.jobs.enqueue(
            AUTHORIZE_JOB,
            {
                "service_account_id": service_account.id,
                "application_id": service_account.application_id,
                "email": item.email,
                "callback_url": item.callback_url,
                "scope": " ".join(scopes.parse(item.scope)),
                "state": item.state,
            },
        )


def authorize_person(
    uow: UnitOfWork,
    service_account: model.ServiceAccount,
    email: str,
    scope: str,
    identity: str,
    calendars: list[RemoteCalendar],
    token_cache_sealed: str,
    now: dt.datetime,
) -> model.Grant:
    """The provider vouched for the person: connect them (account, profile reached through the
    service account, calendars, a first sync at once) and grant the application ``scope``."""
    email = normalize_email(identity or email)
    account = uow.accounts.by_email(service_account.application_id, email)
    if account is None:
        account = model.Account(id=ids.new_id("acc"), application_id=service_account.application_id, email=email, name=email)
        uow.accounts.add(account)
    profile = next(
        (
            p for p in uow.profiles.of_account(account.id)
            if p.revoked_at is None and p.service_account_id == service_account.id
        ),
        None,
    )
    if profile is None:
        profile = model.Profile(
            id=ids.new_id("pro"), account_id=account.id, provider=service_account.provider,
            access_mode=service_account.access_mode, name=email, created_at=now, service_account_id=service_account.id,
        )
        uow.profiles.add(profile)
    profile.credentials_sealed, profile.connected, profile.sync_error = token_cache_sealed, True, None
    sync.match_calendars(uow, profile, calendars, now)
    sync.request_sync(uow, profile, now)
    grant = model.Grant(
        id=ids.new_id("grt"), application_id=service_account.application_id, account_id=account.id,
        scope=scope, access_mode=service_account.access_mode, service_account_id=service_account.id,
    )
    uow.grants.add(grant)
    return grant


def queue_callback(uow: UnitOfWork, payload: dict[str, Any], *, grant: model.Grant | None = None, error: tuple[str, str] | None = None) -> None:
    """The application hears of one person: a code for ``grant`` (made at delivery, so a
    retried callback never carries a code that was stored), or ``error`` (code, description)."""
    body: dict[str, Any] = {
        "application_id": payload["application_id"],
        "service_account_id": payload["service_account_id"],
        "callback_url": payload["callback_url"],
        "state": payload.get("state"),
        "email": payload["email"],
    }
    if grant is not None:
        body["grant_id"] = grant.id
    elif error is not None:
        body["error"], body["error_description"] = error
    uow.jobs.enqueue(CALLBACK_JOB, body)


def callback_body(uow: UnitOfWork, payload: dict[str, Any], now: dt.datetime, code_ttl: int) -> dict[str, Any] | None:
    """What the callback POSTs: ``{"authorization": {"code", "state"}}``, or ``{"authorization":
    {"error", "error_description", "email", "state"}}``; None when there is nothing left to say
    (the service account or the grant was revoked meanwhile). A code is issued here, bound to
    the callback_url as its redirect_uri."""
    service_account = uow.service_accounts.get(payload["service_account_id"])
    if service_account is None or service_account.revoked_at is not None:
        return None
    state = payload.get("state")
    if "grant_id" not in payload:
        answer = {"error": payload["error"], "error_description": payload["error_description"], "email": payload["email"]}
        return {"authorization": {**answer, **({"state": state} if state is not None else {})}}
    grant = uow.grants.get(payload["grant_id"])
    if grant is None or not grant.active:
        return None
    code = authorization.issue_code(uow, grant, payload["callback_url"], None, now, code_ttl)
    return {"authorization": {"code": code, **({"state": state} if state is not None else {})}}


def userinfo(caller: ServiceAccountCaller) -> dict[str, Any]:
    """GET /v1/userinfo with a service account's token (wire notes §2.6)."""
    service_account = caller.service_account
    return {
        "sub": service_account.id,
        "email": service_account.email,
        "cronofy.type": "service_account",
        "cronofy.data": {
            "service_account": {"provider_name": service_account.provider, "domain": service_account.domain},
            "authorization": {
                "scope": caller.grant.scope,
                "status": "active",
                "delegated_scope": service_account.delegated_scope,
                "access_mode": service_account.access_mode,
            },
        },
    }


def owned(uow: UnitOfWork, application_id: str, service_account_id: str) -> model.ServiceAccount:
    service_account = uow.service_accounts.get(service_account_id)
    if service_account is None or service_account.application_id != application_id:
        raise NotFound("service_account")
    return service_account
