# SPDX-License-Identifier: Apache-2.0
"""Availability that tells the truth (hosted calendars): tentative time and calgate's
``tentative_as_busy``, and ``include_member_statuses``. Connected sources that cannot vouch
for a person's time are tested with the providers (tests/integration/providers)."""

import httpx

from tests.integration.api._availability import WORKDAY, application, ask, at, busy, errors, ok, people, query, spans
from tests.integration.api._read_events import set_participation


def test_tentative_time_is_busy_unless_the_request_says_otherwise(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    busy(calgate, ada, "maybe", at(10), at(12))
    set_participation(calgate, ada, "maybe", "tentative")
    assert spans(ok(ask(calgate, app.client_secret, query(ada.account_id)))) == [(at(9), at(10)), (at(12), at(17))]
    relaxed = ok(ask(calgate, app.client_secret, query(ada.account_id, tentative_as_busy=False)))
    assert spans(relaxed) == [(at(9), at(17))]
    busy(calgate, ada, "sure", at(13), at(14))
    relaxed = ok(ask(calgate, app.client_secret, query(ada.account_id, tentative_as_busy=False)))
    assert spans(relaxed) == [(at(9), at(13)), (at(14), at(17))]


def test_member_statuses_are_given_when_asked(calgate):
    app = application(calgate)
    ada, bob = people(calgate, app, 2)
    body = ok(ask(calgate, app.client_secret, query(ada.account_id, bob.account_id, include_member_statuses=True)))
    assert body["member_statuses"] == [
        {"sub": ada.account_id, "status": "fresh", "sync_status": "active", "last_synced_at": None, "detail": None},
        {"sub": bob.account_id, "status": "fresh", "sync_status": "active", "last_synced_at": None, "detail": None},
    ]
    assert "member_statuses" not in ok(ask(calgate, app.client_secret, query(ada.account_id)))


def test_the_extensions_take_booleans_only(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    for name in ("tentative_as_busy", "include_member_statuses"):
        response = ask(calgate, app.client_secret, query(ada.account_id, **{name: "yes"}))
        assert errors(response, name) == [f"{name} must be true or false"]
    assert spans(ok(ask(calgate, app.client_secret, query(ada.account_id, periods=[WORKDAY])))) == [(at(9), at(17))]


def test_excluded_events_do_not_count(calgate):
    app = application(calgate)
    ada, bob = people(calgate, app, 2)
    busy(calgate, ada, "interview", at(10), at(11))
    busy(calgate, ada, "lunch", at(12), at(13))
    busy(calgate, bob, "interview", at(14), at(15))  # the same event_id, another person's copy
    both = query(ada.account_id, bob.account_id)
    assert spans(ok(ask(calgate, app.client_secret, both))) == [(at(9), at(10)), (at(11), at(12)), (at(13), at(14)), (at(15), at(17))]
    moved = ok(ask(calgate, app.client_secret, {**both, "excluded_events": [{"event_id": "interview"}]}))
    assert spans(moved) == [(at(9), at(12)), (at(13), at(17))]
    events = httpx.get(f"{calgate.url}/v1/events", params={"tzid": "Etc/UTC", "from": "2027-01-11", "to": "2027-01-12", "include_managed": "true"},
                       headers=ada.headers).json()["events"]
    lunch = next(e["event_uid"] for e in events if e["event_id"] == "lunch")
    by_uid = ok(ask(calgate, app.client_secret, {**query(ada.account_id), "excluded_events": [{"event_uid": lunch}]}))
    assert spans(by_uid) == [(at(9), at(10)), (at(11), at(17))]


def test_excluded_events_must_name_one_event_each(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    for bad in ([{"event_uid": "a", "event_id": "b"}], [{}], ["evt_1"], [{"event_id": ""}], [], [{"event_id": "x"}] * 51):
        response = ask(calgate, app.client_secret, {**query(ada.account_id), "excluded_events": bad})
        assert errors(response, "excluded_events"), bad


def test_explain_says_why_each_member_is_not_available(calgate):
    from tests.integration.api.test_availability_managed import rule

    app = application(calgate)
    ada, bob = people(calgate, app, 2)
    rule(calgate, ada, "days", [{"day": "monday", "start_time": "10:00", "end_time": "16:00"}], tzid="Etc/UTC")
    busy(calgate, ada, "standup", at(11), at(12))
    busy(calgate, ada, "maybe", at(13), at(14))
    set_participation(calgate, ada, "maybe", "tentative")
    body = {
        **query({"sub": ada.account_id, "managed_availability": True}, bob.account_id, minutes=30),
        "buffer": {"before": {"minutes": 15}}, "explain": True,
    }
    answer = ok(ask(calgate, app.client_secret, body))
    ada_parts, bob_parts = (next(e["unavailable"] for e in answer["explanations"] if e["sub"] == s) for s in (ada.account_id, bob.account_id))
    standup_uid = ada_parts[1]["event_uid"]
    assert [(p["start"], p["end"], p["reason"], p.get("event_id")) for p in ada_parts] == [
        (at(9), at(10), "outside_availability_rules", None),
        (at(11), at(12), "busy", "standup"),
        (at(12), at(12, 15), "buffer", None),
        (at(13), at(14), "tentative", "maybe"),
        (at(14), at(14, 15), "buffer", None),
        (at(16), at(17), "outside_availability_rules", None),
    ]
    assert standup_uid.startswith("evt_")
    assert bob_parts == []
    # Explained parts and the offered time never overlap.
    assert spans(answer) == [(at(10), at(11)), (at(12, 15), at(13)), (at(14, 15), at(16))]
    assert "explanations" not in ok(ask(calgate, app.client_secret, query(ada.account_id)))
