# SPDX-License-Identifier: Apache-2.0
"""The official Python SDK, pycronofy, against a live calgate (wire notes §1.1, §9.1)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pycronofy.exceptions import PyCronofyRequestError

from tests.support.connect import connect_hosted
from tests.support.factories import make_application

SCOPE = "read_account list_calendars create_calendar read_events create_event delete_event free_busy_write"


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


def link_params(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query, keep_blank_values=True).items()}


def authorize_through_link(calgate, client, app, email: str, **link_options: str) -> str:
    """Follow the SDK's own authorization link through the No Access flow; returns the code."""
    link = client.user_auth_link(app.redirect_uri, scope=SCOPE, state="xyz", provider_name="cronofy", **link_options)
    params = link_params(link)
    # connect_hosted adds access_mode=no_calendar by default; send exactly what the SDK sent
    result = connect_hosted(calgate, app, email=email, access_mode="", **params)
    assert result.get("state") == "xyz", result
    assert "code" in result, result
    return result["code"]


def connected_client(calgate, sdk, app, email: str = "ada@example.com"):
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    code = authorize_through_link(calgate, client, app, email)
    client.get_authorization_from_code(code, redirect_uri=app.redirect_uri)
    return client


def test_user_auth_link_points_at_calgate(calgate, sdk, app):
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    link = client.user_auth_link(app.redirect_uri, scope=SCOPE, state="xyz")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == calgate.url
    assert parts.path == "/oauth/authorize"
    params = link_params(link)
    assert params["client_id"] == app.client_id
    assert params["redirect_uri"] == app.redirect_uri
    assert params["scope"] == SCOPE
    assert params["state"] == "xyz"
    assert params["response_type"] == "code"
    assert params["provider_name"] == ""  # pycronofy always sends it, empty when unset
    assert params["avoid_linking"] == "False"
    # the link as built opens the access mode chooser (free_busy_write, two modes offered)
    response = httpx.get(link, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith("/oauth/connect/")
    with httpx.Client(base_url=calgate.url, follow_redirects=True) as browser:
        page = browser.get(link)
    assert page.status_code == 200
    assert 'name="access_mode"' in page.text


def test_full_lifecycle(calgate, sdk, app):
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    code = authorize_through_link(calgate, client, app, "ada@example.com")

    tokens = client.get_authorization_from_code(code, redirect_uri=app.redirect_uri)
    assert len(tokens["access_token"]) == 32
    assert tokens["refresh_token"]
    assert tokens["token_expiration"]

    account = client.account()
    assert account["email"] == "ada@example.com"
    assert account["name"] == "Ada Lovelace"
    assert account["account_id"].startswith("acc_")
    assert account["scope"] == SCOPE

    userinfo = client.userinfo()
    assert userinfo["sub"] == account["account_id"]
    assert userinfo["cronofy.type"] == "account"
    [profile_info] = userinfo["cronofy.data"]["profiles"]
    assert profile_info["provider_name"] == "cronofy"
    assert len(profile_info["profile_calendars"]) == 1

    [profile] = client.list_profiles()
    assert profile["provider_name"] == "cronofy"
    assert profile["profile_name"] == "ada@example.com"
    profile_id = profile["profile_id"]

    [primary] = client.list_calendars()
    assert primary["profile_id"] == profile_id
    assert primary["calendar_primary"] is True
    assert primary["calendar_id"].startswith("cal_")

    created = client.create_calendar(profile_id, "Interviews")["calendar"]
    assert created["calendar_name"] == "Interviews"
    assert created["profile_id"] == profile_id

    existing = client.create_calendar(profile_id, "Interviews", error_on_duplicate=False)
    assert existing["calendar_id"] == created["calendar_id"]
    assert existing["calendar_name"] == "Interviews"

    with pytest.raises(PyCronofyRequestError) as raised:
        client.create_calendar(profile_id, "Interviews", error_on_duplicate=True)
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["errors"]["name"][0]["key"] == "errors.duplicate_calendar_name"

    names = sorted(c["calendar_name"] for c in client.list_calendars())
    assert names == sorted([primary["calendar_name"], "Interviews"])

    first_access = client.auth.access_token
    refresh_token = client.auth.refresh_token
    refreshed = client.refresh_authorization()
    assert refreshed["access_token"] != first_access
    assert refreshed["refresh_token"] == refresh_token
    assert client.auth.access_token == refreshed["access_token"]
    assert client.account()["account_id"] == account["account_id"]

    old_access = client.auth.access_token
    client.revoke_authorization()
    assert client.auth.access_token is None
    for token in (old_access, first_access):
        stale = sdk.Client(client_id=app.client_id, client_secret=app.client_secret, access_token=token)
        with pytest.raises(PyCronofyRequestError) as raised:
            stale.account()
        assert raised.value.response.status_code == 401
        assert raised.value.response.json()["error"] == "invalid_token"
    stale = sdk.Client(client_id=app.client_id, client_secret=app.client_secret, refresh_token=refresh_token)
    with pytest.raises(PyCronofyRequestError) as raised:
        stale.refresh_authorization()
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == "invalid_grant"


def test_revoke_profile(calgate, sdk, app):
    client = connected_client(calgate, sdk, app)
    [profile] = client.list_profiles()
    client.create_calendar(profile["profile_id"], "Interviews")
    client.revoke_profile(profile["profile_id"])
    assert client.list_profiles() == []
    assert client.list_calendars() == []
    assert client.userinfo()["cronofy.data"]["profiles"] == []
    # the authorization itself still works
    assert client.account()["email"] == "ada@example.com"
    with pytest.raises(PyCronofyRequestError) as raised:
        client.revoke_profile(profile["profile_id"])
    assert raised.value.response.status_code == 404


def test_code_from_the_sdk_cannot_be_replayed(calgate, sdk, app):
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    code = authorize_through_link(calgate, client, app, "ada@example.com")
    client.get_authorization_from_code(code, redirect_uri=app.redirect_uri)
    other = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    with pytest.raises(PyCronofyRequestError) as raised:
        other.get_authorization_from_code(code, redirect_uri=app.redirect_uri)
    assert raised.value.response.status_code == 400
    assert raised.value.response.json()["error"] == "invalid_grant"
    # the replay revoked the first exchange's tokens
    with pytest.raises(PyCronofyRequestError) as raised:
        client.account()
    assert raised.value.response.status_code == 401


def test_redirect_uri_remembered_from_the_link(calgate, sdk, app):
    """get_authorization_from_code without redirect_uri uses the one user_auth_link saw."""
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    code = authorize_through_link(calgate, client, app, "grace@example.com")
    client.get_authorization_from_code(code)
    assert client.account()["email"] == "grace@example.com"


def test_missing_scope_raises(calgate, sdk, app):
    client = sdk.Client(client_id=app.client_id, client_secret=app.client_secret)
    link = client.user_auth_link(app.redirect_uri, scope="free_busy_write", state="xyz", provider_name="cronofy")
    result = connect_hosted(calgate, app, access_mode="", **link_params(link))
    client.get_authorization_from_code(result["code"], redirect_uri=app.redirect_uri)
    [profile] = client.list_profiles()
    # client.create_calendar reads errors.name[0].key from any failure, so a 403 surfaces from
    # it as KeyError (an SDK quirk, wire notes §1.4); its request handler shows the real answer
    with pytest.raises(PyCronofyRequestError) as raised:
        client.request_handler.post(endpoint="calendars", data={"profile_id": profile["profile_id"], "name": "X"})
    assert raised.value.response.status_code == 403
    assert raised.value.response.json()["scope"] == "create_calendar"
