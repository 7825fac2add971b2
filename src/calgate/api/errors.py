# SPDX-License-Identifier: Apache-2.0
"""One place that turns domain errors into Cronofy's wire shapes (wire notes §6)."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from calgate.api import wire_json
from calgate.domain.errors import (
    Conflict,
    Forbidden,
    MissingScope,
    NotFound,
    OAuthError,
    ProviderUnavailable,
    StoreUnavailable,
    Unauthenticated,
    ValidationFailed,
)

from calgate.rate_limits import RateLimited

JSON_TYPE = "application/json; charset=utf-8"


class FastJSONResponse(JSONResponse):
    """Starlette's JSONResponse, rendered with orjson (``api/wire_json``: the same bytes)."""

    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return wire_json.dumps(content)


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return FastJSONResponse(body, status_code=status, headers=headers, media_type=JSON_TYPE)


def validation_body(exc: ValidationFailed) -> dict[str, object]:
    return {
        "errors": {
            field: [{"key": key, "description": description} for key, description in pairs]
            for field, pairs in exc.errors.items()
        }
    }


def forbidden_body(exc: Forbidden) -> dict[str, object]:
    body: dict[str, object] = {"error": "insufficient_scope", "error_description": exc.description}
    if isinstance(exc, MissingScope):
        body["scope"] = exc.scope
    return body


def not_found_body(exc: NotFound) -> dict[str, object]:
    return {"error": "not_found", "error_description": str(exc)}


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def _no_nul_in_paths(request: Request, call_next: Any) -> Any:
        """No id holds a NUL character (and PostgreSQL cannot look one up): such a path names
        nothing."""
        if "\x00" in request.url.path or "\x00" in request.scope.get("path", ""):
            return json_response({"error": "not_found", "error_description": "Nothing is at this address"}, 404)
        return await call_next(request)

    @app.exception_handler(ValidationFailed)
    async def _validation(_: Request, exc: ValidationFailed) -> JSONResponse:
        return json_response(validation_body(exc), 422)

    @app.exception_handler(Unauthenticated)
    async def _unauthenticated(_: Request, exc: Unauthenticated) -> JSONResponse:
        return json_response(
            {"error": "invalid_token", "error_description": exc.description},
            401,
            {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return json_response(forbidden_body(exc), 403)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return json_response(not_found_body(exc), 404)

    @app.exception_handler(RateLimited)
    async def _rate_limited(_: Request, exc: RateLimited) -> JSONResponse:
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        return json_response({"error": "rate_limited", "error_description": str(exc)}, 429, headers)

    @app.exception_handler(ProviderUnavailable)
    async def _provider_unavailable(_: Request, exc: ProviderUnavailable) -> JSONResponse:
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))} if exc.retry_after else None
        return json_response({"error": "provider_unavailable", "error_description": exc.description}, 503, headers)

    @app.exception_handler(StoreUnavailable)
    async def _store_unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        body = {"error": "service_unavailable", "error_description": str(exc)}
        return json_response(body, 503, {"Retry-After": str(exc.retry_after)})

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return json_response({"error": "conflict", "error_description": "Another request changed the same thing at the same moment; try again"}, 409)

    @app.exception_handler(OAuthError)
    async def _oauth(_: Request, exc: OAuthError) -> JSONResponse:
        return json_response(
            {"error": exc.error, "error_description": exc.description},
            exc.status,
            {"Cache-Control": "no-store", "Pragma": "no-cache"},
        )

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return json_response({"error": _HTTP_ERRORS.get(exc.status_code, "error"), "error_description": str(exc.detail)}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, list[dict[str, str]]] = {}
        for error in exc.errors():
            field = str(error["loc"][-1]) if error.get("loc") else "request"
            errors.setdefault(field, []).append({"key": "errors.invalid", "description": error.get("msg", "invalid")})
        return json_response({"errors": errors}, 422)


_HTTP_ERRORS = {404: "not_found", 405: "method_not_allowed", 401: "invalid_token", 403: "forbidden"}
