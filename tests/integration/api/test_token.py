# SPDX-License-Identifier: Apache-2.0
"""POST /oauth/token and /oauth/token/revoke (RFC 6749 §4.1.3, §6; RFC 7009; wire notes §2.3-2.5)."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.api import (
    bearer,
    connect_and_exchange,
    pkce_pair,
    refresh_request,
    revoke_request,
    token_request,
)
from tests.support.connect import connect_hosted
from tests.support.factories import make_application

SCOPE = "read_account list_calendars create_calendar read_events create_event delete_event free_busy_write"


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


def account_status(server, access_token: str) -> int:
    return httpx.get(f"{server.url}/v1/account", headers=bearer(access_token)).status_code


def assert_oauth_error(response: httpx.Response, error: str, status: int = 400) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error, body
    assert "access_token" not in body
    assert response.headers["cache-control"] == "no-store"


def assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == "invalid_token"


# -- authorization_code grant -----------------------------------------------------------


def assert_token_body(body: dict, email: str) -> None:
    assert body["token_type"] == "bearer"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", body["access_token"]), body
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]
    assert body["refresh_token"] != body["access_token"]
    assert body["scope"] == SCOPE
    assert re.fullmatch(r"acc_[0-9a-f]{24}", body["account_id"]), body
    assert body["sub"] == body["account_id"]
    linking = body["linking_profile"]
    assert linking["provider_name"] == "cronofy"
    assert re.fullmatch(r"pro_[0-9a-f]{24}", linking["profile_id"]), linking
    assert linking["profile_name"] == email
    assert body["access_mode"] == "no_calendar"


def test_code_exchange_with_a_json_body(calgate, app):
    email = "ada@example.com"
    result = connect_hosted(calgate, app, email=email)
    response = token_request(calgate, app, result["code"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert_token_body(body, email)
    assert body["expires_in"] == calgate.settings.access_token_ttl
    assert account_status(calgate, body["access_token"]) == 200


def test_code_exchange_with_a_form_body(calgate, app):
    """The Ruby SDK posts the token request form-encoded."""
    email = "grace@example.com"
    result = connect_hosted(calgate, app, email=email)
    response = httpx.post(
        f"{calgate.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "code": result["code"],
            "redirect_uri": app.redirect_uri,
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert_token_body(body, email)
    assert account_status(calgate, body["access_token"]) == 200


def test_state_comes_back_with_the_code(calgate, app):
    result = connect_hosted(calgate, app, state="opaque-123")
    assert result["state"] == "opaque-123"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", result["code"])


def test_declining_redirects_with_access_denied(calgate, app):
    result = connect_hosted(calgate, app, decision="deny", state="s1")
    assert result == {"error": "access_denied", "state": "s1"}


def test_replayed_code_is_refused_and_revokes_the_first_tokens(calgate, app):
    result = connect_hosted(calgate, app)
    first = token_request(calgate, app, result["code"])
    assert first.status_code == 200, first.text
    tokens = first.json()
    assert account_status(calgate, tokens["access_token"]) == 200

    assert_oauth_error(token_request(calgate, app, result["code"]), "invalid_grant")

    assert_unauthorized(httpx.get(f"{calgate.url}/v1/account", headers=bearer(tokens["access_token"])))
    assert_oauth_error(refresh_request(calgate, app, tokens["refresh_token"]), "invalid_grant")
    # and a third attempt is still refused
    assert_oauth_error(token_request(calgate, app, result["code"]), "invalid_grant")


def test_concurrent_exchanges_of_one_code(calgate, app):
    """At most one of several simultaneous exchanges succeeds; the others count as replays."""
    result = connect_hosted(calgate, app)
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda _: token_request(calgate, app, result["code"]), range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 1, [r.text for r in responses]
    assert set(statuses) <= {200, 400}, [r.text for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["error"] == "invalid_grant"
        else:
            # a replay came after it, so its tokens are revoked
            assert account_status(calgate, response.json()["access_token"]) == 401


def test_expired_code_is_refused(calgate, app, monkeypatch):
    monkeypatch.setattr(calgate.settings, "authorization_code_ttl", 1)
    result = connect_hosted(calgate, app)
    time.sleep(1.2)
    assert_oauth_error(token_request(calgate, app, result["code"]), "invalid_grant")


def test_unknown_code_is_refused(calgate, app):
    assert_oauth_error(token_request(calgate, app, "A" * 32), "invalid_grant")


def test_missing_code_is_refused(calgate, app):
    response = token_request(calgate, app, None)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_wrong_redirect_uri_at_exchange(calgate, app):
    result = connect_hosted(calgate, app)
    for redirect_uri in (
        "http://localhost:9999/other",
        "http://localhost:9999/callback/",
        "http://localhost:9999/callback?x=1",
        "",
        None,
    ):
        response = token_request(calgate, app, result["code"], redirect_uri=redirect_uri)
        assert_oauth_error(response, "invalid_grant")
    # a refused exchange does not burn the code: the right redirect_uri still works
    assert token_request(calgate, app, result["code"]).status_code == 200


def test_wrong_client_secret(calgate, app):
    result = connect_hosted(calgate, app)
    for secret in ("wrong-secret", "", None):
        assert_oauth_error(token_request(calgate, app, result["code"], client_secret=secret), "invalid_client")
    # the code survives a failed client authentication
    assert token_request(calgate, app, result["code"]).status_code == 200


def test_unknown_client_id(calgate, app):
    result = connect_hosted(calgate, app)
    assert_oauth_error(token_request(calgate, app, result["code"], client_id="nobody"), "invalid_client")


def test_code_of_another_application_is_refused(calgate, app):
    other = make_application(calgate.services, features={"no_calendar"})
    result = connect_hosted(calgate, app)
    assert_oauth_error(token_request(calgate, other, result["code"]), "invalid_grant")
    # app B's attempt neither burns nor revokes app A's code
    assert token_request(calgate, app, result["code"]).status_code == 200


def test_secret_of_another_application_is_refused(calgate, app):
    other = make_application(calgate.services, features={"no_calendar"})
    result = connect_hosted(calgate, app)
    response = token_request(calgate, app, result["code"], client_secret=other.client_secret)
    assert_oauth_error(response, "invalid_client")


# -- PKCE -------------------------------------------------------------------------------


def pkce_code(calgate, app) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    result = connect_hosted(calgate, app, code_challenge=challenge, code_challenge_method="S256")
    return result["code"], verifier


def test_pkce_without_verifier(calgate, app):
    code, _ = pkce_code(calgate, app)
    assert_oauth_error(token_request(calgate, app, code), "invalid_grant")


def test_pkce_with_a_wrong_verifier(calgate, app):
    code, verifier = pkce_code(calgate, app)
    wrong, _ = pkce_pair()
    assert_oauth_error(token_request(calgate, app, code, code_verifier=wrong), "invalid_grant")
    assert_oauth_error(token_request(calgate, app, code, code_verifier=verifier[:-1]), "invalid_grant")


def test_pkce_with_the_right_verifier(calgate, app):
    code, verifier = pkce_code(calgate, app)
    response = token_request(calgate, app, code, code_verifier=verifier)
    assert response.status_code == 200, response.text
    assert account_status(calgate, response.json()["access_token"]) == 200


def test_pkce_right_verifier_after_a_wrong_one(calgate, app):
    code, verifier = pkce_code(calgate, app)
    assert_oauth_error(token_request(calgate, app, code, code_verifier="x" * 43), "invalid_grant")
    assert token_request(calgate, app, code, code_verifier=verifier).status_code == 200


def test_verifier_without_challenge_is_harmless(calgate, app):
    """A code issued without PKCE exchanges whether or not a verifier is sent."""
    result = connect_hosted(calgate, app)
    verifier, _ = pkce_pair()
    assert token_request(calgate, app, result["code"], code_verifier=verifier).status_code == 200


# -- refresh_token grant -----------------------------------------------------------------


def test_refresh_gives_a_new_access_token_and_the_same_refresh_token(calgate, app):
    connected = connect_and_exchange(calgate, app)
    response = refresh_request(calgate, app, connected.refresh_token)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["token_type"] == "bearer"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", body["access_token"])
    assert body["access_token"] != connected.access_token
    assert body["refresh_token"] == connected.refresh_token
    assert body["expires_in"] == calgate.settings.access_token_ttl
    assert body["scope"] == SCOPE
    assert body["sub"] == connected.account_id
    assert account_status(calgate, body["access_token"]) == 200
    # the refresh token keeps working
    again = refresh_request(calgate, app, connected.refresh_token)
    assert again.status_code == 200, again.text
    assert again.json()["access_token"] not in (connected.access_token, body["access_token"])


def test_refresh_with_a_form_body(calgate, app):
    connected = connect_and_exchange(calgate, app)
    response = httpx.post(
        f"{calgate.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": connected.refresh_token,
        },
    )
    assert response.status_code == 200, response.text
    assert account_status(calgate, response.json()["access_token"]) == 200


def test_unknown_refresh_token(calgate, app):
    connect_and_exchange(calgate, app)
    for refresh_token in ("A" * 32, "", "not-a-token"):
        assert_oauth_error(refresh_request(calgate, app, refresh_token), "invalid_grant")


def test_access_token_is_not_a_refresh_token(calgate, app):
    connected = connect_and_exchange(calgate, app)
    assert_oauth_error(refresh_request(calgate, app, connected.access_token), "invalid_grant")


def test_refresh_token_of_another_application(calgate, app):
    other = make_application(calgate.services, features={"no_calendar"})
    connected = connect_and_exchange(calgate, app)
    assert_oauth_error(refresh_request(calgate, other, connected.refresh_token), "invalid_grant")


def test_refresh_with_a_wrong_client_secret(calgate, app):
    connected = connect_and_exchange(calgate, app)
    response = refresh_request(calgate, app, connected.refresh_token, client_secret="nope")
    assert_oauth_error(response, "invalid_client")


@pytest.mark.parametrize("grant_type", ["password", "client_credentials", "", None])
def test_unsupported_grant_type(calgate, app, grant_type):
    body = {"client_id": app.client_id, "client_secret": app.client_secret}
    if grant_type is not None:
        body["grant_type"] = grant_type
    response = httpx.post(f"{calgate.url}/oauth/token", json=body)
    assert_oauth_error(response, "unsupported_grant_type")


# -- revoke -----------------------------------------------------------------------------


def assert_all_dead(calgate, app, connected, *more_access_tokens: str) -> None:
    for token in (connected.access_token, *more_access_tokens):
        assert_unauthorized(httpx.get(f"{calgate.url}/v1/account", headers=bearer(token)))
        assert_unauthorized(httpx.get(f"{calgate.url}/v1/calendars", headers=bearer(token)))
    assert_oauth_error(refresh_request(calgate, app, connected.refresh_token), "invalid_grant")


@pytest.mark.parametrize("which", ["access", "refresh", "refreshed_access"])
def test_revoke_by_token_kills_every_token_of_the_authorization(calgate, app, which):
    connected = connect_and_exchange(calgate, app)
    refreshed = refresh_request(calgate, app, connected.refresh_token).json()["access_token"]
    token = {"access": connected.access_token, "refresh": connected.refresh_token, "refreshed_access": refreshed}[which]
    response = revoke_request(calgate, app, token=token)
    assert response.status_code == 200, response.text
    assert_all_dead(calgate, app, connected, refreshed)


def test_revoke_with_a_form_body(calgate, app):
    connected = connect_and_exchange(calgate, app)
    response = httpx.post(
        f"{calgate.url}/oauth/token/revoke",
        data={"client_id": app.client_id, "client_secret": app.client_secret, "token": connected.refresh_token},
    )
    assert response.status_code == 200, response.text
    assert_all_dead(calgate, app, connected)


def test_revoke_by_refresh_token_field(calgate, app):
    """Node's revokeAuthorization sends refresh_token rather than token."""
    connected = connect_and_exchange(calgate, app)
    response = revoke_request(calgate, app, refresh_token=connected.refresh_token)
    assert response.status_code == 200, response.text
    assert_all_dead(calgate, app, connected)


