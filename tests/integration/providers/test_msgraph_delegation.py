"""Enterprise Connect on Microsoft 365 against the Graph stand-in: the client credentials grant
with an organization's own app registration (``delegation.app_token``), and a ``GraphSource``
acting for one person through ``/users/{upn}/…`` (identity, calendars, delta, getSchedule,
writes), token reuse, and the errors an admin has to act on. Every test ends with zero
recorded request-shape violations."""

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from calgate.domain.calendar_sources import (
    RemoteCalendar,
    SourceAuthFailed,
    SourceError,
    SourceNotFound,
    SourceUnavailable,
)
from calgate.providers.msgraph import GraphConfig, GraphSource, delegation
from tests.support.graph_standin import CLIENT_ID, CLIENT_SECRET, GraphStandin
from tests.support.graph_standin_events import GraphUser

UTC = dt.UTC
START = dt.datetime(2031, 3, 1, tzinfo=UTC)
END = dt.datetime(2031, 5, 1, tzinfo=UTC)
TENANT = "8f3c1a2e-5b7d-4e21-9c0a-1d2e3f4a5b6c"
APP_ID = "0b6e7d3a-2f1c-4a5e-8d9b-7c6a5f4e3d2c"
APP_SECRET = "org-app-secret~Zq8"
ADA, ADA_UPN = "ada@contoso.test", "ada.lovelace@contoso.test"
READ_WRITE_ROLES = {"Calendars.ReadWrite", "User.Read.All"}
FREE_BUSY_ROLES = {"Calendars.ReadBasic", "User.Read.All"}
ORGANIZATION = {"tenant": TENANT, "client_id": APP_ID, "client_secret": APP_SECRET}

OPENED: list[GraphSource] = []


@pytest.fixture
def graph(graph_standin: GraphStandin) -> Iterator[GraphStandin]:
    graph_standin.reset()
    yield graph_standin
    while OPENED:
        OPENED.pop().close()
    assert graph_standin.violations == []


@pytest.fixture
def config(graph: GraphStandin) -> GraphConfig:
    """calgate's own registration: only its authority and Graph base matter here."""
    return GraphConfig(CLIENT_ID, CLIENT_SECRET, authority=graph.url, graph_base=f"{graph.url}/v1.0")


@pytest.fixture
def ada(graph: GraphStandin) -> GraphUser:
    return graph.add_user(ADA, upn=ADA_UPN)


def source(config: GraphConfig, *, details: bool = True, subject: str = "Ada.Lovelace@Contoso.test",
           organization: dict[str, str] = ORGANIZATION) -> GraphSource:
    connected = GraphSource(delegation.person_credentials(organization, subject), config, stores_event_details=details)
    OPENED.append(connected)
    return connected


def paths(graph: GraphStandin) -> list[str]:
    return [path for _, path, route in graph.requests if route != "token"]


# --- the client credentials grant ------------------------------------------------------------


def test_person_credentials_hold_no_token_yet() -> None:
    credentials = delegation.person_credentials(ORGANIZATION, " Ada@Contoso.TEST ")
    assert credentials == {"delegation": ORGANIZATION, "subject": ADA}
    assert credentials["delegation"] is not ORGANIZATION


def test_app_token_from_the_client_credentials_grant(graph: GraphStandin, config: GraphConfig) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES)
    credentials = delegation.person_credentials(ORGANIZATION, ADA)
    fetched = delegation.app_token(config, credentials)
    assert set(fetched) == {"delegation", "subject", "access_token", "expires_at"}
    assert fetched["delegation"] == ORGANIZATION and fetched["subject"] == ADA
    expires = dt.datetime.fromisoformat(fetched["expires_at"])
    assert expires.utcoffset() == dt.timedelta(0) and expires > dt.datetime.now(UTC) + dt.timedelta(minutes=50)
    assert graph.app_tokens[fetched["access_token"]][:2] == (TENANT, READ_WRITE_ROLES)
    assert graph.app_grants == [(TENANT, APP_ID)]
    assert graph.requests[-1][1] == f"/{TENANT}/oauth2/v2.0/token"  # the organization's tenant, not calgate's
    assert "access_token" not in credentials  # a new dict, the input untouched


@pytest.mark.parametrize(
    ("organization", "words"),
    [
        ({**ORGANIZATION, "client_secret": "not-the-secret"}, "client secret"),
        ({**ORGANIZATION, "tenant": "fabrikam.test"}, "no tenant 'fabrikam.test'"),
        ({**ORGANIZATION, "client_id": "11111111-2222-3333-4444-555555555555"}, "client id"),
    ],
    ids=["wrong secret", "unknown tenant", "unknown client"],
)
def test_refused_registration_is_auth_failed(graph: GraphStandin, config: GraphConfig, ada: GraphUser,
                                             organization: dict[str, str], words: str) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES)
    with pytest.raises(SourceAuthFailed) as caught:
        delegation.app_token(config, delegation.person_credentials(organization, ADA))
    assert words in str(caught.value)
    assert APP_SECRET not in str(caught.value) and "not-the-secret" not in str(caught.value)
    connected = source(config, organization=organization)
    with pytest.raises(SourceAuthFailed):
        connected.identity()
    assert paths(graph) == [] and graph.app_grants == []  # Graph never asked


