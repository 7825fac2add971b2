# SPDX-License-Identifier: Apache-2.0
"""UI Element tokens: short-lived credentials a page may hold in public
(docs.cronofy.com /developers/ui-elements/authentication; wire notes §4.8).

**Issuing** (``issue``): the application, by its API key, names ``permissions`` (Cronofy's
``agenda``, ``availability``, ``managed_availability``, ``account_management``), the ``subs``
the token may act for (each an account or application calendar of that application) and the
``origin`` of the page (``http(s)://host[:port]``, no path). The token is 32 random
characters, stored only as its SHA-256 digest, and lives ``TTL`` seconds (Cronofy's 64800).
``bookable_event_ids`` name Bookable Events, which calgate does not have: giving any is a 422.

**Using** (``authenticate``, then ``account_caller`` or ``check_members``): an unknown or expired
token is ``Unauthenticated``; a request whose browser Origin is not the token's origin is
``Forbidden`` (a request with no Origin, as from a server, is not a browser's and is let
through: the origin binds what a *page* may do, and any other client could forge the header).
What each permission reaches is ``REACH``, by operation (the HTTP layer maps routes onto
operations; anything not listed is ``Forbidden``):

    agenda                 read_events, read_free_busy      of its one sub
    availability           availability                     members all among its subs
    managed_availability   availability_rules,              of its one sub
                           available_periods
    account_management     nothing yet (accepted when issuing, as Cronofy lists it)

Account operations act for the token's sub through the application's live authorization over
it, and never beyond what that authorization grants nor beyond ``SCOPES`` (the person's access
mode still decides, e.g. Read Events in Free/Busy mode stays a 403). They need a token that
names exactly one sub, as Cronofy's Agenda and Availability Rules Elements use. A sub whose
authorization was revoked makes the token ``Unauthenticated`` for it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from calgate.domain import ids, model, scopes
from calgate.domain.authorization import Caller
from calgate.domain.errors import Forbidden, Unauthenticated, ValidationFailed
from calgate.domain.ports import UnitOfWork

TTL = 64800  # seconds, Cronofy's documented expires_in
VERSION = "1"
MAX_SUBS = 50

AGENDA = "agenda"
AVAILABILITY = "availability"
MANAGED_AVAILABILITY = "managed_availability"
ACCOUNT_MANAGEMENT = "account_management"
PERMISSIONS = (AGENDA, AVAILABILITY, MANAGED_AVAILABILITY, ACCOUNT_MANAGEMENT)

# Operations an element token may be presented for (the HTTP layer names its routes by them).
READ_EVENTS = "read_events"
READ_FREE_BUSY = "read_free_busy"
AVAILABILITY_QUERY = "availability"
AVAILABILITY_RULES = "availability_rules"
AVAILABLE_PERIODS = "available_periods"

REACH: dict[str, frozenset[str]] = {
    AGENDA: frozenset({READ_EVENTS, READ_FREE_BUSY}),
    AVAILABILITY: frozenset({AVAILABILITY_QUERY}),
    MANAGED_AVAILABILITY: frozenset({AVAILABILITY_RULES, AVAILABLE_PERIODS}),
    ACCOUNT_MANAGEMENT: frozenset(),
}

# The most an account operation may use of the sub's authorization, per permission (managed
# availability's writes ask for create_event/delete_event: ``domain/managed_availability``).
SCOPES: dict[str, frozenset[str]] = {
    AGENDA: frozenset({scopes.READ_EVENTS, scopes.READ_FREE_BUSY}),
    AVAILABILITY: frozenset(),
    MANAGED_AVAILABILITY: frozenset({scopes.READ_ACCOUNT, scopes.CREATE_EVENT, scopes.DELETE_EVENT}),
    ACCOUNT_MANAGEMENT: frozenset(),
}

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


@dataclass(frozen=True)
class Request:
    """What ``POST /v1/element_tokens`` asks for, as validated by ``parse``."""

    permissions: tuple[str, ...]
    subs: tuple[str, ...]
    origin: str


@dataclass(frozen=True)
class Issued:
    token: str
    element_token: model.ElementToken
    expires_in: int


@dataclass(frozen=True)
class ElementAccess:
    """A live element token, resolved once per request."""

    application: model.Application
    stored: model.ElementToken

    @property
    def subs(self) -> tuple[str, ...]:
        return tuple(self.stored.subs)

    def reaches(self, operation: str) -> bool:
        return any(operation in REACH.get(p, frozenset()) for p in self.stored.permissions)

    def require(self, operation: str) -> None:
        if not self.reaches(operation):
            named = ", ".join(self.stored.permissions)
            raise Forbidden(f"This element token ({named}) does not reach {operation}")

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset().union(*(SCOPES.get(p, frozenset()) for p in self.stored.permissions))


@dataclass(frozen=True)
class ElementCaller(Caller):
    """An account's Caller through an element token: its authorization's scopes, no more than
    the token's permissions allow."""

    permitted: frozenset[str] = frozenset()

    @property
    def granted(self) -> frozenset[str]:
        return super().granted & self.permitted


