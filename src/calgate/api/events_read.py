# SPDX-License-Identifier: Apache-2.0
"""Read Events: GET /v1/events and its pages (wire notes §4.3, §5). Writing events is
``api.events``; what is read, and how it is paged, is ``domain.reads``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from calgate.api import reads as wire
from calgate.api.deps import CallerDep, Params, ServicesDep
from calgate.domain import reads, times
from calgate.services import Services

router = APIRouter(prefix="/v1")


@router.get("/events")
def read_events(request: Request, params: Params, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    return wire.respond(services, caller, wire.query(request, params), reads.read_events, "events", _shaper(services))


@router.get("/events/pages/{token}")
def read_events_page(token: str, caller: CallerDep, services: ServicesDep) -> JSONResponse:
    # Query parameters are ignored: the Node SDK repeats the first request's options here.
    cursor = wire.open_cursor(services.settings, reads.EVENTS, token)
    return wire.respond(services, caller, cursor, reads.read_events, "events", _shaper(services))


def _shaper(services: Services) -> Callable[[reads.EventView, reads.Query], dict[str, Any]]:
    organizer = services.settings.organizer_email
    return lambda view, query: _event(view, organizer, query)


def _event(view: reads.EventView, organizer_email: str, query: reads.Query) -> dict[str, Any]:
    event, managed, localized = view.event, view.managed, query.localized_times
    body: dict[str, Any] = {"calendar_id": event.calendar_id, "event_uid": event.id}
    if managed:
        body["event_id"] = event.event_id
    body.update(
        summary=event.summary,
        description=event.description or "",
        start=wire.event_time(view.start, localized),
        end=wire.event_time(view.end, localized),
        deleted=event.deleted,
        created=times.format_time(event.created_at),
        updated=times.format_time(event.updated_at),
    )
    location = _location(event.location or {}, query.include_geo)
    if location:
        body["location"] = location
    body.update(
        participation_status=event.participation_status,
        attendees=[
            {"email": a["email"], "display_name": a.get("display_name"), "status": a.get("status", "needs_action")}
            for a in event.attendees
        ],
        organizer={"email": organizer_email},
        transparency=event.transparency,
        extended_transparency=event.extended_transparency or event.transparency,
        status="cancelled" if event.deleted else "confirmed",
        categories=[],
        recurring=event.recurrence_id is not None,
        event_private=event.event_private,
        options={"delete": managed, "update": managed, "change_participation_status": managed},
        reminders=list(event.reminders),
    )
    if event.recurrence_id is not None:  # an occurrence of a series: its UID names the series
        body["series_identifier"] = event.remote_uid or event.ical_uid
    if event.conferencing:
        body["conferencing"] = dict(event.conferencing)
        body["meeting_url"] = event.conferencing["join_url"]
    if event.url:
        body["url"] = event.url
    if event.color:
        body["color"] = event.color
    if managed and event.tags:
        body["tags"] = {"private": [{"value": tag} for tag in event.tags]}
    if query.google_event_ids:
        google_id = google_event_id(event.remote_id)
        if google_id:
            body["google_event_id"] = google_id
    return body


def _location(location: dict[str, str], include_geo: bool) -> dict[str, str]:
    shown = {"description": location["description"]} if location.get("description") else {}
    if include_geo and location.get("lat") and location.get("long"):
        shown.update(lat=location["lat"], long=location["long"])
    return shown


def google_event_id(remote_id: str | None) -> str | None:
    """The Google event id in a Google resource name (``calendars/{cal}/events/{id}``,
    ``providers/google/source.resource_id``), None for any other provider's."""
    if not remote_id or not remote_id.startswith("calendars/"):
        return None
    head, _, event_id = remote_id.rpartition("/events/")
    return unquote(event_id) if head and event_id else None
