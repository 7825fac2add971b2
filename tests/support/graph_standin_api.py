# SPDX-License-Identifier: Apache-2.0
"""The Graph v1.0 routes of the stand-in (``graph_standin.GraphStandin``): /me, /me/calendars,
calendarView/delta, getSchedule and event writes, and the tenant's rooms
(``/places/microsoft.graph.room``), with Graph's error shape
(``{"error": {"code", "message"}}``), per-token scopes and request validation.

Each route also answers under ``/users/{id|userPrincipalName}`` (the same handler: ``gate``
resolves the user first). An app-only token (client credentials) may use those for any user
of the stand-in its roles cover (an unknown one is 404 ``Request_ResourceNotFound`` on the user
itself, ``ErrorInvalidUser`` on their mailbox) and never ``/me``; a delegated token may name
only its own user there (others: 403, as if nothing were shared)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.graph_standin_events import (
    SHOW_AS,
    UTC,
    GraphUser,
    StoredEvent,
    overlaps,
    parse_dtz,
    render_instance,
    zone_of,
)

if TYPE_CHECKING:
    from tests.support.graph_standin import GraphStandin

READ_BASIC = frozenset({"Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite"})
READ_WRITE = frozenset({"Calendars.ReadWrite"})
# GET /users/{id} app-only ("Get a user": User.ReadBasic.All is not accepted there)
USER_READ_APP = frozenset({"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"})
EVENT_FIELDS = frozenset(
    {"subject", "body", "start", "end", "isAllDay", "showAs", "location", "attendees", "transactionId", "sensitivity",
     "isReminderOn", "categories", "importance", "responseRequested", "recurrence"}
)
MAX_SCHEDULE_DAYS = 62
PLACE_READ = "Place.Read.All"  # "List places": the only permission, delegated or application


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def prefer(request: Request) -> dict[str, str]:
    """The ``Prefer`` preferences, from every Prefer header (``outlook.timezone="UTC"``)."""
    out = {}
    for header in request.headers.getlist("prefer"):
        for part in re.findall(r'[\w.]+=(?:"[^"]*"|[^,\s]+)', header):
            name, _, value = part.partition("=")
            out[name.lower()] = value.strip('"')
    return out


def zone_name(standin: GraphStandin, request: Request) -> str:
    name = prefer(request).get("outlook.timezone", "UTC")
    if zone_of(name) is None:
        standin.violation(f"Prefer: outlook.timezone names an unknown zone {name!r}")
        return "UTC"
    return name


def gate(request: Request, route: str, scopes: frozenset[str]) -> tuple[GraphStandin, GraphUser | None, Response | None]:
    """Faults, then the bearer token, its scopes (or roles) and the user the path names:
    (standin, user, or the refusal)."""
    standin: GraphStandin = request.app.state.standin
    standin.requests.append((request.method, request.url.path, route))
    fault = standin.take_fault(route)
    if fault is not None:
        return standin, None, fault
    header = request.headers.get("authorization", "")
    bearer = header[7:] if header.startswith("Bearer ") else ""
    if bearer in standin.app_tokens:
        return _gate_app(request, standin, standin.app_tokens[bearer], route, scopes)
    token = standin.access_tokens.get(bearer)
    if token is None or token[2] <= dt.datetime.now(UTC):
        return standin, None, error(401, "InvalidAuthenticationToken", "Access token is empty or has expired.")
    mail, granted, _ = token
    named = request.path_params.get("user")
    if named is not None and standin.find_user(named) is not standin.users[mail]:
        return standin, None, error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    if route != "me" and not granted & scopes:
        return standin, None, error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    return standin, standin.users[mail], None


def _gate_app(
    request: Request, standin: GraphStandin, token: tuple[str, set[str], dt.datetime], route: str, scopes: frozenset[str]
) -> tuple[GraphStandin, GraphUser | None, Response | None]:
    """An app-only token: no signed-in user, so only ``/users/{user}`` paths, by roles."""
    _, roles, expires = token
    if expires <= dt.datetime.now(UTC):
        return standin, None, error(401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.")
    named = request.path_params.get("user")
    if named is None:
        standin.violation(f"{request.url.path}: /me with an app-only token")
        return standin, None, error(400, "BadRequest", "/me request is only valid with delegated authentication flow.")
    if route == "me":
        if not roles & USER_READ_APP:
            return standin, None, error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    elif not roles & scopes:
        return standin, None, error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    user = standin.find_user(named)
    if user is None:  # the directory object, or the mailbox
        return standin, None, (error(404, "Request_ResourceNotFound", f"Resource '{named}' does not exist.") if route == "me"
                               else error(404, "ErrorInvalidUser", f"The requested user '{named}' is invalid."))
    return standin, user, None


async def me(request: Request) -> Response:
    standin, user, refusal = gate(request, "me", frozenset({"User.Read"}))
    if refusal or user is None:
        return refusal or error(500, "generalException", "no user")
    return JSONResponse({"id": user.upn, "mail": user.mail, "userPrincipalName": user.upn, "displayName": user.mail})


async def calendars(request: Request) -> Response:
    standin, user, refusal = gate(request, "calendars", READ_WRITE)
    if refusal or user is None:
        return refusal or error(500, "generalException", "no user")
    return JSONResponse({"value": list(user.calendars.values())})


def _window(standin: GraphStandin, request: Request) -> tuple[dt.datetime, dt.datetime] | None:
    values = []
    for name in ("startDateTime", "endDateTime"):
        text = request.query_params.get(name)
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
        except ValueError:
            value = None
        if value is None:
            standin.violation(f"calendarView/delta without a valid {name}")
            return None
        values.append(value if value.tzinfo else value.replace(tzinfo=UTC))
    return values[0], values[1]


async def delta(request: Request) -> Response:
    standin, user, refusal = gate(request, "delta", READ_WRITE)
    if refusal or user is None:
        return refusal or error(500, "generalException", "no user")
    calendar_id = request.path_params.get("calendar_id") or user.default_calendar()
    if calendar_id not in user.calendars:
        return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    params = request.query_params
    if "$select" in params:
        standin.violation("calendarView/delta does not support $select")
    zone = zone_name(standin, request)
    asked = prefer(request).get("odata.maxpagesize", "100")
    if not asked.isdigit() or int(asked) < 1:
        standin.violation(f"Prefer: odata.maxpagesize={asked!r} is not a positive integer")
    size = int(asked) if asked.isdigit() and int(asked) > 0 else 100
    default_view = "calendar_id" not in request.path_params  # /me/calendarView/delta: the default calendar (v1.0)
    view = "calendarView" if default_view else f"calendars/{quote(calendar_id, safe='')}/calendarView"
    named = request.path_params.get("user")  # links stay under the root asked: /me or /users/{user}
    base = f"{standin.url}/v1.0/{'me' if named is None else 'users/' + quote(named, safe='@')}/{view}/delta"
    if "$skiptoken" in params:
        page = user.pages.pop(params["$skiptoken"], None)
        if page is None:
            return error(410, "SyncStateNotFound", "The sync state generation is not found.")
        items, next_delta = page
    else:
        if "$deltatoken" in params:
            state = user.delta_states.get(params["$deltatoken"])
            if state is None or state[0] != calendar_id:
                return error(410, "SyncStateNotFound", "The sync state generation is not found.")
            _, lo, hi, since = state
        else:
            window = _window(standin, request)
            if window is None:
                return error(400, "ErrorInvalidParameter", "startDateTime and endDateTime are required.")
            (lo, hi), since = window, -1
        items = _changed(user, calendar_id, lo, hi, since, zone)
        next_delta = secrets.token_urlsafe(12)
        user.delta_states[next_delta] = (calendar_id, lo, hi, user.seq)
    body: dict[str, Any] = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)", "value": items[:size]}
    if len(items) > size:
        skip = secrets.token_urlsafe(12)
        user.pages[skip] = (items[size:], next_delta)
        body["@odata.nextLink"] = f"{base}?$skiptoken={skip}"
    else:
        body["@odata.deltaLink"] = f"{base}?$deltatoken={next_delta}"
    return JSONResponse(body)


def _changed(user: GraphUser, calendar_id: str, lo: dt.datetime, hi: dt.datetime, since: int, zone: str) -> list[dict[str, Any]]:
    items, gone = [], []
    for event in user.events.values():
        if event.calendar_id != calendar_id or event.seq <= since:
            continue
        for instance in event.instances():
            if overlaps(instance[1], instance[2], lo, hi):
                items.append(render_instance(event, instance, zone, user.mail))
            elif since >= 0:
                gone.append(instance[0])
    if since >= 0:
        gone += [iid for seq, cal, iid in user.tombstones if seq > since and cal == calendar_id]
    items += [{"@odata.type": "#microsoft.graph.event", "id": iid, "@removed": {"reason": "deleted"}} for iid in gone]
    return items


async def get_schedule(request: Request) -> Response:
    standin, user, refusal = gate(request, "getSchedule", READ_BASIC)
    if refusal or user is None:
        return refusal or error(500, "generalException", "no user")
    body = await request.json()
    schedules, start, end = body.get("schedules"), parse_dtz(body.get("startTime")), parse_dtz(body.get("endTime"))
    interval = body.get("availabilityViewInterval", 30)
    problem = None
    if not isinstance(schedules, list) or not schedules or not all(isinstance(s, str) for s in schedules):
        problem = "schedules must be a non-empty list of addresses"
    elif len(schedules) > 20:
        problem = "at most 20 schedules per request"
    elif start is None or end is None or start >= end:
        problem = "startTime and endTime must be dateTimeTimeZone values, start before end"
    elif end - start >= dt.timedelta(days=MAX_SCHEDULE_DAYS):
        problem = "the window must be shorter than 62 days"
    elif not isinstance(interval, int) or not 5 <= interval <= 1440:
        problem = "availabilityViewInterval must be 5 to 1440"
    elif set(body) - {"schedules", "startTime", "endTime", "availabilityViewInterval"}:
        problem = f"unknown fields {sorted(set(body) - {'schedules', 'startTime', 'endTime', 'availabilityViewInterval'})}"
    if problem or start is None or end is None:
        standin.violation(f"getSchedule: {problem}")
        return error(400, "ErrorInvalidParameter", problem or "invalid")
    zone = zone_name(standin, request)
    standin.schedule_windows.append((start, end))
    answers = []
    for address in schedules:
        owner = standin.users.get(address.lower())
        if owner is None:
            answers.append({"scheduleId": address, "availabilityView": "",
                            "error": {"message": "The user was not found.", "responseCode": "ErrorMailRecipientNotFound"}})
            continue
        items = []
        for event in owner.events.values():
            if event.calendar_id != owner.default_calendar() or event.is_cancelled or event.response == "declined":
                continue
            for instance in event.instances():
                _, s, e, _ = instance
                if overlaps(s, e, start, end):
                    # The privacy hazard: details the mailbox's sharing settings reveal.
                    items.append({"isPrivate": False, "status": event.show_as, "subject": event.subject,
                                  "location": event.location, "isMeeting": bool(event.attendees),
                                  "isRecurring": event.repeat is not None, "isException": False,
                                  "isReminderSet": True, "start": render_instance(event, instance, zone, "")["start"],
                                  "end": render_instance(event, instance, zone, "")["end"]})
                    standin.details_sent += 1
        answers.append({"scheduleId": address, "availabilityView": "", "scheduleItems": items,
                        "workingHours": {"daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
                                         "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000",
                                         "timeZone": {"name": "UTC"}}})
    return JSONResponse({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
                         "value": answers})


def _event_fields(standin: GraphStandin, body: Any, creating: bool) -> dict[str, Any] | None:
    """Validated event fields of a POST/PATCH body, or None (a violation is recorded)."""
    def bad(message: str) -> None:
        standin.violation(f"event body: {message}")

    if not isinstance(body, dict):
        return bad("not a JSON object")
    if set(body) - EVENT_FIELDS:
        return bad(f"unknown or read-only fields {sorted(set(body) - EVENT_FIELDS)}")
    if not creating and "transactionId" in body:
        return bad("transactionId can only be set on create")
    out: dict[str, Any] = {}
    if creating and not {"start", "end"} <= set(body):
        return bad("start and end are required")
    all_day = body.get("isAllDay", False)
    if not isinstance(all_day, bool):
        return bad("isAllDay must be a boolean")
    for name in ("start", "end"):
        if name in body:
            value = parse_dtz(body[name])
            if value is None:
                return bad(f"{name} is not a dateTimeTimeZone with a known zone")
            if all_day:
                local = value.astimezone(zone_of(body[name]["timeZone"]) or UTC)
                if local.time() != dt.time():
                    return bad("an all-day event must start and end at midnight")
                out[name] = local.date()
            else:
                out[name] = value
            if name == "start":
                out["time_zone"] = body[name]["timeZone"]
    if "subject" in body:
        if not isinstance(body["subject"], str):
            return bad("subject must be a string")
        out["subject"] = body["subject"]
    if "body" in body:
        content = body["body"]
        if not isinstance(content, dict) or content.get("contentType") not in ("text", "html") or not isinstance(content.get("content"), str):
            return bad("body must be an itemBody (contentType text or html, content)")
        out["body"] = content["content"]
    if "showAs" in body:
        if body["showAs"] not in SHOW_AS:
            return bad("showAs is not a freeBusyStatus")
        out["show_as"] = body["showAs"]
    if "location" in body:
        location = body["location"]
        if not isinstance(location, dict) or not isinstance(location.get("displayName", ""), str):
            return bad("location must be a location object")
        out["location"] = location.get("displayName", "")
    if "attendees" in body:
        people = body["attendees"]
        if not isinstance(people, list) or not all(isinstance(p, dict) and isinstance(p.get("emailAddress"), dict)
                                                   and isinstance(p["emailAddress"].get("address"), str) for p in people):
            return bad("attendees must be attendee objects with emailAddress.address")
        out["attendees"] = [{"address": p["emailAddress"]["address"], "name": p["emailAddress"].get("name", "")} for p in people]
    if "transactionId" in body:
        if not isinstance(body["transactionId"], str) or not body["transactionId"]:
            return bad("transactionId must be a string")
        out["transaction_id"] = body["transactionId"]
    return out


async def create_event(request: Request) -> Response:
    standin, user, refusal = gate(request, "create", READ_WRITE)
    if refusal or user is None:
        return refusal or error(500, "generalException", "no user")
    calendar_id = request.path_params.get("calendar_id") or user.default_calendar()
    if calendar_id not in user.calendars:
        return error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    fields = _event_fields(standin, await request.json(), creating=True)
    if fields is None:
        return error(400, "ErrorInvalidRequest", "The event body is not valid.")
    zone = zone_name(standin, request)
    existing = next((e for e in user.events.values() if fields.get("transaction_id") and e.transaction_id == fields["transaction_id"]), None)
    if existing is not None:  # a retried create: the event made the first time
        return JSONResponse(render_instance(existing, existing.instances()[0], zone, user.mail), status_code=201)
    fields.setdefault("subject", "")
    event = StoredEvent(id="AAMkAG" + secrets.token_urlsafe(18), calendar_id=calendar_id, **fields)
    user.events[event.id] = event
    user.touch(event)
    return JSONResponse(render_instance(event, event.instances()[0], zone, user.mail), status_code=201)


def _target(request: Request, user: GraphUser, standin: GraphStandin) -> tuple[StoredEvent | None, Response | None]:
    event = user.events.get(request.path_params["event_id"])
    if event is None:
        return None, error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
    if_match = request.headers.get("if-match")
    if if_match is not None and if_match != "*" and if_match != event.etag:
        return None, error(412, "ErrorIrresolvableConflict", "The change key passed in the request does not match the current change key of the item.")
    return event, None


async def update_event(request: Request) -> Response:
    standin, user, refusal = gate(request, "update", READ_WRITE)
    if refusal or user is None:
        return refusal or error(500, "generalException", "no user")
    event, refusal = _target(request, user, standin)
    if refusal or event is None:
        return refusal or error(500, "generalException", "no event")
    fields = _event_fields(standin, await request.json(), creating=False)
    if fields is None:
        return error(400, "ErrorInvalidRequest", "The event body is not valid.")
    before = [i[0] for i in event.instances()]
    for name, value in fields.items():
        setattr(event, name, value)
    user.touch(event, before)
    return JSONResponse(render_instance(event, event.instances()[0], zone_name(standin, request), user.mail))


async def delete_event(request: Request) -> Response:
    standin, user, refusal = gate(request, "delete", READ_WRITE)
    if refusal or user is None:
        return refusal or error(500, "generalException", "no user")
    event, refusal = _target(request, user, standin)
    if refusal or event is None:
        return refusal or error(500, "generalException", "no event")
    user.remove(event.id)
    return Response(status_code=204)


async def rooms(request: Request) -> Response:
    """``GET /places/microsoft.graph.room``: the tenant's rooms, ``$top`` at a time."""
    standin: GraphStandin = request.app.state.standin
    standin.requests.append((request.method, request.url.path, "rooms"))
    fault = standin.take_fault("rooms")
    if fault is not None:
        return fault
    header = request.headers.get("authorization", "")
    bearer = header[7:] if header.startswith("Bearer ") else ""
    token = standin.app_tokens.get(bearer) or standin.access_tokens.get(bearer)
    if token is None or token[2] <= dt.datetime.now(UTC):
        return error(401, "InvalidAuthenticationToken", "Access token is empty or has expired.")
    if PLACE_READ not in token[1]:
        return error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    params = request.query_params
    unknown = set(params) - {"$top", "$skip", "$select", "$filter", "$count"}
    top, skip = params.get("$top", "100"), params.get("$skip", "0")
    if unknown or not top.isdigit() or int(top) < 1 or not skip.isdigit():
        standin.violation(f"places: unknown parameters {sorted(unknown)}, or $top={top!r} / $skip={skip!r} not counts")
        return error(400, "ErrorInvalidParameter", "The query is not valid.")
    size, offset = int(top), int(skip)
    everything = [{"@odata.type": "#microsoft.graph.room", "id": str(uuid.uuid5(uuid.NAMESPACE_URL, email)), "emailAddress": email,
                   "displayName": name, "bookingType": "standard"} for email, name in standin.rooms.items()]
    body: dict[str, Any] = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#places/microsoft.graph.room",
                            "value": everything[offset:offset + size]}
    if offset + size < len(everything):
        body["@odata.nextLink"] = f"{standin.url}/v1.0/places/microsoft.graph.room?$top={size}&$skip={offset + size}"
    return JSONResponse(body)


def routes() -> list[Route]:
    """Every route under ``/me`` (the signed-in user) and ``/users/{user}`` (anyone, by id or UPN)."""
    shapes = [
        ("", me, "GET"),
        ("/calendars", calendars, "GET"),
        ("/calendars/{calendar_id}/calendarView/delta", delta, "GET"),
        ("/calendarView/delta", delta, "GET"),
        ("/calendar/getSchedule", get_schedule, "POST"),
        ("/calendars/{calendar_id}/events", create_event, "POST"),
        ("/events/{event_id}", update_event, "PATCH"),
        ("/events/{event_id}", delete_event, "DELETE"),
    ]
    return [Route(f"{prefix}{path}", handler, methods=[method])
            for prefix in ("/v1.0/me", "/v1.0/users/{user}") for path, handler, method in shapes] + [
        Route("/v1.0/places/microsoft.graph.room", rooms, methods=["GET"]),
    ]

