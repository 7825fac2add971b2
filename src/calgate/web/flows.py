# SPDX-License-Identifier: Apache-2.0
"""A person's way through a multi-step authorization (Individual or Enterprise Connect): the
validated request and progress, kept in the signed session cookie under a flow id, so several
tabs can run flows side by side. Subclasses say where they live and what a request is."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from calgate.domain import access_modes
from calgate.domain.errors import AuthorizeError
from calgate.domain.model import Application
from calgate.domain.ports import UnitOfWork
from calgate.services import Services
from calgate.web.pages import PageError, error_page

EXPIRED = PageError(
    "This connection request has expired",
    "Go back to the application and start connecting your calendar again.",
)


def redirect_with(uri: str, **params: str | None) -> RedirectResponse:
    """Back to the application's redirect_uri with ``params`` added to its own query."""
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return RedirectResponse(urlunsplit(parts._replace(query=query)), status_code=302)


# Validates an authorize request's query: the application and the request (or AuthorizeError).
Validate = Callable[[UnitOfWork, dict[str, str]], tuple[Application, Any]]


class SessionFlow:
    session_key: ClassVar[str]
    path: ClassVar[str]  # the flow's page is f"{path}/{id}"
    request_type: ClassVar[Any]  # the validated request's class: from_dict, to_dict, access_mode
    max_flows: ClassVar[int] = 4  # the cookie must stay small: the oldest flows are forgotten

    def __init__(self, flow_id: str, data: dict[str, Any], app: Application) -> None:
        self.id, self.data, self.app = flow_id, data, app
        self.request = self.request_type.from_dict(data["request"])

    def offered_modes(self) -> list[access_modes.AccessModePolicy]:
        return self.app.offered_modes()

    @property
    def policy(self) -> access_modes.AccessModePolicy | None:
        return access_modes.POLICIES.get(self.request.access_mode or "")

    @property
    def chooser_offered(self) -> bool:
        """Only when the application left the choice open (no access_mode, and
        free_busy_write requested) may the person choose, or come back to choose again."""
        return bool(self.data.get("chooser")) and len(self.offered_modes()) > 1

    @classmethod
    def begin(cls, request: Request, services: Services, validate: Validate) -> Response:
        """An authorize request's first answer: a new flow's page; or, for a bad request, an
        error page when the client or redirect_uri cannot be trusted, else the error sent back
        to the redirect_uri. The person may choose a mode (and come back to choose again) only
        when the request left the choice open; a pre-selected mode is the application's."""
        params = dict(request.query_params.items())
        try:
            with services.uow() as uow:
                app, validated = validate(uow, params)
        except AuthorizeError as exc:
            if not exc.redirectable:
                return error_page(request, "This link cannot be used", exc.description, 400)
            return redirect_with(
                params["redirect_uri"], error=exc.error, error_description=exc.description, state=params.get("state")
            )
        data = {"request": validated.to_dict(), "chooser": validated.access_mode is None}
        flow = cls(secrets.token_urlsafe(12), data, app)
        flow.save(request)
        return flow.page()

    @classmethod
    def stored(cls, request: Request) -> dict[str, Any]:
        return dict(request.session.get(cls.session_key) or {})

    def save(self, request: Request, **changes: Any) -> None:
        self.data.update(changes)
        self.data["request"] = self.request.to_dict()
        flows = self.stored(request)
        flows.pop(self.id, None)
        flows[self.id] = self.data
        while len(flows) > self.max_flows:
            flows.pop(next(iter(flows)))
        request.session[self.session_key] = flows

    def back_to_chooser(self, request: Request) -> None:
        """Forget the mode, the provider and every step after them, where the person may choose."""
        if self.chooser_offered:
            self.request = self.request.cleared()
            self.data = {"request": self.request.to_dict(), "chooser": True}
            self.save(request)

    def end(self, request: Request) -> None:
        flows = self.stored(request)
        flows.pop(self.id, None)
        request.session[self.session_key] = flows

    def page(self) -> RedirectResponse:
        return RedirectResponse(f"{self.path}/{self.id}", status_code=303)

    @classmethod
    def load(cls, flow_id: str, request: Request, uow: Any) -> "SessionFlow":
        data = cls.stored(request).get(flow_id)
        if data is None:
            raise EXPIRED
        app = uow.applications.by_client_id(data["request"]["client_id"])
        if app is None:
            raise EXPIRED
        return cls(flow_id, data, app)
