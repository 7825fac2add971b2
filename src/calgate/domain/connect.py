# SPDX-License-Identifier: Apache-2.0
"""Individual Connect: the authorization request and the steps a person takes through it.

RFC 6749 §4.1.1 request, validated in the order §4.1.2.1 demands: the client and its
redirect_uri first (problems there are shown, never redirected to), then everything else
(problems there redirect with ``error=`` and the state). The access mode chooser appears when
the app requests ``free_busy_write``, offers more than one mode and pre-selects none
(``access_modes.resolve_choice``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from calgate.domain import access_modes, accounts, authorization, ids, mode_change, model, scopes, sync
from calgate.domain.calendar_sources import RemoteCalendar
from calgate.domain.developers import normalize_email, valid_email
from calgate.domain.errors import AuthorizeError, ValidationFailed
from calgate.domain.ports import UnitOfWork

_PKCE_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_CODE_ATTEMPTS = 5
# Codes one address may be sent per hour: enough for typos, too few to mail-bomb someone.
MAX_CODES_PER_HOUR = 5


@dataclass(frozen=True)
class ConnectRequest:
    """A validated authorization request, carried through the flow's pages."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    access_mode: str | None
    provider: str | None
    code_challenge: str | None
    avoid_linking: bool

    @property
    def requested_scopes(self) -> list[str]:
        return scopes.parse(self.scope)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConnectRequest":
        return cls(**data)

    def choose(self, mode: str | None = None, provider: str | None = None) -> "ConnectRequest":
        return replace(self, access_mode=mode or self.access_mode, provider=provider or self.provider)

    def cleared(self) -> "ConnectRequest":
        """Back to the chooser: no mode, no provider."""
        return replace(self, access_mode=None, provider=None)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def validate_request(uow: UnitOfWork, params: dict[str, str]) -> tuple[model.Application, ConnectRequest]:
    client_id = params.get("client_id") or ""
    app = uow.applications.by_client_id(client_id)
    if app is None:
        raise AuthorizeError("invalid_client", "The client_id is not recognised", redirectable=False)
    redirect_uri = params.get("redirect_uri") or ""
    if redirect_uri not in app.redirect_uris:
        raise AuthorizeError(
            "invalid_redirect_uri",
            "The redirect_uri is not registered for this application",
            redirectable=False,
        )
    if params.get("response_type") != "code":
        raise AuthorizeError("unsupported_response_type", "response_type must be code")
    requested = scopes.parse(params.get("scope"))
    if not requested:
        raise AuthorizeError("invalid_scope", "scope is required")
    unknown = scopes.unknown(requested)
    if unknown:
        raise AuthorizeError("invalid_scope", f"Unknown scope(s): {' '.join(unknown)}")
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if challenge is None and method is not None:
        raise AuthorizeError("invalid_request", "code_challenge_method given without code_challenge")
    if challenge is not None:
        if (method or "plain") not in authorization.PKCE_METHODS:
            raise AuthorizeError("invalid_request", "code_challenge_method must be S256")
        if not _PKCE_CHALLENGE.match(challenge):
            raise AuthorizeError("invalid_request", "code_challenge must be 43 base64url characters")
    choice = access_modes.resolve_choice(
        params.get("access_mode"), params.get("provider_name"), requested, app.features
    )
    return app, ConnectRequest(
        client_id=app.client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(requested),
        state=params.get("state"),
        access_mode=choice.mode.name if choice.mode else None,
        provider=choice.provider,
        code_challenge=challenge,
        avoid_linking=_truthy(params.get("avoid_linking")),
    )


def chosen_mode(app: model.Application, request: ConnectRequest, mode: str) -> ConnectRequest:
    """The person picked ``mode`` in the chooser: it must be one the application offers."""
    offered = {p.name for p in app.offered_modes()}
    if mode not in offered:
        raise ValidationFailed.single("access_mode", "invalid", "Choose one of the offered options")
    return request.choose(mode=mode)


def chosen_provider(request: ConnectRequest, provider: str) -> ConnectRequest:
    policy = access_modes.POLICIES.get(request.access_mode or "")  # None until a mode is chosen
    if policy is None or provider not in policy.providers:
        raise ValidationFailed.single("provider_name", "invalid", "Choose one of the offered calendars")
    return request.choose(provider=provider)


# -- No Access: the person proves an email address with a one-time code ------------------


def start_email_verification(
    uow: UnitOfWork, app: model.Application, name: str, email: str, now: dt.datetime, ttl: int
) -> model.EmailVerification:
    """Record a code and queue the mail that carries it, in one transaction."""
    email = normalize_email(email)
    errors: dict[str, list[tuple[str, str]]] = {}
    if not name.strip() or len(name) > 200:
        errors["name"] = [("errors.required", "Enter your name")]
    if not valid_email(email):
        errors["email"] = [("errors.invalid", "Enter a valid email address")]
    if errors:
        raise ValidationFailed(errors)
    if uow.verifications.sent_since(email, now - dt.timedelta(hours=1)) >= MAX_CODES_PER_HOUR:
        raise ValidationFailed.single(
            "email", "rate_limited", "Too many codes were sent to this address; try again in an hour"
        )
    code = ids.new_numeric_code(6)
    verification = model.EmailVerification(
        id=ids.new_id("ver"), email=email, code_digest=ids.digest(code), expires_at=now + dt.timedelta(seconds=ttl)
    )
    uow.verifications.add(verification)
    minutes = ttl // 60
    uow.jobs.enqueue(
        "send_mail",
        {
            "application_id": app.id,
            "to": email,
            "to_name": name.strip(),
            "subject": f"{code} is your code to connect to {app.name}",
            "text": (
                f"Hello {name.strip()},\n\n"
                f"Enter this code to confirm your email address for {app.name}:\n\n"
                f"    {code}\n\n"
                f"It works once, for {minutes} minutes. If you did not ask for it, ignore this message.\n"
            ),
        },
    )
    return verification


