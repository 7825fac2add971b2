# SPDX-License-Identifier: Apache-2.0
"""Page plumbing shared by the connect flow and the dashboard: templates, CSRF, error pages.

CSRF: a random token lives in the signed session cookie; every form carries it in a hidden
``csrf_token`` field and every POST handler checks it (``check_csrf``) before doing anything.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from calgate.domain.errors import StoreUnavailable, ValidationFailed

HERE = Path(__file__).parent
# Paths whose answers are pages (people read them), not the API's JSON.
PAGE_PREFIXES = ("/dashboard", "/oauth/authorize", "/oauth/connect", "/oauth/relink", "/enterprise_connect", "/rts/")
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["utc"] = dt.timezone.utc  # the week views print instants in UTC for tests


def human_duration(value: dt.timedelta | None) -> str:
    """``42 s``, ``7 min``, ``3 h 05 min``, ``2 d 4 h``: how long, at a glance."""
    if value is None:
        return "never"
    seconds = int(value.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


templates.env.filters["duration"] = human_duration


class CsrfFailed(Exception):
    pass


class PageError(Exception):
    """Raised by a page handler to answer with the error page instead."""

    def __init__(self, title: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def form_data(request: Request) -> dict[str, str]:
    """The POSTed form as a plain dict, after the CSRF check."""
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    expected = request.session.get("csrf") or ""
    if not expected or not secrets.compare_digest(sent.encode(), str(expected).encode()):
        raise CsrfFailed()
    # A NUL character is no text anyone types, and PostgreSQL cannot store one: it is dropped.
    return {key.replace("\x00", ""): str(value).replace("\x00", "") for key, value in form.multi_items() if isinstance(value, str)}


# The POSTed form after the CSRF check; a failed check becomes the 403 page (install below).
FormDep = Annotated[dict[str, str], Depends(form_data)]


def form_list(request_form: Any, name: str) -> list[str]:
    return [str(v) for v in request_form.getlist(name)]


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("errors", {})
    return templates.TemplateResponse(request, template, {"csrf_token": csrf_token(request), **context}, status_code=status)


def field_errors(exc: ValidationFailed) -> dict[str, str]:
    return {field: "; ".join(description for _, description in pairs) for field, pairs in exc.errors.items()}


def error_page(request: Request, title: str, message: str, status: int = 400) -> HTMLResponse:
    return render(request, "error.html", status=status, title=title, message=message)


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> HTMLResponse:
        return error_page(request, exc.title, exc.message, exc.status)

    api_store_unavailable = app.exception_handlers.get(StoreUnavailable)

    @app.exception_handler(StoreUnavailable)
    async def _store_unavailable(request: Request, exc: StoreUnavailable) -> Response:
        """A page says it in words; the API (``api/errors``) answers its JSON 503."""
        if api_store_unavailable is not None and not request.url.path.startswith(PAGE_PREFIXES):
            return await api_store_unavailable(request, exc)
        page = error_page(request, "calgate is briefly unavailable", "Its database is not answering. Try again in a moment.", 503)
        page.headers["Retry-After"] = str(exc.retry_after)
        return page

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _: CsrfFailed) -> HTMLResponse:
        return error_page(
            request,
            "This form has expired",
            "The page was open too long or came from somewhere else. Go back, reload it and try again.",
            403,
        )
