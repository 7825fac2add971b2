# SPDX-License-Identifier: Apache-2.0
"""POST /oauth/token and /oauth/token/revoke (RFC 6749 §4.1.3, §6; RFC 7009).

Client credentials travel in the body (JSON or form); any Authorization header is ignored, as
the SDKs send meaningless ones (wire notes §1.2).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from calgate.api import params as request_params
from calgate.api.deps import ServicesDep
from calgate.api.errors import json_response
from calgate.api.shapes import token_response
from calgate.domain import authorization
from calgate.domain.errors import OAuthError, ValidationFailed
from calgate.domain.model import utcnow

router = APIRouter()
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


# A malformed token request is RFC 6749 §5.2 invalid_request (400), not a 422.
async def _read_params(request: Request) -> dict[str, Any]:
    try:
        return await request_params.read_params(request)
    except ValidationFailed as exc:
        raise OAuthError("invalid_request", str(exc)) from None


def text(params: dict[str, Any], name: str) -> str | None:
    try:
        return request_params.text(params, name)
    except ValidationFailed as exc:
        raise OAuthError("invalid_request", str(exc)) from None


Params = Annotated[dict[str, Any], Depends(_read_params)]


@router.post("/oauth/token")
def token(params: Params, services: ServicesDep) -> JSONResponse:
    grant_type = text(params, "grant_type")
    ttl = services.settings.access_token_ttl
    with services.uow() as uow:
        if grant_type == "authorization_code":
            issued = authorization.exchange_code(
                uow,
                text(params, "client_id"),
                text(params, "client_secret"),
                text(params, "code"),
                text(params, "redirect_uri"),
                text(params, "code_verifier"),
                utcnow(),
                ttl,
            )
        elif grant_type == "refresh_token":
            issued = authorization.refresh(
                uow, text(params, "client_id"), text(params, "client_secret"), text(params, "refresh_token"), utcnow(), ttl
            )
        else:
            raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        account_id = issued.grant.account_id
        account = uow.accounts.get(account_id) if account_id else None
        linking = next((p for p in uow.profiles.of_account(account_id) if p.revoked_at is None), None) if account_id else None
        uow.commit()
    return json_response(token_response(issued, account, linking), headers=NO_STORE)


@router.post("/oauth/token/revoke")
def revoke(params: Params, services: ServicesDep) -> Response:
    with services.uow() as uow:
        authorization.revoke(
            uow,
            text(params, "client_id"),
            text(params, "client_secret"),
            text(params, "token") or text(params, "refresh_token"),
            text(params, "sub"),
            utcnow(),
        )
        uow.commit()
    return Response(status_code=200)
