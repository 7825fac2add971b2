# SPDX-License-Identifier: Apache-2.0
"""GET /oauth/authorize: what is shown, what is redirected (RFC 6749 §4.1.2.1, wire notes §2.1)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import pkce_pair
from tests.support.connect import authorize_params, csrf
from tests.support.factories import make_application
from tests.support.mail import mail_to

BOTH_MODES = {"free_busy", "no_calendar"}


def authorize(server, params: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{server.url}/oauth/authorize", params=params, follow_redirects=False)


def redirected_error(response: httpx.Response, creds) -> dict[str, list[str]]:
    """The query of an error redirect back to the application's redirect_uri."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    parts = urlsplit(location)
    assert location.startswith(creds.redirect_uri.split("?")[0]), location
    query = parse_qs(parts.query)
    assert "code" not in query
    return query


def assert_error(response: httpx.Response, creds, error: str, state: str) -> None:
    query = redirected_error(response, creds)
    assert query["error"] == [error], query
    assert query["state"] == [state], query
    assert query.get("error_description"), query


def assert_error_page(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower()


# -- problems shown to the person, never redirected -------------------------------------


def test_unknown_client_id_shows_an_error_page(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, client_id="not-a-client")
    assert_error_page(authorize(calgate, params))


def test_missing_client_id_shows_an_error_page(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds)
    del params["client_id"]
    assert_error_page(authorize(calgate, params))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://localhost:9999/elsewhere",
        "http://localhost:9999/callback/extra",
        "http://localhost:9999/callback?next=/evil",
        "http://localhost:9999/callbac",
        "http://localhost:9999/callback/",
        "http://localhost:9998/callback",
        "https://localhost:9999/callback",
        "http://evil.example/callback",
        "",
    ],
)
def test_unregistered_redirect_uri_shows_an_error_page(calgate, redirect_uri):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, redirect_uri=redirect_uri)
    response = authorize(calgate, params)
    assert_error_page(response)
    assert "evil" not in response.headers.get("location", "")


def test_missing_redirect_uri_shows_an_error_page(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds)
    del params["redirect_uri"]
    assert_error_page(authorize(calgate, params))


def test_redirect_uri_of_another_application_is_refused(calgate):
    a = make_application(calgate.services, features=BOTH_MODES, redirect_uri="http://localhost:9999/a")
    b = make_application(calgate.services, features=BOTH_MODES, redirect_uri="http://localhost:9999/b")
    assert_error_page(authorize(calgate, authorize_params(a, redirect_uri=b.redirect_uri)))


def test_client_problems_win_over_other_problems(calgate):
    """An unregistered redirect_uri is never redirected to, whatever else is wrong."""
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, redirect_uri="http://evil.example/cb", response_type="token", scope="bogus")
    assert_error_page(authorize(calgate, params))


# -- problems redirected back with error= and the state ---------------------------------


@pytest.mark.parametrize("response_type", ["token", "code token", "CODE", ""])
def test_response_type_other_than_code(calgate, response_type):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, response_type=response_type)
    assert_error(authorize(calgate, params), creds, "unsupported_response_type", params["state"])


def test_missing_response_type(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds)
    del params["response_type"]
    assert_error(authorize(calgate, params), creds, "unsupported_response_type", params["state"])


@pytest.mark.parametrize("scope", ["", "   "])
def test_missing_scope(calgate, scope):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, scope=scope)
    assert_error(authorize(calgate, params), creds, "invalid_scope", params["state"])


def test_absent_scope(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds)
    del params["scope"]
    assert_error(authorize(calgate, params), creds, "invalid_scope", params["state"])


@pytest.mark.parametrize("scope", ["read_account bogus_scope free_busy_write", "READ_ACCOUNT free_busy_write"])
def test_unknown_scope(calgate, scope):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, scope=scope)
    assert_error(authorize(calgate, params), creds, "invalid_scope", params["state"])