def check_email_code(uow: UnitOfWork, verification_id: str, code: str, now: dt.datetime) -> model.EmailVerification:
    verification = uow.verifications.get(verification_id)
    wrong = ValidationFailed.single("code", "invalid", "That code is not right; check the email and try again")
    if verification is None:
        raise wrong
    if verification.verified_at is not None:
        return verification
    if verification.expires_at <= now:
        raise ValidationFailed.single("code", "expired", "That code has expired; ask for a new one")
    if verification.attempts >= MAX_CODE_ATTEMPTS:
        raise ValidationFailed.single("code", "too_many_attempts", "Too many wrong codes; ask for a new one")
    verification.attempts += 1
    if not ids.same_secret(verification.code_digest, ids.digest(code.strip())):
        uow.commit()  # count the attempt even though the request fails
        raise wrong
    verification.verified_at = now
    return verification


def allow_hosted(
    uow: UnitOfWork,
    app: model.Application,
    request: ConnectRequest,
    verification: model.EmailVerification,
    name: str,
    now: dt.datetime,
    code_ttl: int,
) -> str:
    """Allow on the consent screen in No Access mode: the account with its hosted calendar,
    a grant for the application, and the authorization code to redirect with."""
    if verification.verified_at is None:
        raise ValidationFailed.single("email", "unverified", "Confirm your email address first")
    policy = access_modes.POLICIES.get(request.access_mode or "")  # None until a mode is chosen
    if policy is None or not policy.hosted:
        raise ValidationFailed.single("access_mode", "invalid", "This step is for the No Access mode")
    account = uow.accounts.by_email(app.id, verification.email)
    if account is None:
        account = model.Account(id=ids.new_id("acc"), application_id=app.id, email=verification.email, name=name.strip())
        uow.accounts.add(account)
    else:
        account.name = name.strip() or account.name
    accounts.hosted_profile(uow, account, policy.name, account.email, "Calendar", now)
    grant = model.Grant(
        id=ids.new_id("grt"), application_id=app.id, account_id=account.id, scope=request.scope, access_mode=policy.name
    )
    uow.grants.add(grant)
    return authorization.issue_code(uow, grant, request.redirect_uri, request.code_challenge, now, code_ttl)


# -- A provider (CalDAV now): the person's credentials were checked against the server -------


def allow_provider(
    uow: UnitOfWork,
    app: model.Application,
    request: ConnectRequest,
    identity: str,
    credentials_sealed: str,
    calendars: list[RemoteCalendar],
    now: dt.datetime,
    code_ttl: int,
    first_read: sync.Fetched | None = None,
) -> str:
    """Allow on the consent screen for a connected provider: the account (by the address the
    provider vouched for), its profile holding the sealed credentials, the calendars the server
    listed, a first sync queued at once, a grant, and the authorization code.

    The same provider account connected again in another mode keeps its profile and changes
    its mode (``mode_change``); ``first_read`` is what the flow read for it beforehand
    (``mode_change.first_read_plan``), applied in this same transaction."""
    policy = access_modes.POLICIES.get(request.access_mode or "")
    if policy is None or policy.hosted or request.provider not in policy.providers:
        raise ValidationFailed.single("provider_name", "invalid", "Choose a calendar provider first")
    email = normalize_email(identity)
    account = uow.accounts.by_email(app.id, email)
    if account is None:
        account = model.Account(id=ids.new_id("acc"), application_id=app.id, email=email, name=identity)
        uow.accounts.add(account)
    profile = mode_change.connected_profile(uow, account, request.provider, identity, policy.name)
    reads_details = profile is not None and mode_change.change(uow, profile, policy.name, calendars, now).reads_details
    if profile is None:
        profile = model.Profile(
            id=ids.new_id("pro"), account_id=account.id, provider=request.provider, access_mode=policy.name,
            name=identity, created_at=now,
        )
        uow.profiles.add(profile)
    profile.credentials_sealed, profile.connected, profile.sync_error = credentials_sealed, True, None
    sync.match_calendars(uow, profile, calendars, now)
    if first_read is not None and first_read.plan.access_mode == policy.name and first_read.plan.profile_id in ("", profile.id):
        uow.flush()
        sync.apply(uow, replace(first_read, plan=replace(first_read.plan, profile_id=profile.id)), now)
    elif reads_details:  # the read failed: the details come with the sync queued now
        profile.initial_sync_done = False
    sync.request_sync(uow, profile, now)
    grant = model.Grant(
        id=ids.new_id("grt"), application_id=app.id, account_id=account.id, scope=request.scope, access_mode=policy.name
    )
    uow.grants.add(grant)
    return authorization.issue_code(uow, grant, request.redirect_uri, request.code_challenge, now, code_ttl)
