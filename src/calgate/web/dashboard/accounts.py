# SPDX-License-Identifier: Apache-2.0
"""Developer accounts: sign up, sign in, sign out (passwords are argon2id, domain/developers)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calgate.api.deps import ServicesDep
from calgate.domain import developers
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import utcnow
from calgate.web.pages import FormDep
from calgate.web.dashboard._session import (
    HOME,
    DeveloperDep,
    notify,
    page,
    redirect,
    start_session,
    to_sign_in,
)
from calgate.web.pages import field_errors

router = APIRouter()


def _typed(form: dict[str, str]) -> dict[str, str]:
    """What to put back in the form after a mistake: never the password."""
    return {"email": form.get("email", "")}


@router.get("/dashboard/sign-up")
def sign_up_page(request: Request, developer: DeveloperDep) -> Response:
    if developer is not None:
        return redirect(HOME)
    return page(request, "sign_up.html", None, form={}, min_length=developers.MIN_PASSWORD_LENGTH)


@router.post("/dashboard/sign-up")
def sign_up(request: Request, form: FormDep, services: ServicesDep) -> Response:
    try:
        with services.uow() as uow:
            developer = developers.sign_up(uow, form.get("email", ""), form.get("password", ""))
            uow.commit()
    except ValidationFailed as exc:
        return page(
            request,
            "sign_up.html",
            None,
            status=422,
            form=_typed(form),
            errors=field_errors(exc),
            min_length=developers.MIN_PASSWORD_LENGTH,
        )
    start_session(request, developer)
    return redirect(HOME)


@router.get("/dashboard/sign-in")
def sign_in_page(request: Request, developer: DeveloperDep) -> Response:
    if developer is not None:
        return redirect(HOME)
    return page(request, "sign_in.html", None, form={})


@router.post("/dashboard/sign-in")
def sign_in(request: Request, form: FormDep, services: ServicesDep) -> Response:
    try:
        with services.uow() as uow:
            developer = developers.sign_in(uow, form.get("email", ""), form.get("password", ""), utcnow())
            uow.commit()
    except ValidationFailed as exc:
        return page(request, "sign_in.html", None, status=422, form=_typed(form), errors=field_errors(exc))
    start_session(request, developer)
    return redirect(HOME)


@router.post("/dashboard/sign-out")
def sign_out(request: Request, _: FormDep, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is not None:
        with services.uow() as uow:
            developers.sign_out_everywhere(uow, developer.id)
            uow.commit()
    request.session.clear()
    notify(request, "You are signed out.")
    return to_sign_in()
