# SPDX-License-Identifier: Apache-2.0
"""Writing managed events: POST and DELETE /v1/calendars/{calendar_id}/events, DELETE
/v1/events (wire notes §4.3). Each answers 202 with an empty body."""

from __future__ import annotations

from fastapi import APIRouter, Response

from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.api.params import boolean, text
from calgate.domain import events
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")
ACCEPTED = 202


@router.post("/calendars/{calendar_id}/events")
def upsert_event(calendar_id: str, params: Params, caller: CallerDep, services: ServicesDep) -> Response:
    command = events.EventInput.from_params(params)
    services.run(lambda uow: events.upsert(uow, caller, calendar_id, command, utcnow()))
    return Response(status_code=ACCEPTED)


@router.delete("/calendars/{calendar_id}/events")
def delete_event(calendar_id: str, params: Params, caller: CallerDep, services: ServicesDep) -> Response:
    with services.uow() as uow:
        events.delete(uow, caller, calendar_id, text(params, "event_id"), utcnow(), event_uid=text(params, "event_uid"))
        uow.commit()
    return Response(status_code=ACCEPTED)


@router.delete("/events")
def bulk_delete(params: Params, caller: CallerDep, services: ServicesDep) -> Response:
    calendar_ids = params.get("calendar_ids")
    if calendar_ids is not None and not (isinstance(calendar_ids, list) and all(isinstance(c, str) for c in calendar_ids)):
        raise ValidationFailed.single("calendar_ids", "invalid", "calendar_ids must be a list of calendar ids")
    with services.uow() as uow:
        events.delete_all(uow, caller, boolean(params, "delete_all"), calendar_ids, utcnow())
        uow.commit()
    return Response(status_code=ACCEPTED)
