"""Shared by the Availability tests: people with hosted calendars, events over HTTP, queries
over HTTP with the application's API key or an account's access token."""

from __future__ import annotations

from typing import Any

import httpx

from tests.integration.api._read_events import connect, upsert
from tests.support.api import Connected, bearer
from tests.support.factories import AppCredentials, make_application

DAY = "2027-01-11"  # a Monday
WORKDAY = {"start": f"{DAY}T09:00:00Z", "end": f"{DAY}T17:00:00Z"}


def at(hour: int, minute: int = 0, day: str = DAY) -> str:
    return f"{day}T{hour:02d}:{minute:02d}:00Z"


def application(calgate: Any) -> AppCredentials:
    return make_application(calgate.services, features={"no_calendar"})


def people(calgate: Any, app: AppCredentials, count: int) -> list[Connected]:
    return [connect(calgate, app) for _ in range(count)]


def busy(calgate: Any, person: Connected, event_id: str, start: str, end: str, **fields: Any) -> None:
    upsert(calgate, person, event_id, start, end, **fields)


def ask(calgate: Any, credential: str | None, body: Any, path: str = "/v1/availability") -> httpx.Response:
    headers = bearer(credential) if credential is not None else {}
    return httpx.post(f"{calgate.url}{path}", json=body, headers=headers)


def query(*members: Any, periods: list[dict[str, str]] | None = None, minutes: int = 60, **fields: Any) -> dict[str, Any]:
    """One group of ``members`` (all required), 60 minutes in the working day, unless told."""
    return {
        "participants": [{"members": list(members), "required": "all"}],
        "required_duration": {"minutes": minutes},
        "query_periods": periods or [WORKDAY],
        **fields,
    }


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()  # type: ignore[no-any-return]


def spans(body: dict[str, Any], key: str = "available_periods") -> list[tuple[str, str]]:
    return [(p["start"], p["end"]) for p in body[key]]


def subs(entry: dict[str, Any]) -> list[str]:
    return sorted(p["sub"] for p in entry["participants"])


def errors(response: httpx.Response, field: str) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["description"] for e in response.json()["errors"][field]]