def normalise_origin(value: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port (as browsers send the
    Origin header), or None when ``value`` is not an http(s) origin. A lone trailing ``/`` is
    forgiven; any other path, a query, a fragment or user info is not."""
    if not isinstance(value, str) or not value or any(c.isspace() or not c.isprintable() for c in value):
        return None  # urlsplit would quietly drop tabs and newlines; an origin has none
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or "?" in value or "#" in value:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    elif not _HOST.fullmatch(host):
        return None
    suffix = "" if port is None or port == _DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{host}{suffix}"


def _strings(value: Any, field: str, errors: dict[str, list[tuple[str, str]]]) -> list[str] | None:
    if value is None or value == [] or value == "":
        errors.setdefault(field, []).append(("errors.required", f"{field} must list at least one value"))
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(field, []).append(("errors.invalid", f"{field} must be an array of strings"))
        return None
    return list(dict.fromkeys(value))  # in order, repeats dropped


def parse(params: dict[str, Any]) -> Request:
    """The request's fields, or one ``ValidationFailed`` naming every bad one."""
    errors: dict[str, list[tuple[str, str]]] = {}
    version = params.get("version", VERSION)
    if str(version) != VERSION:
        errors["version"] = [("errors.invalid", 'version must be "1"')]
    permissions = _strings(params.get("permissions"), "permissions", errors)
    for permission in permissions or []:
        if permission not in PERMISSIONS:
            errors.setdefault("permissions", []).append(
                ("errors.invalid", f"{permission!r} is not a permission; use {', '.join(PERMISSIONS)}")
            )
    subs = _strings(params.get("subs"), "subs", errors)
    if subs is not None and len(subs) > MAX_SUBS:
        errors.setdefault("subs", []).append(("errors.invalid", f"subs may name at most {MAX_SUBS} accounts"))
    origin_value = params.get("origin")
    origin = normalise_origin(origin_value) if isinstance(origin_value, str) else None
    if origin_value in (None, ""):
        errors["origin"] = [("errors.required", "origin is required: the page's http(s) origin, e.g. https://app.example.com")]
    elif origin is None:
        errors["origin"] = [("errors.invalid", "origin must be an http(s) origin, scheme://host[:port] with no path, e.g. https://app.example.com")]
    if params.get("bookable_event_ids"):
        errors["bookable_event_ids"] = [("errors.not_supported", "calgate has no Bookable Events; leave bookable_event_ids out")]
    if errors:
        raise ValidationFailed(errors)
    assert permissions is not None and subs is not None and origin is not None
    return Request(permissions=tuple(permissions), subs=tuple(subs), origin=origin)


def issue(uow: UnitOfWork, application: model.Application, request: Request, now: dt.datetime) -> Issued:
    """A new token for ``request``; every sub must be an account of ``application`` (else a
    422 naming it, whether it is another application's or nobody's)."""
    found = {a.id: a for a in uow.accounts.many(list(request.subs))}
    unknown = [s for s in request.subs if s not in found or found[s].application_id != application.id]
    if unknown:
        raise ValidationFailed(
            {"subs": [("errors.unknown_sub", f"{sub} is not an account of this application") for sub in unknown]}
        )
    token = ids.new_secret(32)
    stored = model.ElementToken(
        digest=ids.digest(token),
        application_id=application.id,
        permissions=list(request.permissions),
        subs=list(request.subs),
        origin=request.origin,
        expires_at=now + dt.timedelta(seconds=TTL),
        created_at=now,
    )
    uow.element_tokens.add(stored)
    return Issued(token=token, element_token=stored, expires_in=TTL)


def authenticate(uow: UnitOfWork, token: str, origin: str | None, now: dt.datetime) -> ElementAccess:
    """The live token ``token``, presented from a page at ``origin`` (None: no Origin header)."""
    stored = uow.element_tokens.get(ids.digest(token)) if token else None
    if stored is None:
        raise Unauthenticated("The element token is not recognised")
    if stored.expires_at <= now:
        raise Unauthenticated("The element token has expired; ask for a new one (POST /v1/element_tokens)")
    application = uow.applications.get(stored.application_id)
    if application is None:
        raise Unauthenticated("The element token is not recognised")
    if origin is not None and normalise_origin(origin) != stored.origin:
        raise Forbidden(f"This element token is for pages at {stored.origin}, not {origin}")
    return ElementAccess(application=application, stored=stored)


def account_caller(uow: UnitOfWork, access: ElementAccess, operation: str) -> ElementCaller:
    """The Caller an account operation runs as: the token's one sub, through the
    application's newest live authorization over it."""
    access.require(operation)
    if len(access.subs) != 1:
        raise Forbidden(f"This element token names {len(access.subs)} accounts; {operation} acts for one: issue a token with one sub")
    sub = access.subs[0]
    account = uow.accounts.get(sub)
    live = [g for g in uow.grants.of_account(access.application.id, sub) if g.active]
    if account is None or account.application_id != access.application.id or not live:
        raise Unauthenticated(f"{sub} no longer authorizes this application")
    grant = max(live, key=lambda g: g.created_at)
    return ElementCaller(application=access.application, grant=grant, account=account, permitted=access.scopes)


def check_members(access: ElementAccess, members: Iterable[str], explain: bool = False) -> None:
    """An availability query through ``access``: every member one of its subs, and none of
    calgate's ``explain`` (it names events, which the availability permission does not show)."""
    access.require(AVAILABILITY_QUERY)
    allowed = set(access.subs)
    strangers = sorted({m for m in members if m not in allowed})
    if strangers:
        raise Forbidden(f"This element token does not name {', '.join(strangers)}")
    if explain:
        raise Forbidden("explain names events; an element token cannot ask for it")
