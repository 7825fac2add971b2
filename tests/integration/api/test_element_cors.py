"""CORS for UI Elements (``api/element_cors``): a request carrying an element token gets the
headers a browser needs to let the Element's page read the answer; nothing else gets any."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.api._element_tokens import ORIGIN, agenda_token, present
from tests.integration.api._read_events import connect
from tests.support.factories import make_application

WINDOW = {"from": "2027-01-10", "to": "2027-01-13", "tzid": "Etc/UTC"}


@pytest.fixture
def person(calgate):
    return connect(calgate, make_application(calgate.services, features={"no_calendar"}))


def test_a_preflight_with_a_token_is_allowed_for_the_asking_origin(calgate, person):
    response = httpx.options(
        f"{calgate.url}/v1/free_busy", params={**WINDOW, "et": agenda_token(calgate, person)},
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "cronofy-element"},
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "cronofy-element" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers
    assert "Origin" in response.headers["vary"]


def test_the_answer_to_a_token_request_names_its_origin(calgate, person):
    response = present(calgate, "GET", "/v1/free_busy", agenda_token(calgate, person), **WINDOW)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "Origin" in response.headers["vary"]


def test_another_origin_reads_nothing_though_the_header_is_echoed(calgate, person):
    response = present(calgate, "GET", "/v1/free_busy", agenda_token(calgate, person), origin="https://evil.example", **WINDOW)
    assert response.status_code == 403 and "free_busy" not in response.json()


def test_requests_without_a_token_get_no_cors_headers(calgate, person):
    plain = httpx.get(f"{calgate.url}/v1/free_busy", params=WINDOW, headers={**person.headers, "Origin": ORIGIN})
    assert plain.status_code == 200 and "access-control-allow-origin" not in plain.headers
    preflight = httpx.options(f"{calgate.url}/v1/free_busy", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    page = httpx.get(f"{calgate.url}/dashboard/sign_in", params={"et": "x"}, headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in page.headers
