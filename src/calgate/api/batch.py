# SPDX-License-Identifier: Apache-2.0
"""POST /v1/batch (wire notes §4.7): up to 50 event and available period upserts and deletes
in one request.

``{"batch": [{"method": "POST"|"DELETE", "relative_url": "/v1/calendars/{calendar_id}/events"
or "/v1/available_periods", "data": {...}}]}``. Each entry runs on its own, in its own
transaction, through the same domain functions as POST and DELETE on that URL, so one failing
entry leaves the others standing. The answer is 207 with one result per entry, in the
request's order: ``{"status": 202}`` on success (pycronofy and Ruby count only x02 statuses as success, wire
notes §1.4), otherwise the status and body the single endpoint would have answered with.
Other URLs answer 404 in their entry, other methods 405.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.api.errors import forbidden_body, json_response, not_found_body, validation_body
from calgate.api.params import boolean, text
from calgate.domain import events, managed_availability
from calgate.domain.authorization import Caller
from calgate.domain.errors import Forbidden, NotFound, ValidationFailed
from calgate.domain.model import utcnow
from calgate.domain.ports import UnitOfWork
from calgate.services import Services

router = APIRouter(prefix="/v1")
log = logging.getLogger(__name__)
MULTI_STATUS = 207
MAX_ENTRIES = 50

# An operation gets the relative URL's path parameters (unquoted) and the entry's data.
Operation = Callable[[UnitOfWork, Caller, dict[str, str], dict[str, Any], dt.datetime], None]


def _upsert(uow: UnitOfWork, caller: Caller, path: dict[str, str], data: dict[str, Any], now: dt.datetime) -> None:
    events.upsert(uow, caller, path["calendar_id"], events.EventInput.from_params(data), now)


def _delete(uow: UnitOfWork, caller: Caller, path: dict[str, str], data: dict[str, Any], now: dt.datetime) -> None:
    events.delete(uow, caller, path["calendar_id"], text(data, "event_id"), now, event_uid=text(data, "event_uid"))


def _upsert_period(uow: UnitOfWork, caller: Caller, path: dict[str, str], data: dict[str, Any], now: dt.datetime) -> None:
    managed_availability.upsert_period(uow, caller, managed_availability.PeriodInput.from_params(data), now)


def _delete_period(uow: UnitOfWork, caller: Caller, path: dict[str, str], data: dict[str, Any], now: dt.datetime) -> None:
    managed_availability.delete_periods(uow, caller, text(data, "available_period_id"), boolean(data, "delete_all"))


_OPERATIONS: list[tuple[re.Pattern[str], dict[str, Operation]]] = [
    (re.compile(r"^/v1/calendars/(?P<calendar_id>[^/]+)/events/?$"), {"POST": _upsert, "DELETE": _delete}),
    (re.compile(r"^/v1/available_periods/?$"), {"POST": _upsert_period, "DELETE": _delete_period}),
]


@router.post("/batch")
def batch(params: Params, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    entries = params.get("batch")
    if not isinstance(entries, list) or not entries:
        raise ValidationFailed.single("batch", "required", "batch must be a list of 1 to 50 entries")
    if len(entries) > MAX_ENTRIES:
        raise ValidationFailed.single("batch", "too_long", f"batch can hold at most {MAX_ENTRIES} entries")
    return json_response({"batch": [_run(services, caller, entry) for entry in entries]}, MULTI_STATUS)


def _run(services: Services, caller: Caller, entry: object) -> dict[str, Any]:
    if not isinstance(entry, dict):
        return _failed(ValidationFailed.single("batch", "invalid", "Each batch entry must be an object"))
    relative_url = entry.get("relative_url")
    route = _route(relative_url)
    if route is None:
        return _failed(NotFound(f"batch operation {relative_url!r}"))
    parameters, operations = route
    method = entry.get("method")
    operation = operations.get(method.upper()) if isinstance(method, str) else None
    if operation is None:
        description = f"{method!r} is not allowed on {relative_url}; use POST or DELETE"
        return {"status": 405, "data": {"error": "method_not_allowed", "error_description": description}}
    data = entry.get("data")
    data = {} if data is None or data == [] else data
    if not isinstance(data, dict):
        return _failed(ValidationFailed.single("data", "invalid", "data must be an object"))
    try:
        services.run(lambda uow: operation(uow, caller, parameters, data, utcnow()))
    except (ValidationFailed, NotFound, Forbidden) as exc:
        return _failed(exc)
    except Exception:  # one entry's failure must not hide what the others did
        log.exception("batch entry %s %s failed", method, relative_url)
        return {"status": 500, "data": {"error": "server_error", "error_description": "The entry failed"}}
    return {"status": 202}


def _route(relative_url: object) -> tuple[dict[str, str], dict[str, Operation]] | None:
    """The relative URL's path parameters (unquoted) and the operations it offers."""
    if not isinstance(relative_url, str):
        return None
    path = urlsplit(relative_url).path
    for pattern, operations in _OPERATIONS:
        match = pattern.match(path)
        if match is not None:
            return {name: unquote(value) for name, value in match.groupdict().items()}, operations
    return None


def _failed(exc: ValidationFailed | NotFound | Forbidden) -> dict[str, Any]:
    if isinstance(exc, ValidationFailed):
        return {"status": 422, "data": validation_body(exc)}
    if isinstance(exc, NotFound):
        return {"status": 404, "data": not_found_body(exc)}
    return {"status": 403, "data": forbidden_body(exc)}
