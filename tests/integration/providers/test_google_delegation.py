"""Domain-wide delegation against the Google stand-in: a Workspace service account's key acting
as one person of the organization (the JWT bearer grant with ``sub``), through GoogleSource."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from calgate.domain.calendar_sources import (
    BusyBlock,
    RemoteCalendar,
    SourceAuthFailed,
    SourceNotFound,
    SourceUnavailable,
)
from calgate.providers.google import GoogleSource, delegation, oauth
from calgate.providers.google.source import event_id_for, resource_id
from tests.integration.providers.test_google_source import config, ics, timed
from tests.standins.google import GoogleStandin

UTC = dt.UTC
DOMAIN = "example.test"
USER = "ada@example.test"
START = dt.datetime(2031, 3, 1, tzinfo=UTC)
END = dt.datetime(2031, 5, 1, tzinfo=UTC)
OPEN: list[GoogleSource] = []


@pytest.fixture
def google(google_standin: GoogleStandin) -> Iterator[GoogleStandin]:
    google_standin.reset()
    google_standin.add_user(USER, time_zone="Europe/Berlin")
    yield google_standin
    while OPEN:
        OPEN.pop().close()
    assert google_standin.failures == []


def source_for(standin: GoogleStandin, key_file: dict[str, str], subject: str = USER, *, read_write: bool = True) -> GoogleSource:
    key = delegation.parse_key(json.dumps(key_file))
    scopes = [oauth.CALENDAR if read_write else oauth.FREEBUSY]
    credentials = delegation.person_credentials(key, subject, scopes)
    OPEN.append(GoogleSource(credentials, config(standin), stores_event_details=read_write))
    return OPEN[-1]


def _pem() -> str:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


# --- the key file ----------------------------------------------------------------------------------


def test_parse_key_keeps_what_signing_needs(google: GoogleStandin) -> None:
    key_file = google.new_service_account(DOMAIN, [oauth.CALENDAR])
    assert delegation.parse_key(json.dumps(key_file)) == {
        "client_email": key_file["client_email"], "private_key": key_file["private_key"], "private_key_id": key_file["private_key_id"],
        "client_id": key_file["client_id"],
    }
    assert key_file["client_email"].endswith(".iam.gserviceaccount.com")


def test_parse_key_refuses_what_is_not_a_service_account_key(google: GoogleStandin) -> None:
    key_file = google.new_service_account(DOMAIN, [oauth.CALENDAR])
    secret = key_file["private_key"].splitlines()[3]
    broken = {**key_file, "private_key": key_file["private_key"].replace(secret, secret[::-1])}
    cases = {
        "not JSON": key_file["private_key"],
        "service_account": json.dumps({**key_file, "type": "authorized_user"}),
        "client_email": json.dumps({k: v for k, v in key_file.items() if k != "client_email"}),
        "PEM RSA private key": json.dumps(broken),
    }
    for expected, text in cases.items():
        with pytest.raises(ValueError, match=expected) as raised:
            delegation.parse_key(text)
        assert secret not in str(raised.value) and secret[::-1] not in str(raised.value)
    with pytest.raises(ValueError, match="PEM RSA private key"):
        delegation.parse_key(json.dumps({**key_file, "private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"}))


def test_person_credentials_fetch_no_token_yet() -> None:
    key = {"client_email": "sa@p.iam.gserviceaccount.com", "private_key": "pem", "private_key_id": "k1"}
    assert delegation.person_credentials(key, "Ada@Example.test", [oauth.CALENDAR]) == {
        "delegation": key, "subject": "ada@example.test", "scope": oauth.CALENDAR,
    }


def test_the_assertion_is_an_rs256_jwt_with_the_claims_google_asks_for(google: GoogleStandin) -> None:
    key = delegation.parse_key(json.dumps(google.new_service_account(DOMAIN, [oauth.CALENDAR])))
    jwt = delegation.assertion(key, USER, oauth.CALENDAR, "https://oauth2.googleapis.com/token", now=1_900_000_000)
    header, claims, signature = (base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in jwt.split("."))
    assert "=" not in jwt and len(signature) == 256
    assert json.loads(header) == {"alg": "RS256", "typ": "JWT", "kid": key["private_key_id"]}
    assert json.loads(claims) == {
        "iss": key["client_email"], "sub": USER, "scope": oauth.CALENDAR,
        "aud": "https://oauth2.googleapis.com/token", "iat": 1_900_000_000, "exp": 1_900_003_600,
    }


# --- acting as the person ----------------------------------------------------------------------------


def test_read_write_lists_reads_and_writes_the_persons_calendar(google: GoogleStandin) -> None:
    google.state.add_calendar(USER, "team@group.calendar.google.com", "Team", access_role="reader")
    event = google.state.create(USER, USER, timed("Standup", "2031-03-03T09:00:00+01:00", "2031-03-03T09:30:00+01:00"))
    source = source_for(google, google.new_service_account(DOMAIN, [oauth.CALENDAR, oauth.FREEBUSY]))
    assert source.identity() == USER and google.delegated_grants == []  # no userinfo call, no token needed
    assert {c.remote_id for c in source.calendars()} == {USER, "team@group.calendar.google.com"}
    assert source.credentials_changed and source.credentials["access_token"] and source.credentials["expires_at"].endswith("Z")

    calendar = RemoteCalendar(USER, USER, supports_sync=True)
    [resource] = source.changes(calendar, None, START, END).changed
    assert resource.remote_id == resource_id(USER, event["id"]) and resource.occurrences[0].summary == "Standup"
    written = source.put(calendar, "evt_1.ics", ics("uid-1@calgate", "Lunch"), None)
    assert written.remote_id == resource_id(USER, event_id_for("evt_1.ics"))
    assert google.state.calendars[USER][USER].events[event_id_for("evt_1.ics")]["summary"] == "Lunch"
    assert [email for _, email in google.delegated_grants] == [USER]


def test_free_busy_reads_only_busy_time(google: GoogleStandin) -> None:
    google.state.create(USER, USER, timed("Busy", "2031-03-03T10:00:00+01:00", "2031-03-03T11:00:00+01:00"))
    source = source_for(google, google.new_service_account(DOMAIN, [oauth.FREEBUSY]), read_write=False)
    [calendar] = source.calendars()
    assert calendar == RemoteCalendar(USER, USER)
    assert source.busy(calendar, START, END) == [
        BusyBlock(dt.datetime(2031, 3, 3, 9, tzinfo=UTC), dt.datetime(2031, 3, 3, 10, tzinfo=UTC), "busy")]
    assert source.credentials["scope"] == oauth.FREEBUSY
    assert set(google.calls) == {"freebusy.query"}


def test_the_token_is_reused_until_it_expires(google: GoogleStandin) -> None:
    key_file = google.new_service_account(DOMAIN, [oauth.CALENDAR])
    source = source_for(google, key_file, "Ada@Example.test")
    source.calendars()
    source.calendars()
    assert google.delegated_grants == [(key_file["client_email"], USER)]
    first = source.credentials["access_token"]

    google.expire_access_tokens()  # Google refuses it while the credentials still say it is valid: 401, new assertion
    source.calendars()
    second = source.credentials["access_token"]
    assert len(google.delegated_grants) == 2 and second != first

    source._client.credentials["expires_at"] = "2020-01-01T00:00:00Z"  # fetched again before the call
    source.calendars()
    assert len(google.delegated_grants) == 3 and source.credentials["access_token"] != second
    assert google.calls == ["calendarList.list"] * 5  # the one refused with 401 included


# --- what Google refuses -------------------------------------------------------------------------------


def test_an_unknown_person_is_not_found(google: GoogleStandin) -> None:
    key_file = google.new_service_account(DOMAIN, [oauth.CALENDAR])
    with pytest.raises(SourceNotFound, match="nobody@example.test"):
        source_for(google, key_file, "nobody@example.test").calendars()
    google.add_user("eve@elsewhere.test")
    with pytest.raises(SourceNotFound):  # a person of another organization
        source_for(google, key_file, "eve@elsewhere.test").calendars()
    assert google.calls == [] and google.delegated_grants == []


def test_scopes_the_admin_did_not_authorize_fail_auth(google: GoogleStandin) -> None:
    key_file = google.new_service_account(DOMAIN, [oauth.FREEBUSY])
    with pytest.raises(SourceAuthFailed, match="Admin console") as raised:
        source_for(google, key_file).calendars()
    assert oauth.CALENDAR in str(raised.value) and key_file["private_key_id"] not in str(raised.value)

    source = source_for(google, google.new_service_account(DOMAIN, [oauth.CALENDAR]))
    source.calendars()
    google.delegate(source.credentials["delegation"]["client_email"], [])  # the admin revokes it
    google.expire_access_tokens()
    with pytest.raises(SourceAuthFailed, match="domain-wide delegation"):
        source.calendars()


def test_a_key_google_does_not_know_fails_auth(google: GoogleStandin) -> None:
    key_file = google.new_service_account(DOMAIN, [oauth.CALENDAR])
    forged = {**key_file, "private_key": _pem()}
    unknown = {**key_file, "client_email": "someone@other-project.iam.gserviceaccount.com"}
    for bad in (forged, unknown):
        with pytest.raises(SourceAuthFailed) as raised:
            source_for(google, bad).calendars()
        assert bad["private_key"].splitlines()[3] not in str(raised.value)
    assert google.delegated_grants == [] and google.calls == []


def test_an_unavailable_token_endpoint_is_source_unavailable(google: GoogleStandin) -> None:
    google.fail_next("token", 1, status=503, retry_after=None)
    with pytest.raises(SourceUnavailable):
        source_for(google, google.new_service_account(DOMAIN, [oauth.CALENDAR])).calendars()


def test_the_standin_checks_the_assertions_audience_and_times(google: GoogleStandin) -> None:
    key = delegation.parse_key(json.dumps(google.new_service_account(DOMAIN, [oauth.CALENDAR])))
    now = int(dt.datetime.now(UTC).timestamp())
    token_url = config(google).token_url

    def grant(jwt: str) -> tuple[int, str]:
        answer = httpx.post(token_url, data={"grant_type": delegation.JWT_BEARER, "assertion": jwt})
        return answer.status_code, answer.json().get("error_description", "")

    assert grant(delegation.assertion(key, USER, oauth.CALENDAR, "https://oauth2.googleapis.com/token")) == (400, "Invalid JWT: Failed audience check.")
    assert grant(delegation.assertion(key, USER, oauth.CALENDAR, token_url, now=now - 4000))[1].startswith("Invalid JWT: Token must be")
    assert grant(delegation.assertion(key, USER, oauth.CALENDAR, token_url, now=now + 3000))[1].startswith("Invalid JWT: Token must be")
    assert grant("not.a.jwt") == (400, "Invalid JWT Signature.")
    assert grant(delegation.assertion(key, USER, oauth.CALENDAR, token_url))[0] == 200
