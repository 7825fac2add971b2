"""What an element token reaches, presented as Cronofy's UI Elements do (``?et=``), and every
way it is refused (``domain/element_tokens``), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from calgate.domain import element_tokens
from calgate.domain.model import utcnow
from tests.integration.api._availability import WORKDAY, at, busy, query, spans
from tests.integration.api._element_tokens import ORIGIN, agenda_token, present, refused, token
from tests.integration.api._read_events import connect, restrict_scope, upsert
from tests.support.api import revoke_request
from tests.support.factories import make_application

WINDOW = {"from": "2027-01-10", "to": "2027-01-13", "tzid": "Etc/UTC", "include_managed": "true"}  # as the Agenda Element asks
RULE = {
    "availability_rule_id": "work",
    "tzid": "Etc/UTC",
    "weekly_periods": [{"day": "monday", "start_time": "09:00", "end_time": "12:00"}],
}


@pytest.fixture
def app(calgate):
    return make_application(calgate.services, features={"no_calendar"})


@pytest.fixture
def ann(calgate, app):
    person = connect(calgate, app)
    upsert(calgate, person, "standup", at(10), at(11))
    return person


@pytest.fixture
def bob(calgate, app):
    return connect(calgate, app)


def event_ids(response):
    assert response.status_code == 200, response.text
    return [e["event_id"] for e in response.json()["events"]]


# agenda: Read Events and Free/Busy of its one sub

def test_agenda_reads_its_subs_events_and_free_busy(calgate, ann, bob):
    element = agenda_token(calgate, ann)
    assert event_ids(present(calgate, "GET", "/v1/events", element, **WINDOW)) == ["standup"]
    blocks = present(calgate, "GET", "/v1/free_busy", element, **WINDOW)
    assert blocks.status_code == 200, blocks.text
    assert [(b["start"], b["end"]) for b in blocks.json()["free_busy"]] == [(at(10), at(11))]
    assert event_ids(present(calgate, "GET", "/v1/events", agenda_token(calgate, bob), **WINDOW)) == []


def test_agenda_follows_next_page_with_the_token_appended(calgate, app):
    person = connect(calgate, app)
    with httpx.Client() as client:  # one more than a page (100)
        for i in range(101):
            upsert(calgate, person, f"e{i:03d}", at(9 + i // 20, i % 20), at(9 + i // 20, i % 20 + 30), client=client)
    element = agenda_token(calgate, person)
    first = present(calgate, "GET", "/v1/events", element, **WINDOW)
    assert len(first.json()["events"]) == 100
    second = httpx.get(first.json()["pages"]["next_page"], params={"et": element}, headers={"Origin": ORIGIN})  # as the Element does
    assert event_ids(second) == ["e100"]
    stranger = agenda_token(calgate, connect(calgate, app))
    assert httpx.get(first.json()["pages"]["next_page"], params={"et": stranger}).status_code == 404


def test_agenda_cannot_read_what_the_persons_authorization_does_not_grant(calgate, ann):
    element = agenda_token(calgate, ann)
    restrict_scope(calgate, ann, "free_busy")  # no read_events any more
    response = present(calgate, "GET", "/v1/events", element, **WINDOW)
    assert refused(response, 403) and response.json()["scope"] == "read_events"
    assert present(calgate, "GET", "/v1/free_busy", element, **WINDOW).status_code == 200


def test_agenda_reaches_nothing_else(calgate, ann):
    element = agenda_token(calgate, ann)
    assert "availability_rules" in refused(present(calgate, "POST", "/v1/availability_rules", element, json=RULE), 403)
    assert "availability" in refused(present(calgate, "POST", "/v1/availability", element, json=query(ann.account_id)), 403)
    assert "availability" in refused(present(calgate, "POST", "/v1/availability", element, json={"participants": []}), 403)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/calendars"),
        ("GET", "/v1/account"),
        ("GET", "/v1/userinfo"),
        ("GET", "/v1/profiles"),
        ("GET", "/v1/channels"),
        ("POST", "/v1/calendars/{calendar_id}/events"),
        ("DELETE", "/v1/events"),
        ("POST", "/v1/batch"),
        ("POST", "/v1/profiles/{profile_id}/revoke"),
        ("POST", "/v1/calendars/{calendar_id}/ics_subscription"),
    ],
)
def test_routes_it_cannot_reach_answer_403_json(calgate, ann, method, path):
    every = token(calgate, ann.creds, list(element_tokens.PERMISSIONS), [ann.account_id])
    path = path.format(calendar_id=ann.calendar_id, profile_id=ann.profile_id)
    body = {"event_id": "x", "summary": "x", "start": at(13), "end": at(14)} if method == "POST" else None
    assert "cannot reach" in refused(present(calgate, method, path, every, json=body), 403)
    assert event_ids(present(calgate, "GET", "/v1/events", every, **WINDOW)) == ["standup"]  # nothing was changed


def test_a_bearer_credential_beside_the_token_gives_it_no_more(calgate, ann):
    element = agenda_token(calgate, ann)
    response = httpx.get(f"{calgate.url}/v1/calendars", params={"et": element}, headers=ann.headers)
    refused(response, 403)
    assert httpx.get(f"{calgate.url}/v1/calendars", headers=ann.headers).status_code == 200


def test_account_routes_need_a_token_naming_one_sub(calgate, ann, bob):
    both = token(calgate, ann.creds, ["agenda"], [ann.account_id, bob.account_id])
    assert "names 2 accounts" in refused(present(calgate, "GET", "/v1/events", both, **WINDOW), 403)


# availability: Availability and Sequenced Availability, members among its subs

def test_availability_for_its_subs(calgate, ann, bob):
    busy(calgate, bob, "dentist", at(14), at(15))
    element = token(calgate, ann.creds, ["availability"], [ann.account_id, bob.account_id])
    response = present(calgate, "POST", "/v1/availability", element, json=query(ann.account_id, bob.account_id))
    assert response.status_code == 200, response.text
    assert spans(response.json()) == [(at(9), at(10)), (at(11), at(14)), (at(15), at(17))]


def test_availability_refuses_a_member_the_token_does_not_name(calgate, ann, bob):
    element = token(calgate, ann.creds, ["availability"], [ann.account_id])
    response = present(calgate, "POST", "/v1/availability", element, json=query(ann.account_id, {"sub": bob.account_id}))
    assert bob.account_id in refused(response, 403)
    step = {"sequence_id": "one", "ordinal": 1, "participants": [{"members": [bob.account_id], "required": "all"}],
            "required_duration": {"minutes": 30}}
    sequenced = present(calgate, "POST", "/v1/sequenced_availability", element, json={"sequence": [step], "query_periods": [WORKDAY]})
    assert bob.account_id in refused(sequenced, 403)
    step["participants"] = [{"members": [ann.account_id], "required": "all"}]
    mine = present(calgate, "POST", "/v1/sequenced_availability", element, json={"sequence": [step], "query_periods": [WORKDAY]})
    assert mine.status_code == 200, mine.text
    assert mine.json()["sequences"]


def test_availability_does_not_explain(calgate, ann):
    element = token(calgate, ann.creds, ["availability"], [ann.account_id])
    response = present(calgate, "POST", "/v1/availability", element, json=query(ann.account_id, explain=True))
    assert "explain" in refused(response, 403)


def test_availability_cannot_read_events(calgate, ann):
    element = token(calgate, ann.creds, ["availability"], [ann.account_id])
    assert "read_events" in refused(present(calgate, "GET", "/v1/events", element, **WINDOW), 403)


def test_a_bad_availability_query_is_still_a_422(calgate, ann):
    element = token(calgate, ann.creds, ["availability"], [ann.account_id])
    response = present(calgate, "POST", "/v1/availability", element, json={"participants": []})
    assert response.status_code == 422 and "participants" in response.json()["errors"]


# managed_availability: the availability rules and available periods of its one sub

def test_managed_availability_writes_and_reads_its_subs_rules_and_periods(calgate, ann, bob):
    element = token(calgate, ann.creds, ["managed_availability"], [ann.account_id])
    created = present(calgate, "POST", "/v1/availability_rules", element, json=RULE)
    assert created.status_code == 200, created.text
    read = present(calgate, "GET", "/v1/availability_rules/work", element)
    assert read.status_code == 200 and read.json()["availability_rule"]["availability_rule_id"] == "work"
    assert httpx.get(f"{calgate.url}/v1/availability_rules", headers=ann.headers).json()["availability_rules"][0]["availability_rule_id"] == "work"
    assert httpx.get(f"{calgate.url}/v1/availability_rules", headers=bob.headers).json()["availability_rules"] == []
    period = {"available_period_id": "p1", "start": at(9), "end": at(10)}
    assert present(calgate, "POST", "/v1/available_periods", element, json=period).status_code == 202
    assert [p["available_period_id"] for p in present(calgate, "GET", "/v1/available_periods", element).json()["available_periods"]] == ["p1"]
    assert present(calgate, "DELETE", "/v1/availability_rules/work", element).status_code == 202
    assert httpx.get(f"{calgate.url}/v1/availability_rules", headers=ann.headers).json()["availability_rules"] == []
    assert "read_events" in refused(present(calgate, "GET", "/v1/events", element, **WINDOW), 403)


def test_account_management_reaches_nothing_yet(calgate, ann):
    element = token(calgate, ann.creds, ["account_management"], [ann.account_id])
    refused(present(calgate, "GET", "/v1/events", element, **WINDOW), 403)
    refused(present(calgate, "GET", "/v1/availability_rules", element), 403)
    refused(present(calgate, "POST", f"/v1/profiles/{ann.profile_id}/revoke", element), 403)


# the origin

def test_another_origin_is_refused(calgate, ann):
    element = agenda_token(calgate, ann)
    for origin in ("https://evil.example", "http://localhost:3001", "https://localhost:3000", "null"):
        assert ORIGIN in refused(present(calgate, "GET", "/v1/events", element, origin=origin, **WINDOW), 403)


def test_the_origin_is_compared_as_browsers_send_it(calgate, ann):
    element = token(calgate, ann.creds, ["agenda"], [ann.account_id], origin="https://App.Example.com:443/")
    assert event_ids(present(calgate, "GET", "/v1/events", element, origin="https://app.example.com", **WINDOW)) == ["standup"]


def test_no_origin_header_is_not_a_browser_and_passes(calgate, ann):
    element = agenda_token(calgate, ann)
    assert event_ids(present(calgate, "GET", "/v1/events", element, origin=None, **WINDOW)) == ["standup"]


# unknown, expired, revoked, another application's

def test_an_unknown_token_is_a_401(calgate, ann):
    for bad in ("x" * 32, "", ann.access_token):  # an access token is not an element token
        refused(present(calgate, "GET", "/v1/events", bad, **WINDOW), 401)
        refused(present(calgate, "POST", "/v1/availability", bad, json=query(ann.account_id)), 401)


def test_an_element_token_is_not_a_bearer_token(calgate, ann):
    element = agenda_token(calgate, ann)
    response = httpx.get(f"{calgate.url}/v1/events", params=WINDOW, headers={"Authorization": f"Bearer {element}"})
    refused(response, 401)


def test_an_expired_token_is_a_401(calgate, ann):
    issued_at = utcnow() - dt.timedelta(seconds=element_tokens.TTL + 1)
    with calgate.services.uow() as uow:
        application = uow.applications.get(ann.creds.application_id)
        request = element_tokens.Request(permissions=("agenda", "availability"), subs=(ann.account_id,), origin=ORIGIN)
        issued = element_tokens.issue(uow, application, request, issued_at)
        uow.commit()
    assert "expired" in refused(present(calgate, "GET", "/v1/events", issued.token, **WINDOW), 401)
    assert "expired" in refused(present(calgate, "POST", "/v1/availability", issued.token, json=query(ann.account_id)), 401)


def test_a_token_still_valid_a_second_before_it_expires(calgate, ann):
    issued_at = utcnow() - dt.timedelta(seconds=element_tokens.TTL - 60)
    with calgate.services.uow() as uow:
        application = uow.applications.get(ann.creds.application_id)
        request = element_tokens.Request(permissions=("agenda",), subs=(ann.account_id,), origin=ORIGIN)
        issued = element_tokens.issue(uow, application, request, issued_at)
        uow.commit()
    assert event_ids(present(calgate, "GET", "/v1/events", issued.token, **WINDOW)) == ["standup"]


def test_a_revoked_authorization_ends_what_the_token_reaches(calgate, ann):
    agenda = agenda_token(calgate, ann)
    availability = token(calgate, ann.creds, ["availability"], [ann.account_id])
    assert revoke_request(calgate, ann.creds, sub=ann.account_id).status_code == 200
    assert "no longer authorizes" in refused(present(calgate, "GET", "/v1/events", agenda, **WINDOW), 401)
    response = present(calgate, "POST", "/v1/availability", availability, json=query(ann.account_id))
    assert response.status_code == 422 and response.json()["errors"]["participants"][0]["key"] == "errors.not_authorized"


def test_another_applications_token_reaches_none_of_this_applications_people(calgate, ann):
    other = connect(calgate)  # a second application, its own person
    theirs = token(calgate, other.creds, ["agenda", "availability"], [other.account_id])
    assert other.account_id != ann.account_id
    response = present(calgate, "POST", "/v1/availability", theirs, json=query(ann.account_id))
    assert ann.account_id in refused(response, 403)
    assert event_ids(present(calgate, "GET", "/v1/events", theirs, **WINDOW)) == []  # their own person's, not ann's
