"""POST /v1/element_tokens: issuing UI Element tokens (wire notes §4.8), on SQLite and
PostgreSQL; what a token reaches is test_element_token_access.py."""

from __future__ import annotations

import datetime as dt

import httpx
import pycronofy
import pytest
from pycronofy.exceptions import PyCronofyRequestError

from calgate.domain import ids
from calgate.domain.model import utcnow
from tests.integration.api._element_tokens import ORIGIN, error_keys, issue, refused
from tests.integration.api._read_events import connect
from tests.support.application_calendars import make_application_calendar
from tests.support.api import bearer
from tests.support.factories import make_application


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def person(calgate, app):
    return connect(calgate, app)


def body(person, **fields):
    return {"version": "1", "permissions": ["agenda"], "subs": [person.account_id], "origin": ORIGIN, **fields}


def test_answers_the_token_as_cronofy_documents_it(calgate, person):
    before = utcnow()
    response = issue(calgate, person.creds, **body(person, permissions=["agenda", "availability"]))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    answer = response.json()
    assert set(answer) == {"element_token"}
    element = answer["element_token"]
    assert set(element) == {"permissions", "origin", "token", "expires_in"}
    assert element["permissions"] == ["agenda", "availability"]
    assert element["origin"] == ORIGIN
    assert element["expires_in"] == 64800
    assert len(element["token"]) == 32 and element["token"].isalnum()
    with calgate.services.uow() as uow:
        stored = uow.element_tokens.get(ids.digest(element["token"]))
    assert stored is not None
    assert stored.application_id == person.creds.application_id and stored.subs == [person.account_id]
    assert before + dt.timedelta(seconds=64800) <= stored.expires_at <= utcnow() + dt.timedelta(seconds=64800)


def test_keeps_only_the_digest(calgate, person):
    token = issue(calgate, person.creds, **body(person)).json()["element_token"]["token"]
    with calgate.services.db.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM element_tokens").fetchall()
    assert len(rows) == 1
    assert all(token not in str(value) for value in rows[0])
    assert ids.digest(token) in rows[0]


def test_each_token_is_new(calgate, person):
    first = issue(calgate, person.creds, **body(person)).json()["element_token"]["token"]
    second = issue(calgate, person.creds, **body(person)).json()["element_token"]["token"]
    assert first != second


def test_pycronofy_gets_a_token(calgate, person, monkeypatch):
    monkeypatch.setattr(pycronofy.settings, "API_BASE_URL", calgate.url)
    monkeypatch.setattr(pycronofy.settings, "APP_BASE_URL", calgate.url)
    client = pycronofy.Client(client_id=person.creds.client_id, client_secret=person.creds.client_secret)
    answer = client.get_ui_element_token(permissions=["agenda"], subs=[person.account_id], origin="http://localhost")
    element = answer["element_token"]
    assert element["permissions"] == ["agenda"] and element["origin"] == "http://localhost"
    assert element["expires_in"] == 64800
    events = httpx.get(f"{calgate.url}/v1/events", params={"et": element["token"], "tzid": "Etc/UTC"}, headers={"Origin": "http://localhost"})
    assert events.status_code == 200, events.text
    with pytest.raises(PyCronofyRequestError) as raised:
        client.get_ui_element_token(permissions=["calendar_sync"], subs=[person.account_id], origin="http://localhost")
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["errors"]["permissions"][0]["key"] == "errors.invalid"


def test_every_cronofy_permission_is_accepted_and_repeats_are_dropped(calgate, person):
    every = ["agenda", "availability", "managed_availability", "account_management", "agenda"]
    response = issue(calgate, person.creds, **body(person, permissions=every))
    assert response.json()["element_token"]["permissions"] == every[:4]


def test_version_may_be_left_out(calgate, person):
    fields = body(person)
    del fields["version"]
    assert issue(calgate, person.creds, **fields).status_code == 200


