# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect: an organization's administrator connects it once, and the application
then gains access to people's calendars there without each of them consenting.

    GET /enterprise_connect/oauth/authorize   ``enterprise_connect``: the administrator's side,
        ending in the ``ser_`` service account, its grant and the authorization code.
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
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from calgate.domain import access_modes, authorization, ids, model, scopes, sync
from calgate.domain.enterprise_connect import ACCOUNTS_MANAGE, ACCOUNTS_UNRESTRICTED, RESOURCES_MANAGE, RESOURCES_UNRESTRICTED
from calgate.domain.calendar_sources import RemoteCalendar
from calgate.domain.developers import normalize_email, valid_email
from calgate.domain.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from calgate.domain.ports import UnitOfWork

RESOURCE_SCOPES = (RESOURCES_MANAGE, RESOURCES_UNRESTRICTED)
MAX_BATCH = 50
AUTHORIZE_JOB = "service_account_authorization"
CALLBACK_JOB = "service_account_callback"


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
    return caller_of(authorization.token_context(uow, access_token, now))


def caller_of(found: model.TokenContext) -> ServiceAccountCaller:
    """The caller of a token ``authorization.token_context`` accepted: a service account's own."""
    grant = found.grant
    assert grant is not None  # token_context checked it
    if grant.service_account_id is None or grant.account_id is not None:
        raise Forbidden("This endpoint needs a service account's token (Enterprise Connect)")
    service_account, application = found.service_account, found.application
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
            "service_account_authorizations", "mixed", "Send either one authorization or a batch, not both"
        )
    if batch is None:
        items, prefix = [body], ""
    elif not isinstance(batch, list) or not 1 <= len(batch) <= MAX_BATCH:
        raise ValidationFailed.single(
            "service_account_authorizations", "length", f"Send between 1 and {MAX_BATCH} authorizations"
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
