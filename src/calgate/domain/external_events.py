# SPDX-License-Identifier: Apache-2.0
"""External events: the person's own events, named by ``event_uid`` instead of an
application's ``event_id`` (docs.cronofy.com /developers/api/events/edit-external-events and
…/delete-event). Not an upsert: an external event must exist, and once deleted it cannot be
written again.

Allowed where calgate holds the event and may write the person's calendar: a calendar of a
read_write profile at a provider (the access-mode policy stores event details and writes
directly), for a single event (not one occurrence of a recurring series) without attendees
(rewriting it would mean taking over its invitations, which are its organizer's). The change
reaches the provider the way managed events do, by a ``provider_write`` job. Everything else
is refused with a 422 naming ``event_uid``: never a silent no-op.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from calgate.domain import access_modes, model, scopes
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.event_input import KEEP
from calgate.domain.ports import UnitOfWork

if TYPE_CHECKING:
    from calgate.domain.event_input import EventInput

PROVIDER_WRITE = "provider_write"  # the job of ``events`` (``jobs/provider_jobs``)


def _refuse(description: str) -> ValidationFailed:
    return ValidationFailed.single("event_uid", "unsupported", description)


def _writable(uow: UnitOfWork, calendar: model.Calendar, profile: model.Profile, event_uid: str) -> model.Event:
    policy = profile.policy
    if not (policy.stores_event_details and policy.write_delivery is access_modes.WriteDelivery.PROVIDER) or profile.provider == access_modes.HOSTED_PROVIDER:
        raise _refuse(f"External events can be changed only in read_write calendars at a provider, not in {profile.access_mode} mode")
    event = uow.events.get(event_uid)
    if event is None or event.calendar_id != calendar.id:
        raise NotFound("event")
    if event.event_id is not None:
        raise _refuse("That event is an application's own: name it by its event_id")
    if event.remote_id is None:
        raise _refuse("That event is not held by the calendar's provider")
    if event.recurrence_id is not None:
        raise _refuse("That event is one occurrence of a recurring event; calgate changes single external events only")
    if event.attendees:
        raise _refuse("That event has attendees; its invitations are its organizer's, so calgate does not rewrite it")
    return event


def upsert(uow: UnitOfWork, caller: Caller, calendar: model.Calendar, profile: model.Profile, command: "EventInput", now: dt.datetime) -> model.Event:
    """Edit Event for an external event: its text, times, place and transparency."""
    assert command.event_uid is not None
    for name, asked in (
        ("recurrence", command.recurrence not in (KEEP, None)), ("conferencing", command.conferencing not in (KEEP, None)),
        ("attendees", bool(command.invite or command.remove)), ("tags", command.tags is not None),
    ):
        if asked:
            raise ValidationFailed.single(name, "unsupported", f"{name} cannot be set on an external event")
    event = _writable(uow, calendar, profile, command.event_uid)
    if event.deleted:
        raise _refuse("That external event was deleted; it cannot be written again")
    event.summary, event.description = command.summary, command.description
    event.move(command.start.instant("Etc/UTC"), command.end.instant("Etc/UTC"))
    event.start = {"time": command.start.wire(), "tzid": command.start.tzid}
    event.end = {"time": command.end.wire(), "tzid": command.end.tzid}
    event.location, event.url, event.reminders = command.location, command.url, command.reminders
    event.transparency, event.color = command.transparency, command.color
    event.event_private, event.extended_transparency = command.event_private, command.extended_transparency
    event.sequence, event.updated_at = event.sequence + 1, now
    _write(uow, caller, event)
    return event


def delete(uow: UnitOfWork, caller: Caller, calendar: model.Calendar, profile: model.Profile, event_uid: str, now: dt.datetime) -> None:
    caller.require(scopes.DELETE_EVENT)
    event = _writable(uow, calendar, profile, event_uid)
    if event.deleted:
        return  # deleting is idempotent
    event.deleted, event.updated_at, event.sequence = True, now, event.sequence + 1
    _write(uow, caller, event)


def _write(uow: UnitOfWork, caller: Caller, event: model.Event) -> None:
    uow.jobs.enqueue(PROVIDER_WRITE, {"event_uid": event.id, "application_id": caller.application.id}, ordering_key=f"event:{event.id}")
