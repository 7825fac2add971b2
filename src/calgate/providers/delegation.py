# SPDX-License-Identifier: Apache-2.0
"""An organization's credentials (Enterprise Connect) and reaching one person's calendar with them.

- Google Workspace: a service account key with domain-wide delegation; each person is reached
  by a JWT bearer grant with ``sub`` (``google.delegation``), asking for
  ``https://www.googleapis.com/auth/calendar`` in read_write and
  ``https://www.googleapis.com/auth/calendar.freebusy`` in free_busy.
- Microsoft 365: the organization's own app registration (tenant, client id, client secret)
  with application permissions; each person is reached at ``/users/{address}``
  (``msgraph.delegation``).

The organization's credentials are kept once, sealed, on the service account. A person's
profile holds only a cached access token (``token_cache``); ``person_credentials`` puts the two
together when a sync or a write opens the person's calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from calgate.domain.calendar_sources import (
    RemoteCalendar,
    SourceAuthFailed,
    SourceError,
    SourceNotFound,
    SourceUnavailable,
)
from calgate.domain.developers import normalize_email, valid_email
from calgate.domain.errors import ValidationFailed
from calgate.providers.google import config as google_config
from calgate.providers.google import delegation as google_delegation
from calgate.providers.google import directory as google_directory
from calgate.providers.google import oauth as google_oauth
from calgate.providers.msgraph import config as graph_config
from calgate.providers.msgraph import delegation as graph_delegation
from calgate.providers.msgraph import directory as graph_directory
from calgate.providers.registry import Providers

# What the administrator types, per provider (``web.enterprise_connect``); secrets are never
# shown back on the form.
FORM_FIELDS = {
    "google": ("service_account_key", "admin_email"),
    "ms_graph": ("tenant", "client_id", "client_secret", "admin_email"),
}
SECRET_FIELDS = frozenset({"service_account_key", "client_secret"})
_CACHED = ("access_token", "expires_at")


@dataclass(frozen=True)
class Organization:
    domain: str
    admin_email: str
    credentials: dict[str, Any]  # the organization's, to seal on the service account


def organization_credentials(provider: str, form: dict[str, str]) -> tuple[dict[str, Any], str]:
    """(the organization's credentials, the administrator's address) from the form; 422 on
    anything missing or malformed, with messages that never quote a secret."""
    errors: dict[str, list[tuple[str, str]]] = {}
    admin = normalize_email(form.get("admin_email", ""))
    if not valid_email(admin):
        errors["admin_email"] = [("errors.invalid", "Enter your email address in the organization")]
    credentials: dict[str, Any] = {}
    if provider == "google":
        try:
            credentials = {"key": google_delegation.parse_key(form.get("service_account_key", ""))}
        except ValueError as exc:
            errors["service_account_key"] = [("errors.invalid", str(exc))]
    elif provider == "ms_graph":
        for name, label in (("tenant", "the directory (tenant) ID"), ("client_id", "the application (client) ID"),
                            ("client_secret", "the client secret")):
            value = form.get(name, "").strip()
            if not value:
                errors[name] = [("errors.required", f"Enter {label}")]
            credentials[name] = value
    else:
        errors["provider_name"] = [("errors.invalid", "Enterprise Connect supports Google Workspace and Microsoft 365")]
    if errors:
        raise ValidationFailed(errors)
    return credentials, admin


def person_credentials(provider: str, organization: dict[str, Any], subject: str, stores_event_details: bool,
                       cached: dict[str, Any] | None = None) -> dict[str, Any]:
    """What ``Providers.open`` takes to act as ``subject``, with a cached token when one is kept."""
    if provider == "google":
        scope = google_oauth.CALENDAR if stores_event_details else google_oauth.FREEBUSY
        credentials = google_delegation.person_credentials(organization["key"], subject, [scope])
    else:
        credentials = graph_delegation.person_credentials(
            {k: organization[k] for k in ("tenant", "client_id", "client_secret")}, subject
        )
    return {**credentials, **{k: v for k, v in (cached or {}).items() if k in _CACHED}}


def token_cache(credentials: dict[str, Any]) -> dict[str, Any]:
    """The part of a person's credentials worth keeping on their profile: the access token only."""
    return {k: credentials[k] for k in _CACHED if credentials.get(k)}


def reach_person(
    providers: Providers, provider: str, organization: dict[str, Any], email: str, stores_event_details: bool
) -> tuple[str, list[RemoteCalendar], dict[str, Any]]:
    """(the person's address as the provider knows it, their calendars, the token cache).
    Raises ``SourceNotFound`` for a person the organization does not have, ``SourceAuthFailed``
    when the organization's credentials no longer work, ``SourceUnavailable`` / ``SourceError``."""
    credentials = person_credentials(provider, organization, email, stores_event_details)
    with providers.open(provider, credentials, stores_event_details) as source:
        identity, calendars = source.identity(), source.calendars()
        if calendars and not stores_event_details:
            # Listing calendars may need no call in free_busy mode (Google's is the person's
            # address): ask for an hour of busy time, so the provider vouches for the person.
            now = dt.datetime.now(dt.UTC).replace(microsecond=0)
            source.busy(calendars[0], now, now + dt.timedelta(hours=1))
        current: dict[str, Any] = getattr(source, "credentials", None) or credentials
    return identity, calendars, token_cache(current)


def resources(providers: Providers, provider: str, organization: dict[str, Any], admin_email: str) -> list[tuple[str, str]]:
    """The organization's rooms and resources: (email, name), by name. Google's directory is
    read as the administrator who connected the organization."""
    config = providers.configs[provider]
    if provider == "google":
        assert isinstance(config, google_config.GoogleConfig)
        return google_directory.calendar_resources(config, organization["key"], admin_email, timeout=providers.timeout)
    assert isinstance(config, graph_config.GraphConfig)
    return graph_directory.rooms(config, organization, timeout=providers.timeout)


def check_organization(providers: Providers, provider: str, form: dict[str, str], stores_event_details: bool) -> Organization:
    """The administrator's credentials, checked by reaching their own calendar in the chosen mode."""
    credentials, admin = organization_credentials(provider, form)
    try:
        identity, _, _ = reach_person(providers, provider, credentials, admin, stores_event_details)
    except SourceNotFound:
        raise ValidationFailed.single(
            "admin_email", "not_found", "The organization has no such person: enter your own address in it"
        ) from None
    except SourceAuthFailed as exc:
        raise ValidationFailed.single("form", "refused", f"The credentials were refused: {exc}") from None
    except SourceUnavailable as exc:
        raise ValidationFailed.single("form", "unreachable", f"Could not reach the provider: {exc}") from None
    except SourceError as exc:
        raise ValidationFailed.single("form", "refused", f"The provider refused the check: {exc}") from None
    address = normalize_email(identity or admin)
    return Organization(domain=address.rpartition("@")[2], admin_email=address, credentials=credentials)


__all__ = [
    "FORM_FIELDS", "SECRET_FIELDS", "Organization", "check_organization", "organization_credentials",
    "person_credentials", "reach_person", "resources", "token_cache",
]
