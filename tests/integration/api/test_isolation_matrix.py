# SPDX-License-Identifier: Apache-2.0
"""Isolation between applications, endpoint by endpoint.

Application A holds its API key (client secret), its client credentials, the access token of a
person connected to it (No Access), the token of one of its application calendars and the
token of one of its service accounts. With each of those it aims every v1 endpoint (and
``/oauth/token*``) at application B's accounts, calendars, events, availability rules,
available periods, channels, profiles, ICS subscription, service account, page links, codes and
tokens. Every attempt must get the answer documented for it (404, 403, 401, 400, or the 422 a
foreign id is documented to get; where the request only names A's own namespace, e.g. an
``event_id`` B also uses, A's own 2xx), and:

- no response (body or headers) carries any of B's identifiers or data, apart from the values
  the request itself sent (an echo tells A nothing it did not know) and those an earlier
  attempt with the same credential wrote into A's own namespace (A's own ``event_id`` that
  happens to equal B's);
- nothing of B changed (B's rows, jobs aside, are compared before and after each attempt);
- the answer is the one a never-existing id of the same shape gets, so it does not even tell
  that B's id exists.

``test_every_v1_route_is_in_the_matrix`` walks ``app.routes``: a route added later without an
isolation case fails it. ``test_b_is_intact_after_every_attempt`` reads B back through B's own
credentials at the end.

Building the two applications connects four people through the emailed-code flow and writes a
few hundred rows, so the world is built once per backend (module scope, on the same
``live_server`` the ``calgate`` fixture yields, emptied first) instead of once per case.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from calgate.app import create_app
from calgate.domain import enterprise_connect
from calgate.domain.model import utcnow
from calgate.store.tables import metadata
from tests.support.api import bearer, connect_and_exchange, token_request
from tests.support.application_calendars import make_application_calendar
from tests.support.connect import connect_hosted
from tests.support.factories import AppCredentials, make_application
from tests.support.server import LiveServer, make_settings
from tests.support.webhooks import Receiver, receiving

FULL_SCOPE = (
    "read_account list_calendars create_calendar read_events create_event delete_event "
    "change_participation_status free_busy_write"
)
FMT = "%Y-%m-%dT%H:%M:%SZ"
TZID = "Etc/UTC"

# ---------------------------------------------------------------------------------------------
# What each attempt must get
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: int
    error: str | None = None  # "error" of a 4xx body
    field: str | None = None  # 422: the field …
    key: str | None = None  # … and the key under it
    entries: tuple[int, ...] | None = None  # 207: each batch entry's status
    empty: bool = False  # the answer has no body

    def problems(self, response: httpx.Response) -> list[str]:
        found: list[str] = []
        if response.status_code != self.status:
            return [f"status {response.status_code}, expected {self.status}"]
        if self.empty:
            return [] if response.content == b"" else [f"a body where none is due: {response.text[:200]}"]
        if self.status in (200, 207) or self.error or self.field:
            try:
                body = response.json()
            except ValueError:
                return ["the body is not JSON"]
        if self.error and body.get("error") != self.error:
            found.append(f"error {body.get('error')!r}, expected {self.error!r}")
        if self.field:
            keys = [e.get("key") for e in body.get("errors", {}).get(self.field, [])]
            if self.key not in keys:
                found.append(f"422 keys under {self.field!r}: {keys}, expected {self.key!r}")
        if self.entries is not None:
            statuses = tuple(e.get("status") for e in body.get("batch", []))
            if statuses != self.entries:
                found.append(f"batch entry statuses {statuses}, expected {self.entries}")
        return found


NOT_FOUND = Expect(404, error="not_found")
UNAUTHENTICATED = Expect(401, error="invalid_token")
FORBIDDEN = Expect(403, error="insufficient_scope")
OK = Expect(200)
ACCEPTED = Expect(202, empty=True)
REVOKED_NOTHING = Expect(200, empty=True)  # RFC 7009: what is not the client's own is no error
INVALID_CLIENT = Expect(400, error="invalid_client")
INVALID_GRANT = Expect(400, error="invalid_grant")


def invalid(field_name: str, key: str) -> Expect:
    return Expect(422, field=field_name, key=key)


UNKNOWN_SUB = invalid("participants", "errors.unknown_sub")

# Credential kinds. Bearer kinds put a credential of A in Authorization; "client" sends A's
# client_id and client_secret in the body; "mixed" sends B's client_id with A's secret.
API_KEY, TOKEN, APC, SA, CLIENT, MIXED = "api_key", "person_token", "app_calendar_token", "service_account_token", "client", "b_client_id"


def bearer_kinds(account: Expect, *, api_key: Expect = UNAUTHENTICATED, sa: Expect | None = FORBIDDEN) -> dict[str, Expect]:
    """What A's API key, A's two account tokens and A's service account token get. An API key
    is no access token (401) except where it is documented to work (Availability); a service
    account token acts for no account (403, README "Enterprise Connect")."""
    kinds = {API_KEY: api_key, TOKEN: account, APC: account}
    if sa is not None:
        kinds[SA] = sa
    return kinds


def client_kinds(client: Expect) -> dict[str, Expect]:
    return {CLIENT: client, MIXED: INVALID_CLIENT}


@dataclass(frozen=True)
class Attack:
    """One request template aimed at B. ``{name}`` placeholders are filled from the world:
    ``b_*`` are B's values (or, for the twin request, never-existing ones of the same shape),
    ``a_cal``/``a_sub`` the acting account's own calendar and sub, ``client_id``/``client_secret``
    the credentials the kind sends."""

    name: str
    route: tuple[str, str]  # (method, path) as the application declares it
    path: str
    expect: dict[str, Expect]
    json: Any = None
    params: Any = None
    own: bool = False  # names only A's own namespace: no twin, values it writes are A's own
    undo: tuple[str, str, Any] | None = None  # (method, path, json) run with the same credential after a 2xx

    @property
    def method(self) -> str:
        return self.route[0]


def event(event_id: str = "{b_event_id}", summary: str = "Written by application A") -> dict[str, Any]:
    return {"event_id": event_id, "summary": summary, "start": "2026-12-03T09:00:00Z", "end": "2026-12-03T10:00:00Z"}


RULE = {"tzid": "Europe/London", "weekly_periods": [{"day": "monday", "start_time": "09:00", "end_time": "17:00"}]}
PERIOD = {"start": "2026-12-04T09:00:00Z", "end": "2026-12-04T10:00:00Z"}
QUERY = [{"start": "2026-12-01T00:00:00Z", "end": "2026-12-02T00:00:00Z"}]
READ = {"tzid": TZID, "include_managed": "true"}


def availability(*members: Any) -> dict[str, Any]:
    return {"participants": [{"members": list(members), "required": "all"}], "required_duration": {"minutes": 30}, "query_periods": QUERY}


def sequenced(*members: Any) -> dict[str, Any]:
    step = {"sequence_id": "s1", "ordinal": 1, "participants": [{"members": list(members), "required": "all"}], "required_duration": {"minutes": 30}}
    return {"sequence": [step], "query_periods": QUERY}


def rts(member: str, target: tuple[str, str]) -> dict[str, Any]:
    return {
        "oauth": {"redirect_uri": "http://127.0.0.1:9/alpha"}, "event": {"event_id": "rts-1", "summary": "Written by application A"},
        "availability": availability({"sub": member}), "target_calendars": [{"sub": target[0], "calendar_id": target[1]}],
    }


ATTACKS: list[Attack] = [
    # identity: nothing to aim at, so what A reads must simply hold nothing of B
    Attack("account", ("GET", "/v1/account"), "/v1/account", bearer_kinds(OK)),
    Attack("userinfo", ("GET", "/v1/userinfo"), "/v1/userinfo", bearer_kinds(OK, sa=OK)),
    Attack("profiles", ("GET", "/v1/profiles"), "/v1/profiles", bearer_kinds(OK)),
    *(
        Attack(f"revoke_profile[{p}]", ("POST", "/v1/profiles/{profile_id}/revoke"), f"/v1/profiles/{{{p}}}/revoke", bearer_kinds(NOT_FOUND))
        for p in ("b_pro", "b_twin_pro", "b_apc_pro")
    ),
    Attack("calendars", ("GET", "/v1/calendars"), "/v1/calendars", bearer_kinds(OK)),
    Attack("create_calendar_in_b_profile", ("POST", "/v1/calendars"), "/v1/calendars", bearer_kinds(NOT_FOUND),
           json={"profile_id": "{b_pro}", "name": "Planted by A"}),
    # managed events
    *(
        Attack(f"upsert_event[{c}]", ("POST", "/v1/calendars/{calendar_id}/events"), f"/v1/calendars/{{{c}}}/events",
               bearer_kinds(NOT_FOUND), json=event())
        for c in ("b_cal", "b_cal2", "b_twin_cal", "b_apc_cal")
    ),
    Attack("upsert_b_event_id_in_own_calendar", ("POST", "/v1/calendars/{calendar_id}/events"), "/v1/calendars/{a_cal}/events",
           bearer_kinds(ACCEPTED), json=event(), own=True,
           undo=("DELETE", "/v1/calendars/{a_cal}/events", {"event_id": "{b_event_id}"})),
    *(
        Attack(f"delete_event[{c}]", ("DELETE", "/v1/calendars/{calendar_id}/events"), f"/v1/calendars/{{{c}}}/events",
               bearer_kinds(NOT_FOUND), json={"event_id": e})
        for c, e in (("b_cal", "{b_event_id}"), ("b_apc_cal", "{b_apc_event_id}"), ("b_twin_cal", "{b_twin_event_id}"))
    ),
    Attack("delete_b_event_id_in_own_calendar", ("DELETE", "/v1/calendars/{calendar_id}/events"), "/v1/calendars/{a_cal}/events",
           bearer_kinds(ACCEPTED), json={"event_id": "{b_event_id}"}, own=True),
    Attack("bulk_delete[b_cal]", ("DELETE", "/v1/events"), "/v1/events", bearer_kinds(NOT_FOUND), json={"calendar_ids": ["{b_cal}"]}),
    Attack("bulk_delete[a_cal,b_apc_cal]", ("DELETE", "/v1/events"), "/v1/events", bearer_kinds(NOT_FOUND),
           json={"calendar_ids": ["{a_cal}", "{b_apc_cal}"]}),
    Attack("bulk_delete[query b_twin_cal]", ("DELETE", "/v1/events"), "/v1/events", bearer_kinds(NOT_FOUND),
           params={"calendar_ids[]": ["{b_twin_cal}"]}),
    Attack("bulk_delete_all", ("DELETE", "/v1/events"), "/v1/events", bearer_kinds(ACCEPTED), json={"delete_all": True}, own=True),
    # Read Events and Free/Busy
    Attack("read_events", ("GET", "/v1/events"), "/v1/events", bearer_kinds(OK), params={**READ, "include_deleted": "true"}),
    *(
        Attack(f"read_events[{'+'.join(c)}]", ("GET", "/v1/events"), "/v1/events", bearer_kinds(NOT_FOUND),
               params={**READ, "calendar_ids[]": [f"{{{x}}}" for x in c]})
        for c in (("b_cal",), ("a_cal", "b_apc_cal"), ("b_twin_cal",))
    ),
    Attack("read_events_page_of_b", ("GET", "/v1/events/pages/{token}"), "/v1/events/pages/{b_events_page}", bearer_kinds(NOT_FOUND)),
    Attack("free_busy", ("GET", "/v1/free_busy"), "/v1/free_busy", bearer_kinds(OK), params=READ),
    *(
        Attack(f"free_busy[{'+'.join(c)}]", ("GET", "/v1/free_busy"), "/v1/free_busy", bearer_kinds(NOT_FOUND),
               params={**READ, "calendar_ids[]": [f"{{{x}}}" for x in c]})
        for c in (("b_cal",), ("a_cal", "b_apc_cal"))
    ),
    Attack("free_busy_page_of_b", ("GET", "/v1/free_busy/pages/{token}"), "/v1/free_busy/pages/{b_free_busy_page}", bearer_kinds(NOT_FOUND)),
    # participation status
    *(
        Attack(f"participation[{c},{e}]", ("POST", "/v1/calendars/{calendar_id}/events/{event_uid}/participation_status"),
               f"/v1/calendars/{{{c}}}/events/{{{e}}}/participation_status", bearer_kinds(NOT_FOUND), json={"status": "declined"})
        for c, e in (("b_cal", "b_event_uid"), ("b_cal", "b_event_id"), ("a_cal", "b_event_uid"), ("a_cal", "b_event_id"),
                     ("b_apc_cal", "b_apc_event_uid"), ("a_cal", "b_apc_event_uid"))
    ),
    # availability rules
    Attack("create_rule_over_b_calendar", ("POST", "/v1/availability_rules"), "/v1/availability_rules",
           bearer_kinds(invalid("calendar_ids", "errors.invalid")),
           json={**RULE, "availability_rule_id": "alpha-rule", "calendar_ids": ["{b_cal}"]}),
    Attack("create_rule_with_b_rule_id", ("POST", "/v1/availability_rules"), "/v1/availability_rules", bearer_kinds(OK),
           json={**RULE, "availability_rule_id": "{b_rule_id}"}, own=True,
           undo=("DELETE", "/v1/availability_rules/{b_rule_id}", None)),
    Attack("rules", ("GET", "/v1/availability_rules"), "/v1/availability_rules", bearer_kinds(OK)),
    *(
        Attack(f"get_rule[{r}]", ("GET", "/v1/availability_rules/{availability_rule_id:path}"), f"/v1/availability_rules/{{{r}}}",
               bearer_kinds(NOT_FOUND))
        for r in ("b_rule_id", "b_rule_uid")
    ),
    Attack("delete_rule[b_rule_id]", ("DELETE", "/v1/availability_rules/{availability_rule_id:path}"), "/v1/availability_rules/{b_rule_id}",
           bearer_kinds(NOT_FOUND)),
    # available periods
    Attack("create_period_with_b_period_id", ("POST", "/v1/available_periods"), "/v1/available_periods", bearer_kinds(ACCEPTED),
           json={**PERIOD, "available_period_id": "{b_period_id}"}, own=True,
           undo=("DELETE", "/v1/available_periods", {"available_period_id": "{b_period_id}"})),
    Attack("periods", ("GET", "/v1/available_periods"), "/v1/available_periods", bearer_kinds(OK)),
    Attack("periods_page_of_b", ("GET", "/v1/available_periods/pages/{token}"), "/v1/available_periods/pages/{b_periods_page}",
           bearer_kinds(NOT_FOUND)),
    # deleting by id is idempotent (README "Managed availability"): 202, and B's period stays
    Attack("delete_b_period_id", ("DELETE", "/v1/available_periods"), "/v1/available_periods", bearer_kinds(ACCEPTED),
           json={"available_period_id": "{b_period_id}"}, own=True),
    Attack("delete_b_period_id[slash]", ("DELETE", "/v1/available_periods/"), "/v1/available_periods/", bearer_kinds(ACCEPTED),
           params={"available_period_id": "{b_period_id}"}, own=True),
    Attack("delete_all_periods", ("DELETE", "/v1/available_periods"), "/v1/available_periods", bearer_kinds(ACCEPTED),
           json={"delete_all": True}, own=True),
    # Availability: the API key works here; a foreign sub is 422 errors.unknown_sub
    *(
        Attack(f"availability[{s}]", ("POST", "/v1/availability"), "/v1/availability", bearer_kinds(UNKNOWN_SUB, api_key=UNKNOWN_SUB),
               json=availability({"sub": f"{{{s}}}"}))
        for s in ("b_acc", "b_twin", "b_apc", "b_pending", "b_ser")
    ),
    Attack("availability[a_sub,bare b_acc]", ("POST", "/v1/availability"), "/v1/availability",
           bearer_kinds(UNKNOWN_SUB, api_key=UNKNOWN_SUB), json=availability({"sub": "{a_sub}"}, "{b_acc}")),
    Attack("availability[a_sub over b_cal]", ("POST", "/v1/availability"), "/v1/availability",
           bearer_kinds(invalid("participants", "errors.unknown_calendar"), api_key=invalid("participants", "errors.unknown_calendar")),
           json=availability({"sub": "{a_sub}", "calendar_ids": ["{b_cal}"]})),
    Attack("availability[a_sub with b_rule_id]", ("POST", "/v1/availability"), "/v1/availability",
           bearer_kinds(invalid("participants", "errors.unknown_availability_rule"),
                        api_key=invalid("participants", "errors.unknown_availability_rule")),
           json=availability({"sub": "{a_sub}", "availability_rule_ids": ["{b_rule_id}"]})),
    *(
        Attack(f"sequenced_availability[{s}]", ("POST", "/v1/sequenced_availability"), "/v1/sequenced_availability",
               bearer_kinds(UNKNOWN_SUB, api_key=UNKNOWN_SUB), json=sequenced({"sub": f"{{{s}}}"}))
        for s in ("b_acc", "b_apc")
    ),
    # element tokens: only with the API key, and only for A's own subs (a foreign one is 422)
    *(
        Attack(f"element_token[{s}]", ("POST", "/v1/element_tokens"), "/v1/element_tokens",
               bearer_kinds(UNAUTHENTICATED, api_key=invalid("subs", "errors.unknown_sub"), sa=UNAUTHENTICATED),
               json={"version": "1", "permissions": ["agenda"], "subs": ["{a_sub}", f"{{{s}}}"], "origin": "http://localhost"})
        for s in ("b_acc", "b_apc", "b_ser")
    ),
    # batch: 207, each entry the single endpoint's 404
    Attack("batch[b calendars]", ("POST", "/v1/batch"), "/v1/batch", bearer_kinds(Expect(207, entries=(404, 404, 404, 404))),
           json={"batch": [
               {"method": "POST", "relative_url": "/v1/calendars/{b_cal}/events", "data": event()},
               {"method": "DELETE", "relative_url": "/v1/calendars/{b_cal}/events", "data": {"event_id": "{b_event_id}"}},
               {"method": "POST", "relative_url": "/v1/calendars/{b_apc_cal}/events", "data": event("{b_apc_event_id}")},
               {"method": "DELETE", "relative_url": "/v1/calendars/{b_twin_cal}/events/", "data": {"event_id": "{b_twin_event_id}"}},
           ]}),
    # push notification channels
    Attack("create_channel_over_b_calendar", ("POST", "/v1/channels"), "/v1/channels",
           bearer_kinds(invalid("calendar_ids", "errors.invalid")),
           json={"callback_url": "http://127.0.0.1:9/alpha", "filters": {"calendar_ids": ["{a_cal}", "{b_cal}"]}}),
    Attack("channels", ("GET", "/v1/channels"), "/v1/channels", bearer_kinds(OK)),
    Attack("close_b_channel", ("DELETE", "/v1/channels/{channel_id}"), "/v1/channels/{b_chn}", bearer_kinds(NOT_FOUND)),
    # Smart Invites: the API key's, each application's smart_invite_id its own namespace
    Attack("get_b_smart_invite", ("GET", "/v1/smart_invites"), "/v1/smart_invites",
           bearer_kinds(UNAUTHENTICATED, api_key=NOT_FOUND, sa=UNAUTHENTICATED),
           params={"smart_invite_id": "{b_smart_invite_id}", "recipient_email": "{b_invitee}"}),
    Attack("cancel_b_smart_invite", ("POST", "/v1/smart_invites"), "/v1/smart_invites",
           bearer_kinds(UNAUTHENTICATED, api_key=NOT_FOUND, sa=UNAUTHENTICATED),
           json={"smart_invite_id": "{b_smart_invite_id}", "method": "cancel", "recipient": {"email": "{b_invitee}"}}),
    # Real-Time Scheduling: the API key's links; B's link, B's members and B's calendars are unknown to A
    *(
        Attack(name, (method, route), path, bearer_kinds(UNAUTHENTICATED, api_key=NOT_FOUND, sa=UNAUTHENTICATED), **extra)
        for name, method, route, path, extra in (
            ("get_b_rts", "GET", "/v1/real_time_scheduling/{real_time_scheduling_id}", "/v1/real_time_scheduling/{b_rts}", {}),
            ("get_b_rts_by_token", "GET", "/v1/real_time_scheduling", "/v1/real_time_scheduling", {"params": {"token": "{b_rts_token}"}}),
            ("disable_b_rts", "POST", "/v1/real_time_scheduling/{real_time_scheduling_id}/disable",
             "/v1/real_time_scheduling/{b_rts}/disable", {"json": {"display_message": "closed by alpha"}}),
            ("get_b_rts_as_sequencing", "GET", "/v1/real_time_sequencing/{real_time_sequencing_id}", "/v1/real_time_sequencing/{b_rts}", {}),
            ("get_b_rts_token_as_sequencing", "GET", "/v1/real_time_sequencing", "/v1/real_time_sequencing", {"params": {"token": "{b_rts_token}"}}),
            ("disable_b_rts_as_sequencing", "POST", "/v1/real_time_sequencing/{real_time_sequencing_id}/disable",
             "/v1/real_time_sequencing/{b_rts}/disable", {"json": {"display_message": "closed by alpha"}}),
        )
    ),
    Attack("rtseq_over_b_acc", ("POST", "/v1/real_time_sequencing"), "/v1/real_time_sequencing",
           bearer_kinds(UNAUTHENTICATED, api_key=invalid("availability", "errors.unknown_sub"), sa=UNAUTHENTICATED),
           json={**rts("{a_sub}", ("{a_sub}", "{a_cal}")), "availability": sequenced({"sub": "{b_acc}"})}),
    *(
        Attack(f"rts_over_b[{s}]", ("POST", "/v1/real_time_scheduling"), "/v1/real_time_scheduling",
               bearer_kinds(UNAUTHENTICATED, api_key=invalid(field_name, key), sa=UNAUTHENTICATED), json=rts(member, target))
        for s, member, target, field_name, key in (
            ("b_acc member", "{b_acc}", ("{a_sub}", "{a_cal}"), "availability", "errors.unknown_sub"),
            ("b_apc member", "{b_apc}", ("{a_sub}", "{a_cal}"), "availability", "errors.unknown_sub"),
            ("b_cal target", "{a_sub}", ("{b_acc}", "{b_cal}"), "target_calendars", "errors.invalid"),
            ("b_apc_cal target", "{a_sub}", ("{a_sub}", "{b_apc_cal}"), "target_calendars", "errors.invalid"),
        )
    ),
    # ICS subscriptions
    *(
        Attack(f"{verb}_ics_subscription[{c}]", (method, "/v1/calendars/{calendar_id}/ics_subscription"),
               f"/v1/calendars/{{{c}}}/ics_subscription", bearer_kinds(NOT_FOUND))
        for verb, method in (("create", "POST"), ("revoke", "DELETE"))
        for c in ("b_cal", "b_apc_cal")
    ),
    # Enterprise Connect: only a service account's token gets in (A's own would act on A's organization)
    Attack("service_account_authorizations", ("POST", "/v1/service_account_authorizations"), "/v1/service_account_authorizations",
           bearer_kinds(FORBIDDEN, sa=None), json={"email": "{b_email}", "callback_url": "http://127.0.0.1:9/alpha", "scope": "free_busy_write"}),
    Attack("resources", ("GET", "/v1/resources"), "/v1/resources", bearer_kinds(FORBIDDEN, sa=None)),
    # client credentials in the body
    Attack("application_calendar_with_b_id", ("POST", "/v1/application_calendars"), "/v1/application_calendars",
           client_kinds(OK), json={"client_id": "{client_id}", "client_secret": "{client_secret}", "application_calendar_id": "{b_apc_name}"},
           own=True),
    # RFC 7009: revoking what is not the client's own answers 200 and revokes nothing
    *(
        Attack(f"revoke[sub={s}]", ("POST", "/oauth/token/revoke"), "/oauth/token/revoke", client_kinds(REVOKED_NOTHING),
               json={"client_id": "{client_id}", "client_secret": "{client_secret}", "sub": f"{{{s}}}"})
        for s in ("b_acc", "b_apc", "b_ser")
    ),
    *(
        Attack(f"revoke[token={t}]", ("POST", "/oauth/token/revoke"), "/oauth/token/revoke", client_kinds(REVOKED_NOTHING),
               json={"client_id": "{client_id}", "client_secret": "{client_secret}", "token": f"{{{t}}}"})
        for t in ("b_access", "b_refresh", "b_apc_refresh", "b_ser_access")
    ),
    *(
        Attack(f"refresh[{t}]", ("POST", "/oauth/token"), "/oauth/token", client_kinds(INVALID_GRANT),
               json={"grant_type": "refresh_token", "client_id": "{client_id}", "client_secret": "{client_secret}", "refresh_token": f"{{{t}}}"})
        for t in ("b_refresh", "b_apc_refresh", "b_ser_refresh")
    ),
    Attack("exchange_b_code", ("POST", "/oauth/token"), "/oauth/token", client_kinds(INVALID_GRANT),
           json={"grant_type": "authorization_code", "client_id": "{client_id}", "client_secret": "{client_secret}",
                 "code": "{b_code}", "redirect_uri": "{b_redirect_uri}"}),
]

CASES = [pytest.param(attack, kind, id=f"{attack.name}-{kind}") for attack in ATTACKS for kind in attack.expect]


# ---------------------------------------------------------------------------------------------
# The two applications
# ---------------------------------------------------------------------------------------------


@dataclass
class World:
    server: LiveServer
    a: dict[str, str]  # A's credentials and own ids by kind
    b: dict[str, str]  # B's values, by placeholder name
    fake: dict[str, str]  # never-existing values of the same shape
    secrets: set[str]  # every B identifier or datum no answer to A may carry
    roots: set[str]  # ids whose rows are B's
    views: dict[str, Any]  # B read back through B's credentials, after the setup
    b_creds: AppCredentials
    b_headers: dict[str, dict[str, str]]
    planted: dict[str, set[str]] = field(default_factory=dict)  # by kind: B values A wrote into its own namespace


def _calendars(server: LiveServer, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.url}/v1/calendars", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["calendars"]  # type: ignore[no-any-return]


def _post(server: LiveServer, path: str, headers: dict[str, str], body: Any, status: int = 202, client: Any = httpx) -> httpx.Response:
    response = client.post(f"{server.url}{path}", json=body, headers=headers)
    assert response.status_code == status, response.text
    return response


def _service_account(server: LiveServer, creds: AppCredentials, domain: str) -> dict[str, Any]:
    """A service account of ``creds``' application, as Enterprise Connect's Allow makes it (the
    organization's credentials are never used: nothing here reaches a provider)."""
    services = server.services
    with services.uow() as uow:
        app = uow.applications.get(creds.application_id)
        request = enterprise_connect.EnterpriseRequest(
            client_id=creds.client_id, redirect_uri=creds.redirect_uri, scope=enterprise_connect.ACCOUNTS_MANAGE,
            delegated_scope="free_busy_write", state=None, access_mode="read_write", provider="google", code_challenge=None,
        )
        sealed = services.box.seal(json.dumps({"type": "service_account", "client_email": f"calgate@{domain}"}))
        code = enterprise_connect.allow(uow, app, request, domain, f"admin@{domain}", sealed, utcnow(), 600)
        uow.commit()
    response = token_request(server, creds, code)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _next_page(server: LiveServer, path: str, headers: dict[str, str], params: dict[str, str]) -> str:
    response = httpx.get(f"{server.url}{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    url = response.json()["pages"]["next_page"]
    return str(url).rsplit("/", 1)[1]


def _fake(value: str) -> str:
    """A value of the same shape that names nothing."""
    if "@" in value:
        return f"nobody-{secrets.token_hex(4)}@example.com"
    head = re.match(r"^[a-z]{3}_", value)
    prefix = head.group(0) if head else ""
    rest = max(len(value) - len(prefix), 8)
    return prefix + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rest))


