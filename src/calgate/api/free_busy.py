# SPDX-License-Identifier: Apache-2.0
"""Free/Busy: GET /v1/free_busy and its pages (wire notes §4.3, §5). Entries carry no text:
calendar, start, end and ``free_busy_status``, plus ``event_uid``/``event_id`` for the
application's own events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from calgate.api import reads as wire
from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.domain import free_busy, reads

router = APIRouter(prefix="/v1")


@router.get("/free_busy")
def read_free_busy(request: Request, params: Params, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    return wire.respond(services, caller, wire.query(request, params), free_busy.read_free_busy, "free_busy", _shape)


@router.get("/free_busy/pages/{token}")
def read_free_busy_page(token: str, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    # Query parameters are ignored: the Node SDK repeats the first request's options here.
    cursor = wire.open_cursor(services.settings, reads.FREE_BUSY, token)
    return wire.respond(services, caller, cursor, free_busy.read_free_busy, "free_busy", _shape)


def _shape(block: reads.Block, query: reads.Query) -> dict[str, Any]:
    return _block(block, query.localized_times)


def _block(block: reads.Block, localized: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "calendar_id": block.calendar_id,
        "start": wire.event_time(block.start, localized),
        "end": wire.event_time(block.end, localized),
        "free_busy_status": block.status,
    }
    if block.event_uid is not None:
        body.update(event_uid=block.event_uid, event_id=block.event_id)
    return body