def test_sign_in_service_down_or_unreachable_is_unavailable(graph: GraphStandin, config: GraphConfig) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES)
    graph.fail("token", status=503, retry_after=None)
    with pytest.raises(SourceUnavailable):
        delegation.app_token(config, delegation.person_credentials(ORGANIZATION, ADA))

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(SourceUnavailable):
        delegation.app_token(config, delegation.person_credentials(ORGANIZATION, ADA), transport=httpx.MockTransport(unreachable))


def test_unexpected_refusal_is_a_source_error_without_secrets(config: GraphConfig) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_scope", "error_description": "AADSTS1002012: bad scope"})

    with pytest.raises(SourceError) as caught:
        delegation.app_token(config, delegation.person_credentials(ORGANIZATION, ADA), transport=httpx.MockTransport(refuse))
    assert type(caught.value) is SourceError and "invalid_scope" in str(caught.value)
    assert APP_SECRET not in str(caught.value)


# --- acting for a person (read_write) --------------------------------------------------------


def test_identity_calendars_and_full_delta_read(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES)
    team = graph.add_calendar(ada, "Team")
    graph.add_event(ada, subject="Standup", start=dt.datetime(2031, 3, 3, 9, tzinfo=UTC),
                    end=dt.datetime(2031, 3, 3, 9, 15, tzinfo=UTC), repeat=("weekly", 3))
    graph.add_event(ada, team, subject="Team review", start=dt.datetime(2031, 3, 5, 14, tzinfo=UTC),
                    end=dt.datetime(2031, 3, 5, 15, tzinfo=UTC))
    connected = source(config)
    assert "access_token" not in connected.credentials
    assert connected.identity() == ADA  # asked by UPN, answered with the mail
    found = {c.name: c for c in connected.calendars()}
    assert set(found) == {"Calendar", "Team"}
    default = connected.changes(found["Calendar"], None, START, END)
    assert default.full and sorted(r.occurrences[0].start.time for r in default.changed) == [
        "2031-03-03T09:00:00Z", "2031-03-10T09:00:00Z", "2031-03-17T09:00:00Z"]
    assert default.sync_state and default.sync_state.startswith(f"{graph.url}/v1.0/users/{ADA_UPN}/calendarView/delta?")
    named = connected.changes(found["Team"], None, START, END)
    assert [r.occurrences[0].summary for r in named.changed] == ["Team review"]
    assert named.sync_state and f"/users/{ADA_UPN}/calendars/{team}/calendarView/delta?" in named.sync_state
    quiet = connected.changes(found["Team"], named.sync_state, START, END)
    assert (quiet.changed, quiet.removed, quiet.full) == ([], [], False)
    assert all(p.startswith(f"/v1.0/users/{ADA_UPN}") for p in paths(graph))
    assert graph.app_grants == [(TENANT, APP_ID)]  # one token for all of it


def test_put_update_delete_in_the_persons_calendar(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES)
    connected = source(config)
    calendar = connected.calendars()[0]
    created = connected.put(calendar, "evt_abc.ics", ics("Planning"), None)
    stored = ada.events[created.remote_id]
    assert (stored.subject, stored.location, stored.time_zone) == ("Planning", "Room 4", "Europe/Berlin")
    updated = connected.put(calendar, created.remote_id, ics("Planning v2"), created.etag)
    assert stored.subject == "Planning v2" and updated.etag != created.etag
    connected.delete(created.remote_id, updated.etag)
    assert ada.events == {}
    writes = [(m, p) for m, p, route in graph.requests if route in ("create", "update", "delete")]
    assert [m for m, _ in writes] == ["POST", "PATCH", "DELETE"]
    assert all(p.startswith(f"/v1.0/users/{ADA_UPN}/") for _, p in writes)


def ics(summary: str) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calgate//EN", "BEGIN:VEVENT", "UID:evt_abc@calgate.test",
             "DTSTAMP:20310101T000000Z", "DTSTART;TZID=Europe/Berlin:20310312T100000",
             "DTEND;TZID=Europe/Berlin:20310312T110000", f"SUMMARY:{summary}", "LOCATION:Room 4", "END:VEVENT",
             "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


# --- acting for a person (free_busy) ---------------------------------------------------------


def test_busy_via_get_schedule_with_read_basic(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, FREE_BUSY_ROLES)
    at = lambda day, hour: dt.datetime(2031, 3, day, hour, tzinfo=UTC)  # noqa: E731
    graph.add_event(ada, subject="Secret merger talks", start=at(4, 9), end=at(4, 10))
    graph.add_event(ada, subject="Maybe", show_as="tentative", start=at(6, 13), end=at(6, 14))
    connected = source(config, details=False)
    calendars = connected.calendars()
    assert calendars == [RemoteCalendar(ADA, ADA, readonly=True)]
    blocks = connected.busy(calendars[0], START, START + dt.timedelta(days=10))
    assert [(b.start, b.end, b.status) for b in blocks] == [(at(4, 9), at(4, 10), "busy"), (at(6, 13), at(6, 14), "tentative")]
    assert "Secret merger talks" not in repr(blocks)
    assert paths(graph) == [f"/v1.0/users/{ADA_UPN}", f"/v1.0/users/{ADA_UPN}/calendar/getSchedule"]
    with pytest.raises(SourceError):  # the mode never reads events...
        connected.changes(calendars[0], None, START, END)
    read_write = source(config)
    with pytest.raises(SourceAuthFailed):  # ...and Calendars.ReadBasic would not allow it
        read_write.calendars()


