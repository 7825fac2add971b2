# SPDX-License-Identifier: Apache-2.0
"""Every call the demo makes to calgate, all through pycronofy, the official Cronofy SDK.

Nothing here knows it talks to calgate rather than Cronofy: ``config.point_sdk_at`` changed
the SDK's base URLs and that is all. Tokens live in the store and are refreshed when expired.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pycronofy
from pycronofy.exceptions import PyCronofyRequestError

from .config import Config
from .state import Store

MEETING_MINUTES = 30
BUFFER_MINUTES = 15  # kept free around everyone's other events
DAYS_AHEAD = 7


def app_client(config: Config, **tokens: Any) -> pycronofy.Client:
    return pycronofy.Client(client_id=config.client_id, client_secret=config.client_secret, **tokens)


def tokens_of(client: pycronofy.Client) -> dict[str, str]:
    auth = client.auth
    return {
        "access_token": auth.access_token,
        "refresh_token": auth.refresh_token,
        "token_expiration": auth.token_expiration.isoformat(),
    }


def client_for(config: Config, store: Store, kind: str, sub: str) -> pycronofy.Client:
    """A client holding the tokens of a team member (``kind="team"``) or a connected person
    (``"people"``), refreshed first when the access token has expired."""
    record = store.read()[kind][sub]
    client = app_client(
        config,
        access_token=record["access_token"],
        refresh_token=record["refresh_token"],
        token_expiration=dt.datetime.fromisoformat(record["token_expiration"]),
    )
    if client.is_authorization_expired():
        client.refresh_authorization()
        store.save_member(kind, sub, {**record, **tokens_of(client)})
    return client


def writable_calendar(calendars: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the demo puts its events: the primary calendar if it may, else the first it may."""
    usable = [c for c in calendars if not c["calendar_readonly"] and not c.get("calendar_deleted")]
    return sorted(usable, key=lambda c: not c.get("calendar_primary"))[0]


# -- connecting a person -------------------------------------------------------------------------


def connect_person(config: Config, store: Store, code: str) -> str:
    """Exchange the code from the OAuth callback, learn who connected and how, open a push
    notification channel for them, and remember them. Returns their ``sub``."""
    client = app_client(config)
    client.get_authorization_from_code(code, redirect_uri=config.redirect_uri)
    info = client.userinfo()
    data = info["cronofy.data"]
    calendars = client.list_calendars()
    sub = info["sub"]
    channel = client.create_notification_channel(f"{config.public_url}/push/{sub}")
    record = {
        "name": info.get("name") or info.get("email"),
        "email": info.get("email"),
        "access_mode": data["authorization"]["access_mode"],
        "provider_name": data["profiles"][0]["provider_name"],
        "calendar_id": writable_calendar(calendars)["calendar_id"],
        "channel_id": channel["channel_id"],
        **tokens_of(client),
    }
    store.save_member("people", sub, record)
    return sub


def describe_person(config: Config, store: Store, sub: str) -> dict[str, Any]:
    """What the person page shows, read fresh from calgate: profiles and calendars."""
    client = client_for(config, store, "people", sub)
    return {"profiles": client.list_profiles(), "calendars": client.list_calendars()}


def revoke_person(config: Config, store: Store, sub: str) -> None:
    """Stop listening, give the authorization back, forget the tokens."""
    client = client_for(config, store, "people", sub)
    channel_id = store.read()["people"][sub].get("channel_id")
    try:
        if channel_id:
            client.close_notification_channel(channel_id)
        client.revoke_authorization()
    finally:
        store.forget_person(sub)


# -- availability and booking --------------------------------------------------------------------


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _next_half_hour(now: dt.datetime) -> dt.datetime:
    base = now.replace(second=0, microsecond=0, minute=0)
    return base + dt.timedelta(minutes=30 if now.minute < 30 else 60)


def _members(store: Store) -> list[dict[str, Any]]:
    """The team (only within their availability rules) and every connected person (whenever
    their calendars are free)."""
    state = store.read()
    team = [{"sub": sub, "managed_availability": True} for sub in state["team"]]
    return team + [{"sub": sub} for sub in state["people"]]


def _query_client(config: Config, store: Store) -> pycronofy.Client:
    """Availability takes any token of the application's accounts: the first team member's."""
    first = next(iter(store.read()["team"]))
    return client_for(config, store, "team", first)


def _availability(config: Config, store: Store, **query: Any) -> list[dict[str, Any]]:
    return _query_client(config, store).availability(
        participants=[{"members": _members(store), "required": "all"}],
        required_duration=MEETING_MINUTES,
        start_interval=MEETING_MINUTES,
        buffer={"before": {"minutes": BUFFER_MINUTES}, "after": {"minutes": BUFFER_MINUTES}},
        response_format="slots",
        **query,
    )


