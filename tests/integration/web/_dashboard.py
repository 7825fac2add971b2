# SPDX-License-Identifier: Apache-2.0
"""A developer's browser for the dashboard tests: an httpx client with cookies that posts forms
the way the pages do (reading each page's CSRF token first)."""

from __future__ import annotations

import secrets

import httpx

from calgate.domain import applications

from tests.integration.web._pages import Page
from tests.support.connect import csrf
from tests.support.factories import AppCredentials
from tests.support.server import LiveServer

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "http://localhost:9999/callback"


class Dashboard:
    def __init__(self, client: httpx.Client) -> None:
        self.http = client
        self.email = ""

    def page(self, path: str, status: int = 200) -> Page:
        response = self.http.get(path)
        assert response.status_code == status, (response.status_code, response.text)
        return Page(response.text)

    def submit(self, page: str, action: str | None = None, **data: str) -> httpx.Response:
        """Open ``page``, then POST ``data`` to ``action`` (default: the page) with its CSRF token."""
        token = csrf(self.http.get(page).text)
        return self.http.post(action or page, data={"csrf_token": token, **data})

    def sign_up(self, email: str | None = None, password: str = PASSWORD) -> httpx.Response:
        self.email = email or f"dev-{secrets.token_hex(4)}@example.com"
        return self.submit("/dashboard/sign-up", email=self.email, password=password)

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        self.email = email
        return self.submit("/dashboard/sign-in", email=email, password=password)

    def create_app(self, name: str = "Acme Scheduling", redirect_uris: str = REDIRECT_URI, **features: str) -> str:
        """Register an application; returns its id. ``features``: feature_no_calendar="on", …"""
        response = self.submit("/dashboard/apps/new", name=name, redirect_uris=redirect_uris, **features)
        assert response.status_code == 303, response.text
        return response.headers["location"].rsplit("/", 1)[1]


def app_credentials(server: LiveServer, application_id: str) -> AppCredentials:
    """What the developer copies from an application's page, to use the API as that application."""
    with server.services.uow() as uow:
        app = uow.applications.get(application_id)
    return AppCredentials(app.client_id, applications.reveal_secret(app, server.services.box), app.redirect_uris[0], app.id)
