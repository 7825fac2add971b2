# SPDX-License-Identifier: Apache-2.0
"""``POST /v1/availability`` and ``POST /v1/sequenced_availability`` against the minute-by-minute
oracle, through a real server (SQLite and PostgreSQL), set up as a new user would: an
application calendar per person, their events (opaque or transparent), an availability rule in
Asia/Kolkata, Asia/Kathmandu or Australia/Adelaide and available periods, all over HTTP; then
random groups ("all", N of n, round robin, several), managed availability on and off, the
member's own available_periods, durations, buffers, start intervals, every response format,
``query_slots``, ``max_results`` and sequences (``tests/unit/domain/availability/_week.py``).

Every answered period, slot and sequence step must equal the oracle's (start, end and
participants), and with ``explain: true`` each member's explained parts must be exactly the
query time the oracle finds them not free for. Issue 19: groups with ``required`` N answered
periods shorter than the duration."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.support.api import bearer
from calgate.domain import applications, developers
from tests.support.factories import DEVELOPER_PASSWORD, AppCredentials
from tests.unit.domain.availability import _oracle
from tests.unit.domain.availability._oracle import at, minutes
from tests.unit.domain.availability._week import Event, Person, Seat, Team, Week, describe, oracle_query, step_query, weeks

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FORMATS = ("periods", "slots", "overlapping_slots")


def iso(minute: int) -> str:
    return at(minute).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(text: str) -> int:
    return minutes(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


def _created(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text


@pytest.fixture
def developer(calgate: Any) -> str:
    """One developer for all of a test's examples (signing up hashes a password: slow)."""
    with calgate.services.uow() as uow:
        made = developers.sign_up(uow, f"dev-{secrets.token_hex(4)}@example.com", DEVELOPER_PASSWORD)
        uow.commit()
        return made.id


def new_application(calgate: Any, developer: str) -> AppCredentials:
    with calgate.services.uow() as uow:
        app, secret = applications.create(uow, calgate.services.box, developer, "Oracle", ["http://localhost:9999/callback"], {"no_calendar"})
        uow.commit()
    return AppCredentials(app.client_id, secret, "http://localhost:9999/callback", app.id)


def set_up(client: httpx.Client, app: AppCredentials, week: Week) -> tuple[str, list[str]]:
    """An application calendar per person of ``week`` in a new application (so no rate limit
    is shared between examples), their events, rule and available periods; the application's
    API key and the subs."""
    subs = []
    for index, person in enumerate(week.people):
        made = client.post(
            "/v1/application_calendars",
            json={"client_id": app.client_id, "client_secret": app.client_secret, "application_calendar_id": f"person-{index}"},
        )
        _created(made, 200)
        headers = bearer(made.json()["access_token"])
        subs.append(made.json()["sub"])
        calendar_id = client.get("/v1/calendars", headers=headers).json()["calendars"][0]["calendar_id"]
        for n, event in enumerate(person.events):
            body = {"event_id": f"e{n}", "summary": "Busy", "start": iso(event.start), "end": iso(event.end)}
            if event.transparent:
                body["transparency"] = "transparent"
            _created(client.post(f"/v1/calendars/{calendar_id}/events", json=body, headers=headers), 202)
        if person.rule is not None:
            weekly = [{"day": d, "start_time": a, "end_time": b} for d, a, b in person.rule.weekly_periods]
            rule = {"availability_rule_id": "hours", "tzid": person.rule.tzid, "weekly_periods": weekly}
            _created(client.post("/v1/availability_rules", json=rule, headers=headers), 200)
        for n, (start, end) in enumerate(person.periods):
            period = {"available_period_id": f"p{n}", "start": iso(start), "end": iso(end)}
            _created(client.post("/v1/available_periods", json=period, headers=headers), 202)
    return app.client_secret, subs


def _member(seat: Seat, subs: list[str]) -> dict[str, Any]:
    member: dict[str, Any] = {"sub": subs[seat.person]}
    if seat.managed:
        member["managed_availability"] = True
    if seat.available is not None:
        member["available_periods"] = [{"start": iso(s), "end": iso(e)} for s, e in seat.available]
    return member


def participants(teams: tuple[Team, ...], subs: list[str]) -> list[dict[str, Any]]:
    return [
        {"members": [_member(seat, subs) for seat in team.seats], "required": "all" if team.required is None else team.required}
        for team in teams
    ]


def _shared(duration: int, before: int, after: int, start_interval: int | None) -> dict[str, Any]:
    body: dict[str, Any] = {"required_duration": {"minutes": duration}}
    if before or after:
        body["buffer"] = {"before": {"minutes": before}, "after": {"minutes": after}}
    if start_interval is not None:
        body["start_interval"] = {"minutes": start_interval}
    return body


