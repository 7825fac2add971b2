# SPDX-License-Identifier: Apache-2.0
"""Real-Time Scheduling links (Cronofy's Real-Time Scheduling): what an application asks for,
and the link's life — open until someone books a time (completed) or the application turns it
off (disabled, with a message shown to later visitors).

A link is created from a ``LinkRequest`` (``api/real_time_scheduling_wire`` builds it from the
body); it is bound to its application, and its URL's token is a secret of 32 random bytes kept
only as a digest (to find the link) and sealed (the status answer repeats the URL). Every
target calendar is checked when the link is made: a live calendar of one of the application's
accounts, writable, with ``create_event`` granted, so that booking cannot fail on it later.

Choosing a time and writing the event are ``scheduling_booking``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from calgate.domain import accounts, events, ids, model, scopes
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import SecretBox, UnitOfWork

OPEN, COMPLETED, DISABLED = "open", "completed", "disabled"
SCHEDULING, SEQUENCING = "real_time_scheduling", "real_time_sequencing"  # the kinds of link, as the wire names them
DEFAULT, SINGLE = "default", "single"  # event_creation
CALLBACK = "real_time_scheduling_callback"  # the job kind of the signed callbacks
MAX_DISPLAY_MESSAGE = 500
MAX_TARGETS = 10
TOKEN_BYTES = 32


@dataclass(frozen=True)
class Target:
    """A calendar the booked event goes into (``target_calendars[]``); ``attendee`` is who to
    add to the organizer's event for this member in ``single`` event creation."""

    sub: str
    calendar_id: str
    attendee: dict[str, str] | None = None