def test_an_application_calendar_may_be_a_sub(calgate, person):
    calendar = make_application_calendar(calgate, person.creds)
    response = issue(calgate, person.creds, **body(person, subs=[calendar.sub]))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("https://App.Example.com", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("http://[::1]:3000", "http://[::1]:3000"),
    ],
)
def test_the_origin_is_answered_as_browsers_send_it(calgate, person, given, normal):
    assert issue(calgate, person.creds, **body(person, origin=given)).json()["element_token"]["origin"] == normal


# Refusals of the request itself: Cronofy's 422 shape, every problem named.

@pytest.mark.parametrize(
    ("fields", "field", "key"),
    [
        ({"permissions": None}, "permissions", "errors.required"),
        ({"permissions": []}, "permissions", "errors.required"),
        ({"permissions": "agenda"}, "permissions", "errors.invalid"),
        ({"permissions": ["agenda", "read_events"]}, "permissions", "errors.invalid"),
        ({"permissions": [1]}, "permissions", "errors.invalid"),
        ({"subs": None}, "subs", "errors.required"),
        ({"subs": []}, "subs", "errors.required"),
        ({"subs": "acc_x"}, "subs", "errors.invalid"),
        ({"subs": ["acc_nobody"]}, "subs", "errors.unknown_sub"),
        ({"subs": [f"acc_{i}" for i in range(51)]}, "subs", "errors.invalid"),
        ({"origin": None}, "origin", "errors.required"),
        ({"origin": ""}, "origin", "errors.required"),
        ({"origin": "localhost"}, "origin", "errors.invalid"),
        ({"origin": "ftp://example.com"}, "origin", "errors.invalid"),
        ({"origin": "https://example.com/booking"}, "origin", "errors.invalid"),
        ({"origin": "https://example.com?x=1"}, "origin", "errors.invalid"),
        ({"origin": "https://user@example.com"}, "origin", "errors.invalid"),
        ({"origin": "https://example.com:99999"}, "origin", "errors.invalid"),
        ({"origin": ["https://example.com"]}, "origin", "errors.invalid"),
        ({"version": "2"}, "version", "errors.invalid"),
        ({"bookable_event_ids": ["be_1"]}, "bookable_event_ids", "errors.not_supported"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(calgate, person, fields, field, key):
    request = {k: v for k, v in body(person, **fields).items() if v is not None}
    response = issue(calgate, person.creds, **request)
    assert key in error_keys(response, field)
    assert all(e["description"] for e in response.json()["errors"][field])


def test_every_bad_field_is_named_at_once(calgate, person):
    response = issue(calgate, person.creds, permissions=["nope"], subs=[], origin="nope")
    assert set(response.json()["errors"]) == {"permissions", "subs", "origin"}


def test_another_applications_account_is_an_unknown_sub(calgate, person):
    other = connect(calgate)  # a second application's person
    response = issue(calgate, person.creds, **body(person, subs=[person.account_id, other.account_id]))
    assert error_keys(response, "subs") == ["errors.unknown_sub"]
    assert other.account_id in response.json()["errors"]["subs"][0]["description"]
    with calgate.services.db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM element_tokens").scalar() == 0


# Who may ask.

def test_only_the_api_key_may_ask(calgate, person):
    fields = body(person)
    url = f"{calgate.url}/v1/element_tokens"
    refused(httpx.post(url, json=fields), 401)
    refused(httpx.post(url, json=fields, headers=bearer("not-a-secret")), 401)
    refused(httpx.post(url, json=fields, headers=bearer(person.access_token)), 401)  # an access token is not an API key


def test_an_element_token_cannot_ask_for_another(calgate, person):
    element = issue(calgate, person.creds, **body(person)).json()["element_token"]["token"]
    url = f"{calgate.url}/v1/element_tokens"
    refused(httpx.post(url, json=body(person), headers=bearer(element)), 401)
    refused(httpx.post(url, json=body(person), params={"et": element}), 403)