# The columns whose values are an application's identifiers or its people's data.
SECRET_COLUMNS = {
    "applications": ("id", "name", "client_id", "developer_id"),
    "accounts": ("id", "email", "name", "application_calendar_id"),
    "profiles": ("id", "name"),
    "calendars": ("id", "name"),
    "events": ("id", "event_id", "summary", "description", "url"),
    "availability_rules": ("id", "availability_rule_id"),
    "available_periods": ("id", "available_period_id"),
    "channels": ("id", "callback_url"),
    "smart_invites": ("id", "smart_invite_id", "callback_url"),
    "scheduling_links": ("id",),
    "service_accounts": ("id", "domain", "email"),
    "grants": ("id",),
}


def _identifiers(server: LiveServer, application_id: str) -> tuple[set[str], set[str], set[str]]:
    """(B's identifiers and data, everyone else's, B's root ids) read from the tables."""
    mine: set[str] = set()
    others: set[str] = set()
    with server.services.db.engine.connect() as connection:
        accounts = {r.id for r in connection.execute(select(metadata.tables["accounts"])) if r.application_id == application_id}
        roots = {application_id, *accounts}
        for name, columns in SECRET_COLUMNS.items():
            table = metadata.tables[name]
            for row in connection.execute(select(table)).mappings():
                owner = row["application_id"] if "application_id" in row else None
                is_b = row["id"] == application_id if name == "applications" else (
                    owner == application_id if "application_id" in row and owner is not None else row.get("account_id") in accounts
                )
                values = {str(row[c]) for c in columns if row[c]}
                if name == "events":
                    values |= {a["email"] for a in row["attendees"]} | {a.get("display_name") or "" for a in row["attendees"]}
                    values.add((row["location"] or {}).get("description") or "")
                if name == "smart_invites":
                    values.add(row["event"]["summary"])
                if name == "scheduling_links":
                    values.add(row["request"]["event"]["summary"])
                if is_b:
                    mine |= values
                    if name in ("profiles", "calendars", "grants", "service_accounts", "applications"):
                        roots.add(str(row["id"]))
                    if name == "applications":
                        roots.add(str(row["developer_id"]))
                        developer = connection.execute(
                            select(metadata.tables["developers"]).where(metadata.tables["developers"].c.id == row["developer_id"])
                        ).one()
                        mine.add(developer.email)
                else:
                    others |= values
    return mine, others, roots