def find_slots(config: Config, store: Store, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """POST /v1/availability across the team and the connected people: the free half hours of
    the next week. Each slot is ``{"start", "end", "participants"}`` in UTC."""
    start = _next_half_hour(now or dt.datetime.now(dt.timezone.utc))
    period = {"start": _utc(start), "end": _utc(start + dt.timedelta(days=DAYS_AHEAD))}
    return _availability(config, store, available_periods=[period])


def still_free(config: Config, store: Store, start: str) -> bool:
    """Ask again for exactly this start (``query_slots``): someone may have booked it since."""
    return bool(_availability(config, store, query_slots=[{"start": start}]))


def book(config: Config, store: Store, start: str) -> dict[str, Any]:
    """Upsert the meeting (``start``: a UTC time from ``find_slots``) into every participant's
    calendar. calgate decides how it reaches each of them: into a Read-Write calendar
    directly, by email invitation in Free/Busy and No Access modes, stored quietly in the
    team's application calendars."""
    end = _utc(dt.datetime.fromisoformat(start.replace("Z", "+00:00")) + dt.timedelta(minutes=MEETING_MINUTES))
    state = store.read()
    booking = {
        "event_id": "booking-" + secrets.token_hex(6),
        "start": start,
        "end": end,
        "team": sorted(state["team"]),
        "people": sorted(state["people"]),
    }
    event = {
        "event_id": booking["event_id"],
        "summary": "Meeting with our team",
        "description": "Booked through the calgate booking demo.",
        "start": start,
        "end": end,
        "tzid": config.tzid,
    }
    for kind in ("team", "people"):
        for sub in booking[kind]:
            client_for(config, store, kind, sub).upsert_event(state[kind][sub]["calendar_id"], dict(event))
    store.add_booking(booking)
    return booking


def answers(config: Config, store: Store, booking: dict[str, Any]) -> dict[str, str]:
    """Each connected person's answer to a booking (``needs_action`` until they reply to the
    invitation), from Read Events of the application's own events."""
    day = dt.date.fromisoformat(booking["start"][:10])
    found: dict[str, str] = {}
    people = store.read()["people"]
    for sub in booking["people"]:
        if sub not in people:
            continue  # revoked since
        events = client_for(config, store, "people", sub).read_events(
            from_date=day.isoformat(), to_date=(day + dt.timedelta(days=2)).isoformat(), tzid="Etc/UTC", only_managed=True
        )
        for event in events:
            if event.get("event_id") == booking["event_id"]:
                found[sub] = event.get("participation_status", "unknown")
    return found


# -- scheduling links (Real-Time Scheduling) -----------------------------------------------------


def send_scheduling_link(config: Config, store: Store, email: str) -> dict[str, Any]:
    """A link where ``email`` picks a time with the team on calgate's own page: the team's
    availability for the next week (their availability rules, 15 minutes kept clear), booked
    into both team calendars; calgate invites the person with the address they give there. The
    visitor comes back to ``/scheduled?state=…`` (``redirect_urls.completed_url`` plus the
    ``oauth.state`` we chose), which is how the demo knows whose link it was."""
    key = "link-" + secrets.token_hex(6)
    team = store.read()["team"]
    start = _next_half_hour(dt.datetime.now(dt.timezone.utc))
    availability = {
        "participants": [{"members": [{"sub": sub, "managed_availability": True} for sub in team], "required": "all"}],
        "required_duration": MEETING_MINUTES,
        "start_interval": MEETING_MINUTES,
        "buffer": {"before": {"minutes": BUFFER_MINUTES}, "after": {"minutes": BUFFER_MINUTES}},
        "available_periods": [{"start": _utc(start), "end": _utc(start + dt.timedelta(days=DAYS_AHEAD))}],
    }
    event = {
        "event_id": key,
        "summary": "Meeting with our team",
        "description": "Half an hour with Priya and Marcus, booked through a scheduling link from the calgate booking demo.",
        "tzid": config.tzid,
    }
    targets = [{"sub": sub, "calendar_id": member["calendar_id"]} for sub, member in team.items()]
    created = app_client(config).real_time_scheduling(
        availability,
        {"redirect_uri": f"{config.public_url}/scheduled", "state": key},
        event,
        targets,
        redirect_urls={"completed_url": f"{config.public_url}/scheduled"},
    )["real_time_scheduling"]
    link = {"key": key, "email": email, "real_time_scheduling_id": created["real_time_scheduling_id"], "url": created["url"]}
    store.add_scheduling_link(link)
    return link


def scheduling_link_status(config: Config, link: dict[str, Any]) -> dict[str, Any]:
    """The link as calgate sees it now: ``status`` open, completed (``event`` then has its
    start and end) or disabled."""
    answer = app_client(config).get_real_time_scheduling_status(real_time_scheduling_id=link["real_time_scheduling_id"])
    return dict(answer["real_time_scheduling"])


def disable_scheduling_link(config: Config, link: dict[str, Any], message: str) -> None:
    app_client(config).disable_real_time_scheduling_link(link["real_time_scheduling_id"], message)


# -- the team ------------------------------------------------------------------------------------

TEAM = [
    {"application_calendar_id": "demo-team-priya", "name": "Priya (London)", "tzid": "Europe/London"},
    {"application_calendar_id": "demo-team-marcus", "name": "Marcus (New York)", "tzid": "America/New_York"},
]
WORKING_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def working_hours(tzid: str) -> dict[str, Any]:
    return {
        "availability_rule_id": "working-hours",
        "tzid": tzid,
        "weekly_periods": [{"day": day, "start_time": "09:00", "end_time": "17:00"} for day in WORKING_DAYS],
    }


def ensure_team(config: Config, store: Store) -> None:
    """Two hosted team members: application calendars (calgate hosts them; no person has to
    connect anything) with working hours as availability rules. Safe to run on every start:
    both calls are upserts."""
    for member in TEAM:
        client = app_client(config)
        created = client.application_calendar(member["application_calendar_id"])
        rule = client.upsert_availability_rule(working_hours(member["tzid"]))
        calendar = writable_calendar(client.list_calendars())
        record = {**member, "calendar_id": calendar["calendar_id"], "rule": rule, **tokens_of(client)}
        store.save_member("team", created["sub"], record)


def is_refused_credentials(error: PyCronofyRequestError) -> bool:
    """Whether calgate refused the application's client_id/secret (e.g. a new database)."""
    response = error.response
    return response is not None and response.status_code in (400, 401) and "invalid_client" in response.text
