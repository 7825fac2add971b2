# SPDX-License-Identifier: Apache-2.0
"""GET and POST /v1/calendars (wire notes §4.2)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from calgate.api import shapes
from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.api.errors import json_response
from calgate.api.params import text
from calgate.domain import accounts, scopes

router = APIRouter(prefix="/v1")


@router.get("/calendars")
def list_calendars(caller: CallerDep, services: ServicesDep) -> JSONResponse:
    caller.require(scopes.LIST_CALENDARS)
    with services.uow() as uow:
        views = accounts.profiles(uow, caller)
    return json_response(
        {"sub": caller.account.id, "calendars": [shapes.calendar(c, v.profile) for v in views for c in v.calendars]}
    )


@router.post("/calendars")
def create_calendar(params: Params, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    with services.uow() as uow:
        profile, calendar = accounts.create_calendar(
            uow, caller, text(params, "profile_id"), text(params, "name"), text(params, "color")
        )
        uow.commit()
    return json_response({"calendar": shapes.calendar(calendar, profile)})