def _b_views(world_b: dict[str, str], server: LiveServer, headers: dict[str, dict[str, str]]) -> dict[str, Any]:
    """What B reads of itself; compared again at the end."""
    url = server.url

    def get(who: str, path: str, **params: Any) -> Any:
        response = httpx.get(f"{url}{path}", params=params, headers=headers[who])
        assert response.status_code == 200, f"{who} {path}: {response.status_code} {response.text}"
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("pages"), dict):
            body["pages"].pop("next_page", None)  # signed with the read's moment: new every time
        return body

    views: dict[str, Any] = {}
    for who in ("b", "b_twin", "b_apc"):
        views[f"{who} account"] = get(who, "/v1/account")
        views[f"{who} calendars"] = get(who, "/v1/calendars")
        views[f"{who} profiles"] = get(who, "/v1/profiles")
        views[f"{who} events"] = get(who, "/v1/events", tzid=TZID, include_managed="true", include_deleted="true")
        views[f"{who} free_busy"] = get(who, "/v1/free_busy", tzid=TZID, include_managed="true")
        views[f"{who} rules"] = get(who, "/v1/availability_rules")
        views[f"{who} periods"] = get(who, "/v1/available_periods")
        views[f"{who} channels"] = get(who, "/v1/channels")
    views["b rule"] = get("b", f"/v1/availability_rules/{world_b['b_rule_id']}")
    views["b_ser userinfo"] = get("b_ser", "/v1/userinfo")
    views["b_apc userinfo"] = get("b_apc", "/v1/userinfo")
    feed = httpx.get(world_b["b_ics_url"])
    assert feed.status_code == 200, feed.text
    views["b ics"] = sorted(re.findall(r"^(?:UID|SUMMARY|DESCRIPTION|SEQUENCE):.*$", feed.text, re.M))
    return views


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as running:
        yield running


