# SPDX-License-Identifier: Apache-2.0
"""Managed events: the application's own events in an account's calendars (Cronofy's Create
or Update Event, Delete Event and Bulk Delete).

Where a write goes is the access-mode policy's answer for the calendar's profile (when the
event was created: an event keeps its way across mode changes, ``access_modes.event_delivery``): hosted
calendars keep the event, and when the policy delivers by email invitation (free_busy,
no_calendar) the person gets an iTIP REQUEST or CANCEL (``invites``). An upsert that changes
nothing changes nothing: no new SEQUENCE, no new invitation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict
from typing import Any

from calgate.domain import access_modes, accounts, event_series, external_events, ids, invites, model, recurrence, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.event_input import KEEP, EventInput, read_tags
from calgate.domain.ports import UnitOfWork

__all__ = ["EventInput", "read_tags", "upsert", "delete", "delete_all", "snapshot"]
# Providers whose writer takes one event, not a series (``providers/msgraph/events.event_json``):
# a recurring event for a calendar written there is refused, not written as its first occurrence.
SINGLE_EVENT_PROVIDERS = frozenset({"ms_graph"})
PARTICIPATION_STATUSES = ("accepted", "tentative", "declined")
PROVIDER_WRITE = "provider_write"  # the job that puts (or deletes) a managed event at the provider


def _fingerprint(event: model.Event) -> str:
    content = {
        k: getattr(event, k)
        for k in ("summary", "description", "start", "end", "location", "url", "reminders", "transparency", "color")
    }
    if event.tags:  # (only when set: events stored before tags keep their fingerprint)
        content["tags"] = event.tags
    for name in ("recurrence", "conferencing", "event_private", "extended_transparency"):  # likewise
        if getattr(event, name):
            content[name] = getattr(event, name)
    # An attendee's answer (an iTIP REPLY, ``invites.receive_reply``) is not a change of content.
    content["attendees"] = [{k: v for k, v in a.items() if k != "status"} for a in event.attendees]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _deliver(uow: UnitOfWork, caller: Caller, profile: model.Profile, event: model.Event, method: str, removed: list[dict[str, str]] | None = None) -> None:
    """Send the change the way the event reaches the person (its first version's way, which
    the profile's access mode chose: ``access_modes.event_delivery``), and invite (or
    uninvite) the event's attendees by email."""
    if access_modes.event_delivery(event.delivery, profile.policy) is access_modes.WriteDelivery.EMAIL_INVITE:
        invites.send(uow, caller.account, event, method, removed or [], application=caller.application)
    elif profile.provider != access_modes.HOSTED_PROVIDER:
        # Written into the person's calendar by a job (``provider_writes``): durable with the
        # change, retried until the provider takes it, one event's writes in order.
        uow.jobs.enqueue(
            PROVIDER_WRITE, {"event_uid": event.id, "application_id": caller.application.id}, ordering_key=f"event:{event.id}"
        )
        # The provider's copy carries no attendees (so the provider mails no one): calgate
        # invites them itself, as in the other modes; the person has the event already.
        invites.send(uow, caller.account, event, method, removed or [], to_person=False, application=caller.application)
    # Hosted calendars (application calendars) hold the event already, and invite no one.


def upsert(uow: UnitOfWork, caller: Caller, calendar_id: str, command: EventInput, now: dt.datetime) -> model.Event:
    caller.require(scopes.CREATE_EVENT)
    calendar, profile = accounts.own_calendar(uow, caller, calendar_id)
    if command.event_uid is not None:
        if calendar.readonly:  # the person's own event is changed at the provider
            raise ValidationFailed.single("calendar_id", "read_only", "The calendar is read-only")
        return external_events.upsert(uow, caller, calendar, profile, command, now)
    event = uow.events.by_event_id(calendar.id, command.event_id)
    delivery = access_modes.event_delivery(event.delivery if event else None, profile.policy)
    if calendar.readonly and delivery is access_modes.WriteDelivery.PROVIDER:
        # (An invitation by email needs no write access: Graph lists a free_busy calendar as
        # read-only, and an event handed over from read_write stays manageable there.)
        raise ValidationFailed.single("calendar_id", "read_only", "The calendar is read-only")
    created = event is None
    if event is None:
        event = model.Event(
            id=ids.new_id("evt"), calendar_id=calendar.id, account_id=caller.account.id,
            application_id=caller.application.id, event_id=command.event_id, summary=command.summary,
            start={}, end={}, start_at=now, end_at=now, created_at=now, updated_at=now,
            participation_status=profile.policy.initial_participation_status,
            delivery=profile.policy.write_delivery.value,
        )
    rule = recurrence.from_data(event.recurrence) if command.recurrence is KEEP else command.recurrence
    if rule is not None and profile.policy.write_delivery is access_modes.WriteDelivery.PROVIDER and profile.provider in SINGLE_EVENT_PROVIDERS:
        raise ValidationFailed.single(
            "recurrence", "unsupported", "calgate cannot yet write recurring events into Microsoft 365 calendars"
        )
    was_deleted = event.deleted
    attendees = {a["email"]: a for a in event.attendees}
    for person in command.invite:
        attendees.setdefault(person["email"], {**person, "status": "needs_action"}).update(person)
    removed = [attendees.pop(p["email"]) for p in command.remove if p["email"] in attendees]
    event.summary, event.description = command.summary, command.description
    event.move(command.start.instant("Etc/UTC"), command.end.instant("Etc/UTC"))
    event.start = {"time": command.start.wire(), "tzid": command.start.tzid}
    event.end = {"time": command.end.wire(), "tzid": command.end.tzid}
    event.location, event.url = command.location, command.url
    if created or not command.reminders_create_only:  # (reminders_create_only: set them once)
        event.reminders = command.reminders
    event.transparency, event.color = command.transparency, command.color
    event.event_private, event.extended_transparency = command.event_private, command.extended_transparency
    if command.conferencing is not KEEP:
        event.conferencing = command.conferencing
    event.recurrence = recurrence.to_data(rule)
    event.recurrence_id = command.start.wire() if rule is not None else None
    if command.tags is not None:
        event.tags = list(command.tags)
    event.attendees = list(attendees.values())
    fingerprint = _fingerprint(event)
    if not created and not was_deleted and fingerprint == event.fingerprint:
        if rule is not None and rule.count is None and rule.until is None:
            event_series.store(uow, event, now)  # nothing changed, but an unending series' horizon moves on
        return event  # a repeated upsert: nothing changed, nothing to send
    event.fingerprint, event.deleted, event.updated_at = fingerprint, False, now
    if not created:
        event.sequence += 1
    else:
        uow.events.add(event)
    event_series.store(uow, event, now)
    _deliver(uow, caller, profile, event, "REQUEST", removed)
    return event


