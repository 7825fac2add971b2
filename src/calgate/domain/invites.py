# SPDX-License-Identifier: Apache-2.0
"""Invitations by email (iMIP, RFC 6047, carrying iTIP, RFC 5546) for the modes that deliver
writes that way, and the replies that come back.

Out: ``send`` queues one ``send_invite`` job per recipient in the caller's transaction, with
the event's id as ordering key, so each person gets the event's versions in SEQUENCE order.
The payload is self-contained (``Invitation.from_payload``): the event as it was at that
change, the method, the recipient, the account's person and the application's name.

In: ``receive_reply`` applies one attendee's iTIP REPLY to the event it names. Only the
people the event was sent to may answer, only for themselves (the ATTENDEE must be the mail's
From address), and an answer to an older SEQUENCE than the event's is stale and ignored.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
from dataclasses import dataclass
from typing import Any

from calgate.domain import channels, event_series, events, itip, model, times
from calgate.domain.ports import UnitOfWork

log = logging.getLogger(__name__)


def send(
    uow: UnitOfWork, account: model.Account, event: model.Event, method: str, removed: list[dict[str, str]],
    *, to_person: bool = True, application: model.Application | None = None,
) -> None:
    """Queue the change for the account's person (unless ``to_person`` is False: their own
    calendar holds the event, as in read_write mode) and every attendee, and a CANCEL for
    the attendees ``removed``. ``application``: the caller's, when known (saves reading the
    event's application again)."""
    person = {"email": account.email, "display_name": account.name}
    if application is None or application.id != event.application_id:
        application = uow.applications.get(event.application_id) if event.application_id else None
    payload: dict[str, Any] = {
        "event": events.snapshot(event),
        "method": method,
        "application_id": event.application_id,
        "application_name": application.name if application else None,
        "person": person,
    }
    recipients = ([person] if to_person else []) + [a for a in event.attendees if a["email"] != account.email]
    for recipient in recipients:
        uow.jobs.enqueue("send_invite", {**payload, "to": recipient}, ordering_key=event.id)
    for recipient in removed:
        uow.jobs.enqueue("send_invite", {**payload, "method": itip.CANCEL, "to": recipient}, ordering_key=event.id)


def event_from_snapshot(data: dict[str, Any]) -> model.Event:
    """The inverse of ``events.snapshot``; keys the model does not know are ignored."""
    known = {f.name for f in dataclasses.fields(model.Event)}
    values = {k: v for k, v in data.items() if k in known}
    for key in ("start_at", "end_at", "created_at", "updated_at"):
        values[key] = times.parse_time(values[key], key)
    return model.Event(**values)


@dataclass(frozen=True)
class Invitation:
    """One ``send_invite`` job: what one recipient is told about one version of an event."""

    event: model.Event
    method: str
    to: itip.Attendee
    person: itip.Attendee | None  # the account's person (older payloads did not name them)
    application_id: str | None
    application_name: str | None

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Invitation":
        event = event_from_snapshot(payload["event"])
        to = payload["to"]
        person = payload.get("person")
        return cls(
            event=event,
            method=payload["method"],
            to=itip.Attendee(to["email"], to.get("display_name"), to.get("status", "needs_action")),
            person=itip.Attendee(person["email"], person.get("display_name"), event.participation_status) if person else None,
            application_id=payload.get("application_id"),
            application_name=payload.get("application_name"),
        )

    @property
    def uninvited(self) -> bool:
        """A CANCEL to someone removed from an event that goes on without them."""
        return self.method == itip.CANCEL and not self.event.deleted

    @property
    def kind(self) -> str:
        """new, updated or cancelled: what the message tells the recipient."""
        if self.method == itip.CANCEL:
            return "cancelled"
        return "new" if self.event.sequence == 0 else "updated"

    def attendees(self) -> list[itip.Attendee]:
        if self.uninvited:
            return [self.to]
        people = [self.person] if self.person else []
        people += [
            itip.Attendee(a["email"], a.get("display_name"), a.get("status", "needs_action"))
            for a in self.event.attendees
            if not self.person or a["email"] != self.person.email
        ]
        if all(p.email != self.to.email for p in people):
            people.append(self.to)
        return people

    def ical(self, organizer: str) -> bytes:
        return itip.build(
            self.event,
            self.method,
            organizer,
            self.attendees(),
            organizer_name=self.application_name,
            whole_event=not self.uninvited,
        )


class ReplyOutcome(enum.Enum):
    APPLIED = "applied"
    STALE = "stale"  # answers an older SEQUENCE than the event's
    UNKNOWN_EVENT = "unknown_event"  # no such UID here, or the event was deleted
    FORGED = "forged"  # not an attendee of the event, or not the sender of the mail
    NOT_AN_ANSWER = "not_an_answer"  # PARTSTAT other than accepted/tentative/declined


def receive_reply(uow: UnitOfWork, reply: itip.Reply, sender: str, now: dt.datetime) -> ReplyOutcome:
    """Apply one REPLY answer sent by ``sender`` (the mail's From address)."""
    # ical_uid is "<event id>@<host>": look the id up, then insist the whole UID matches.
    event = uow.events.get(reply.uid.partition("@")[0])
    if event is None or event.ical_uid != reply.uid or event.deleted:
        return ReplyOutcome.UNKNOWN_EVENT
    account = uow.accounts.get(event.account_id)
    is_person = account is not None and account.email.lower() == reply.attendee
    invited = {a["email"].lower() for a in event.attendees}
    if not is_person and reply.attendee not in invited:
        return ReplyOutcome.FORGED
    if reply.attendee != sender.strip().lower():
        return ReplyOutcome.FORGED
    if reply.sequence < event.sequence:
        return ReplyOutcome.STALE
    answer = reply.answer
    if answer is None:
        return ReplyOutcome.NOT_AN_ANSWER
    if is_person:
        events.set_participation_status(uow, event.account_id, event.id, answer, now)
    else:
        event.attendees = [
            {**a, "status": answer} if a["email"].lower() == reply.attendee else a for a in event.attendees
        ]
        event.updated_at = now
        event_series.store(uow, event, now)  # a series' answers are every occurrence's
    # The person answered, not the application: its channels hear of it.
    channels.notify_change(uow, event.account_id, [event.calendar_id], now, managed_by=[event.application_id or ""])
    return ReplyOutcome.APPLIED