@pytest.fixture(scope="module")
def world(live_server: LiveServer, receiver: Receiver) -> Iterator[World]:
    server = live_server
    server.reset()
    tag = secrets.token_hex(4)
    app_a = make_application(server.services, features={"no_calendar"}, name=f"Alpha Scheduling {tag}")
    app_b = make_application(server.services, features={"no_calendar"}, name=f"Bravo Private Scheduling {tag}")
    shared = f"same-person-{tag}@example.com"  # one human connected to both applications

    # A: a person (every scope), an application calendar, a service account
    a_person = connect_and_exchange(server, app_a, shared, name=f"Alice Alpha {tag}", scope=FULL_SCOPE)
    a_room = make_application_calendar(server, app_a, f"alpha-room-{tag}")
    a_ser = _service_account(server, app_a, f"alpha-{tag}.test")
    a_cal = _calendars(server, a_person.headers)[0]["calendar_id"]
    _post(server, f"/v1/calendars/{a_cal}/events", a_person.headers, event(f"alpha-event-{tag}", f"Alpha stand-up {tag}"))
    _post(server, "/v1/availability_rules", a_person.headers, {**RULE, "availability_rule_id": f"alpha-rule-{tag}"}, 200)
    a = {
        "api_key": a_person.creds.client_secret,
        "client_id": app_a.client_id, "client_secret": app_a.client_secret,
        f"{TOKEN}:token": a_person.access_token, f"{TOKEN}:a_cal": a_cal, f"{TOKEN}:a_sub": a_person.account_id,
        f"{APC}:token": a_room.access_token, f"{APC}:a_cal": a_room.calendar_id, f"{APC}:a_sub": a_room.sub,
        f"{SA}:token": a_ser["access_token"],
    }

    # B: a person, the same human as A's person, a person who has not exchanged their code yet,
    # an application calendar, a service account
    b_email = f"bea-bravo-{tag}@example.org"
    b = connect_and_exchange(server, app_b, b_email, name=f"Bea Bravo {tag}", scope=FULL_SCOPE)
    b_twin = connect_and_exchange(server, app_b, shared, name=f"Bea Twin {tag}", scope=FULL_SCOPE)
    pending = connect_hosted(server, app_b, email=f"pending-{tag}@example.org", name=f"Pat Pending {tag}")
    b_room = make_application_calendar(server, app_b, f"bravo-room-{tag}")
    b_ser = _service_account(server, app_b, f"bravo-{tag}.test")
    [b_first] = _calendars(server, b.headers)
    [b_twin_first] = _calendars(server, b_twin.headers)
    b_cal, b_pro, b_twin_cal = b_first["calendar_id"], b_first["profile_id"], b_twin_first["calendar_id"]
    b_cal2 = _post(server, "/v1/calendars", b.headers, {"profile_id": b_pro, "name": f"Bravo Secret Calendar {tag}"}, 200).json()["calendar"]["calendar_id"]
    b_event_id = f"bravo-event-{tag}"
    _post(server, f"/v1/calendars/{b_cal}/events", b.headers, {
        **event(b_event_id, f"Bravo board meeting {tag}"), "description": f"Bravo agenda {tag}",
        "location": {"description": f"Bravo HQ {tag}"}, "url": f"https://bravo.example/{tag}",
        "attendees": {"invite": [{"email": f"guest-{tag}@bravo.example", "display_name": f"Gus Guest {tag}"}]},
    })
    _post(server, f"/v1/calendars/{b_cal}/events", b.headers, event(f"bravo-gone-{tag}", f"Bravo cancelled {tag}"))
    httpx.request("DELETE", f"{server.url}/v1/calendars/{b_cal}/events", json={"event_id": f"bravo-gone-{tag}"}, headers=b.headers)
    _post(server, f"/v1/calendars/{b_cal2}/events", b.headers, event(f"bravo-second-{tag}", f"Bravo second calendar {tag}"))
    b_twin_event_id = f"bravo-twin-{tag}"
    _post(server, f"/v1/calendars/{b_twin_cal}/events", b_twin.headers, event(b_twin_event_id, f"Bravo twin lunch {tag}"))
    # more than a page of events in B's application calendar, and of available periods, for page links
    size = server.settings.page_size
    start = dt.datetime(2026, 12, 7, 8, tzinfo=dt.timezone.utc)
    with httpx.Client() as client:
        for i in range(size + 1):
            at = start + dt.timedelta(minutes=30 * i)
            _post(server, f"/v1/calendars/{b_room.calendar_id}/events", b_room.headers, {
                "event_id": f"bravo-room-{tag}-{i:03d}", "summary": f"Bravo room booking {tag} {i:03d}",
                "start": at.strftime(FMT), "end": (at + dt.timedelta(minutes=20)).strftime(FMT),
            }, client=client)
            _post(server, "/v1/available_periods", b.headers, {
                "available_period_id": f"bravo-period-{tag}-{i:03d}",
                "start": at.strftime(FMT), "end": (at + dt.timedelta(minutes=20)).strftime(FMT),
            }, client=client)
    b_rule_id = f"bravo/rule-{tag}"  # "/" is fine in a rule id
    _post(server, "/v1/availability_rules", b.headers, {**RULE, "availability_rule_id": b_rule_id, "calendar_ids": [b_cal]}, 200)
    channel = _post(server, "/v1/channels", b.headers, {"callback_url": f"{receiver.url}/bravo-{tag}", "filters": {"calendar_ids": [b_cal]}}, 200)
    ics_url = _post(server, f"/v1/calendars/{b_cal}/ics_subscription", b.headers, None, 200).json()["ics_subscription"]["url"]
    b_invitee = f"invitee-{tag}@bravo.example"
    _post(server, "/v1/smart_invites", bearer(app_b.client_secret), {
        "smart_invite_id": f"bravo-invite-{tag}", "recipient": {"email": b_invitee},
        "callback_url": f"{receiver.url}/bravo-invites-{tag}", "event": event("-", f"Bravo secret offsite {tag}"),
    })

    b_rts = _post(server, "/v1/real_time_scheduling", bearer(app_b.client_secret), {
        **rts(b_room.sub, (b_room.sub, b_room.calendar_id)), "event": {"event_id": f"bravo-rts-{tag}", "summary": f"Bravo secret interview {tag}"},
    }, 200).json()["real_time_scheduling"]

    b_headers = {"b": b.headers, "b_twin": b_twin.headers, "b_apc": b_room.headers, "b_ser": bearer(b_ser["access_token"])}
    events = httpx.get(f"{server.url}/v1/events", params=READ, headers=b.headers).json()["events"]
    room_events = httpx.get(f"{server.url}/v1/events", params=READ, headers=b_room.headers).json()["events"]
    with server.services.uow() as uow:
        rule_uid = next(r.id for r in uow.availability_rules.of_account(b.account_id))
    values = {
        "b_acc": b.account_id, "b_twin": b_twin.account_id, "b_apc": b_room.sub, "b_ser": b_ser["service_account_id"],
        "b_email": b_email, "b_client_id": app_b.client_id, "b_redirect_uri": app_b.redirect_uri,
        "b_cal": b_cal, "b_cal2": b_cal2, "b_twin_cal": b_twin_cal, "b_apc_cal": b_room.calendar_id,
        "b_pro": b_pro, "b_twin_pro": b_twin_first["profile_id"],
        "b_apc_pro": _calendars(server, b_room.headers)[0]["profile_id"],
        "b_event_id": b_event_id, "b_event_uid": next(e["event_uid"] for e in events if e["event_id"] == b_event_id),
        "b_twin_event_id": b_twin_event_id,
        "b_apc_event_id": room_events[0]["event_id"], "b_apc_event_uid": room_events[0]["event_uid"],
        "b_apc_name": b_room.application_calendar_id,
        "b_rule_id": b_rule_id, "b_rule_uid": rule_uid, "b_period_id": f"bravo-period-{tag}-000",
        "b_chn": channel.json()["channel"]["channel_id"],
        "b_smart_invite_id": f"bravo-invite-{tag}", "b_invitee": b_invitee,
        "b_rts": b_rts["real_time_scheduling_id"], "b_rts_token": b_rts["url"].rsplit("/", 1)[1],
        "b_events_page": _next_page(server, "/v1/events", b_room.headers, READ),
        "b_free_busy_page": _next_page(server, "/v1/free_busy", b_room.headers, READ),
        "b_periods_page": _next_page(server, "/v1/available_periods", b.headers, {}),
        "b_access": b.access_token, "b_refresh": b.refresh_token,
        "b_apc_access": b_room.access_token, "b_apc_refresh": str(b_room.tokens["refresh_token"]),
        "b_ser_access": b_ser["access_token"], "b_ser_refresh": b_ser["refresh_token"],
        "b_code": pending["code"], "b_ics_url": ics_url,
    }
    with server.services.uow() as uow:
        values["b_pending"] = uow.accounts.by_email(app_b.application_id, f"pending-{tag}@example.org").id
    b_data, others, roots = _identifiers(server, app_b.application_id)
    tokens = {v for k, v in values.items() if k in ("b_access", "b_refresh", "b_apc_access", "b_apc_refresh", "b_ser_access",
                                                      "b_ser_refresh", "b_code", "b_events_page", "b_free_busy_page", "b_periods_page",
                                                      "b_rts_token")}
    hidden = b_data | tokens | {app_b.client_secret, ics_url.rsplit("/", 1)[1].removesuffix(".ics"), b_email, b_invitee}
    hidden = {s for s in hidden - others if len(s) >= 6}
    fake = {k: _fake(v) for k, v in values.items() if k not in ("b_redirect_uri",)}
    fake["b_redirect_uri"] = values["b_redirect_uri"]
    world = World(server, a, values, fake, hidden, roots, views={}, b_creds=app_b, b_headers=b_headers)
    world.views = _b_views(values, server, b_headers)
    yield world