def test_revoke_by_sub(calgate, app):
    connected = connect_and_exchange(calgate, app)
    response = revoke_request(calgate, app, sub=connected.account_id)
    assert response.status_code == 200, response.text
    assert_all_dead(calgate, app, connected)


def test_revoke_by_sub_revokes_every_authorization_of_the_account(calgate, app):
    email = "twice@example.com"
    first = connect_and_exchange(calgate, app, email=email)
    second = connect_and_exchange(calgate, app, email=email)
    assert first.account_id == second.account_id
    assert revoke_request(calgate, app, sub=first.account_id).status_code == 200
    assert_all_dead(calgate, app, first)
    assert_all_dead(calgate, app, second)


def test_revoke_touches_only_that_authorization(calgate, app):
    a = connect_and_exchange(calgate, app)
    b = connect_and_exchange(calgate, app)
    assert revoke_request(calgate, app, token=a.access_token).status_code == 200
    assert_all_dead(calgate, app, a)
    assert account_status(calgate, b.access_token) == 200
    assert refresh_request(calgate, app, b.refresh_token).status_code == 200


def test_revoke_ignores_the_authorization_header(calgate, app):
    connected = connect_and_exchange(calgate, app)
    for header in ("Bearer undefined", "Bearer None", f"Bearer {connected.access_token}", "Basic Zm9vOmJhcg=="):
        response = httpx.post(
            f"{calgate.url}/oauth/token/revoke",
            json={"client_id": app.client_id, "client_secret": app.client_secret, "token": "A" * 32},
            headers={"Authorization": header},
        )
        assert response.status_code == 200, response.text
    # none of those revoked anything: the token in the header was not the token in the body
    assert account_status(calgate, connected.access_token) == 200
    response = httpx.post(
        f"{calgate.url}/oauth/token/revoke",
        json={"client_id": app.client_id, "client_secret": app.client_secret, "token": connected.access_token},
        headers={"Authorization": "Bearer undefined"},
    )
    assert response.status_code == 200, response.text
    assert_all_dead(calgate, app, connected)


