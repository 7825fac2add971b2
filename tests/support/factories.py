# SPDX-License-Identifier: Apache-2.0
"""Build what tests need through the domain's own services, never behind its back."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from calgate.domain import applications, developers
from calgate.services import Services


@dataclass
class AppCredentials:
    client_id: str
    client_secret: str
    redirect_uri: str
    application_id: str


DEVELOPER_PASSWORD = "correct horse battery staple"


def make_developer_application(
    services: Services,
    *,
    features: set[str] = frozenset(),  # type: ignore[assignment]
    redirect_uri: str = "http://localhost:9999/callback",
    name: str = "Acme Scheduling",
) -> tuple[str, AppCredentials]:
    """An application and the email its developer signs in to the dashboard with (the
    password is ``DEVELOPER_PASSWORD``)."""
    email = f"dev-{secrets.token_hex(4)}@example.com"
    with services.uow() as uow:
        developer = developers.sign_up(uow, email, DEVELOPER_PASSWORD)
        app, secret = applications.create(uow, services.box, developer.id, name, [redirect_uri], set(features))
        uow.commit()
    return email, AppCredentials(app.client_id, secret, redirect_uri, app.id)


def make_application(
    services: Services,
    *,
    features: set[str] = frozenset(),  # type: ignore[assignment]
    redirect_uri: str = "http://localhost:9999/callback",
    name: str = "Acme Scheduling",
) -> AppCredentials:
    return make_developer_application(services, features=features, redirect_uri=redirect_uri, name=name)[1]
