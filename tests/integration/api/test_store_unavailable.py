# SPDX-License-Identifier: Apache-2.0
"""A database that does not answer is a 503 with Retry-After (JSON for the API, a page for
people), never a 500; and which database errors mean "not reachable" (store/unit_of_work)."""

from __future__ import annotations

from pathlib import Path

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import sqlalchemy
from sqlalchemy.exc import IntegrityError, OperationalError

from calgate.app import create_app
from calgate.domain.errors import StoreUnavailable
from calgate.services import create_services
from calgate.store.unit_of_work import unreachable
from tests.support.server import free_port, make_settings


class Client:
    """Requests straight into the ASGI app of a calgate whose PostgreSQL is not there (nothing
    listens on its port), so nothing needs the database to start."""

    def __init__(self, tmp_path: Path) -> None:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test?connect_timeout=2"
        settings = make_settings(url, tmp_path, run_jobs_in_process=False)
        self.app = create_app(settings, create_services(settings))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://calgate.test") as client:
                return await client.request(method, path, **kwargs)

        # A thread of its own: an earlier test (Playwright's sync API) may leave this one's loop running.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(lambda: asyncio.run(send())).result()

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def client(tmp_path: Path) -> Client:
    return Client(tmp_path)


def test_the_api_answers_503_with_retry_after(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/v1/calendars", headers={"Authorization": "Bearer some-token"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"] == "service_unavailable"
    response = client.post("/oauth/token", json={"grant_type": "refresh_token", "refresh_token": "x", "client_id": "a", "client_secret": "b"})
    assert response.status_code == 503 and response.json()["error"] == "service_unavailable"


def test_a_page_says_so_in_words(client) -> None:  # type: ignore[no-untyped-def]
    params = {"response_type": "code", "client_id": "x", "redirect_uri": "https://app.example/cb", "scope": "read_events"}
    response = client.get("/oauth/authorize", params=params)
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert "text/html" in response.headers["content-type"] and "briefly unavailable" in response.text


def test_which_errors_mean_the_database_is_not_reachable(tmp_path: Path) -> None:
    engine = sqlalchemy.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x?connect_timeout=2")
    with pytest.raises(OperationalError) as refused:
        engine.connect()
    assert unreachable(refused.value)  # connection refused: no SQLSTATE
    locked = OperationalError("UPDATE jobs", {}, _Orig(None))
    assert unreachable(locked)  # SQLite "database is locked"
    assert unreachable(OperationalError("SELECT 1", {}, _Orig("57P01")))  # admin shutdown
    assert not unreachable(OperationalError("UPDATE jobs", {}, _Orig("40001")))  # serialization failure: retried
    assert not unreachable(IntegrityError("INSERT", {}, _Orig("23505")))
    assert not unreachable(ValueError("x"))
    assert issubclass(StoreUnavailable, Exception)


class _Orig(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(sqlstate or "database is locked")
        self.sqlstate = sqlstate
