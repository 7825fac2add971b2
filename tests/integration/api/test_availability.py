"""POST /v1/availability over HTTP (wire notes §1.2, §4.5): who may ask and for whom, and
what counts as busy — the same as Free/Busy."""

import httpx

from tests.integration.api._availability import (
    WORKDAY,
    application,
    ask,
    at,
    busy,
    errors,
    ok,
    people,
    query,
    spans,
    subs,
)
from tests.integration.api._read_events import connect, restrict_scope, set_participation
from tests.support.application_calendars import make_application_calendar


def test_common_free_periods_with_the_api_key(calgate):
    app = application(calgate)
    ada, bob = people(calgate, app, 2)
    busy(calgate, ada, "standup", at(10), at(11))
    busy(calgate, bob, "lunch", at(13), at(14, 30))
    body = ok(ask(calgate, app.client_secret, query(ada.account_id, {"sub": bob.account_id})))
    assert spans(body) == [(at(9), at(10)), (at(11), at(13)), (at(14, 30), at(17))]
    assert all(subs(p) == sorted([ada.account_id, bob.account_id]) for p in body["available_periods"])
    assert set(body["available_periods"][0]) == {"start", "end", "participants"}


def test_an_accounts_token_may_ask_about_the_applications_other_accounts(calgate):
    app = application(calgate)
    ada, bob = people(calgate, app, 2)
    busy(calgate, bob, "b", at(9), at(16, 30))
    body = ok(ask(calgate, ada.access_token, query(ada.account_id, bob.account_id)))
    assert spans(body) == []  # only 30 minutes left, an hour asked
    body = ok(ask(calgate, ada.access_token, query(bob.account_id, minutes=30)))
    assert spans(body) == [(at(16, 30), at(17))]


def test_busy_is_what_free_busy_shows(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    busy(calgate, ada, "opaque", at(9), at(10))
    busy(calgate, ada, "see-through", at(10), at(11), transparency="transparent")
    busy(calgate, ada, "declined", at(11), at(12))
    busy(calgate, ada, "maybe", at(13), at(14))
    busy(calgate, ada, "all-day-tomorrow", "2027-01-12", "2027-01-13")
    set_participation(calgate, ada, "declined", "declined")
    set_participation(calgate, ada, "maybe", "tentative")
    periods = [WORKDAY, {"start": "2027-01-12T09:00:00Z", "end": "2027-01-12T17:00:00Z"}]
    body = ok(ask(calgate, app.client_secret, query(ada.account_id, periods=periods)))
    assert spans(body) == [(at(10), at(13)), (at(14), at(17))]


def test_calendar_ids_choose_the_calendars_that_count(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    created = httpx.post(f"{calgate.url}/v1/calendars", json={"profile_id": ada.profile_id, "name": "Side"}, headers=ada.headers)
    side = created.json()["calendar"]["calendar_id"]
    busy(calgate, ada, "main", at(9), at(12))
    httpx.post(
        f"{calgate.url}/v1/calendars/{side}/events",
        json={"event_id": "side", "summary": "Side", "start": at(13), "end": at(17)},
        headers=ada.headers,
    ).raise_for_status()
    every = ok(ask(calgate, app.client_secret, query(ada.account_id)))
    assert spans(every) == [(at(12), at(13))]
    main_only = ok(ask(calgate, app.client_secret, query({"sub": ada.account_id, "calendar_ids": [ada.calendar_id]})))
    assert spans(main_only) == [(at(12), at(17))]
    none = ok(ask(calgate, app.client_secret, query({"sub": ada.account_id, "calendar_ids": []})))
    assert spans(none) == [(at(9), at(17))]
    response = ask(calgate, app.client_secret, query({"sub": ada.account_id, "calendar_ids": ["cal_nope"]}))
    assert errors(response, "participants") == [f"participants[0].members[0]: {ada.account_id} has no calendar cal_nope"]


def test_required_counts_and_several_groups(calgate):
    app = application(calgate)
    ada, bob, cat = people(calgate, app, 3)
    busy(calgate, ada, "a", at(9), at(12))
    busy(calgate, bob, "b", at(11), at(15))
    busy(calgate, cat, "c", at(16), at(17))
    body = {
        "participants": [
            {"members": [ada.account_id, bob.account_id], "required": 1},
            {"members": [cat.account_id]},  # required defaults to "all"
        ],
        "required_duration": {"hours": 1, "minutes": 0},
        "query_periods": [WORKDAY],
    }
    found = ok(ask(calgate, app.client_secret, body))["available_periods"]
    # one of ada and bob, and cat; each period names who is free for all of it and lasts as
    # long as they stay free (ada and cat until 16:00), so periods may overlap
    assert [(p["start"], p["end"], [m["sub"] for m in p["participants"]]) for p in found] == [
        (at(9), at(11), [bob.account_id, cat.account_id]),
        (at(12), at(16), [ada.account_id, cat.account_id]),
        (at(15), at(16), [ada.account_id, bob.account_id, cat.account_id]),
    ]


def test_application_calendars_are_members_too(calgate):
    app = application(calgate)
    room = make_application_calendar(calgate, app, "room-1")
    [ada] = people(calgate, app, 1)
    httpx.post(
        f"{calgate.url}/v1/calendars/{room.calendar_id}/events",
        json={"event_id": "booked", "summary": "Booked", "start": at(9), "end": at(15)},
        headers=room.headers,
    ).raise_for_status()
    body = ok(ask(calgate, app.client_secret, query(ada.account_id, room.sub)))
    assert spans(body) == [(at(15), at(17))]
    assert subs(body["available_periods"][0]) == sorted([ada.account_id, room.sub])


def test_only_the_applications_authorized_accounts(calgate):
    app, other = application(calgate), application(calgate)
    [ada] = people(calgate, app, 1)
    [stranger] = people(calgate, other, 1)
    response = ask(calgate, app.client_secret, query(ada.account_id, stranger.account_id, "acc_000000000000000000000000"))
    assert errors(response, "participants") == [
        f"participants[0].members[1]: {stranger.account_id!r} is not an account or application calendar of this application",
        "participants[0].members[2]: 'acc_000000000000000000000000' is not an account or application calendar of this application",
    ]
    assert [e["key"] for e in response.json()["errors"]["participants"]] == ["errors.unknown_sub"] * 2
    # another application's key cannot ask about ada either
    assert ask(calgate, other.client_secret, query(ada.account_id)).status_code == 422
    restrict_scope(calgate, ada, "read_account list_calendars")
    response = ask(calgate, app.client_secret, query(ada.account_id))
    assert response.json()["errors"]["participants"][0]["key"] == "errors.not_authorized"


def test_revoked_accounts_are_not_members(calgate):
    app = application(calgate)
    ada = connect(calgate, app)
    revoked = httpx.post(
        f"{calgate.url}/oauth/token/revoke",
        json={"client_id": app.client_id, "client_secret": app.client_secret, "sub": ada.account_id},
    )
    assert revoked.status_code == 200, revoked.text
    response = ask(calgate, app.client_secret, query(ada.account_id))
    assert response.json()["errors"]["participants"][0]["key"] == "errors.not_authorized"


def test_credentials(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    assert ask(calgate, None, query(ada.account_id)).status_code == 401
    unknown = ask(calgate, "not-a-credential", query(ada.account_id))
    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_token"
    # credentials are checked before the body
    assert ask(calgate, "not-a-credential", {}).status_code == 401