# ---------------------------------------------------------------------------------------------
# Sending an attempt and judging it
# ---------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(template: Any, values: dict[str, str], used: set[str]) -> Any:
    if isinstance(template, str):
        def one(match: re.Match[str]) -> str:
            used.add(match.group(1))
            return values[match.group(1)]
        return _PLACEHOLDER.sub(one, template)
    if isinstance(template, dict):
        return {k: _fill(v, values, used) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values, used) for v in template]
    return template


def _values(world: World, kind: str, twin: bool) -> dict[str, str]:
    b = world.fake if twin else world.b
    own = TOKEN if kind in (API_KEY, SA, CLIENT, MIXED) else kind  # the API key's members are A's person's
    values = {**b, "a_cal": world.a[f"{own}:a_cal"], "a_sub": world.a[f"{own}:a_sub"], "client_secret": world.a["client_secret"]}
    values["client_id"] = b["b_client_id"] if kind == MIXED else world.a["client_id"]
    return values


def _headers(world: World, kind: str) -> dict[str, str]:
    if kind == API_KEY:
        return bearer(world.a["api_key"])
    if kind in (TOKEN, APC, SA):
        return bearer(world.a[f"{kind}:token"])
    return {}


@dataclass
class Sent:
    request: str
    response: httpx.Response
    echoed: set[str]  # B values the request carried

    def describe(self) -> str:
        return f"{self.request}\n  -> {self.response.status_code} {dict(self.response.headers)} {self.response.text[:2000]}"


