"""Shared by the element token tests: issue tokens over HTTP with the API key, present them as
Cronofy's UI Elements do (``?et=``, an ``Origin`` header, no ``Authorization``)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import Connected, bearer
from tests.support.factories import AppCredentials

ORIGIN = "http://localhost:3000"


def issue(calgate: Any, creds: AppCredentials, **body: Any) -> httpx.Response:
    """POST /v1/element_tokens with the application's API key."""
    return httpx.post(f"{calgate.url}/v1/element_tokens", json=body, headers=bearer(creds.client_secret))


def token(calgate: Any, creds: AppCredentials, permissions: list[str], subs: list[str], origin: str = ORIGIN) -> str:
    response = issue(calgate, creds, version="1", permissions=permissions, subs=subs, origin=origin)
    assert response.status_code == 200, response.text
    return str(response.json()["element_token"]["token"])


def agenda_token(calgate: Any, person: Connected) -> str:
    return token(calgate, person.creds, ["agenda"], [person.account_id])


def present(
    calgate: Any, method: str, path: str, element_token: str, origin: str | None = ORIGIN, json: Any = None, **params: Any
) -> httpx.Response:
    """A request as an Element sends it: the token in ``et``, the page's Origin."""
    headers = {"Cronofy-Element": "v1.67.7, agenda"}
    if origin is not None:
        headers["Origin"] = origin
    return httpx.request(method, f"{calgate.url}{path}", params={**params, "et": element_token}, json=json, headers=headers)


def refused(response: httpx.Response, status: int) -> str:
    """The status and a JSON error body with a description; returns the description."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["error"] == {401: "invalid_token", 403: "insufficient_scope"}[status], body
    return str(body["error_description"])


def error_keys(response: httpx.Response, field: str) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["key"] for e in response.json()["errors"][field]]
