# SPDX-License-Identifier: Apache-2.0
"""Which providers this server offers, and from a profile's provider name and (opened)
credentials to a ``CalendarSource``.

CalDAV and iCloud are always offered (the person brings the server). Google and Microsoft
Graph are offered once calgate's OAuth client for them is configured
(``CALGATE_GOOGLE_CLIENT_ID`` / ``CALGATE_MICROSOFT_CLIENT_ID``); for them the connect pages
send the person to the provider's consent screen (``OAuthProvider``), asking only for what the
access mode needs. Credentials that carry an organization's delegation (Enterprise Connect,
``providers.delegation``) open Google and Microsoft sources whether or not calgate's own OAuth
clients are configured: the organization brings its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from calgate.config import Settings
from calgate.domain.authorization import pkce_challenge
from calgate.domain.calendar_sources import CalendarSource
from calgate.providers import google, msgraph
from calgate.providers.caldav.source import CalDavSource
from calgate.providers.google import oauth as google_oauth
from calgate.providers.msgraph import oauth as graph_oauth

CALDAV_PROVIDERS = frozenset({"apple", "caldav"})


@dataclass(frozen=True)
class OAuthProvider:
    """A provider calgate connects to as an OAuth client (authorization code + PKCE)."""

    name: str
    config: google.GoogleConfig | msgraph.GraphConfig

    def authorization_url(self, redirect_uri: str, state: str, verifier: str, stores_event_details: bool, login_hint: str | None) -> str:
        if isinstance(self.config, google.GoogleConfig):
            scopes = google_oauth.scopes_for(stores_event_details)
            challenge = pkce_challenge(verifier)
            return google_oauth.authorization_url(self.config, redirect_uri, state, challenge, scopes, login_hint)
        return graph_oauth.authorization_url(
            self.config, redirect_uri=redirect_uri, state=state, code_verifier=verifier,
            stores_event_details=stores_event_details, login_hint=login_hint,
        )

    def exchange(self, code: str, redirect_uri: str, verifier: str, stores_event_details: bool, timeout: float) -> dict[str, Any]:
        if isinstance(self.config, google.GoogleConfig):
            return google_oauth.exchange_code(self.config, code, redirect_uri, verifier, timeout=timeout)
        return graph_oauth.exchange_code(
            self.config, code=code, redirect_uri=redirect_uri, code_verifier=verifier,
            stores_event_details=stores_event_details, timeout=timeout,
        )

    def source(self, credentials: dict[str, Any], stores_event_details: bool, timeout: float) -> CalendarSource:
        if isinstance(self.config, google.GoogleConfig):
            return google.GoogleSource(credentials, self.config, stores_event_details=stores_event_details, timeout=timeout)
        return msgraph.GraphSource(credentials, self.config, stores_event_details=stores_event_details, timeout=timeout)


class Providers:
    """The providers of one server, built from its settings."""

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.provider_timeout
        self.configs: dict[str, google.GoogleConfig | msgraph.GraphConfig] = {
            "google": google.GoogleConfig(
                client_id=settings.google_client_id or "", client_secret=settings.google_client_secret.get_secret_value(),
                auth_url=settings.google_auth_url, token_url=settings.google_token_url, revoke_url=settings.google_revoke_url,
                api_base=settings.google_api_url, userinfo_url=settings.google_userinfo_url,
                directory_base=settings.google_directory_url,
            ),
            "ms_graph": msgraph.GraphConfig(
                client_id=settings.microsoft_client_id or "", client_secret=settings.microsoft_client_secret.get_secret_value(),
                tenant=settings.microsoft_tenant, authority=settings.microsoft_authority, graph_base=settings.microsoft_graph_url,
            ),
        }
        self.oauth: dict[str, OAuthProvider] = {
            name: OAuthProvider(name, config) for name, config in self.configs.items() if config.client_id
        }

    @property
    def offered(self) -> frozenset[str]:
        return CALDAV_PROVIDERS | frozenset(self.oauth)

    @contextlib.contextmanager
    def open(self, provider: str, credentials: dict[str, Any], stores_event_details: bool) -> Iterator[CalendarSource]:
        """A connection for one sync or write, closed afterwards. OAuth sources may refresh their
        tokens meanwhile: the caller reads ``source.credentials`` afterwards and keeps them."""
        if provider in CALDAV_PROVIDERS:
            source: Any = CalDavSource(
                credentials["server_url"], credentials["username"], credentials["password"], timeout=self.timeout,
                email=credentials.get("email"),
            )
        elif provider in self.oauth or ("delegation" in credentials and provider in self.configs):
            source = OAuthProvider(provider, self.configs[provider]).source(credentials, stores_event_details, self.timeout)
        else:
            raise LookupError(f"provider {provider!r} is not configured on this server")
        try:
            yield source
        finally:
            source.close()
