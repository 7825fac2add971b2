# SPDX-License-Identifier: Apache-2.0
"""Dashboard applications: register, edit, rotate the secret, features, deep links (web/dashboard/apps.py)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from calgate.domain import access_modes
from calgate.domain.model import Application
from calgate.domain.access_modes import FEATURE_LABELS
from tests.integration.web._dashboard import REDIRECT_URI, Dashboard
from tests.integration.web._pages import Page
from tests.support.server import LiveServer


def token_error(calgate: LiveServer, client_id: str, client_secret: str) -> str:
    """What /oauth/token says about these client credentials (with a code that was never issued)."""
    response = httpx.post(
        f"{calgate.url}/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": "never-issued",
            "redirect_uri": REDIRECT_URI,
        },
    )
    assert response.status_code in (400, 401), response.text
    return str(response.json()["error"])


def stored(calgate: LiveServer, application_id: str) -> Application:
    with calgate.services.uow() as uow:
        app = uow.applications.get(application_id)
    assert app is not None
    return app


def test_create_an_application(calgate: LiveServer, developer: Dashboard) -> None:
    form = developer.page("/dashboard/apps/new")
    assert form.unlabelled_fields() == []
    assert form.field("Redirect URIs").tag == "textarea"

    app_id = developer.create_app(
        "Acme Scheduling", f"{REDIRECT_URI}\r\nhttps://acme.example/oauth/callback\n", feature_free_busy="on"
    )

    page = developer.page(f"/dashboard/apps/{app_id}")
    app = stored(calgate, app_id)
    with calgate.services.uow() as uow:
        owner = uow.developers.by_email(developer.email)
    assert owner is not None and app.developer_id == owner.id
    assert app.name == "Acme Scheduling"
    assert app.redirect_uris == [REDIRECT_URI, "https://acme.example/oauth/callback"]
    assert app.features == {"free_busy"}
    assert "Acme Scheduling" in page.headings()
    assert page.testid("client-id") == app.client_id
    secret = page.one(data_testid="client-secret")
    assert secret.tag == "code" and len(secret.clean_text) >= 40
    assert token_error(calgate, app.client_id, secret.clean_text) == "invalid_grant"  # the secret authenticates
    assert [li.clean_text for li in page.one(data_testid="redirect-uris").children] == app.redirect_uris
    assert "is registered" in page.testid("notice")

    listing = developer.page("/dashboard")
    row = listing.one(data_application_id=app_id)
    assert "Acme Scheduling" in row.clean_text
    assert app.client_id in row.clean_text
    assert "Free/Busy access mode" in row.clean_text
    assert "No Calendar Access mode" not in row.clean_text


def test_the_list_shows_only_my_applications(developer: Dashboard, other_developer: Dashboard) -> None:
    mine = developer.create_app("Mine")
    other_developer.create_app("Theirs")
    listing = developer.page("/dashboard")
    assert [e.attrs["data-application-id"] for e in listing.elements if "data-application-id" in e.attrs] == [mine]
    assert "Theirs" not in listing.tags("table")[0].clean_text


@pytest.mark.parametrize(
    ("name", "redirect_uris", "field", "message"),
    [
        ("Acme", "ftp://acme.example/cb", "redirect_uris", "is not an absolute http(s) URL"),
        ("Acme", "http://acme.example/cb", "redirect_uris", "must use https"),
        ("Acme", "https://acme.example/cb#frag", "redirect_uris", "must not contain a fragment"),
        ("Acme", "  \n ", "redirect_uris", "Register at least one redirect URI"),
        ("   ", "https://acme.example/cb", "name", "Give the application a name"),
    ],
)
def test_create_shows_mistakes(
    calgate: LiveServer, developer: Dashboard, name: str, redirect_uris: str, field: str, message: str
) -> None:
    response = developer.submit(
        "/dashboard/apps/new", name=name, redirect_uris=redirect_uris, feature_no_calendar="on"
    )

    assert response.status_code == 422
    page = Page(response.text)
    assert any(message in alert for alert in page.alerts()), page.alerts()
    assert page.one(id=field).attrs.get("aria-invalid") == "true"
    assert page.one(id="name").attrs["value"] == name
    assert page.one(id="redirect_uris").clean_text == " ".join(redirect_uris.split())
    assert "checked" in page.field("No Calendar Access mode").attrs  # the toggles keep their state too
    with calgate.services.uow() as uow:
        assert uow.applications.all() == []


def test_features_section(developer: Dashboard) -> None:
    app_id = developer.create_app()
    page = developer.page(f"/dashboard/apps/{app_id}")

    assert "Features" in page.headings()
    for name, policy in access_modes.FEATURES.items():
        toggle = page.field(FEATURE_LABELS[name])
        assert toggle.attrs["type"] == "checkbox"
        assert "checked" not in toggle.attrs  # off by default
        help_id = str(toggle.attrs["aria-describedby"])
        assert page.one(id=help_id).clean_text == policy.explanation
    assert "Read-Write is always offered" in page.testid("read-write-note")


def test_every_feature_has_a_dashboard_label() -> None:
    assert set(FEATURE_LABELS) == set(access_modes.FEATURES)
    assert FEATURE_LABELS == {"free_busy": "Free/Busy access mode", "no_calendar": "No Calendar Access mode"}


def save(developer: Dashboard, app_id: str, **data: str) -> httpx.Response:
    return developer.submit(f"/dashboard/apps/{app_id}", **data)


def test_toggling_features_persists(calgate: LiveServer, developer: Dashboard) -> None:
    app_id = developer.create_app()

    response = save(developer, app_id, name="Acme Scheduling", redirect_uris=REDIRECT_URI, feature_no_calendar="on")

    assert response.status_code == 303
    assert response.headers["location"] == f"/dashboard/apps/{app_id}"
    page = developer.page(f"/dashboard/apps/{app_id}")
    assert page.testid("notice") == "Saved."
    assert "checked" in page.field("No Calendar Access mode").attrs
    assert "checked" not in page.field("Free/Busy access mode").attrs
    assert stored(calgate, app_id).features == {"no_calendar"}

    save(developer, app_id, name="Acme Scheduling", redirect_uris=REDIRECT_URI, feature_free_busy="on")
    assert stored(calgate, app_id).features == {"free_busy"}
    save(developer, app_id, name="Acme Scheduling", redirect_uris=REDIRECT_URI)
    assert stored(calgate, app_id).features == set()
    page = developer.page(f"/dashboard/apps/{app_id}")
    assert not any("checked" in page.field(label).attrs for label in FEATURE_LABELS.values())


def test_edit_name_and_redirect_uris(calgate: LiveServer, developer: Dashboard) -> None:
    app_id = developer.create_app()

    save(developer, app_id, name="Acme Calendar", redirect_uris="https://acme.example/cb\nhttp://127.0.0.1:8080/cb")

    app = stored(calgate, app_id)
    assert (app.name, app.redirect_uris) == ("Acme Calendar", ["https://acme.example/cb", "http://127.0.0.1:8080/cb"])
    page = developer.page(f"/dashboard/apps/{app_id}")
    assert "Acme Calendar" in page.headings()
    assert page.one(id="redirect_uris").text.splitlines() == app.redirect_uris


def test_a_mistaken_edit_changes_nothing(calgate: LiveServer, developer: Dashboard) -> None:
    app_id = developer.create_app("Acme Scheduling")

    response = save(developer, app_id, name="Renamed", redirect_uris="not a url", feature_free_busy="on")

    assert response.status_code == 422
    page = Page(response.text)
    assert any("is not an absolute http(s) URL" in alert for alert in page.alerts())
    assert page.one(id="name").attrs["value"] == "Renamed"  # what was typed…
    assert "checked" in page.field("Free/Busy access mode").attrs
    assert "Acme Scheduling" in page.headings()  # …but the stored application is unchanged
    assert page.testid("redirect-uris") == REDIRECT_URI
    app = stored(calgate, app_id)
    assert (app.name, app.redirect_uris, app.features) == ("Acme Scheduling", [REDIRECT_URI], set())


def test_rotating_the_secret(calgate: LiveServer, developer: Dashboard) -> None:
    app_id = developer.create_app()
    page = developer.page(f"/dashboard/apps/{app_id}")
    client_id, old_secret = page.testid("client-id"), page.testid("client-secret")

    response = developer.submit(f"/dashboard/apps/{app_id}", f"/dashboard/apps/{app_id}/rotate-secret")

    assert response.status_code == 303
    page = developer.page(response.headers["location"])
    new_secret = page.testid("client-secret")
    assert new_secret != old_secret
    assert "old one stopped working immediately" in page.testid("notice")
    assert token_error(calgate, client_id, old_secret) == "invalid_client"
    assert token_error(calgate, client_id, new_secret) == "invalid_grant"  # authenticated; only the code is bad
    assert "notice" not in {e.attrs.get("data-testid") for e in developer.page(f"/dashboard/apps/{app_id}").elements}


def test_someone_elses_application_is_not_found(
    calgate: LiveServer, developer: Dashboard, other_developer: Dashboard
) -> None:
    app_id = developer.create_app("Acme Scheduling")
    secret = developer.page(f"/dashboard/apps/{app_id}").testid("client-secret")

    page = other_developer.http.get(f"/dashboard/apps/{app_id}")
    assert page.status_code == 404
    assert "Application not found" in Page(page.text).headings()
    assert secret not in page.text
    edit = other_developer.submit(
        "/dashboard", f"/dashboard/apps/{app_id}", name="Stolen", redirect_uris="https://evil.example/cb"
    )
    assert edit.status_code == 404
    assert other_developer.submit("/dashboard", f"/dashboard/apps/{app_id}/rotate-secret").status_code == 404

    app = stored(calgate, app_id)
    assert (app.name, app.redirect_uris, app.features) == ("Acme Scheduling", [REDIRECT_URI], set())
    assert developer.page(f"/dashboard/apps/{app_id}").testid("client-secret") == secret
    assert developer.http.get("/dashboard/apps/app_does_not_exist").status_code == 404


def expected_link(calgate: LiveServer, client_id: str, mode: str) -> str:
    """The spec's deep link form, written out by hand."""
    return (
        f"{calgate.url}/oauth/authorize?response_type=code&client_id={client_id}"
        f"&redirect_uri={quote(REDIRECT_URI, safe='')}&scope=free_busy_write&state=STATE&access_mode={mode}"
    )