def test_token_endpoint_ignores_the_authorization_header(calgate, app):
    result = connect_hosted(calgate, app)
    response = httpx.post(
        f"{calgate.url}/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "code": result["code"],
            "redirect_uri": app.redirect_uri,
        },
        headers={"Authorization": "Bearer undefined"},
    )
    assert response.status_code == 200, response.text
    refreshed = httpx.post(
        f"{calgate.url}/oauth/token",
        json={
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": response.json()["refresh_token"],
        },
        headers={"Authorization": "Bearer None"},
    )
    assert refreshed.status_code == 200, refreshed.text


def test_revoke_an_unknown_token_is_not_an_error(calgate, app):
    """RFC 7009 §2.2."""
    assert revoke_request(calgate, app, token="A" * 32).status_code == 200


def test_revoke_is_idempotent(calgate, app):
    connected = connect_and_exchange(calgate, app)
    assert revoke_request(calgate, app, token=connected.access_token).status_code == 200
    assert revoke_request(calgate, app, token=connected.access_token).status_code == 200
    assert_all_dead(calgate, app, connected)


def test_revoke_needs_client_authentication(calgate, app):
    connected = connect_and_exchange(calgate, app)
    response = revoke_request(calgate, app, token=connected.access_token, client_secret="wrong")
    assert_oauth_error(response, "invalid_client")
    assert account_status(calgate, connected.access_token) == 200


