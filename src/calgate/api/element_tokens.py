# SPDX-License-Identifier: Apache-2.0
"""POST /v1/element_tokens (docs.cronofy.com /developers/ui-elements/authentication; wire
notes §4.8): ``Authorization: Bearer`` with the application's API key (its client secret), body
``{version: "1", permissions, subs, origin}``; answers ``200 {"element_token": {permissions,
origin, token, expires_in}}``. What a token may do is ``domain/element_tokens``; how a request
presents one is ``api/element_auth``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from calgate.api.deps import ApiKeyApplication, Params, ServicesDep
from calgate.api.errors import json_response
from calgate.domain import element_tokens
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")


@router.post("/element_tokens")
def create_element_token(application: ApiKeyApplication, params: Params, services: ServicesDep) -> JSONResponse:
    asked = element_tokens.parse(params)
    issued = services.run(lambda uow: element_tokens.issue(uow, application, asked, utcnow()))
    return json_response(
        {
            "element_token": {
                "permissions": list(issued.element_token.permissions),
                "origin": issued.element_token.origin,
                "token": issued.token,
                "expires_in": issued.expires_in,
            }
        }
    )
