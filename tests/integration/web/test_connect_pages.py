"""The connect pages over plain HTTP: steps, re-rendered mistakes, and ways back to the app."""

import contextlib

import httpx

from tests.support.connect import authorize_params, csrf, redirect_params
from tests.support.factories import make_application


@contextlib.contextmanager
def _start(calgate, creds, **extra):
    """A browser (cookie jar) whose flow has just begun; yields it and the flow's page."""
    with httpx.Client(base_url=calgate.url, follow_redirects=False) as browser:
        yield browser, browser.get("/oauth/authorize", params=authorize_params(creds, **extra)).headers["location"]


def test_an_unavailable_provider_page_returns_to_the_app_with_access_denied(calgate):
    creds = make_application(calgate.services, features={"free_busy"})
    with _start(calgate, creds, access_mode="free_busy", provider_name="google", state="s1") as (browser, flow):
        page = browser.get(flow)
        assert page.status_code == 501
        assert "not configured on this server" in page.text
        assert f"Return to {'Acme Scheduling'}" in page.text
        response = browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": "deny"})
    assert redirect_params(response) == {"error": "access_denied", "state": "s1"}


def test_a_mistyped_email_is_shown_with_what_was_typed(calgate):
    creds = make_application(calgate.services, features={"no_calendar"})
    with _start(calgate, creds) as (browser, flow):
        page = browser.get(flow)
        response = browser.post(
            f"{flow}/email", data={"csrf_token": csrf(page.text), "name": "Ada Lovelace", "email": "ada-at-example"}
        )
    assert response.status_code == 422
    assert 'role="alert">Enter a valid email address' in response.text
    assert 'value="Ada Lovelace"' in response.text and 'value="ada-at-example"' in response.text


def test_a_finished_flow_cannot_be_replayed(calgate):
    creds = make_application(calgate.services, features={"no_calendar"})
    with _start(calgate, creds) as (browser, flow):
        page = browser.get(flow)
        browser.post(f"{flow}/decision", data={"csrf_token": csrf(page.text), "decision": "deny"})
        again = browser.get(flow)
    assert again.status_code == 400 and "expired" in again.text


def test_a_flow_id_from_another_browser_is_unknown(calgate):
    creds = make_application(calgate.services, features={"no_calendar"})
    with _start(calgate, creds) as (_, flow):
        pass
    with httpx.Client(base_url=calgate.url) as stranger:
        page = stranger.get(flow)
    assert page.status_code == 400 and "expired" in page.text
