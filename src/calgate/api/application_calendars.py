# SPDX-License-Identifier: Apache-2.0
"""POST /v1/application_calendars (wire notes §2.7).

Client credentials and ``application_calendar_id`` travel in the body (JSON or form, Ruby
sends a form); any Authorization header is ignored, as on ``/oauth/token`` (wire notes §1.2).
Bad client credentials answer as the token endpoint does (400 ``invalid_client``); a missing or
invalid ``application_calendar_id`` is a 422 field error.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from calgate.api.deps import Params, ServicesDep
from calgate.api.errors import json_response
from calgate.api.oauth import NO_STORE
from calgate.api.params import text
from calgate.api.shapes import token_response
from calgate.domain import application_calendars
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")


@router.post("/application_calendars")
def application_calendar(params: Params, services: ServicesDep) -> JSONResponse:
    authorized = services.run(
        lambda uow: application_calendars.authorize(
            uow,
            text(params, "client_id"),
            text(params, "client_secret"),
            params.get("application_calendar_id"),
            utcnow(),
            services.settings.access_token_ttl,
        )
    )
    body = token_response(authorized.tokens, authorized.account, authorized.profile)
    return json_response(body, headers=NO_STORE)