# --- tokens ----------------------------------------------------------------------------------


def test_token_reused_until_expiry_then_fetched_again(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES)
    connected = source(config)
    assert connected.identity() == ADA
    first = connected.credentials["access_token"]
    connected.calendars()
    connected.identity()
    assert len(graph.app_grants) == 1 and connected.credentials["access_token"] == first
    graph.expire_access_tokens()  # Graph says 401; calgate still thinks the token is fresh
    assert connected.identity() == ADA
    assert len(graph.app_grants) == 2 and connected.credentials["access_token"] != first
    assert connected.credentials["subject"] == ADA_UPN and connected.credentials["delegation"] == ORGANIZATION
    connected.credentials["expires_at"] = (dt.datetime.now(UTC) - dt.timedelta(minutes=5)).isoformat()
    requests_before = len(paths(graph))
    connected.calendars()  # expired by the clock: fetched before asking, one Graph request
    assert len(graph.app_grants) == 3 and len(paths(graph)) == requests_before + 1


# --- what the admin has to fix ---------------------------------------------------------------


def test_unknown_person_is_not_found(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES | {"Calendars.ReadBasic"})
    stranger = "grace@contoso.test"
    connected = source(config, subject=stranger)
    message = f"Microsoft 365 has no such person: {stranger}"
    with pytest.raises(SourceNotFound, match=message):
        connected.identity()
    with pytest.raises(SourceNotFound, match=message):
        connected.calendars()
    with pytest.raises(SourceNotFound, match=message):
        connected.busy(RemoteCalendar(stranger, stranger), START, START + dt.timedelta(days=1))
    with pytest.raises(SourceNotFound, match=message):  # not "already deleted"
        connected.delete("AAMkAGgone", None)
    with pytest.raises(SourceNotFound, match=message):  # not "the event changed"
        connected.put(RemoteCalendar("AAMkAGcal", "Calendar"), "AAMkAGgone", ics("x"), 'W/"x"')


def test_missing_role_is_auth_failed(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, {"User.Read.All"})
    connected = source(config)
    assert connected.identity() == ADA
    with pytest.raises(SourceAuthFailed, match="application permissions"):
        connected.calendars()
    graph.add_application(TENANT, APP_ID, APP_SECRET, {"Calendars.ReadWrite"})
    without_directory = source(config)
    with pytest.raises(SourceAuthFailed):  # User.Read.All is needed to read the person's address
        without_directory.identity()
    assert without_directory.calendars()[0].name == "Calendar"


# --- the stand-in's own checks ---------------------------------------------------------------


def test_standin_keeps_app_and_delegated_tokens_apart(graph: GraphStandin, config: GraphConfig, ada: GraphUser) -> None:
    graph.add_application(TENANT, APP_ID, APP_SECRET, READ_WRITE_ROLES)
    grace = graph.add_user("grace@contoso.test")
    app = {"Authorization": f"Bearer {delegation.app_token(config, delegation.person_credentials(ORGANIZATION, ADA))['access_token']}"}
    user = {"Authorization": f"Bearer {graph.credentials(ADA, 'offline_access User.Read Calendars.ReadWrite')['access_token']}"}
    as_app_on_me = httpx.get(f"{graph.url}/v1.0/me", headers=app)
    as_ada_on_ada = httpx.get(f"{graph.url}/v1.0/users/{ADA_UPN}/calendars", headers=user)
    as_ada_on_grace = httpx.get(f"{graph.url}/v1.0/users/{grace.mail}/calendars", headers=user)
    as_app_on_grace = httpx.get(f"{graph.url}/v1.0/users/{grace.mail}/calendars", headers=app)
    as_app_on_nobody = httpx.get(f"{graph.url}/v1.0/users/nobody@contoso.test", headers=app)
    statuses = [r.status_code for r in (as_app_on_me, as_ada_on_ada, as_ada_on_grace, as_app_on_grace, as_app_on_nobody)]
    assert statuses == [400, 200, 403, 200, 404]
    assert as_app_on_nobody.json()["error"]["code"] == "Request_ResourceNotFound"
    wrong_scope = httpx.post(f"{graph.url}/{TENANT}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": APP_ID, "client_secret": APP_SECRET,
        "scope": "https://graph.microsoft.com/Calendars.ReadWrite"})
    assert wrong_scope.status_code == 400 and wrong_scope.json()["error_codes"] == [1002012]
    assert len(graph.violations) == 2  # /me with an app token; a scope other than .default
    graph.violations.clear()  # provoked on purpose
