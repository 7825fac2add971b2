# SPDX-License-Identifier: Apache-2.0
"""/v1/account, /v1/userinfo, /v1/profiles, /v1/calendars and /v1/profiles/{id}/revoke
(wire notes §4.1, §4.2, §6)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.support.api import Connected, bearer, connect_and_exchange, revoke_request
from tests.support.factories import make_application

SCOPE = "read_account list_calendars create_calendar read_events create_event delete_event free_busy_write"
CAL_ID = re.compile(r"cal_[0-9a-f]{24}_[A-Za-z0-9]+")


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def person(calgate, app) -> Connected:
    return connect_and_exchange(calgate, app, email="ada@example.com", name="Ada Lovelace")


def get(calgate, path: str, token: str | None, **kwargs) -> httpx.Response:
    headers = {**(bearer(token) if token is not None else {}), **kwargs.pop("headers", {})}
    return httpx.get(f"{calgate.url}{path}", headers=headers, **kwargs)


def post(calgate, path: str, token: str | None, **kwargs) -> httpx.Response:
    headers = {**(bearer(token) if token is not None else {}), **kwargs.pop("headers", {})}
    return httpx.post(f"{calgate.url}{path}", headers=headers, **kwargs)


def ok_json(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def assert_json_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def profile_id(calgate, person: Connected) -> str:
    return ok_json(get(calgate, "/v1/profiles", person.access_token))["profiles"][0]["profile_id"]


# -- shapes -----------------------------------------------------------------------------


def test_account(calgate, person):
    body = ok_json(get(calgate, "/v1/account", person.access_token))
    assert body["sub"] == person.account_id
    account = body["account"]
    assert account["account_id"] == person.account_id
    assert re.fullmatch(r"acc_[0-9a-f]{24}", account["account_id"])
    assert account["email"] == "ada@example.com"
    assert account["name"] == "Ada Lovelace"
    assert account["scope"] == SCOPE
    assert isinstance(account["default_tzid"], str) and account["default_tzid"]
    assert account["access_mode"] == "no_calendar"


def test_userinfo(calgate, person):
    body = ok_json(get(calgate, "/v1/userinfo", person.access_token))
    assert body["sub"] == person.account_id
    assert body["email"] == "ada@example.com"
    assert body["name"] == "Ada Lovelace"
    assert isinstance(body["zoneinfo"], str) and body["zoneinfo"]
    assert body["cronofy.type"] == "account"
    data = body["cronofy.data"]
    assert data["authorization"]["scope"] == SCOPE
    assert data["authorization"]["status"] == "active"
    assert data["conferencing_profiles"] == []
    [profile] = data["profiles"]
    assert profile["provider_name"] == "cronofy"
    assert profile["provider_service"] == "cronofy"
    assert profile["profile_id"] == person.tokens["linking_profile"]["profile_id"]
    assert profile["profile_name"] == "ada@example.com"
    assert profile["profile_connected"] is True
    assert profile["profile_initial_sync_required"] is False
    assert profile["access_mode"] == "no_calendar"
    [calendar] = profile["profile_calendars"]
    assert CAL_ID.fullmatch(calendar["calendar_id"]), calendar
    assert calendar["calendar_primary"] is True
    assert calendar["calendar_readonly"] is False
    assert calendar["calendar_deleted"] is False
    assert "provider_name" not in calendar and "profile_id" not in calendar
    assert calendar["permission_level"] in ("sandbox", "unrestricted")


def test_profiles(calgate, person):
    body = ok_json(get(calgate, "/v1/profiles", person.access_token))
    [profile] = body["profiles"]
    assert profile["provider_name"] == "cronofy"
    assert profile["provider_service"] == "cronofy"
    assert profile["profile_id"] == person.tokens["linking_profile"]["profile_id"]
    assert re.fullmatch(r"pro_[0-9a-f]{24}", profile["profile_id"])
    assert profile["profile_name"] == "ada@example.com"
    assert profile["profile_connected"] is True
    assert profile["access_mode"] == "no_calendar"
    assert "profile_relink_url" not in profile


def test_calendars(calgate, person):
    body = ok_json(get(calgate, "/v1/calendars", person.access_token))
    assert body["sub"] == person.account_id
    [calendar] = body["calendars"]
    assert calendar["provider_name"] == "cronofy"
    assert calendar["profile_id"] == person.tokens["linking_profile"]["profile_id"]
    assert calendar["profile_name"] == "ada@example.com"
    assert calendar["calendar_id"].startswith("cal_")
    assert CAL_ID.fullmatch(calendar["calendar_id"]), calendar
    assert isinstance(calendar["calendar_name"], str) and calendar["calendar_name"]
    assert calendar["calendar_primary"] is True
    assert calendar["calendar_readonly"] is False
    assert calendar["calendar_deleted"] is False
    assert calendar["calendar_integrated_conferencing_available"] is False
    assert calendar["calendar_attachments_available"] is False
    assert calendar["permission_level"] in ("sandbox", "unrestricted")
    assert calendar["access_mode"] == "no_calendar"


def test_profile_ids_in_calendars_name_the_profile(calgate, person):
    profiles = ok_json(get(calgate, "/v1/profiles", person.access_token))["profiles"]
    calendars = ok_json(get(calgate, "/v1/calendars", person.access_token))["calendars"]
    assert {c["profile_id"] for c in calendars} == {p["profile_id"] for p in profiles}
    for c in calendars:
        assert c["calendar_id"].startswith(f"cal_{c['profile_id'][4:]}_")


def test_get_with_a_body_is_accepted(calgate, person):
    """pycronofy sends {} on every GET; PHP sends []."""
    for path in ("/v1/account", "/v1/userinfo", "/v1/profiles", "/v1/calendars"):
        for body in ("{}", "[]", ""):
            response = httpx.request(
                "GET",
                f"{calgate.url}{path}",
                content=body,
                headers={**person.headers, "Content-Type": "application/json"},
            )
            ok_json(response)


def test_get_ignores_unknown_query_params(calgate, person):
    ok_json(get(calgate, "/v1/calendars", person.access_token, params={"flag": "True", "x[]": ["1", "2"]}))


# -- authentication and scope -----------------------------------------------------------


PATHS = ["/v1/account", "/v1/userinfo", "/v1/profiles", "/v1/calendars"]


def assert_unauthorized(response: httpx.Response) -> None:
    body = assert_json_error(response, 401)
    assert body["error"] == "invalid_token"
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_missing_token(calgate, person):
    for path in PATHS:
        assert_unauthorized(get(calgate, path, None))


def test_garbage_token(calgate, person):
    for authorization in ("Bearer", "Bearer garbage", "Bearer " + "A" * 32, "Basic Zm9vOmJhcg==", "garbage"):
        response = httpx.get(f"{calgate.url}/v1/account", headers={"Authorization": authorization})
        assert_unauthorized(response)


def test_bearer_scheme_is_case_insensitive(calgate, person):
    response = httpx.get(f"{calgate.url}/v1/account", headers={"Authorization": f"bearer {person.access_token}"})
    ok_json(response)


def test_refresh_token_is_not_an_access_token(calgate, person):
    assert_unauthorized(get(calgate, "/v1/account", person.refresh_token))


def test_client_secret_is_not_an_access_token(calgate, app, person):
    assert_unauthorized(get(calgate, "/v1/account", app.client_secret))


def test_revoked_token(calgate, app, person):
    assert revoke_request(calgate, app, token=person.access_token).status_code == 200
    for path in PATHS:
        assert_unauthorized(get(calgate, path, person.access_token))


def test_revoked_token_cannot_write(calgate, app, person):
    pid = profile_id(calgate, person)
    assert revoke_request(calgate, app, sub=person.account_id).status_code == 200
    assert_unauthorized(post(calgate, "/v1/calendars", person.access_token, json={"profile_id": pid, "name": "X"}))
    assert_unauthorized(post(calgate, f"/v1/profiles/{pid}/revoke", person.access_token))


def test_expired_token(calgate, app, monkeypatch):
    monkeypatch.setattr(calgate.settings, "access_token_ttl", 1)
    connected = connect_and_exchange(calgate, app)
    assert connected.tokens["expires_in"] == 1
    time.sleep(1.2)
    assert_unauthorized(get(calgate, "/v1/account", connected.access_token))


def test_missing_scope_is_403_naming_it(calgate, app):
    """free_busy_write alone grants read_account and list_calendars but not create_calendar."""
    connected = connect_and_exchange(calgate, app, scope="free_busy_write")
    assert connected.tokens["scope"] == "free_busy_write"
    ok_json(get(calgate, "/v1/account", connected.access_token))
    ok_json(get(calgate, "/v1/calendars", connected.access_token))
    pid = profile_id(calgate, connected)
    response = post(calgate, "/v1/calendars", connected.access_token, json={"profile_id": pid, "name": "Interviews"})
    body = assert_json_error(response, 403)
    assert body["error"] == "insufficient_scope"
    assert body["scope"] == "create_calendar"
    assert "create_calendar" in body["error_description"]
    # nothing was created
    calendars = ok_json(get(calgate, "/v1/calendars", connected.access_token))["calendars"]
    assert [c["calendar_name"] for c in calendars] != ["Interviews"]
    assert len(calendars) == 1


def test_scope_check_comes_before_validation(calgate, app):
    connected = connect_and_exchange(calgate, app, scope="free_busy_write")
    body = assert_json_error(post(calgate, "/v1/calendars", connected.access_token, json={}), 403)
    assert body["scope"] == "create_calendar"


# -- creating calendars -----------------------------------------------------------------


def test_create_calendar(calgate, person):
    pid = profile_id(calgate, person)
    response = post(calgate, "/v1/calendars", person.access_token, json={"profile_id": pid, "name": "Interviews"})
    calendar = ok_json(response)["calendar"]
    assert calendar["provider_name"] == "cronofy"
    assert calendar["profile_id"] == pid
    assert calendar["profile_name"] == "ada@example.com"
    assert calendar["calendar_name"] == "Interviews"
    assert CAL_ID.fullmatch(calendar["calendar_id"]), calendar
    assert calendar["calendar_primary"] is False
    assert calendar["calendar_readonly"] is False
    assert calendar["calendar_deleted"] is False
    listed = ok_json(get(calgate, "/v1/calendars", person.access_token))["calendars"]
    assert calendar["calendar_id"] in [c["calendar_id"] for c in listed]
    assert len(listed) == 2
    userinfo = ok_json(get(calgate, "/v1/userinfo", person.access_token))
    names = [c["calendar_name"] for c in userinfo["cronofy.data"]["profiles"][0]["profile_calendars"]]
    assert "Interviews" in names


def test_create_calendar_with_a_form_body_and_color(calgate, person):
    pid = profile_id(calgate, person)
    response = post(
        calgate, "/v1/calendars", person.access_token, data={"profile_id": pid, "name": "Team", "color": "#49BED8"}
    )
    calendar = ok_json(response)["calendar"]
    assert calendar["calendar_name"] == "Team"
    assert calendar["calendar_color"] == "#49BED8"


def test_duplicate_calendar_name(calgate, person):
    pid = profile_id(calgate, person)
    first = post(calgate, "/v1/calendars", person.access_token, json={"profile_id": pid, "name": "Interviews"})
    ok_json(first)
    second = post(calgate, "/v1/calendars", person.access_token, json={"profile_id": pid, "name": "Interviews"})
    body = assert_json_error(second, 422)
    assert body["errors"]["name"][0]["key"] == "errors.duplicate_calendar_name"
    assert body["errors"]["name"][0]["description"]
    listed = ok_json(get(calgate, "/v1/calendars", person.access_token))["calendars"]
    assert [c["calendar_name"] for c in listed].count("Interviews") == 1


def test_name_of_the_primary_calendar_is_a_duplicate(calgate, person):
    [primary] = ok_json(get(calgate, "/v1/calendars", person.access_token))["calendars"]
    response = post(
        calgate,
        "/v1/calendars",
        person.access_token,
        json={"profile_id": primary["profile_id"], "name": primary["calendar_name"]},
    )
    body = assert_json_error(response, 422)
    assert body["errors"]["name"][0]["key"] == "errors.duplicate_calendar_name"


def test_missing_calendar_name(calgate, person):
    pid = profile_id(calgate, person)
    for body in ({"profile_id": pid}, {"profile_id": pid, "name": ""}, {"profile_id": pid, "name": "   "}):
        errors = assert_json_error(post(calgate, "/v1/calendars", person.access_token, json=body), 422)["errors"]
        assert errors["name"][0]["key"] == "errors.required"


def test_missing_profile_id(calgate, person):
    errors = assert_json_error(post(calgate, "/v1/calendars", person.access_token, json={"name": "X"}), 422)["errors"]
    assert errors["profile_id"][0]["key"] == "errors.required"


def test_missing_everything(calgate, person):
    errors = assert_json_error(post(calgate, "/v1/calendars", person.access_token, json={}), 422)["errors"]
    assert errors["profile_id"][0]["key"] == "errors.required"
    assert errors["name"][0]["key"] == "errors.required"


def test_calendar_name_must_be_a_string(calgate, person):
    pid = profile_id(calgate, person)
    response = post(calgate, "/v1/calendars", person.access_token, json={"profile_id": pid, "name": 42})
    assert "name" in assert_json_error(response, 422)["errors"]


def test_invalid_json_body(calgate, person):
    response = post(
        calgate, "/v1/calendars", person.access_token, content="{nope", headers={"Content-Type": "application/json"}
    )
    assert_json_error(response, 422)


def test_unknown_profile_id(calgate, person):
    response = post(
        calgate, "/v1/calendars", person.access_token, json={"profile_id": "pro_" + "0" * 24, "name": "Interviews"}
    )
    body = assert_json_error(response, 404)
    assert body["error"] == "not_found"


# -- isolation --------------------------------------------------------------------------


def test_each_token_sees_only_its_own_account(calgate, app):
    other_app = make_application(calgate.services, features={"no_calendar"}, name="Other App")
    email = "shared@example.com"
    a = connect_and_exchange(calgate, app, email=email)
    b = connect_and_exchange(calgate, other_app, email=email)
    c = connect_and_exchange(calgate, app, email="someone-else@example.com")
    assert len({a.account_id, b.account_id, c.account_id}) == 3

    for who in (a, b, c):
        assert ok_json(get(calgate, "/v1/account", who.access_token))["account"]["account_id"] == who.account_id
        assert ok_json(get(calgate, "/v1/userinfo", who.access_token))["sub"] == who.account_id
        calendars = ok_json(get(calgate, "/v1/calendars", who.access_token))
        assert calendars["sub"] == who.account_id
        assert {cal["profile_id"] for cal in calendars["calendars"]} == {who.tokens["linking_profile"]["profile_id"]}
        [profile] = ok_json(get(calgate, "/v1/profiles", who.access_token))["profiles"]
        assert profile["profile_id"] == who.tokens["linking_profile"]["profile_id"]

    a_profile = a.tokens["linking_profile"]["profile_id"]
    # B (another app, same person) and C (same app, another person) cannot touch A's profile
    for intruder in (b, c):
        response = post(calgate, "/v1/calendars", intruder.access_token, json={"profile_id": a_profile, "name": "Spy"})
        assert_json_error(response, 404)
        assert_json_error(post(calgate, f"/v1/profiles/{a_profile}/revoke", intruder.access_token), 404)
    # A is untouched
    [profile] = ok_json(get(calgate, "/v1/profiles", a.access_token))["profiles"]
    assert profile["profile_id"] == a_profile
    calendars = ok_json(get(calgate, "/v1/calendars", a.access_token))["calendars"]
    assert len(calendars) == 1
    assert "Spy" not in [cal["calendar_name"] for cal in calendars]


def test_a_calendar_created_for_one_app_is_invisible_to_another(calgate, app):
    other_app = make_application(calgate.services, features={"no_calendar"}, name="Other App")
    email = "shared@example.com"
    a = connect_and_exchange(calgate, app, email=email)
    b = connect_and_exchange(calgate, other_app, email=email)
    ok_json(post(calgate, "/v1/calendars", a.access_token, json={"profile_id": profile_id(calgate, a), "name": "Mine"}))
    names_b = [cal["calendar_name"] for cal in ok_json(get(calgate, "/v1/calendars", b.access_token))["calendars"]]
    assert "Mine" not in names_b
    # and B can create a calendar of the same name in its own profile
    ok_json(post(calgate, "/v1/calendars", b.access_token, json={"profile_id": profile_id(calgate, b), "name": "Mine"}))


# -- revoking a profile -----------------------------------------------------------------


def test_revoke_profile(calgate, person):
    pid = profile_id(calgate, person)
    ok_json(post(calgate, "/v1/calendars", person.access_token, json={"profile_id": pid, "name": "Interviews"}))
    response = post(calgate, f"/v1/profiles/{pid}/revoke", person.access_token)
    assert response.status_code == 202, response.text
    assert ok_json(get(calgate, "/v1/profiles", person.access_token))["profiles"] == []
    assert ok_json(get(calgate, "/v1/calendars", person.access_token))["calendars"] == []
    assert ok_json(get(calgate, "/v1/userinfo", person.access_token))["cronofy.data"]["profiles"] == []
    # the authorization itself stands
    ok_json(get(calgate, "/v1/account", person.access_token))
    # the profile is gone: revoking again or creating a calendar in it is 404
    assert_json_error(post(calgate, f"/v1/profiles/{pid}/revoke", person.access_token), 404)
    response = post(calgate, "/v1/calendars", person.access_token, json={"profile_id": pid, "name": "Later"})
    assert_json_error(response, 404)


def test_revoke_profile_with_an_empty_array_body(calgate, person):
    """The PHP SDK sends [] as the body."""
    pid = profile_id(calgate, person)
    response = post(
        calgate,
        f"/v1/profiles/{pid}/revoke",
        person.access_token,
        content="[]",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 202, response.text
    assert ok_json(get(calgate, "/v1/profiles", person.access_token))["profiles"] == []


def test_revoke_unknown_profile(calgate, person):
    body = assert_json_error(post(calgate, f"/v1/profiles/pro_{'0' * 24}/revoke", person.access_token), 404)
    assert body["error"] == "not_found"


def test_revoke_profile_needs_a_token(calgate, person):
    pid = profile_id(calgate, person)
    assert_unauthorized(post(calgate, f"/v1/profiles/{pid}/revoke", None))
    assert len(ok_json(get(calgate, "/v1/profiles", person.access_token))["profiles"]) == 1
