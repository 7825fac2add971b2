# SPDX-License-Identifier: Apache-2.0
"""POST /v1/batch (wire notes §4.7): up to 50 event upserts and deletes in one request.

``{"batch": [{"method": "POST"|"DELETE", "relative_url": "/v1/calendars/{calendar_id}/events",
"data": {...}}]}``. Each entry runs on its own, in its own transaction, through the same domain
functions as POST and DELETE /v1/calendars/{calendar_id}/events, so one failing entry leaves
the others standing. The answer is 207 with one result per entry, in the request's order:
``{"status": 202}`` on success (pycronofy and Ruby count only x02 statuses as success, wire
notes §1.4), otherwise the status and body the single endpoint would have answered with.
Other operations (available periods, …) answer 404 in their entry, other methods 405.
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
from calgate.api.params import text
from calgate.domain import events
from calgate.domain.authorization import Caller
from calgate.domain.errors import Forbidden, NotFound, ValidationFailed
from calgate.domain.model import utcnow
from calgate.domain.ports import UnitOfWork
from calgate.services import Services

router = APIRouter(prefix="/v1")
log = logging.getLogger(__name__)
MULTI_STATUS = 207
MAX_ENTRIES = 50
_EVENTS_PATH = re.compile(r"^/v1/calendars/(?P<calendar_id>[^/]+)/events/?$")

Operation = Callable[[UnitOfWork, Caller, str, dict[str, Any], dt.datetime], None]


def _upsert(uow: UnitOfWork, caller: Caller, calendar_id: str, data: dict[str, Any], now: dt.datetime) -> None:
    events.upsert(uow, caller, calendar_id, events.EventInput.from_params(data), now)


def _delete(uow: UnitOfWork, caller: Caller, calendar_id: str, data: dict[str, Any], now: dt.datetime) -> None:
    events.delete(uow, caller, calendar_id, text(data, "event_id"), now)


_OPERATIONS: dict[str, Operation] = {"POST": _upsert, "DELETE": _delete}


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
    match = _EVENTS_PATH.match(urlsplit(relative_url).path) if isinstance(relative_url, str) else None
    if match is None:
        return _failed(NotFound(f"batch operation {relative_url!r}"))
    method = entry.get("method")
    operation = _OPERATIONS.get(method.upper()) if isinstance(method, str) else None
    if operation is None:
        description = f"{method!r} is not allowed on {relative_url}; use POST or DELETE"
        return {"status": 405, "data": {"error": "method_not_allowed", "error_description": description}}
    data = entry.get("data")
    data = {} if data is None or data == [] else data
    if not isinstance(data, dict):
        return _failed(ValidationFailed.single("data", "invalid", "data must be an object"))
    try:
        calendar_id = unquote(match["calendar_id"])
        services.run(lambda uow: operation(uow, caller, calendar_id, data, utcnow()))
    except (ValidationFailed, NotFound, Forbidden) as exc:
        return _failed(exc)
    except Exception:  # one entry's failure must not hide what the others did
        log.exception("batch entry %s %s failed", method, relative_url)
        return {"status": 500, "data": {"error": "server_error", "error_description": "The entry failed"}}
    return {"status": 202}


def _failed(exc: ValidationFailed | NotFound | Forbidden) -> dict[str, Any]:
    if isinstance(exc, ValidationFailed):
        return {"status": 422, "data": validation_body(exc)}
    if isinstance(exc, NotFound):
        return {"status": 404, "data": not_found_body(exc)}
    return {"status": 403, "data": forbidden_body(exc)}