def test_another_application_cannot_revoke(calgate, app):
    other = make_application(calgate.services, features={"no_calendar"})
    connected = connect_and_exchange(calgate, app)
    assert revoke_request(calgate, other, token=connected.access_token).status_code == 200
    assert revoke_request(calgate, other, sub=connected.account_id).status_code == 200
    assert account_status(calgate, connected.access_token) == 200
    assert refresh_request(calgate, app, connected.refresh_token).status_code == 200


def test_revoke_without_token_or_sub(calgate, app):
    assert_oauth_error(revoke_request(calgate, app), "invalid_request")


# -- malformed token requests are RFC 6749 §5.2 invalid_request ---------------------------


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/token/revoke"])
@pytest.mark.parametrize(
    "content",
    [
        '{"grant_type": "authorization_code", "client_id": 5}',
        '{"grant_type": "refresh_token", "client_id": ["a"], "token": "x"}',
        "{not json",
        "[1]",
    ],
)
def test_malformed_body_is_invalid_request(calgate, app, path, content):
    response = httpx.post(f"{calgate.url}{path}", content=content, headers={"Content-Type": "application/json"})
    assert_oauth_error(response, "invalid_request")


def test_empty_array_body_is_no_parameters(calgate, app):
    response = httpx.post(f"{calgate.url}/oauth/token", content="[]", headers={"Content-Type": "application/json"})
    assert_oauth_error(response, "unsupported_grant_type")