def availability_body(week: Week, subs: list[str], response_format: str, explain: bool) -> dict[str, Any]:
    body = {"participants": participants(week.teams, subs), **_shared(week.duration, week.before, week.after, week.start_interval),
            "response_format": response_format}
    if week.query_slots is not None:
        body["query_slots"] = [{"start": iso(s)} for s in week.query_slots]
    else:
        body["query_periods"] = [{"start": iso(s), "end": iso(e)} for s, e in week.periods]
    if week.max_results is not None:
        body["max_results"] = week.max_results
    if explain:
        body["explain"] = True
    return body


def sequenced_body(week: Week, subs: list[str], max_results: int) -> dict[str, Any]:
    steps = []
    for ordinal, step in enumerate(week.sequence, start=1):
        entry = {"sequence_id": step.sequence_id, "ordinal": ordinal, "participants": participants(step.teams, subs),
                 **_shared(step.duration, step.before, step.after, step.start_interval)}
        if step.periods is not None:
            entry["query_periods"] = [{"start": iso(s), "end": iso(e)} for s, e in step.periods]
        steps.append(entry)
    return {"sequence": steps, "query_periods": [{"start": iso(s), "end": iso(e)} for s, e in week.periods], "max_results": max_results}


def found(items: list[dict[str, Any]]) -> list[_oracle.Found]:
    return [(instant(i["start"]), instant(i["end"]), tuple(p["sub"] for p in i["participants"])) for i in items]


def check_explanations(week: Week, subs: list[str], response_format: str, body: dict[str, Any]) -> None:
    free = _oracle.free_minutes(oracle_query(week, subs, response_format))
    explained = {e["sub"]: e["unavailable"] for e in body["explanations"]}
    assert set(explained) == set(free)
    windows = [(s, s + week.duration) for s in week.query_slots] if week.query_slots is not None else week.periods
    query = {t for a, b in windows for t in range(a, b)}
    for sub, parts in explained.items():
        marked = [t for p in parts for t in range(instant(p["start"]), instant(p["end"]))]
        assert len(marked) == len(set(marked)), f"{sub}: explained parts overlap"
        assert set(marked) == query - free[sub], sub


@SETTINGS
@given(week=weeks(sequenced=True), explained=st.sampled_from(FORMATS), sequences=st.integers(1, 6))
def test_availability_over_http_matches_the_oracle(calgate, developer, week, explained, sequences):
    note(describe(week))
    with httpx.Client(base_url=calgate.url, timeout=30) as client:
        key, subs = set_up(client, new_application(calgate, developer), week)
        note(f"subs: {subs}")
        for response_format in FORMATS:
            body = availability_body(week, subs, response_format, explain=response_format == explained)
            response = client.post("/v1/availability", json=body, headers=bearer(key))
            assert response.status_code == 200, response.text
            answer = response.json()
            key_name = "available_periods" if response_format == "periods" else "available_slots"
            expected = _oracle.answer(oracle_query(week, subs, response_format))
            if week.max_results is None:
                expected = expected[:512]  # the wire's default max_results
            assert found(answer[key_name]) == expected, response_format
            if response_format == explained:
                check_explanations(week, subs, response_format, answer)
        if week.sequence:
            response = client.post("/v1/sequenced_availability", json=sequenced_body(week, subs, sequences), headers=bearer(key))
            assert response.status_code == 200, response.text
            chains = response.json()["sequences"]
            assert [found(c["sequence"]) for c in chains] == _oracle.sequences([step_query(week, s, subs) for s in week.sequence], sequences)
            assert all([p["sequence_id"] for p in c["sequence"]] == [s.sequence_id for s in week.sequence] for c in chains)


def test_the_reported_shape_round_robin_of_four_for_ninety_minutes(calgate, developer):
    """Issue 19 as reported, fixed in place: four people in a ``required: 1`` group, 90 minutes;
    two of them can only just fit a meeting, the old engine cut the period where they dropped
    out and answered a ten-minute piece for the rest."""
    people = (
        Person((Event(9 * 60 + 90, 24 * 60),), None, ()),  # free 09:00–10:30
        Person((Event(9 * 60 + 100, 24 * 60),), None, ()),  # free 09:00–10:40
        Person((), None, ()),
        Person((Event(12 * 60, 13 * 60),), None, ()),  # busy 12:00–13:00
    )
    team = Team(tuple(Seat(i) for i in range(4)), 1)
    week = Week(people=people, teams=(team,), periods=((9 * 60, 17 * 60),), duration=90)
    with httpx.Client(base_url=calgate.url, timeout=30) as client:
        key, subs = set_up(client, new_application(calgate, developer), week)
        response = client.post("/v1/availability", json=availability_body(week, subs, "periods", False), headers=bearer(key))
    periods = found(response.json()["available_periods"])
    assert all(end - start >= 90 for start, end, _ in periods)
    assert periods == [
        (540, 630, (subs[0], subs[1], subs[2], subs[3])),
        (540, 640, (subs[1], subs[2], subs[3])),
        (540, 720, (subs[2], subs[3])),
        (540, 1020, (subs[2],)),
        (780, 1020, (subs[2], subs[3])),
    ]
    assert periods == _oracle.answer(oracle_query(week, subs, "periods"))
