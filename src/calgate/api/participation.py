# SPDX-License-Identifier: Apache-2.0
"""POST /v1/calendars/{calendar_id}/events/{event_uid}/participation_status (wire notes §4.3):
``{"status": "accepted"|"tentative"|"declined"}``, answered with 202 and no body."""

from __future__ import annotations

from fastapi import APIRouter, Response

from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.api.params import text
from calgate.domain import events
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")
ACCEPTED = 202


@router.post("/calendars/{calendar_id}/events/{event_uid}/participation_status")
def change_participation_status(
    calendar_id: str, event_uid: str, params: Params, caller: CallerDep, services: ServicesDep
) -> Response:
    with services.uow() as uow:
        events.change_participation_status(uow, caller, calendar_id, event_uid, text(params, "status"), utcnow())
        uow.commit()
    return Response(status_code=ACCEPTED)
