# SPDX-License-Identifier: Apache-2.0
"""Availability constraints (a member's ``availability_constraints``): at most so many of the
application's events per day or week, optionally only those with given tags; and the event
``tags`` they count by, as upsert takes them and Read Events shows them."""

import httpx

from tests.integration.api._availability import application, ask, at, busy, errors, ok, people, query, spans

TUESDAY = "2027-01-12"
INTERVIEW = {"private": [{"value": "Interview"}]}


def constrained(person, *constraints, **fields):
    return {"sub": person.account_id, "availability_constraints": list(constraints), **fields}


def both_days(member, **fields):
    periods = [{"start": at(9), "end": at(17)}, {"start": at(9, day=TUESDAY), "end": at(17, day=TUESDAY)}]
    return query(member, periods=periods, **fields)


def test_a_day_with_enough_tagged_events_is_not_offered(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    busy(calgate, ada, "i1", at(9), at(10), tags=INTERVIEW)
    busy(calgate, ada, "i2", at(10), at(11), tags={"private": [{"value": "Interview"}, {"value": "Remote"}]})
    busy(calgate, ada, "chat", at(9, day=TUESDAY), at(10, day=TUESDAY))
    daily = {"limit": 2, "period": "day", "tzid": "Etc/UTC", "tags": INTERVIEW}
    answer = ok(ask(calgate, app.client_secret, both_days(constrained(ada, daily), explain=True)))
    assert spans(answer) == [(at(10, day=TUESDAY), at(17, day=TUESDAY))]  # Monday has its two interviews
    [explained] = answer["explanations"]
    assert (explained["unavailable"][0]["start"], explained["unavailable"][0]["end"], explained["unavailable"][0]["reason"]) == (
        at(9), at(17), "constraint",
    )
    # Untagged events do not count towards a tagged constraint; without tags every event does.
    assert spans(ok(ask(calgate, app.client_secret, both_days(constrained(ada, {**daily, "limit": 3}))))) == [
        (at(11), at(17)), (at(10, day=TUESDAY), at(17, day=TUESDAY)),
    ]
    weekly = {"limit": 3, "period": "week", "tzid": "Etc/UTC"}
    assert spans(ok(ask(calgate, app.client_secret, both_days(constrained(ada, weekly))))) == []


def test_the_day_is_the_members_own_by_default(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    # 23:30 UTC on Monday is already Tuesday in Tokyo: with the constraint in Tokyo time it counts for Tuesday there.
    busy(calgate, ada, "late", at(23, 30), at(23, 45))
    tokyo = {"limit": 1, "period": "day", "tzid": "Asia/Tokyo"}
    utc = {"limit": 1, "period": "day", "tzid": "Etc/UTC"}
    periods = [{"start": at(1), "end": at(3)}]  # Monday 10:00–12:00 in Tokyo
    assert spans(ok(ask(calgate, app.client_secret, query(constrained(ada, tokyo), periods=periods)))) == [(at(1), at(3))]
    assert spans(ok(ask(calgate, app.client_secret, query(constrained(ada, utc), periods=periods)))) == []


def test_bad_constraints_are_named(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    for bad in ({"limit": 0, "period": "day"}, {"limit": 2, "period": "month"}, {"limit": 2, "period": "day", "tzid": "Mars/Olympus"},
                {"limit": 2, "period": "day", "tags": ["Interview"]}, "daily"):
        response = ask(calgate, app.client_secret, query(constrained(ada, bad)))
        assert any("availability_constraints[0]" in d for d in errors(response, "participants")), bad


def test_tags_on_upsert_and_in_read_events(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    busy(calgate, ada, "i1", at(9), at(10), tags=INTERVIEW)
    events = httpx.get(f"{calgate.url}/v1/events", params={"tzid": "Etc/UTC", "from": "2027-01-11", "to": "2027-01-12",
                                                          "include_managed": "true"}, headers=ada.headers).json()["events"]
    assert [e["tags"] for e in events] == [INTERVIEW]
    url = f"{calgate.url}/v1/calendars/{ada.calendar_id}/events"
    for bad in ({"private": "Interview"}, {"public": []}, {"private": [{"value": ""}]}, {"private": [{"value": "x" * 101}]}):
        body = {"event_id": "i2", "summary": "x", "start": at(11), "end": at(12), "tags": bad}
        response = httpx.post(url, json=body, headers=ada.headers)
        assert response.status_code == 422 and "tags" in response.json()["errors"], bad
