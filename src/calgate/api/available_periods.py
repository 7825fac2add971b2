# SPDX-License-Identifier: Apache-2.0
"""Available Periods: POST, GET (and its pages) and DELETE /v1/available_periods (wire notes
§4.6, §5). Writes answer 202 with an empty body; reads page like Read Events (``api.reads``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from calgate.api import reads as wire
from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.api.errors import json_response
from calgate.api.params import boolean, text
from calgate.domain import managed_availability, model, reads, times
from calgate.domain.authorization import Caller
from calgate.domain.model import utcnow
from calgate.services import Services

router = APIRouter(prefix="/v1")
ACCEPTED = 202


@router.post("/available_periods")
def upsert_available_period(params: Params, caller: CallerDep, services: ServicesDep) -> Response:
    command = managed_availability.PeriodInput.from_params(params)
    services.run(lambda uow: managed_availability.upsert_period(uow, caller, command, utcnow()))
    return Response(status_code=ACCEPTED)


@router.get("/available_periods")
def read_available_periods(params: Params, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    query = managed_availability.period_query(params, boolean(params, "localized_times"), utcnow())
    return _page(query, caller, services)


@router.get("/available_periods/pages/{token}")
def read_available_periods_page(token: str, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    # Query parameters are ignored: the Node SDK repeats the first request's options here.
    return _page(wire.open_cursor(services.settings, reads.AVAILABLE_PERIODS, token), caller, services)


@router.delete("/available_periods")
@router.delete("/available_periods/", include_in_schema=False)  # PHP's deleteAvailablePeriod
def delete_available_periods(params: Params, caller: CallerDep, services: ServicesDep) -> Response:
    period_id, delete_all = text(params, "available_period_id"), boolean(params, "delete_all")
    services.run(lambda uow: managed_availability.delete_periods(uow, caller, period_id, delete_all))
    return Response(status_code=ACCEPTED)


def _page(request: reads.Query | reads.Cursor, caller: Caller, services: Services) -> JSONResponse:
    settings = services.settings
    with services.uow() as uow:
        page = managed_availability.read_periods(uow, caller, request, settings.page_size, utcnow())
    localized = page.cursor.query.localized_times
    return json_response(
        {"pages": wire.pages(settings, page), "available_periods": [_period(p, localized) for p in page.items]}
    )


def _period(period: model.AvailablePeriod, localized: bool) -> dict[str, Any]:
    return {
        "available_period_id": period.available_period_id,
        "start": wire.event_time(times.EventTime(period.start_at, period.tzid), localized),
        "end": wire.event_time(times.EventTime(period.end_at, period.tzid), localized),
    }
