# SPDX-License-Identifier: Apache-2.0
"""POST and DELETE /v1/calendars/{calendar_id}/ics_subscription: calgate's extension that
publishes a hosted calendar as a secret ``.ics`` URL (``domain.subscriptions``; the feed itself
is served by ``web.ics``)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from calgate.api.deps import CallerDep, ServicesDep
from calgate.api.errors import json_response
from calgate.domain import subscriptions
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")


@router.post("/calendars/{calendar_id}/ics_subscription")
def create_ics_subscription(calendar_id: str, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    with services.uow() as uow:
        token = subscriptions.create(uow, caller, calendar_id, utcnow())
        uow.commit()
    url = f"{services.settings.public_url}/ics/{token}.ics"
    return json_response({"ics_subscription": {"calendar_id": calendar_id, "url": url}})


@router.delete("/calendars/{calendar_id}/ics_subscription")
def revoke_ics_subscription(calendar_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    with services.uow() as uow:
        subscriptions.revoke(uow, caller, calendar_id, utcnow())
        uow.commit()
    return Response(status_code=202)
