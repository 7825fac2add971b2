"""An organization's rooms and resources for Enterprise Connect's ``GET /v1/resources``, against
the stand-ins: Google's Admin SDK Directory ``resources.calendars.list`` as a delegated admin,
and Graph's ``/places/microsoft.graph.room`` with the organization's app registration. Paging,
sorting, and the errors an admin has to act on."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import httpx
import pytest

from calgate.domain.calendar_sources import SourceAuthFailed, SourceError, SourceNotFound, SourceUnavailable
from calgate.providers.google import GoogleConfig, delegation, oauth
from calgate.providers.google import directory as google_directory
from calgate.providers.msgraph import GraphConfig
from calgate.providers.msgraph import directory as graph_directory
from tests.integration.providers.test_google_source import config as google_source_config
from tests.standins.google import GoogleStandin
from tests.standins.google.server import RESOURCES_LIST
from tests.support.graph_standin import CLIENT_ID, CLIENT_SECRET, GraphStandin

DOMAIN = "example.test"
ADMIN = "admin@example.test"
TENANT = "8f3c1a2e-5b7d-4e21-9c0a-1d2e3f4a5b6c"
APP_ID = "0b6e7d3a-2f1c-4a5e-8d9b-7c6a5f4e3d2c"
APP_SECRET = "org-app-secret~Zq8"
ORGANIZATION = {"tenant": TENANT, "client_id": APP_ID, "client_secret": APP_SECRET}
ROOMS = [("everest@example.test", "Everest"), ("alps@example.test", "alps"), ("beamer@example.test", "Beamer 2")]
SORTED = [("alps@example.test", "alps"), ("beamer@example.test", "Beamer 2"), ("everest@example.test", "Everest")]


# --- Google Workspace: Admin SDK Directory API -------------------------------------------------


@pytest.fixture
def google(google_standin: GoogleStandin) -> Iterator[GoogleStandin]:
    google_standin.reset()
    google_standin.add_user(ADMIN)
    yield google_standin
    assert google_standin.failures == []


def google_config(standin: GoogleStandin) -> GoogleConfig:
    return dataclasses.replace(google_source_config(standin), directory_base=standin.url)


def key_for(standin: GoogleStandin, scopes: list[str]) -> dict[str, str]:
    return delegation.parse_key(json.dumps(standin.new_service_account(DOMAIN, scopes)))


def test_google_lists_every_page_of_the_domains_resources_sorted_by_name(google: GoogleStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(google_directory, "PAGE_SIZE", 2)
    for email, name in ROOMS:
        google.add_resource(DOMAIN, email, name)
    google.add_resource("other.test", "elsewhere@other.test", "Another organization's room")
    key = key_for(google, [oauth.CALENDAR, google_directory.DIRECTORY_SCOPE])

    assert google_directory.calendar_resources(google_config(google), key, "Admin@Example.test") == SORTED
    assert google.calls == [RESOURCES_LIST, RESOURCES_LIST]  # two pages of two
    assert google.delegated_grants == [(key["client_email"], ADMIN)]


def test_google_no_resources_is_an_empty_list(google: GoogleStandin) -> None:
    key = key_for(google, [google_directory.DIRECTORY_SCOPE])
    assert google_directory.calendar_resources(google_config(google), key, ADMIN) == []


def test_google_directory_scope_not_delegated_is_auth_failed_naming_the_client_id(google: GoogleStandin) -> None:
    key = key_for(google, [oauth.CALENDAR])
    with pytest.raises(SourceAuthFailed) as caught:
        google_directory.calendar_resources(google_config(google), key, ADMIN)
    message = str(caught.value)
    assert key["client_id"] in message and google_directory.DIRECTORY_SCOPE in message
    assert key["private_key"].splitlines()[3] not in message
    assert google.calls == []  # the token endpoint refused: the API was never asked


def test_google_api_refusal_is_auth_failed_telling_the_admin_what_to_authorize(google: GoogleStandin) -> None:
    """A token the API refuses (the scope missing, or the address no administrator): 403."""
    key = key_for(google, [google_directory.DIRECTORY_SCOPE])
    calendar_only = google.grant(ADMIN, [oauth.CALENDAR])["access_token"]
    with httpx.Client() as http:
        refused = http.get(google.url + "/admin/directory/v1/customer/my_customer/resources/calendars",
                           headers={"Authorization": f"Bearer {calendar_only}"})
    assert refused.status_code == 403 and refused.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "ya29.not-an-admin", "expires_in": 3600, "token_type": "Bearer"})
        assert request.url.params["maxResults"] == "500" and request.headers["Authorization"] == "Bearer ya29.not-an-admin"
        return httpx.Response(403, json={"error": {"code": 403, "message": "Not Authorized to access this resource/api",
                                                    "errors": [{"reason": "forbidden", "domain": "global"}]}})

    with pytest.raises(SourceAuthFailed) as caught:
        google_directory.calendar_resources(google_config(google), key, ADMIN, transport=httpx.MockTransport(handler))
    assert key["client_id"] in str(caught.value) and "ya29" not in str(caught.value)


def test_google_unavailable_directory_or_token_endpoint_is_unavailable(google: GoogleStandin) -> None:
    key = key_for(google, [google_directory.DIRECTORY_SCOPE])
    google.fail_next(RESOURCES_LIST, status=503, retry_after=7)
    with pytest.raises(SourceUnavailable) as caught:
        google_directory.calendar_resources(google_config(google), key, ADMIN)
    assert caught.value.retry_after == 7
    google.fail_next("token", status=503)
    with pytest.raises(SourceUnavailable):
        google_directory.calendar_resources(google_config(google), key, ADMIN)


def test_google_unknown_admin_is_not_found(google: GoogleStandin) -> None:
    key = key_for(google, [google_directory.DIRECTORY_SCOPE])
    with pytest.raises(SourceNotFound, match="nobody@example.test"):
        google_directory.calendar_resources(google_config(google), key, "nobody@example.test")


def test_google_other_refusals_are_source_errors(google: GoogleStandin) -> None:
    key = key_for(google, [google_directory.DIRECTORY_SCOPE])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "ya29.x", "expires_in": 3600})
        return httpx.Response(400, json={"error": {"code": 400, "message": "Invalid Input", "errors": [{"reason": "invalid"}]}})

    with pytest.raises(SourceError, match="HTTP 400: invalid") as caught:
        google_directory.calendar_resources(google_config(google), key, ADMIN, transport=httpx.MockTransport(handler))
    assert type(caught.value) is SourceError


# --- Microsoft 365: Graph places ------------------------------------------------------------------


@pytest.fixture
def graph(graph_standin: GraphStandin) -> Iterator[GraphStandin]:
    graph_standin.reset()
    yield graph_standin
    assert graph_standin.violations == []


@pytest.fixture
def graph_config(graph: GraphStandin) -> GraphConfig:
    return GraphConfig(CLIENT_ID, CLIENT_SECRET, authority=graph.url, graph_base=f"{graph.url}/v1.0")


def room_requests(graph: GraphStandin) -> list[str]:
    return [path for _, path, route in graph.requests if route == "rooms"]


def test_graph_lists_every_page_of_the_tenants_rooms_sorted_by_name(
    graph: GraphStandin, graph_config: GraphConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_directory, "PAGE_SIZE", 2)
    graph.add_application(TENANT, APP_ID, APP_SECRET, {graph_directory.PLACES_PERMISSION})
    for email, name in ROOMS:
        graph.add_room(email, name)

    assert graph_directory.rooms(graph_config, ORGANIZATION) == SORTED
    assert room_requests(graph) == ["/v1.0/places/microsoft.graph.room"] * 2
    assert graph.app_grants == [(TENANT, APP_ID)]


def test_graph_without_place_read_all_is_auth_failed(graph: GraphStandin, graph_config: GraphConfig) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, {"Calendars.ReadWrite", "User.Read.All"})
    graph.add_room(*ROOMS[0])
    with pytest.raises(SourceAuthFailed) as caught:
        graph_directory.rooms(graph_config, ORGANIZATION)
    assert "Place.Read.All" in str(caught.value) and "admin consent" in str(caught.value)
    assert APP_SECRET not in str(caught.value)


def test_graph_wrong_secret_is_auth_failed_before_graph_is_asked(graph: GraphStandin, graph_config: GraphConfig) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, {graph_directory.PLACES_PERMISSION})
    with pytest.raises(SourceAuthFailed, match="client secret") as caught:
        graph_directory.rooms(graph_config, {**ORGANIZATION, "client_secret": "not-the-secret"})
    assert "not-the-secret" not in str(caught.value) and room_requests(graph) == []


def test_graph_unavailable_is_unavailable(graph: GraphStandin, graph_config: GraphConfig) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, {graph_directory.PLACES_PERMISSION})
    graph.fail("rooms", status=503, retry_after=5)
    with pytest.raises(SourceUnavailable) as caught:
        graph_directory.rooms(graph_config, ORGANIZATION)
    assert caught.value.retry_after == 5
    graph.fail("rooms", status=429, retry_after=None)
    with pytest.raises(SourceUnavailable):
        graph_directory.rooms(graph_config, ORGANIZATION)