def _send(world: World, attack: Attack, kind: str, twin: bool = False) -> Sent:
    values, used = _values(world, kind, twin), set()
    path = _fill(attack.path, values, used)
    body = _fill(attack.json, values, used)
    params = _fill(attack.params, values, used)
    response = httpx.request(attack.method, f"{world.server.url}{path}", json=body, params=params, headers=_headers(world, kind))
    echoed = {values[k] for k in used if k in world.b}
    return Sent(f"{attack.method} {path} params={params} json={json.dumps(body)} as {kind}", response, echoed)


def _b_rows(world: World) -> dict[str, list[str]]:
    """Every row that names one of B's ids (jobs aside: their attempts move on their own)."""
    rows: dict[str, list[str]] = {}
    with world.server.services.db.engine.connect() as connection:
        for table in metadata.sorted_tables:
            if table.name == "jobs":
                continue
            found = [repr(tuple(r)) for r in connection.execute(select(table))]
            rows[table.name] = sorted(r for r in found if any(root in r for root in world.roots))
    return rows


def _changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    found = []
    for name in before:
        gone, new = set(before[name]) - set(after[name]), set(after[name]) - set(before[name])
        found += [f"{name}: - {r}" for r in sorted(gone)] + [f"{name}: + {r}" for r in sorted(new)]
    return found