def test_free_busy_mode_not_enabled(calgate):
    creds = make_application(calgate.services, features={"no_calendar"})
    params = authorize_params(creds, access_mode="free_busy")
    assert_error(authorize(calgate, params), creds, "unauthorized_client", params["state"])


def test_no_calendar_mode_not_enabled(calgate):
    creds = make_application(calgate.services, features={"free_busy"})
    params = authorize_params(creds, access_mode="no_calendar")
    assert_error(authorize(calgate, params), creds, "unauthorized_client", params["state"])


def test_free_busy_alias_not_enabled(calgate):
    creds = make_application(calgate.services, features={"no_calendar"})
    params = authorize_params(creds, access_mode="", provider_name="google_free_busy")
    assert_error(authorize(calgate, params), creds, "unauthorized_client", params["state"])


@pytest.mark.parametrize("mode", ["banana", "READ_WRITE", "free-busy"])
def test_unknown_access_mode(calgate, mode):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode=mode)
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


@pytest.mark.parametrize("provider", ["myspace", "banana_free_busy", "_free_busy"])
def test_unknown_provider_name(calgate, provider):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="", provider_name=provider)
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


def test_free_busy_provider_with_read_write_mode(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="read_write", provider_name="google_free_busy")
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


def test_hosted_provider_with_free_busy_mode(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="free_busy", provider_name="cronofy")
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


def test_real_provider_with_no_calendar_mode(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="no_calendar", provider_name="google")
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


@pytest.mark.parametrize("mode", ["no_calendar", "free_busy"])
def test_restricted_mode_without_free_busy_write_scope(calgate, mode):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode=mode, scope="read_account list_calendars create_event")
    assert_error(authorize(calgate, params), creds, "invalid_scope", params["state"])


def test_hosted_alias_without_free_busy_write_scope(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="", provider_name="cronofy", scope="read_account read_events")
    assert_error(authorize(calgate, params), creds, "invalid_scope", params["state"])


def test_pkce_plain_method_is_refused(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    _, challenge = pkce_pair()
    params = authorize_params(creds, code_challenge=challenge, code_challenge_method="plain")
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


def test_pkce_challenge_without_method_defaults_to_plain_and_is_refused(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    _, challenge = pkce_pair()
    params = authorize_params(creds, code_challenge=challenge)
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


@pytest.mark.parametrize(
    "challenge",
    [
        "too-short",
        "A" * 42,
        "A" * 44,
        "A" * 42 + "=",  # padding is not base64url without padding
        "A" * 42 + "+",  # base64, not base64url
    ],
)
def test_pkce_malformed_challenge(calgate, challenge):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, code_challenge=challenge, code_challenge_method="S256")
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


def test_pkce_method_without_challenge(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, code_challenge_method="S256")
    assert_error(authorize(calgate, params), creds, "invalid_request", params["state"])


def test_error_redirect_keeps_the_redirect_uri_query(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES, redirect_uri="http://localhost:9999/cb?x=1")
    params = authorize_params(creds, response_type="token")
    response = authorize(calgate, params)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "localhost:9999", "/cb")
    query = parse_qs(location.query)
    assert query["x"] == ["1"]
    assert query["error"] == ["unsupported_response_type"]
    assert query["state"] == [params["state"]]


def test_error_redirect_without_state_has_no_state(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, response_type="token")
    del params["state"]
    query = redirected_error(authorize(calgate, params), creds)
    assert query["error"] == ["unsupported_response_type"]
    assert "state" not in query


