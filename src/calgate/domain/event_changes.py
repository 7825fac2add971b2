# SPDX-License-Identifier: Apache-2.0
"""Creating, changing and cancelling one managed event as separate operations, for callers
that should not overwrite by accident (the MCP server's tools; ``mcp_server``).

Cronofy's Create or Update Event is an upsert that replaces every field, and Delete Event is
idempotent. Here:

- ``create`` refuses an ``event_id`` the application already uses for a live event in the
  calendar (``errors.taken``), instead of overwriting it;
- ``update`` changes only the fields given and keeps the rest as stored (the event must exist
  and be live, else NotFound); attendees given are invited in addition to those already
  invited;
- ``cancel`` deletes a live event (NotFound when there is none, or it is already cancelled).

Each then goes through ``events.upsert`` or ``events.delete``: the same scopes, the same
access-mode delivery (direct write, email invitation, hosted) and the same jobs, committed with
the change by the caller's unit of work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from calgate.domain import accounts, events, model, scopes
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.event_input import EventInput
from calgate.domain.ports import UnitOfWork

# What Create or Update Event replaces, and so what ``update`` carries over when not given.
KEPT = ("summary", "description", "start", "end", "location", "url", "reminders", "transparency", "color", "event_private", "extended_transparency")


def live_event(uow: UnitOfWork, caller: Caller, calendar_id: str, event_id: str) -> model.Event | None:
    """The caller's application's live event ``event_id`` in a live calendar of the caller's
    account (NotFound for the calendar), or None."""
    calendar, _ = accounts.own_calendar(uow, caller, calendar_id)
    event = uow.events.by_event_id(calendar.id, event_id)
    if event is None or event.deleted or event.application_id != caller.application.id:
        return None
    return event


def create(uow: UnitOfWork, caller: Caller, calendar_id: str, params: dict[str, Any], now: dt.datetime) -> model.Event:
    """A new event from Create or Update Event's ``params`` (``event_id`` required, no
    ``event_uid``)."""
    caller.require(scopes.CREATE_EVENT)
    if params.get("event_uid") is not None:
        raise ValidationFailed.single("event_uid", "not_allowed", "only the application's own events (event_id) are created here")
    command = EventInput.from_params(params)
    if live_event(uow, caller, calendar_id, command.event_id) is not None:
        raise ValidationFailed.single(
            "event_id", "taken", f"an event with event_id {command.event_id!r} already exists in this calendar: update it, or choose another event_id"
        )
    return events.upsert(uow, caller, calendar_id, command, now)


def update(uow: UnitOfWork, caller: Caller, calendar_id: str, event_id: str, changes: dict[str, Any], now: dt.datetime) -> model.Event:
    """The live event ``event_id`` with ``changes`` (Create or Update Event's fields) applied."""
    caller.require(scopes.CREATE_EVENT)
    event = live_event(uow, caller, calendar_id, event_id)
    if event is None:
        raise NotFound("event")
    params: dict[str, Any] = {name: getattr(event, name) for name in KEPT}
    if "tzid" in changes:  # a new zone for times given without one; the stored ones keep theirs
        params["start"], params["end"] = event.start["time"], event.end["time"]
    params.update(changes, event_id=event_id)
    params.pop("event_uid", None)
    return events.upsert(uow, caller, calendar_id, EventInput.from_params(params), now)


def cancel(uow: UnitOfWork, caller: Caller, calendar_id: str, event_id: str, now: dt.datetime) -> model.Event:
    """Delete the live event ``event_id`` (the person is sent a cancellation where the access
    mode delivers by invitation); returns it as it was."""
    caller.require(scopes.DELETE_EVENT)
    event = live_event(uow, caller, calendar_id, event_id)
    if event is None:
        raise NotFound("event")
    events.delete(uow, caller, calendar_id, event_id, now)
    return event
