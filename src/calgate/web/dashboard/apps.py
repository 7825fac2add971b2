# SPDX-License-Identifier: Apache-2.0
"""A developer's applications: list, register, edit, rotate the client secret, access-mode features.

Only the owner sees an application (``applications.owned``); anyone else gets the same 404 as
for an id that does not exist, so ids reveal nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from calgate.api.deps import ServicesDep
from calgate.domain import access_modes, applications, scopes
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.model import Application, Developer
from calgate.services import Services
from calgate.web.pages import FormDep
from calgate.web.dashboard._session import DeveloperDep, notify, page, redirect, to_sign_in
from calgate.web.pages import error_page, field_errors

router = APIRouter()

FEATURE_LABELS = access_modes.FEATURE_LABELS
ROTATED = (
    "A new client secret was made. The old one stopped working immediately: "
    "update every place your application uses it."
)


def feature_toggles() -> list[dict[str, str]]:
    return [
        {"name": name, "label": FEATURE_LABELS[name], "explanation": policy.explanation}
        for name, policy in access_modes.FEATURES.items()
    ]


def _feature_context() -> dict[str, Any]:
    return {"features": feature_toggles(), "feature_labels": FEATURE_LABELS, "read_write": access_modes.READ_WRITE}


def deep_link(public_url: str, app: Application, mode: access_modes.AccessModePolicy) -> str:
    """An authorization link that opens Individual Connect straight in ``mode``."""
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uris[0],
        "scope": scopes.FREE_BUSY_WRITE,
        "state": "STATE",
        "access_mode": mode.name,
    }
    return f"{public_url}/oauth/authorize?{urlencode(query)}"


def _posted(form: dict[str, str]) -> tuple[str, list[str], set[str]]:
    """Name, redirect URIs (one per line) and the features ticked in an application form."""
    features = {name for name in access_modes.FEATURES if form.get(f"feature_{name}")}
    return form.get("name", ""), form.get("redirect_uris", "").splitlines(), features


def _values(name: str, redirect_uris: list[str], features: set[str]) -> dict[str, Any]:
    return {"name": name, "redirect_uris": "\n".join(redirect_uris), "features": features}


def _not_found(request: Request) -> HTMLResponse:
    return error_page(
        request, "Application not found", "There is no such application in your account.", 404
    )


def _app_page(
    request: Request, services: Services, developer: Developer, application_id: str, status: int = 200, **typed: Any
) -> Response:
    """The application page; ``typed`` (form, errors) carries what was typed after a mistake."""
    try:
        with services.uow() as uow:
            app = applications.owned(uow, developer.id, application_id)
    except NotFound:
        return _not_found(request)
    links = [(mode, deep_link(services.settings.public_url, app, mode)) for mode in app.offered_modes()]
    typed.setdefault("form", _values(app.name, app.redirect_uris, app.features))
    return page(
        request,
        "app.html",
        developer,
        status=status,
        app=app,
        client_secret=applications.reveal_secret(app, services.box),
        deep_links=links,
        **_feature_context(),
        **typed,
    )


@router.get("/dashboard")
def app_list(request: Request, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    with services.uow() as uow:
        apps = uow.applications.of_developer(developer.id)
    return page(request, "apps.html", developer, apps=apps, feature_labels=FEATURE_LABELS)


@router.get("/dashboard/apps/new")
def new_app_page(request: Request, developer: DeveloperDep) -> Response:
    if developer is None:
        return to_sign_in()
    return page(request, "app_new.html", developer, form=_values("", [], set()), **_feature_context())


@router.post("/dashboard/apps/new")
def create_app(request: Request, form: FormDep, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    name, redirect_uris, features = _posted(form)
    try:
        with services.uow() as uow:
            app, _ = applications.create(uow, services.box, developer.id, name, redirect_uris, features)
            uow.commit()
    except ValidationFailed as exc:
        values = _values(name, redirect_uris, features)
        return page(
            request, "app_new.html", developer, 422, form=values, errors=field_errors(exc), **_feature_context()
        )
    notify(request, f"{app.name} is registered. Its client secret is below; keep it on your server only.")
    return redirect(f"/dashboard/apps/{app.id}")


@router.get("/dashboard/apps/{application_id}")
def app_page(application_id: str, request: Request, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    return _app_page(request, services, developer, application_id)


@router.post("/dashboard/apps/{application_id}")
def save_app(
    application_id: str, request: Request, form: FormDep, developer: DeveloperDep, services: ServicesDep
) -> Response:
    if developer is None:
        return to_sign_in()
    name, redirect_uris, features = _posted(form)
    try:
        with services.uow() as uow:
            app = applications.owned(uow, developer.id, application_id)
            applications.update(app, name, redirect_uris, features)
            uow.commit()
    except NotFound:
        return _not_found(request)
    except ValidationFailed as exc:
        values = _values(name, redirect_uris, features)
        return _app_page(request, services, developer, application_id, 422, form=values, errors=field_errors(exc))
    notify(request, "Saved.")
    return redirect(f"/dashboard/apps/{application_id}")


@router.post("/dashboard/apps/{application_id}/rotate-secret")
def rotate_secret(
    application_id: str, request: Request, _: FormDep, developer: DeveloperDep, services: ServicesDep
) -> Response:
    if developer is None:
        return to_sign_in()
    try:
        with services.uow() as uow:
            app = applications.owned(uow, developer.id, application_id)
            applications.rotate_secret(app, services.box)
            uow.commit()
    except NotFound:
        return _not_found(request)
    notify(request, ROTATED)
    return redirect(f"/dashboard/apps/{application_id}")