def test_deep_links_for_the_enabled_modes(calgate: LiveServer, developer: Dashboard) -> None:
    app_id = developer.create_app(feature_no_calendar="on")
    page = developer.page(f"/dashboard/apps/{app_id}")
    client_id = page.testid("client-id")

    links = {
        str(e.attrs["data-testid"]): e.clean_text
        for e in page.elements
        if str(e.attrs.get("data-testid")).startswith("deep-link-")
    }

    assert links == {
        "deep-link-read_write": expected_link(calgate, client_id, "read_write"),
        "deep-link-no_calendar": expected_link(calgate, client_id, "no_calendar"),
    }
    with httpx.Client() as person:  # the link really opens Connect, straight in the No Access mode
        start = person.get(links["deep-link-no_calendar"].replace("STATE", "st-1"))
        assert start.status_code in (302, 303)
        flow = person.get(f"{calgate.url}{start.headers['location']}")
        assert "Connect without a calendar" in Page(flow.text).headings()

    save(developer, app_id, name="Acme Scheduling", redirect_uris=REDIRECT_URI, feature_free_busy="on")
    page = developer.page(f"/dashboard/apps/{app_id}")
    assert page.testid("deep-link-free_busy") == expected_link(calgate, client_id, "free_busy")
    assert page.find(data_testid="deep-link-no_calendar") == []
