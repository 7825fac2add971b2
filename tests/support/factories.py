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


def make_application(
    services: Services,
    *,
    features: set[str] = frozenset(),  # type: ignore[assignment]
    redirect_uri: str = "http://localhost:9999/callback",
    name: str = "Acme Scheduling",
) -> AppCredentials:
    with services.uow() as uow:
        developer = developers.sign_up(uow, f"dev-{secrets.token_hex(4)}@example.com", "correct horse battery")
        app, secret = applications.create(uow, services.box, developer.id, name, [redirect_uri], set(features))
        uow.commit()
    return AppCredentials(app.client_id, secret, redirect_uri, app.id)
