# SPDX-License-Identifier: Apache-2.0
"""Enterprise Connect with a service account's token: POST /v1/service_account_authorizations
and GET /v1/resources (wire notes §2.6). The rules are ``domain.service_accounts``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from calgate.api.deps import Params, ServicesDep, bearer_token, get_services
from calgate.api.errors import json_response
from calgate.providers import delegation
from calgate.domain import service_accounts
from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceNotFound, SourceUnavailable
from calgate.domain.errors import Forbidden, ProviderUnavailable
from calgate.domain.model import utcnow
from calgate.services import Services

router = APIRouter(prefix="/v1")
ACCEPTED = 202


def get_service_account(request: Request, services: Annotated[Services, Depends(get_services)]) -> service_accounts.ServiceAccountCaller:
    token = bearer_token(request)
    with services.uow() as uow:
        caller = service_accounts.authenticate(uow, token, utcnow())
    services.limiter.check(caller.application.id)
    return caller


ServiceAccountDep = Annotated[service_accounts.ServiceAccountCaller, Depends(get_service_account)]


@router.post("/service_account_authorizations")
def authorize_people(params: Params, caller: ServiceAccountDep, services: ServicesDep) -> Response:
    requests = service_accounts.read_authorizations(params)
    services.run(lambda uow: service_accounts.request_authorizations(uow, caller, requests))
    return Response(status_code=ACCEPTED)


@router.get("/resources")
def resources(caller: ServiceAccountDep, services: ServicesDep) -> JSONResponse:
    """The organization's rooms and resources, read from its directory now. Credentials that
    do not reach the directory are a 403 saying what to grant; an unreachable provider a 503."""
    caller.require(*service_accounts.RESOURCE_SCOPES)
    service_account = caller.service_account
    organization = json.loads(services.box.open(service_account.credentials_sealed))
    try:
        found = delegation.resources(services.providers, service_account.provider, organization, service_account.email)
    except (SourceAuthFailed, SourceNotFound) as exc:  # not granted, or the administrator left
        raise Forbidden(str(exc)) from None
    except SourceUnavailable as exc:
        raise ProviderUnavailable(str(exc), exc.retry_after) from None
    except SourceError as exc:
        raise ProviderUnavailable(f"The provider could not list resources: {exc}", None) from None
    return json_response({"resources": [{"email": email, "name": name} for email, name in found]})
