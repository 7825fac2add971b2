# SPDX-License-Identifier: Apache-2.0
"""POST /v1/application_calendars and what its tokens can do (wire notes §2.7)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from calgate.domain.model import Event, Job
from tests.support.api import bearer, refresh_request, revoke_request
from tests.support.application_calendars import application_calendar_request, make_application_calendar
from tests.support.factories import make_application

APC = re.compile(r"apc_[0-9a-f]{24}")


@pytest.fixture
def app(calgate):
    return make_application(calgate.services)


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def status_with(calgate, token: str) -> int:
    return httpx.get(f"{calgate.url}/v1/calendars", headers=bearer(token)).status_code


def test_first_call_creates_the_calendar_and_returns_tokens(calgate, app):
    response = application_calendar_request(calgate, app, "room-101")
    body = ok(response)
    assert response.headers["cache-control"] == "no-store"
    assert body["token_type"] == "bearer"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", body["access_token"])
    assert body["refresh_token"] and body["refresh_token"] != body["access_token"]
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert body["scope"] == "read_write"
    assert body["application_calendar_id"] == "room-101"
    assert APC.fullmatch(body["sub"]), body
    assert "account_id" not in body
    linking = body["linking_profile"]
    assert linking["provider_name"] == "cronofy"
    assert linking["profile_name"] == "room-101"
    assert re.fullmatch(r"pro_[0-9a-f]{24}", linking["profile_id"])

    [calendar] = ok(httpx.get(f"{calgate.url}/v1/calendars", headers=bearer(body["access_token"])))["calendars"]
    assert calendar["calendar_primary"] is True
    assert calendar["provider_name"] == "cronofy"
    assert calendar["profile_id"] == linking["profile_id"]
    assert calendar["calendar_name"] == "room-101"
    assert calendar["access_mode"] == "read_write"


def test_later_calls_return_the_same_calendar_with_fresh_tokens(calgate, app):
    first = ok(application_calendar_request(calgate, app, "room-101"))
    second = ok(application_calendar_request(calgate, app, "room-101"))
    assert second["sub"] == first["sub"]
    assert second["linking_profile"]["profile_id"] == first["linking_profile"]["profile_id"]
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert status_with(calgate, first["access_token"]) == 200
    assert status_with(calgate, second["access_token"]) == 200
    calendars = ok(httpx.get(f"{calgate.url}/v1/calendars", headers=bearer(second["access_token"])))["calendars"]
    assert len(calendars) == 1


def test_ids_are_per_application_and_exact(calgate, app):
    other = make_application(calgate.services, name="Other")
    mine = ok(application_calendar_request(calgate, app, "room-101"))
    theirs = ok(application_calendar_request(calgate, other, "room-101"))
    upper = ok(application_calendar_request(calgate, app, "ROOM-101"))
    assert len({mine["sub"], theirs["sub"], upper["sub"]}) == 3


def test_form_body_and_a_meaningless_authorization_header(calgate, app):
    """Ruby sends a form; pycronofy and Node send 'Bearer None' / 'Bearer undefined'."""
    response = httpx.post(
        f"{calgate.url}/v1/application_calendars",
        data={"client_id": app.client_id, "client_secret": app.client_secret, "application_calendar_id": "app01"},
        headers={"Authorization": "Bearer undefined"},
    )
    assert ok(response)["application_calendar_id"] == "app01"


@pytest.mark.parametrize(
    "value, key",
    [
        (None, "errors.required"),
        ("", "errors.required"),
        ("x" * 65, "errors.invalid"),
        (" padded", "errors.invalid"),
        ("line\nbreak", "errors.invalid"),
        (42, "errors.invalid"),
    ],
)
def test_bad_application_calendar_ids(calgate, app, value, key):
    response = application_calendar_request(calgate, app, value)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]["application_calendar_id"][0]["key"] == key


def test_the_longest_id(calgate, app):
    assert ok(application_calendar_request(calgate, app, "x" * 64))["application_calendar_id"] == "x" * 64


@pytest.mark.parametrize("override", [{"client_secret": "wrong"}, {"client_id": "nobody"}, {"client_secret": None}])
def test_bad_client_credentials(calgate, app, override):
    response = application_calendar_request(calgate, app, "room-101", **override)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_client"


def test_userinfo(calgate, app):
    tokens = ok(application_calendar_request(calgate, app, "room-101"))
    body = ok(httpx.get(f"{calgate.url}/v1/userinfo", headers=bearer(tokens["access_token"])))
    assert body["sub"] == tokens["sub"]
    assert body["cronofy.type"] == "application_calendar"
    assert body["application_calendar_id"] == "room-101"
    assert "email" not in body
    data = body["cronofy.data"]
    assert data["application_calendar"] == {"application_calendar_id": "room-101"}
    assert data["authorization"]["scope"] == "read_write"
    assert data["authorization"]["status"] == "active"
    [profile] = data["profiles"]
    assert profile["provider_name"] == "cronofy"
    assert profile["profile_id"] == tokens["linking_profile"]["profile_id"]
    [calendar] = profile["profile_calendars"]
    assert calendar["calendar_primary"] is True


def test_refresh(calgate, app):
    tokens = ok(application_calendar_request(calgate, app, "room-101"))
    refreshed = ok(refresh_request(calgate, app, tokens["refresh_token"]))
    assert refreshed["access_token"] != tokens["access_token"]
    assert refreshed["refresh_token"] == tokens["refresh_token"]
    assert refreshed["sub"] == tokens["sub"]
    assert refreshed["application_calendar_id"] == "room-101"
    assert "account_id" not in refreshed
    assert status_with(calgate, refreshed["access_token"]) == 200


@pytest.mark.parametrize("by", ["access_token", "refresh_token", "sub"])
def test_revoke_then_authorize_again(calgate, app, by):
    tokens = ok(application_calendar_request(calgate, app, "room-101"))
    field = "sub" if by == "sub" else "token"
    assert revoke_request(calgate, app, **{field: tokens[by]}).status_code == 200
    assert status_with(calgate, tokens["access_token"]) == 401
    assert refresh_request(calgate, app, tokens["refresh_token"]).status_code == 400
    again = ok(application_calendar_request(calgate, app, "room-101"))
    assert again["sub"] == tokens["sub"]
    assert again["linking_profile"]["profile_id"] == tokens["linking_profile"]["profile_id"]
    assert status_with(calgate, again["access_token"]) == 200


def test_a_revoked_profile_is_replaced_on_the_next_call(calgate, app):
    tokens = ok(application_calendar_request(calgate, app, "room-101"))
    profile_id = tokens["linking_profile"]["profile_id"]
    response = httpx.post(f"{calgate.url}/v1/profiles/{profile_id}/revoke", headers=bearer(tokens["access_token"]))
    assert response.status_code == 202
    again = ok(application_calendar_request(calgate, app, "room-101"))
    assert again["linking_profile"]["profile_id"] != profile_id
    calendars = ok(httpx.get(f"{calgate.url}/v1/calendars", headers=bearer(again["access_token"])))["calendars"]
    assert [c["calendar_primary"] for c in calendars] == [True]


def test_events_are_stored_and_nothing_is_mailed(calgate, app):
    room = make_application_calendar(calgate, app, "room-101")
    body = {
        "event_id": "standup",
        "summary": "Stand-up",
        "start": "2026-12-01T09:00:00Z",
        "end": "2026-12-01T09:15:00Z",
        "attendees": {"invite": [{"email": "guest@example.com"}]},
    }
    response = httpx.post(f"{calgate.url}/v1/calendars/{room.calendar_id}/events", json=body, headers=room.headers)
    assert response.status_code == 202, response.text
    calgate.services.jobs.run_until_idle()
    with calgate.services.uow() as uow:
        [event] = uow.session.scalars(select(Event)).all()
        jobs = uow.session.scalars(select(Job)).all()
    assert event.summary == "Stand-up" and event.account_id == room.sub
    assert jobs == []
    assert list(calgate.mail_dir.glob("*.eml")) == []


def test_an_application_cannot_use_another_applications_calendar(calgate, app):
    room = make_application_calendar(calgate, app, "room-101")
    other = make_application(calgate.services, name="Other")
    theirs = make_application_calendar(calgate, other, "room-101")
    body = {"event_id": "x", "summary": "x", "start": "2026-12-01T09:00:00Z", "end": "2026-12-01T10:00:00Z"}
    response = httpx.post(f"{calgate.url}/v1/calendars/{room.calendar_id}/events", json=body, headers=theirs.headers)
    assert response.status_code == 404
    assert revoke_request(calgate, other, sub=room.sub).status_code == 200
    assert status_with(calgate, room.access_token) == 200
