# SPDX-License-Identifier: Apache-2.0
"""Dependencies that read like prose: the services, the request's parameters, the caller."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from calgate.api import element_auth
from calgate.domain import applications, authorization, element_tokens, model
from calgate.domain.errors import Unauthenticated
from calgate.domain.model import utcnow
from calgate.services import Services
from calgate.api.params import read_params


def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def bearer_token(request: Request) -> str:
    if element_auth.presented(request) is not None:
        raise element_auth.unreachable(request)  # a route that reaches element tokens read them first
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send the access token as 'Authorization: Bearer <token>'")
    return token.strip()


def get_caller(request: Request, services: Annotated[Services, Depends(get_services)]) -> authorization.Caller:
    element = element_auth.presented(request)
    if element is not None:
        return _element_caller(request, services, element)
    token = bearer_token(request)
    with services.reader() as uow:
        caller = authorization.authenticate(uow, token, utcnow())
    services.limiter.check(caller.application.id)
    return caller


def _element_caller(request: Request, services: Services, token: str) -> authorization.Caller:
    with services.reader() as uow:
        access = element_tokens.authenticate(uow, token, element_auth.origin(request), utcnow())
        caller = element_tokens.account_caller(uow, access, element_auth.operation(request))
    services.limiter.check(caller.application.id)
    return caller


ServicesDep = Annotated[Services, Depends(get_services)]
Params = Annotated[dict[str, Any], Depends(read_params)]
CallerDep = Annotated[authorization.Caller, Depends(get_caller)]


def api_key_application(request: Request, services: ServicesDep, params: Params) -> model.Application:
    """The application whose API key (client secret) the request presents: as ``Authorization:
    Bearer``, or (Ruby's SDK, wire notes §1.2) as ``client_id`` and ``client_secret`` in the body
    when the header is missing or carries no key."""
    body_secret = params.get("client_secret")
    with services.reader() as uow:
        try:
            application = applications.by_api_key(uow, bearer_token(request))
        except Unauthenticated:
            if not isinstance(body_secret, str) or not body_secret:
                raise
            application = applications.by_api_key(uow, body_secret)
            if params.get("client_id") not in (None, application.client_id):
                raise Unauthenticated("client_id and client_secret are not of one application") from None
    services.limiter.check(application.id)
    return application


ApiKeyApplication = Annotated[model.Application, Depends(api_key_application)]
