# SPDX-License-Identifier: Apache-2.0
"""What every dashboard page shares: the signed-in developer, one-shot notices, rendering."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from calgate.api.deps import ServicesDep
from calgate.domain import applications
from calgate.domain.errors import NotFound
from calgate.domain.model import Application, Developer
from calgate.services import Services
from calgate.web.pages import PageError, render

SIGN_IN = "/dashboard/sign-in"
HOME = "/dashboard"


def current_developer(request: Request, services: ServicesDep) -> Developer | None:
    """The developer this session belongs to, or None when signed out."""
    developer_id = request.session.get("developer_id")
    if not developer_id:
        return None
    with services.uow() as uow:
        developer = uow.developers.get(str(developer_id))
    if developer is None or request.session.get("epoch") != developer.session_epoch:
        # the account is gone, or the developer signed out since (this may be a copied cookie)
        request.session.pop("developer_id", None)
        return None
    return developer


DeveloperDep = Annotated[Developer | None, Depends(current_developer)]


def start_session(request: Request, developer: Developer) -> None:
    """Begin a signed-in session. Clearing first means a session planted before sign-in (and
    its CSRF token) is never promoted (session fixation)."""
    request.session.clear()
    request.session["developer_id"] = developer.id
    request.session["epoch"] = developer.session_epoch


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def to_sign_in() -> RedirectResponse:
    return redirect(SIGN_IN)


def notify(request: Request, message: str) -> None:
    """A notice shown once, on the next dashboard page (post/redirect/get)."""
    request.session["notice"] = message


def page(
    request: Request, template: str, developer: Developer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    notice = request.session.pop("notice", None)
    return render(request, f"dashboard/{template}", status=status, developer=developer, notice=notice, **context)


def owned_application(services: Services, developer: Developer, application_id: str) -> Application:
    """The developer's application, else the 404 page: the same for someone else's application
    as for an id that does not exist, so ids reveal nothing."""
    try:
        with services.uow() as uow:
            return applications.owned(uow, developer.id, application_id)
    except NotFound:
        raise PageError("Application not found", "There is no such application in your account.", 404) from None
