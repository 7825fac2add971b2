# SPDX-License-Identifier: Apache-2.0
"""Booking through a Real-Time Scheduling link: the times it offers, and writing the chosen one.

**Offered** times are the link's availability query answered live (as ``POST
/v1/availability`` would, as overlapping slots), from ``minimum_notice`` after now.

**Booking** is one transaction: the link's row and then every account the query or the
target calendars name are locked (in id order, so two bookings cannot deadlock), the offer is
computed again, and the chosen start must still be in it; then the event is written into the
target calendars through ``events.upsert`` — so each calendar's access mode decides how it
reaches the person (written directly in read_write, an invitation in free_busy and
no_calendar) — the link becomes completed, and the completed callback is queued. Two people
racing for one time (through one link or two links over the same people): the second waits
for the first, then finds the time busy (``SlotTaken``) and is shown the times left.

**Real-Time Sequencing** links offer sequences instead (``sequenced_availability``: one slot
per step, each after the one before); booking writes each step's event (the step's own
``event``, else the link's with ``-<sequence_id>`` added to its ``event_id``) by the same rule.

Which calendars get the event: with ``event_creation`` ``default``, every target calendar
whose member is among the chosen slot's participants (a target whose sub the query does not
name at all, e.g. an organizer's, always); with ``single``, the first of those only, and the
other participants' ``attendee`` entries are invited to it. The person who booked is invited
as an attendee (with the name and address they gave); the calendars mail the invitation, so
when every target is an application calendar (which invite no one) nobody is mailed, and the
booking records that (``booker_invited``) for the page to say so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from calgate.domain import availability_inputs, events, ids, model, scheduling_links, sequenced_availability, times
from calgate.domain.availability.types import Interval, Query
from calgate.domain.availability_inputs import GroupRequest
from calgate.domain.sequenced_availability import Placed, StepRequest
from calgate.domain.errors import CalgateError, NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

MAX_NAME = 200


class SlotTaken(CalgateError):
    """The chosen time is no longer free (booked meanwhile, or never offered)."""


class LinkClosed(CalgateError):
    """The link is completed or disabled: it books nothing more."""

    def __init__(self, link: model.SchedulingLink) -> None:
        super().__init__(link.status)
        self.link = link


class TargetGone(CalgateError):
    """A target calendar can no longer be written (its authorization or calendar went away)."""


@dataclass(frozen=True)
class Booker:
    """The person booking, as they gave themselves on the page."""

    email: str
    display_name: str | None
    tzid: str

    @classmethod
    def from_form(cls, email: object, display_name: object, tzid: object) -> "Booker":
        errors: dict[str, list[tuple[str, str]]] = {}
        address = email.strip() if isinstance(email, str) else ""
        local, at, domain = address.partition("@")
        if not (local and at and "." in domain) or len(address) > 254 or any(c.isspace() for c in address) or "@" in domain:
            errors["email"] = [("errors.invalid", "Enter your email address, such as name@example.com")]
        name = display_name.strip() if isinstance(display_name, str) else ""
        if len(name) > MAX_NAME:
            errors["display_name"] = [("errors.too_long", f"Your name can be at most {MAX_NAME} characters")]
        try:
            times.zone(tzid)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        return cls(address, name or None, str(tzid))


@dataclass(frozen=True)
class Asked:
    """The link's availability query, read (``api/availability_wire``) from its request: one
    query (Real-Time Scheduling), or ``steps`` of a sequence (Real-Time Sequencing)."""

    groups: tuple[GroupRequest, ...]
    query: Query
    steps: tuple[StepRequest, ...] = ()
    max_results: int = 512


@dataclass(frozen=True)
class Choice:
    """One time the page offers: a slot, or one slot per step of a sequence (in step order)."""

    parts: tuple[Placed, ...]

    @property
    def key(self) -> str:
        """How the page's form names it: the parts' starts."""
        return ",".join(times.format_time(p.slot.start) for p in self.parts)

    @property
    def start(self) -> dt.datetime:
        return self.parts[0].slot.start

    @property
    def end(self) -> dt.datetime:
        return self.parts[-1].slot.end

    @property
    def participants(self) -> list[str]:
        return list(dict.fromkeys(sub for p in self.parts for sub in p.slot.participants))


def _from(query: Query, earliest: dt.datetime) -> Query | None:
    """``query`` without what starts before ``earliest``, as overlapping slots; None: nothing left."""
    if query.query_slots is not None:
        starts = tuple(s for s in query.query_slots if s >= earliest)
        if not starts:
            return None
        return replace(query, query_slots=starts, periods=tuple(Interval(s, s + query.duration) for s in starts))
    periods = tuple(
        Interval(max(p.start, earliest), p.end) for p in query.periods if p.end - max(p.start, earliest) >= query.duration
    )
    return replace(query, periods=periods, response_format="overlapping_slots") if periods else None


def offered(
    uow: UnitOfWork, application: model.Application, link: model.SchedulingLink, asked: Asked, now: dt.datetime,
    stale_after: dt.timedelta | None = None,
) -> list[Choice]:
    """The times the link offers now, earliest first (none once it is not open)."""
    if link.status != scheduling_links.OPEN:
        return []
    earliest = now + scheduling_links.minimum_notice(link)
    reading = availability_inputs.Reading(stale_after=stale_after) if stale_after is not None else None
    if asked.steps:
        steps = []
        for step in asked.steps:
            query = _from(step.query, earliest)
            if query is None:
                return []
            steps.append(replace(step, query=query))
        chains = sequenced_availability.answer(uow, application, steps, asked.max_results, now, reading)
        return [Choice(tuple(chain)) for chain in chains]
    query = _from(asked.query, earliest)
    if query is None:
        return []
    return [Choice((Placed("", slot),)) for slot in availability_inputs.available(uow, application, asked.groups, query, now, reading)]


def book(
    uow: UnitOfWork, token: str, key: str, booker: Booker, asked: Asked, now: dt.datetime,
    stale_after: dt.timedelta | None = None,
) -> model.SchedulingLink:
    """Book the offered time named ``key`` (``Choice.key``) through the link of ``token`` (see
    the module's docstring). Raises ``LinkClosed``, ``SlotTaken`` or ``TargetGone``; commits
    nothing itself."""
    link = uow.scheduling_links.by_token(_digest(token), for_update=True)
    if link is None:
        raise NotFound("real_time_scheduling")
    if link.status != scheduling_links.OPEN:
        raise LinkClosed(link)
    application = uow.applications.get(link.application_id)
    if application is None:
        raise NotFound("real_time_scheduling")
    targets = scheduling_links.targets_of(link)
    uow.accounts.lock([*link.request["members"], *(t.sub for t in targets)])
    choice = next((c for c in offered(uow, application, link, asked, now, stale_after) if c.key == key), None)
    if choice is None:
        raise SlotTaken("that time is no longer available")
    written, invited = _write(uow, application, link, choice, booker, now)
    link.status, link.updated_at = scheduling_links.COMPLETED, now
    link.booking = {
        "start": times.format_time(choice.start), "end": times.format_time(choice.end),
        "participants": choice.participants, "booker": {"email": booker.email, "display_name": booker.display_name},
        "tzid": booker.tzid, "written": written, "booked_at": times.format_time(now), "booker_invited": invited,
    }
    if asked.steps:
        link.booking["sequence"] = [
            {"sequence_id": p.sequence_id, "start": times.format_time(p.slot.start), "end": times.format_time(p.slot.end),
             "participants": list(p.slot.participants)}
            for p in choice.parts
        ]
    _callback(uow, link, "completed", now)
    return link


def _digest(token: str) -> str:
    return ids.digest(token)


def _chosen(link: model.SchedulingLink, participants: Sequence[str]) -> tuple[list[scheduling_links.Target], list[dict[str, str]]]:
    """The target calendars the event goes into, and who else to invite (``single``)."""
    members = set(link.request["members"])
    targets = scheduling_links.targets_of(link)
    chosen = [t for t in targets if t.sub in participants or t.sub not in members]
    if link.request.get("event_creation") != scheduling_links.SINGLE or not chosen:
        return chosen, []
    organizer = chosen[0]
    others = [t.attendee for t in targets if t is not organizer and t.sub in participants and t.sub != organizer.sub and t.attendee]
    return [organizer], others


def _write(
    uow: UnitOfWork, application: model.Application, link: model.SchedulingLink, choice: Choice, booker: Booker, now: dt.datetime,
) -> tuple[list[dict[str, str]], bool]:
    """The events written (one per part of the choice and target calendar), and whether the
    booker is invited by email: every calendar but an application calendar sends its
    attendees an invitation (``events._deliver``)."""
    written, invited = [], False
    for part in choice.parts:
        template = scheduling_links.template_of(link, part.sequence_id)
        tzid = template.get("tzid") or "Etc/UTC"
        targets, others = _chosen(link, part.slot.participants)
        attendees = dict(template.get("attendees") or {})
        person = {"email": booker.email, **({"display_name": booker.display_name} if booker.display_name else {})}
        params: dict[str, Any] = {
            **template,
            "start": {"time": times.format_time(part.slot.start), "tzid": tzid},
            "end": {"time": times.format_time(part.slot.end), "tzid": tzid},
            "attendees": {**attendees, "invite": [*attendees.get("invite", []), *others, person]},
        }
        command = events.EventInput.from_params(params)
        for target in targets:
            caller = scheduling_links.writer(uow, application, target.sub)
            if caller is None:
                raise TargetGone(f"{target.sub} no longer lets the application create events")
            try:
                event = events.upsert(uow, caller, target.calendar_id, command, now)
            except (NotFound, ValidationFailed) as exc:
                raise TargetGone(f"the calendar {target.calendar_id} can no longer be written") from exc
            written.append({
                "sub": target.sub, "calendar_id": target.calendar_id, "event_uid": event.id,
                **({"sequence_id": part.sequence_id} if part.sequence_id else {}),
            })
            invited = invited or not caller.account.is_application_calendar
    return written, invited


def no_times_suitable(uow: UnitOfWork, token: str, now: dt.datetime) -> model.SchedulingLink:
    """The visitor says none of the offered times suits them: the application is told (once
    per visit that says so; the link stays open)."""
    link = uow.scheduling_links.by_token(_digest(token), for_update=True)
    if link is None:
        raise NotFound("real_time_scheduling")
    if link.status != scheduling_links.OPEN:
        raise LinkClosed(link)
    _callback(uow, link, "no_times_suitable", now)
    link.updated_at = now
    return link


def no_times_displayed(uow: UnitOfWork, token: str, now: dt.datetime) -> None:
    """The page was shown with no time to offer: the application is told, the first time."""
    link = uow.scheduling_links.by_token(_digest(token), for_update=True)
    if link is None or link.status != scheduling_links.OPEN or link.no_times_displayed_at is not None:
        return
    link.no_times_displayed_at = now
    _callback(uow, link, "no_times_displayed", now)


def _callback(uow: UnitOfWork, link: model.SchedulingLink, kind: str, now: dt.datetime) -> None:
    """Queue the signed callback of ``kind`` (completed, no_times_suitable, no_times_displayed)
    when the link has a URL for it (``callback_url`` is the older name of ``completed_url``)."""
    url = link.request.get("callback_urls", {}).get(f"{kind}_url")
    if not url:
        return
    noun = scheduling_links.noun(link)
    body: dict[str, Any] = {
        "notification": {"type": kind, "triggered_at": times.format_time(now)},
        noun: {f"{noun}_id": link.id, "status": link.status},
        "event": scheduling_links.event_of(link),
    }
    if kind == "completed" and link.booking:
        body["participants"] = [{"sub": sub} for sub in link.booking["participants"]]
        body["user"] = {"tzid": link.booking["tzid"], **link.booking["booker"]}
        body["targets"] = link.booking["written"]
        if "sequence" in link.booking:
            body["sequence"] = link.booking["sequence"]
    uow.jobs.enqueue(
        scheduling_links.CALLBACK,
        {"application_id": link.application_id, "callback_url": url, "real_time_scheduling_id": link.id, "body": body},
    )
