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
from dataclasses import asdict, dataclass, field
from typing import Any

from calgate.domain import access_modes, accounts, ids, invites, model, scopes, times
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

MAX_SUMMARY = 1024
MAX_DESCRIPTION = 4096
MAX_EVENT_ID = 200
TRANSPARENCIES = ("opaque", "transparent")
PARTICIPATION_STATUSES = ("accepted", "tentative", "declined")
PROVIDER_WRITE = "provider_write"  # the job that puts (or deletes) a managed event at the provider


def _add(errors: dict[str, list[tuple[str, str]]], name: str, key: str, description: str) -> None:
    errors.setdefault(name, []).append((f"errors.{key}", description))


def _text(params: dict[str, Any], name: str, limit: int, errors: dict[str, list[tuple[str, str]]], required: bool = False) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        if required:
            _add(errors, name, "required", f"{name} must be specified")
        return None
    if not isinstance(value, str):
        _add(errors, name, "invalid", f"{name} must be a string")
        return None
    if len(value) > limit:
        _add(errors, name, "too_long", f"{name} must be at most {limit} characters")
    return value


def _people(value: object, name: str, errors: dict[str, list[tuple[str, str]]]) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    for item in value if isinstance(value, list) else [value]:
        email = item.get("email") if isinstance(item, dict) else None
        if not isinstance(email, str) or "@" not in email:
            _add(errors, name, "invalid", "each attendee needs an email address")
            continue
        person = {"email": email.strip().lower()}
        if isinstance(item, dict) and isinstance(item.get("display_name"), str):
            person["display_name"] = item["display_name"]
        people.append(person)
    return people


@dataclass(frozen=True)
class EventInput:
    """A validated Create or Update Event request (wire notes §4.3)."""

    event_id: str
    summary: str
    start: times.EventTime
    end: times.EventTime
    description: str | None = None
    location: dict[str, str] | None = None
    url: str | None = None
    reminders: list[dict[str, int]] = field(default_factory=list)
    transparency: str = "opaque"
    color: str | None = None
    invite: list[dict[str, str]] = field(default_factory=list)
    remove: list[dict[str, str]] = field(default_factory=list)
    tags: list[str] | None = None  # None: keep the event's tags as they are

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "EventInput":
        errors: dict[str, list[tuple[str, str]]] = {}
        event_id = _text(params, "event_id", MAX_EVENT_ID, errors, required=True)
        summary = _text(params, "summary", MAX_SUMMARY, errors, required=True)
        description = _text(params, "description", MAX_DESCRIPTION, errors)
        url = _text(params, "url", 2048, errors)
        tzid = params.get("tzid") if isinstance(params.get("tzid"), str) else None
        if tzid:
            try:
                times.zone(tzid)
            except ValidationFailed as exc:
                errors.update(exc.errors)
                tzid = None
        start = end = None
        for name in ("start", "end"):
            try:
                parsed = times.parse_event_time(params.get(name), name, tzid)
            except ValidationFailed as exc:
                errors.update(exc.errors)
                continue
            start, end = (parsed, end) if name == "start" else (start, parsed)
        if start and end:
            if start.all_day != end.all_day:
                _add(errors, "end", "invalid", "start and end must both be Times or both be Dates")
            elif end.instant() <= start.instant():
                _add(errors, "end", "invalid", "end must be after start")
        location = params.get("location")
        if location is not None:
            if not isinstance(location, dict) or not all(isinstance(v, (str, int, float)) for v in location.values()):
                _add(errors, "location", "invalid", "location must be an object such as {\"description\": \"Room 1\"}")
                location = None
            else:
                location = {k: str(v) for k, v in location.items() if k in ("description", "lat", "long")}
        reminders: list[dict[str, int]] = []
        raw_reminders = params.get("reminders") or []
        if not isinstance(raw_reminders, list):
            _add(errors, "reminders", "invalid", "reminders must be a list such as [{\"minutes\": 10}]")
            raw_reminders = []
        for reminder in raw_reminders:
            minutes = reminder.get("minutes") if isinstance(reminder, dict) else None
            if not isinstance(minutes, int) or not 0 <= minutes <= 40320:
                _add(errors, "reminders", "invalid", "each reminder needs minutes between 0 and 40320")
            else:
                reminders.append({"minutes": minutes})
        transparency = params.get("transparency") or "opaque"
        if transparency not in TRANSPARENCIES:
            _add(errors, "transparency", "invalid", "transparency must be opaque or transparent")
        color = _text(params, "color", 16, errors)
        attendees = params.get("attendees") or {}
        if not isinstance(attendees, dict):
            _add(errors, "attendees", "invalid", "attendees must be {\"invite\": [...], \"remove\": [...]}")
            attendees = {}
        invite = _people(attendees.get("invite") or [], "attendees", errors)
        remove = _people(attendees.get("remove") or attendees.get("reject") or [], "attendees", errors)
        tags = read_tags(params.get("tags"), "tags", errors) if "tags" in params else None
        if errors:
            raise ValidationFailed(errors)
        assert event_id and summary and start and end
        return cls(
            event_id=event_id, summary=summary, start=start, end=end, description=description,
            location=location or None, url=url, reminders=reminders, transparency=str(transparency),
            color=color, invite=invite, remove=remove, tags=tags,
        )


