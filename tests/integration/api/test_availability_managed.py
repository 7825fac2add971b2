"""Managed availability in POST /v1/availability (wire notes §4.6): availability rules and
available periods limit a member, and a rule's calendar_ids choose the calendars that count."""

import httpx
import pytest

from tests.integration.api._availability import WORKDAY, application, ask, at, busy, errors, ok, people, query, spans

NEXT_MONDAY = "2027-01-18"


def rule(calgate, person, rule_id, periods, tzid="Europe/London", **fields):
    body = {"availability_rule_id": rule_id, "tzid": tzid, "weekly_periods": periods, **fields}
    response = httpx.post(f"{calgate.url}/v1/availability_rules", json=body, headers=person.headers)
    assert response.status_code == 200, response.text


def period(calgate, person, period_id, start, end):
    body = {"available_period_id": period_id, "start": start, "end": end}
    response = httpx.post(f"{calgate.url}/v1/available_periods", json=body, headers=person.headers)
    assert response.status_code == 202, response.text


@pytest.fixture
def ada(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    ada.app = app
    return ada


def managed(ada, **fields):
    return {"sub": ada.account_id, "managed_availability": True, **fields}


def test_rules_and_available_periods_together(calgate, ada):
    rule(calgate, ada, "mornings", [{"day": "monday", "start_time": "10:00", "end_time": "12:00"}])
    period(calgate, ada, "extra", at(15), at(16))
    busy(calgate, ada, "call", at(11, 30), at(12))
    assert spans(ok(ask(calgate, ada.app.client_secret, query(managed(ada), minutes=30)))) == [
        (at(10), at(11, 30)),
        (at(15), at(16)),
    ]
    # without managed_availability the rules do not apply
    assert spans(ok(ask(calgate, ada.app.client_secret, query(ada.account_id, minutes=30)))) == [(at(9), at(11, 30)), (at(12), at(17))]


def test_rules_follow_their_zone_across_weeks(calgate, ada):
    rule(calgate, ada, "ny", [{"day": "monday", "start_time": "09:00", "end_time": "10:00"}], tzid="America/New_York")
    periods = [{"start": f"{day}T00:00:00Z", "end": f"{day}T23:59:00Z"} for day in ("2027-01-11", NEXT_MONDAY)]
    assert spans(ok(ask(calgate, ada.app.client_secret, query(managed(ada), periods=periods)))) == [
        (at(14), at(15)),
        (at(14, day=NEXT_MONDAY), at(15, day=NEXT_MONDAY)),
    ]


def test_chosen_rules_only(calgate, ada):
    rule(calgate, ada, "mornings", [{"day": "monday", "start_time": "09:00", "end_time": "12:00"}])
    rule(calgate, ada, "afternoons", [{"day": "monday", "start_time": "14:00", "end_time": "17:00"}])
    assert spans(ok(ask(calgate, ada.app.client_secret, query(managed(ada))))) == [(at(9), at(12)), (at(14), at(17))]
    # availability_rule_ids implies managed availability
    only = {"sub": ada.account_id, "availability_rule_ids": ["afternoons"]}
    assert spans(ok(ask(calgate, ada.app.client_secret, query(only)))) == [(at(14), at(17))]
    response = ask(calgate, ada.app.client_secret, query({**only, "availability_rule_ids": ["afternoons", "nights"]}))
    assert errors(response, "participants") == [f"participants[0].members[0]: {ada.account_id} has no availability rule 'nights'"]
    assert response.json()["errors"]["participants"][0]["key"] == "errors.unknown_availability_rule"


def test_nothing_managed_means_never_available(calgate, ada):
    assert spans(ok(ask(calgate, ada.app.client_secret, query(managed(ada))))) == []


def test_member_periods_narrow_managed_availability(calgate, ada):
    rule(calgate, ada, "day", [{"day": "monday", "start_time": "09:00", "end_time": "17:00"}])
    member = managed(ada, available_periods=[{"start": at(8), "end": at(10)}, {"start": at(16), "end": at(18)}])
    assert spans(ok(ask(calgate, ada.app.client_secret, query(member)))) == [(at(9), at(10)), (at(16), at(17))]


def test_a_rules_calendars_are_the_ones_that_count(calgate, ada):
    side = httpx.post(f"{calgate.url}/v1/calendars", json={"profile_id": ada.profile_id, "name": "Work"}, headers=ada.headers)
    work = side.json()["calendar"]["calendar_id"]
    busy(calgate, ada, "personal", at(9), at(12))
    httpx.post(
        f"{calgate.url}/v1/calendars/{work}/events",
        json={"event_id": "w", "summary": "Work", "start": at(15), "end": at(16)},
        headers=ada.headers,
    ).raise_for_status()
    rule(calgate, ada, "work", [{"day": "monday", "start_time": "09:00", "end_time": "17:00"}], calendar_ids=[work])
    assert spans(ok(ask(calgate, ada.app.client_secret, query(managed(ada))))) == [(at(9), at(15)), (at(16), at(17))]
    # the member's own calendar_ids win over the rule's
    mine = managed(ada, calendar_ids=[ada.calendar_id])
    assert spans(ok(ask(calgate, ada.app.client_secret, query(mine)))) == [(at(12), at(17))]


def test_query_periods_still_bound_managed_availability(calgate, ada):
    period(calgate, ada, "long", at(6), at(20))
    assert spans(ok(ask(calgate, ada.app.client_secret, query(managed(ada), periods=[WORKDAY])))) == [(at(9), at(17))]