def _leaks(world: World, kind: str, sent: Sent) -> list[str]:
    text = sent.response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in sent.response.headers.items())
    allowed = sent.echoed | world.planted.get(kind, set())
    return sorted(s for s in world.secrets - allowed if s in text)


def _same_as_twin(world: World, attack: Attack, kind: str, real: Sent) -> list[str]:
    twin = _send(world, attack, kind, twin=True)
    text = twin.response.text
    for name, value in world.fake.items():
        text = text.replace(value, world.b[name])
    if twin.response.status_code != real.response.status_code:
        return [f"a never-existing id gets {twin.response.status_code}, B's gets {real.response.status_code}:\n{twin.describe()}"]
    try:
        same = json.loads(text) == real.response.json() if text else real.response.text == ""
    except ValueError:
        same = text == real.response.text
    return [] if same else [f"a never-existing id gets another answer than B's:\n{twin.describe()}"]


@pytest.mark.parametrize(("attack", "kind"), CASES)
def test_a_cannot_reach_b(world: World, attack: Attack, kind: str) -> None:
    before = _b_rows(world)
    sent = _send(world, attack, kind)
    after = _b_rows(world)
    expect = attack.expect[kind]
    problems = [f"answer: {p}" for p in expect.problems(sent.response)]
    if sent.response.status_code >= 500:
        problems.append("server error")
    problems += [f"B's row changed: {c}" for c in _changes(before, after)]
    problems += [f"the answer carries B's {s!r}" for s in _leaks(world, kind, sent)]
    succeeded = 200 <= sent.response.status_code < 300
    if attack.own and succeeded:
        world.planted.setdefault(kind, set()).update(sent.echoed)  # A's own copy of a value B also uses
        if attack.undo is not None:
            method, path, body = attack.undo
            values = _values(world, kind, False)
            httpx.request(method, f"{world.server.url}{_fill(path, values, set())}", json=_fill(body, values, set()), headers=_headers(world, kind))
            if _b_rows(world) != before:
                problems.append("undoing A's own write changed B's rows")
    if not attack.own:
        problems += _same_as_twin(world, attack, kind, sent)
    assert not problems, "\n".join([sent.describe(), *problems])