MAX_TAGS, MAX_TAG = 20, 100


def read_tags(value: Any, name: str, errors: dict[str, list[tuple[str, str]]]) -> list[str]:
    """``{"private": [{"value": "Interview"}, …]}`` → the values (the application's own tags;
    Availability constraints count events by them). Up to 20 values of 1 to 100 characters."""
    example = 'tags must be {"private": [{"value": "Interview"}]}'
    if value is None:
        return []
    if not isinstance(value, dict) or set(value) - {"private"} or not isinstance(value.get("private", []), list):
        _add(errors, name, "invalid", example)
        return []
    found: list[str] = []
    for item in value.get("private", []):
        text = item.get("value") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TAG:
            _add(errors, name, "invalid", f"each tag is {{\"value\": text of 1 to {MAX_TAG} characters}}")
            return []
        if text not in found:
            found.append(text)
    if len(found) > MAX_TAGS:
        _add(errors, name, "too_many", f"at most {MAX_TAGS} tags")
        return []
    return found


def _fingerprint(event: model.Event) -> str:
    content = {
        k: getattr(event, k)
        for k in ("summary", "description", "start", "end", "location", "url", "reminders", "transparency", "color")
    }
    if event.tags:  # (only when set: events stored before tags keep their fingerprint)
        content["tags"] = event.tags
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
    was_deleted = event.deleted
    attendees = {a["email"]: a for a in event.attendees}
    for person in command.invite:
        attendees.setdefault(person["email"], {**person, "status": "needs_action"}).update(person)
    removed = [attendees.pop(p["email"]) for p in command.remove if p["email"] in attendees]
    event.summary, event.description = command.summary, command.description
    event.move(command.start.instant("Etc/UTC"), command.end.instant("Etc/UTC"))
    event.start = {"time": command.start.wire(), "tzid": command.start.tzid}
    event.end = {"time": command.end.wire(), "tzid": command.end.tzid}
    event.location, event.url, event.reminders = command.location, command.url, command.reminders
    event.transparency, event.color = command.transparency, command.color
    if command.tags is not None:
        event.tags = list(command.tags)
    event.attendees = list(attendees.values())
    fingerprint = _fingerprint(event)
    if not created and not was_deleted and fingerprint == event.fingerprint:
        return event  # a repeated upsert: nothing changed, nothing to send
    event.fingerprint, event.deleted, event.updated_at = fingerprint, False, now
    if not created:
        event.sequence += 1
    else:
        uow.events.add(event)
    _deliver(uow, caller, profile, event, "REQUEST", removed)
    return event


def delete(uow: UnitOfWork, caller: Caller, calendar_id: str, event_id: str | None, now: dt.datetime) -> None:
    caller.require(scopes.DELETE_EVENT)
    if not event_id:
        raise ValidationFailed.single("event_id", "required", "event_id must be specified")
    calendar, profile = accounts.own_calendar(uow, caller, calendar_id)
    event = uow.events.by_event_id(calendar.id, event_id)
    if event is None or event.deleted:
        return  # deleting is idempotent
    _mark_deleted(uow, caller, profile, event, now)


def _mark_deleted(uow: UnitOfWork, caller: Caller, profile: model.Profile, event: model.Event, now: dt.datetime) -> None:
    event.deleted, event.updated_at, event.sequence = True, now, event.sequence + 1
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
        if event.deleted or (wanted and event.calendar_id not in wanted):
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