def test_state_is_echoed_unchanged(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    state = "a b&c=d/é?"
    params = authorize_params(creds, scope="bogus", state=state)
    assert_error(authorize(calgate, params), creds, "invalid_scope", state)


# -- what lands on the flow pages --------------------------------------------------------


def assert_lands_on_flow(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/oauth/connect/"), location
    assert "error" not in location
    return location


@pytest.mark.parametrize(
    ("provider_name", "features"),
    [
        ("cronofy", {"no_calendar"}),
        ("google_free_busy", {"free_busy"}),
        ("ms_graph_free_busy", {"free_busy"}),
    ],
)
def test_provider_aliases_land_on_the_flow(calgate, provider_name, features):
    creds = make_application(calgate.services, features=features)
    params = authorize_params(creds, access_mode="", provider_name=provider_name)
    assert_lands_on_flow(authorize(calgate, params))


@pytest.mark.parametrize(
    ("access_mode", "provider_name"),
    [("no_calendar", "cronofy"), ("free_busy", "google_free_busy"), ("free_busy", "ms_graph_free_busy")],
)
def test_alias_agreeing_with_access_mode_lands_on_the_flow(calgate, access_mode, provider_name):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode=access_mode, provider_name=provider_name)
    assert_lands_on_flow(authorize(calgate, params))


def test_hosted_alias_leads_to_the_email_step(calgate):
    """provider_name=cronofy skips the chooser: the first page asks for name and email."""
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="", provider_name="cronofy")
    with httpx.Client(base_url=calgate.url, follow_redirects=False) as browser:
        flow = assert_lands_on_flow(browser.get("/oauth/authorize", params=params))
        page = browser.get(flow)
    assert page.status_code == 200, page.text
    assert 'name="email"' in page.text


def test_empty_provider_name_is_absent(calgate):
    """pycronofy always sends provider_name= (empty)."""
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, provider_name="", avoid_linking="False")
    assert_lands_on_flow(authorize(calgate, params))


def test_read_write_needs_no_feature(calgate):
    creds = make_application(calgate.services)
    params = authorize_params(creds, access_mode="read_write", scope="read_account list_calendars")
    assert_lands_on_flow(authorize(calgate, params))


def test_valid_pkce_challenge_is_accepted(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    _, challenge = pkce_pair()
    params = authorize_params(creds, code_challenge=challenge, code_challenge_method="S256")
    assert_lands_on_flow(authorize(calgate, params))


# -- steps posted out of order ----------------------------------------------------------


def test_allowing_a_flow_that_never_chose_no_access_issues_no_code(calgate):
    """Posting the email, code and decision steps while the chooser is still showing must
    neither crash the server, nor mail a code, nor produce an authorization code."""
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="")
    email = "out-of-order@example.com"
    with httpx.Client(base_url=calgate.url, follow_redirects=False) as browser:
        flow = assert_lands_on_flow(browser.get("/oauth/authorize", params=params))
        page = browser.get(flow)
        assert 'name="access_mode"' in page.text  # the chooser
        token = csrf(page.text)
        response = browser.post(f"{flow}/email", data={"csrf_token": token, "name": "Ada", "email": email})
        assert response.status_code == 303 and response.headers["location"] == flow
        response = browser.post(f"{flow}/code", data={"csrf_token": token, "code": "123456"})
        assert response.status_code == 303 and response.headers["location"] == flow
        response = browser.post(f"{flow}/decision", data={"csrf_token": token, "decision": "allow"})
        assert response.status_code == 303 and response.headers["location"] == flow
        assert 'name="access_mode"' in browser.get(flow).text  # still the chooser
    calgate.services.jobs.run_until_idle()
    assert mail_to(calgate.mail_dir, email) == []


def test_choosing_a_provider_before_a_mode_is_refused(calgate):
    creds = make_application(calgate.services, features=BOTH_MODES)
    params = authorize_params(creds, access_mode="")
    with httpx.Client(base_url=calgate.url, follow_redirects=False) as browser:
        flow = assert_lands_on_flow(browser.get("/oauth/authorize", params=params))
        page = browser.get(flow)
        response = browser.post(f"{flow}/provider", data={"csrf_token": csrf(page.text), "provider_name": "google"})
        assert response.status_code == 303, response.text
        assert 'name="access_mode"' in browser.get(flow).text  # still the chooser