# ---------------------------------------------------------------------------------------------
# Coverage and the final check
# ---------------------------------------------------------------------------------------------


def _routes(routes: Any, prefix: str = "") -> Iterator[tuple[str, str, re.Pattern[str]]]:
    """(method, path, regex) of every HTTP route, whether the router keeps them flat or, as
    newer FastAPI does, behind included routers."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for context in contexts():
                for method in context.methods or ():
                    yield method, prefix + context.path, context.path_regex
        elif getattr(route, "methods", None):
            for method in route.methods:
                yield method, prefix + route.path, route.path_regex
        elif hasattr(route, "routes") and getattr(route, "path", None) is not None:
            yield from _routes(route.routes, prefix + route.path)


def _guarded(path: str) -> bool:
    return path.startswith("/v1/") or path.startswith("/oauth/token")


def test_every_v1_route_is_in_the_matrix(tmp_path: Path) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'routes.db'}", tmp_path))
    routes = {(m, p): regex for m, p, regex in _routes(app.routes) if _guarded(p) and m != "HEAD"}
    app.state.services.db.dispose()
    assert len([p for _, p in routes if p.startswith("/v1/")]) >= 30, f"the route walk found too little: {sorted(routes)}"
    covered = {attack.route for attack in ATTACKS}
    missing = sorted(set(routes) - covered)
    assert not missing, f"routes without an isolation case: {missing}"
    unknown = sorted(covered - set(routes))
    assert not unknown, f"cases naming routes the application does not have: {unknown}"
    sample = {**{k: f"x_{k}" for k in ("a_cal", "a_sub", "client_id", "client_secret")}}
    for attack in ATTACKS:  # the concrete path really is the route's
        path = _PLACEHOLDER.sub(lambda m: sample.get(m.group(1), f"{m.group(1)}_0123456789"), attack.path)
        assert routes[attack.route].match(path), f"{attack.name}: {path} is not {attack.route}"
        first = next(r for (m, _), r in routes.items() if m == attack.method and r.match(path))
        assert first is routes[attack.route], f"{attack.name}: {path} reaches another route first"


def test_b_is_intact_after_every_attempt(world: World) -> None:
    server, b = world.server, world.b
    now = _b_views(b, server, world.b_headers)
    changed = sorted(k for k in world.views if world.views[k] != now[k])
    assert not changed, {k: (world.views[k], now[k]) for k in changed}
    [channel] = now["b channels"]["channels"]
    assert channel["channel_id"] == b["b_chn"]
    assert [r["availability_rule_id"] for r in now["b rules"]["availability_rules"]] == [b["b_rule_id"]]
    assert b["b_event_id"] in {e.get("event_id") for e in now["b events"]["events"] if not e["deleted"]}
    assert now["b_ser userinfo"]["cronofy.type"] == "service_account"
    # the code A tried to exchange is still B's to use
    response = token_request(server, world.b_creds, b["b_code"])
    assert response.status_code == 200, response.text
    assert response.json()["account_id"] == b["b_pending"]