def delete(uow: UnitOfWork, caller: Caller, calendar_id: str, event_id: str | None, now: dt.datetime, event_uid: str | None = None) -> None:
    """Delete Event: the application's event by ``event_id``, or an external one by ``event_uid``."""
    caller.require(scopes.DELETE_EVENT)
    if event_id and event_uid:
        raise ValidationFailed.single("event_uid", "invalid", "give event_id or event_uid, not both")
    if not event_id and not event_uid:
        raise ValidationFailed.single("event_id", "required", "event_id (or event_uid, for an external event) must be specified")
    calendar, profile = accounts.own_calendar(uow, caller, calendar_id)
    if event_uid:
        external_events.delete(uow, caller, calendar, profile, event_uid, now)
        return
    assert event_id
    event = uow.events.by_event_id(calendar.id, event_id)
    if event is None or event.deleted:
        return  # deleting is idempotent
    _mark_deleted(uow, caller, profile, event, now)


def _mark_deleted(uow: UnitOfWork, caller: Caller, profile: model.Profile, event: model.Event, now: dt.datetime) -> None:
    event.deleted, event.updated_at, event.sequence = True, now, event.sequence + 1
    event_series.store(uow, event, now)  # its other occurrences go with it
    _deliver(uow, caller, profile, event, "CANCEL")


def delete_all(uow: UnitOfWork, caller: Caller, delete_all: bool, calendar_ids: list[str] | None, now: dt.datetime) -> int:
    """Bulk Delete: every managed event, or those in ``calendar_ids`` (exactly one of them)."""
    caller.require(scopes.DELETE_EVENT)
    if delete_all == bool(calendar_ids):
        raise ValidationFailed.single(
            "delete_all" if not delete_all else "calendar_ids",
            "invalid",
            "Give either delete_all=true or a non-empty calendar_ids, not both",
        )
    wanted = set(calendar_ids or [])
    profiles = {p.id: p for p in uow.profiles.of_account(caller.account.id)}
    calendars = {c.id: c for c in uow.calendars.of_account(caller.account.id)}
    unknown = wanted - set(calendars)
    if unknown:
        raise NotFound("calendar")
    count = 0
    for event in uow.events.managed(caller.account.id, caller.application.id):
        if event.deleted or event.series_id is not None or (wanted and event.calendar_id not in wanted):
            continue
        _mark_deleted(uow, caller, profiles[calendars[event.calendar_id].profile_id], event, now)
        count += 1
    return count


def set_participation_status(uow: UnitOfWork, account_id: str, event_uid: str, status: str, now: dt.datetime) -> model.Event:
    """The person's answer (Cronofy's participation status; also what an iTIP REPLY sets)."""
    if status not in PARTICIPATION_STATUSES:
        raise ValidationFailed.single("status", "invalid", f"status must be one of {', '.join(PARTICIPATION_STATUSES)}")
    event = uow.events.get(event_uid)
    if event is None or event.account_id != account_id or event.deleted:
        raise NotFound("event")
    if event.participation_status != status:
        event.participation_status, event.updated_at = status, now
        event_series.store(uow, event, now)  # a series' answer is every occurrence's
    return event


def change_participation_status(
    uow: UnitOfWork, caller: Caller, calendar_id: str, event_uid: str, status: str | None, now: dt.datetime
) -> model.Event:
    """POST /v1/calendars/{calendar_id}/events/{event_uid}/participation_status. The event is
    named by its ``event_uid``; for the caller's own managed events its ``event_id`` is
    accepted too (pycronofy documents that parameter as the application's id)."""
    caller.require(scopes.CHANGE_PARTICIPATION_STATUS)
    if status not in PARTICIPATION_STATUSES:
        raise ValidationFailed.single("status", "invalid", f"status must be one of {', '.join(PARTICIPATION_STATUSES)}")
    calendar, _ = accounts.own_calendar(uow, caller, calendar_id)
    event = uow.events.get(event_uid)
    if event is None or event.calendar_id != calendar.id:
        event = uow.events.by_event_id(calendar.id, event_uid)
        if event is not None and event.application_id != caller.application.id:
            event = None
    if event is None or event.deleted:
        raise NotFound("event")
    return set_participation_status(uow, caller.account.id, event.id, status, now)


def snapshot(event: model.Event) -> dict[str, Any]:
    """The event as plain data (job payloads, invitations)."""
    # What an invitation needs; where the event sat before it moved is the store's business.
    data = {k: v for k, v in asdict(event).items() if k not in ("fingerprint", "moved_from_start_at", "moved_from_end_at")}
    for key in ("start_at", "end_at", "created_at", "updated_at"):
        data[key] = times.format_time(getattr(event, key))
    return data
