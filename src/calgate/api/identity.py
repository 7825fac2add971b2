# SPDX-License-Identifier: Apache-2.0
"""GET /v1/account, /v1/userinfo, /v1/profiles and POST /v1/profiles/{id}/revoke."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from calgate.api import shapes
from calgate.api.deps import CallerDep, ServicesDep, bearer_token
from calgate.api.errors import json_response
from calgate.domain import accounts, authorization, scopes, service_accounts
from calgate.domain.model import utcnow

router = APIRouter(prefix="/v1")


@router.get("/account")
def account(caller: CallerDep) -> JSONResponse:
    caller.require(scopes.READ_ACCOUNT)
    a = caller.account
    return json_response(
        {
            "account": {
                "account_id": a.id,
                "email": a.email,
                "name": a.name,
                "scope": caller.grant.scope,
                "default_tzid": a.default_tzid,
                "access_mode": caller.grant.access_mode,
            },
            "sub": a.id,
        }
    )


@router.get("/userinfo")
def userinfo(request: Request, services: ServicesDep) -> JSONResponse:
    """An account's, an application calendar's, or (Enterprise Connect) a service account's."""
    token = bearer_token(request)
    with services.uow() as uow:
        found = authorization.token_context(uow, token, utcnow())
        assert found.grant is not None  # token_context checked it
        if found.grant.account_id is None:
            return json_response(service_accounts.userinfo(service_accounts.caller_of(found)))
        caller = authorization.caller_of(found)
    return _account_userinfo(caller, services)


def _account_userinfo(caller: authorization.Caller, services: ServicesDep) -> JSONResponse:
    caller.require(scopes.READ_ACCOUNT)
    with services.uow() as uow:
        views = accounts.profiles(uow, caller)
    a = caller.account
    data = {
        "authorization": {
            "scope": caller.grant.scope,
            "status": "active",
            "access_mode": caller.grant.access_mode,
        },
        "profiles": [
            {
                **shapes.profile(v.profile, services.settings.public_url),
                "profile_calendars": [shapes.calendar(c, v.profile, with_profile=False) for c in v.calendars],
            }
            for v in views
        ],
        "conferencing_profiles": [],
    }
    if a.is_application_calendar:
        # wire notes §2.7; its email address is a placeholder, so none is shown
        application_calendar = {"application_calendar_id": a.application_calendar_id}
        return json_response(
            {
                "sub": a.id,
                "application_calendar_id": a.application_calendar_id,
                "zoneinfo": a.default_tzid,
                "cronofy.type": "application_calendar",
                "cronofy.data": {"application_calendar": application_calendar, **data},
            }
        )
    return json_response(
        {
            "sub": a.id,
            "email": a.email,
            "name": a.name,
            "zoneinfo": a.default_tzid,
            "cronofy.type": "account",
            "cronofy.data": data,
        }
    )


@router.get("/profiles")
def list_profiles(caller: CallerDep, services: ServicesDep) -> JSONResponse:
    caller.require(scopes.LIST_CALENDARS)
    with services.uow() as uow:
        views = accounts.profiles(uow, caller)
    return json_response({"profiles": [shapes.profile(v.profile, services.settings.public_url) for v in views]})


@router.post("/profiles/{profile_id}/revoke")
def revoke_profile(profile_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    with services.uow() as uow:
        accounts.revoke_profile(uow, caller, profile_id, utcnow())
        uow.commit()
    return Response(status_code=202)