@dataclass(frozen=True)
class LinkRequest:
    """A validated ``POST /v1/real_time_scheduling``. ``availability`` is the body's
    availability object as ``POST /v1/availability`` reads it (re-read at each visit, so the
    page shows live availability); ``members`` are the subs it names; ``event`` the event
    template without start and end."""

    availability: dict[str, Any]
    members: tuple[str, ...]
    event: dict[str, Any]
    targets: tuple[Target, ...]
    redirect_uri: str
    state: str | None = None
    minimum_notice: dt.timedelta = dt.timedelta(0)
    callback_urls: dict[str, str] = field(default_factory=dict)  # completed_url, no_times_suitable_url, no_times_displayed_url
    completed_redirect: str | None = None  # redirect_urls.completed_url
    tzid: str | None = None
    event_creation: str = DEFAULT
    kind: str = SCHEDULING
    step_events: dict[str, dict[str, Any]] = field(default_factory=dict)  # sequencing: each step's own event

    def stored(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "step_events": dict(self.step_events),
            "availability": self.availability,
            "members": list(self.members),
            "event": self.event,
            "target_calendars": [
                {"sub": t.sub, "calendar_id": t.calendar_id, **({"attendee": t.attendee} if t.attendee else {})} for t in self.targets
            ],
            "oauth": {"redirect_uri": self.redirect_uri, **({"state": self.state} if self.state is not None else {})},
            "minimum_notice_minutes": int(self.minimum_notice.total_seconds() // 60),
            "callback_urls": dict(self.callback_urls),
            "redirect_urls": {"completed_url": self.completed_redirect} if self.completed_redirect else {},
            "tzid": self.tzid,
            "event_creation": self.event_creation,
        }


def targets_of(link: model.SchedulingLink) -> list[Target]:
    return [Target(t["sub"], t["calendar_id"], t.get("attendee")) for t in link.request["target_calendars"]]


def invites_booker(uow: UnitOfWork, link: model.SchedulingLink) -> bool:
    """Whether a booking sends the booker an invitation: some target is a calendar that mails
    its attendees, i.e. not an application calendar (``events._deliver``)."""
    found = [uow.accounts.get(t.sub) for t in targets_of(link)]
    return any(account is not None and not account.is_application_calendar for account in found)


def noun(link: model.SchedulingLink) -> str:
    """``real_time_scheduling`` or ``real_time_sequencing``: the link's kind as the wire names it."""
    return str(link.request.get("kind", SCHEDULING))


def template_of(link: model.SchedulingLink, sequence_id: str = "") -> dict[str, Any]:
    """The event to write for one step (``""``: the link's only event). A step without an event
    of its own takes the link's, its ``event_id`` suffixed with the step's id."""
    event = dict(link.request["event"])
    if not sequence_id:
        return event
    own = (link.request.get("step_events") or {}).get(sequence_id)
    if own:
        return {**event, **own}
    return {**event, "event_id": f"{event['event_id']}-{sequence_id}"}


def minimum_notice(link: model.SchedulingLink) -> dt.timedelta:
    return dt.timedelta(minutes=int(link.request.get("minimum_notice_minutes", 0)))


def writer(uow: UnitOfWork, application: model.Application, sub: str) -> Caller | None:
    """The application acting for account ``sub`` through a live grant that may create events."""
    account = uow.accounts.get(sub)
    if account is None or account.application_id != application.id:
        return None
    for grant in uow.grants.of_account(application.id, account.id):
        caller = Caller(application=application, grant=grant, account=account)
        if grant.active and scopes.CREATE_EVENT in caller.granted:
            return caller
    return None


def _check_targets(uow: UnitOfWork, application: model.Application, targets: tuple[Target, ...]) -> None:
    problems: list[tuple[str, str]] = []
    for index, target in enumerate(targets):
        where = f"target_calendars[{index}]"
        caller = writer(uow, application, target.sub)
        if caller is None:
            problems.append(("errors.invalid", f"{where}: {target.sub} is not an account of this application that granted create_event"))
            continue
        try:
            calendar, _ = accounts.own_calendar(uow, caller, target.calendar_id)
        except NotFound:
            problems.append(("errors.invalid", f"{where}: {target.calendar_id} is not a calendar of {target.sub}"))
            continue
        if calendar.readonly:
            problems.append(("errors.invalid", f"{where}: {target.calendar_id} is read-only"))
    if problems:
        raise ValidationFailed({"target_calendars": problems})


def _check_members(uow: UnitOfWork, application: model.Application, members: tuple[str, ...]) -> None:
    """Each member the query names can be asked about: an account of the application whose
    live grant gives read_free_busy (as ``POST /v1/availability`` requires)."""
    found = {a.id: a for a in uow.accounts.many(list(members)) if a.application_id == application.id}
    grants: dict[str, list[model.Grant]] = {}
    for grant in uow.grants.of_accounts(application.id, sorted(found)):
        grants.setdefault(grant.account_id, []).append(grant)
    unknown = [
        sub for sub in members
        if sub not in found or not any(
            g.active and scopes.READ_FREE_BUSY in Caller(application=application, grant=g, account=found[sub]).granted
            for g in grants.get(sub, [])
        )
    ]
    if unknown:
        raise ValidationFailed({"availability": [("errors.unknown_sub", f"availability.participants: {sub} is not an account of this application that granted read_free_busy") for sub in unknown]})


def create(uow: UnitOfWork, application: model.Application, request: LinkRequest, box: SecretBox, now: dt.datetime) -> tuple[model.SchedulingLink, str]:
    """A new open link and its URL token."""
    _check_members(uow, application, request.members)
    _check_targets(uow, application, request.targets)
    token = ids.new_secret(TOKEN_BYTES)
    link = model.SchedulingLink(
        id=ids.new_id("seq" if request.kind == SEQUENCING else "sch"), application_id=application.id, token_digest=ids.digest(token),
        token_sealed=box.seal(token), request=request.stored(), created_at=now, updated_at=now,
    )
    uow.scheduling_links.add(link)
    return link, token


def find(
    uow: UnitOfWork, application: model.Application, *, link_id: str | None = None, token: str | None = None,
    for_update: bool = False, kind: str = SCHEDULING,
) -> model.SchedulingLink:
    """The application's link of ``kind`` by id or by URL token; another application's (or
    another kind's) is NotFound."""
    if token is not None:
        link = uow.scheduling_links.by_token(ids.digest(token), for_update=for_update)
    elif link_id is not None:
        link = uow.scheduling_links.get(link_id)
    else:
        raise ValidationFailed.single("token", "required", "token (or the link's id in the path) must be specified")
    if link is None or link.application_id != application.id or noun(link) != kind:
        raise NotFound(kind)
    return link


def visited(uow: UnitOfWork, token: str) -> model.SchedulingLink:
    """The link a visitor's URL names, whatever its status; unknown: NotFound."""
    link = uow.scheduling_links.by_token(ids.digest(token))
    if link is None:
        raise NotFound("real_time_scheduling")
    return link


def disable(
    uow: UnitOfWork, application: model.Application, link_id: str, display_message: object, now: dt.datetime, kind: str = SCHEDULING,
) -> model.SchedulingLink:
    """Turn the link off; visitors see ``display_message``. A completed link stays completed
    (Cronofy: only a link not yet completed can be disabled); disabling twice updates the
    message."""
    if not isinstance(display_message, str) or not display_message.strip():
        raise ValidationFailed.single("display_message", "required", "display_message must be specified")
    if len(display_message) > MAX_DISPLAY_MESSAGE:
        raise ValidationFailed.single("display_message", "too_long", f"display_message must be at most {MAX_DISPLAY_MESSAGE} characters")
    link = find(uow, application, link_id=link_id, kind=kind)
    uow.scheduling_links.by_token(link.token_digest, for_update=True)  # one change of status at a time
    if link.status == COMPLETED:
        raise ValidationFailed.single(f"{kind}_id", "invalid", "the link was completed: a time was booked through it")
    link.status, link.display_message, link.updated_at = DISABLED, display_message, now
    return link


def event_of(link: model.SchedulingLink) -> dict[str, Any]:
    """The event as the status answer shows it: the template, with start and end once booked."""
    event = dict(link.request["event"])
    if link.booking:
        tzid = event.get("tzid") or "Etc/UTC"
        event["start"] = {"time": link.booking["start"], "tzid": tzid}
        event["end"] = {"time": link.booking["end"], "tzid": tzid}
    return event


def template_problems(event: object) -> dict[str, list[tuple[str, str]]]:
    """What is wrong with the ``event`` template (start and end come from the booking)."""
    if not isinstance(event, dict):
        return {"event": [("errors.required", "event must be an object with at least event_id and summary")]}
    probe = {**event, "start": "2000-01-01T00:00:00Z", "end": "2000-01-01T01:00:00Z"}
    try:
        events.EventInput.from_params(probe)
    except ValidationFailed as exc:
        return {"event": [(k, f"event.{name}: {d}") for name, pairs in exc.errors.items() for k, d in pairs]}
    if not isinstance(event.get("event_id"), str) or not event["event_id"]:
        return {"event": [("errors.required", "event.event_id must be specified: the booked event is the application's own")]}
    for name in ("start", "end", "event_uid", "recurrence"):
        if name in event:
            return {"event": [("errors.not_allowed", f"event.{name} cannot be part of a booking's event (the booking sets the time of one event)")]}
    return {}
