# SPDX-License-Identifier: Apache-2.0
"""Smart Invites: an application invites people who connect no calendar at all, by email,
and learns their answers (docs.cronofy.com/developers/api/smart-invites/; wire notes §4.9).

An invitation is the application's ``smart_invite_id``, one event and its recipients. calgate
is the ORGANIZER (``CALGATE_ORGANIZER_EMAIL``, with the ``organizer.name`` given as CN), so
replies come back to ``calgate inbound-smtp``. The messages are iTIP (RFC 5546) in iMIP
(RFC 6047), built by ``domain/itip`` and sent by the ``send_invite`` jobs existing invitations
use; the UID is ``<smi_ id>@calgate``.

- **Upsert** (``method`` absent or ``request``): a new key sends a REQUEST (SEQUENCE 0) to every
  recipient. Again with a changed event or organizer name: SEQUENCE + 1 and a REQUEST to every
  recipient still invited. Recipients named for the first time (or again after a cancel) get
  the current version; recipients not named stay invited. The same request again changes
  nothing and sends nothing (as managed events do).
- **Cancel** (``method: cancel``): the recipients named get a CANCEL (SEQUENCE + 1). When no one
  is left invited the whole invitation is cancelled (STATUS:CANCELLED, ``status: cancelled``);
  otherwise those named are uninvited (a CANCEL naming only them) and the others keep it.
- **Replies** (``receive_reply``): matched by UID and recipient. Only a recipient still invited
  may answer, only for themselves (the ATTENDEE is the mail's From), for the current SEQUENCE;
  the answer sets their ``status`` and, when the invitation has a ``callback_url``, queues one
  signed ``smart_invite_callback`` (``jobs.webhooks``) in the same transaction. Its body:
  ``{"notification": {"type": "smart_invite"}, "smart_invite": <the invitation as GET shows
  it for that recipient>}`` (INFERRED: the shape of Cronofy's callback was not readable from
  our sources).

Limits (calgate's own): ``smart_invite_id`` 1–200 characters, 1–50 recipients per request.
Every lookup is by the calling application: another application's keys do not exist here.

Past 400 lines (424): the request's parsing (``InviteInput``) is the part to move out into a
module of its own when it next grows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from calgate.domain import channels, events, ids, itip, model, times
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.invites import Invitation, ReplyOutcome
from calgate.domain.ports import UnitOfWork

ID_PREFIX = "smi"
UID_DOMAIN = "calgate"
CALLBACK_JOB = "smart_invite_callback"
SEND_JOB = "send_invite"
REQUEST, CANCEL = "request", "cancel"
STATUSES = ("pending", "accepted", "declined", "tentative")
MAX_SMART_INVITE_ID = 200
MAX_RECIPIENTS = 50
MAX_ORGANIZER_NAME = 200
# What of an event a Smart Invite takes (Create or Update Event's fields, without attendees or
# tags: the recipients are the attendees, and there is no calendar to tag in).
EVENT_FIELDS = ("summary", "description", "start", "end", "tzid", "location", "url", "reminders", "transparency", "color")
# A recipient's status as an iTIP PARTSTAT key (``itip.PARTSTATS``).
_PARTSTAT_KEYS = {"pending": "needs_action", "accepted": "accepted", "declined": "declined", "tentative": "tentative"}

Errors = dict[str, list[tuple[str, str]]]


def _add(errors: Errors, name: str, key: str, description: str) -> None:
    errors.setdefault(name, []).append((f"errors.{key}", description))


def _email(value: object) -> str | None:
    email = value.get("email") if isinstance(value, dict) else None
    if not isinstance(email, str):
        return None
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and domain) or len(email) > 254 or any(c.isspace() for c in email) or "@" in domain:
        return None
    return email


def _recipients(params: dict[str, Any], errors: Errors) -> tuple[list[str], bool]:
    """The addresses of ``recipient`` ({email}) or ``recipients`` ([{email}, …]), and whether
    they came as a list (the answer then says ``recipients`` too)."""
    one, many = params.get("recipient"), params.get("recipients")
    if (one is None) == (many is None):
        _add(errors, "recipient", "required", "give either recipient ({\"email\": …}) or recipients ([{\"email\": …}]), not both")
        return [], many is not None
    field = "recipient" if one is not None else "recipients"
    items = [one] if one is not None else many
    if not isinstance(items, list) or not items:
        _add(errors, field, "invalid", "recipients must be a non-empty list of {\"email\": address}")
        return [], True
    if len(items) > MAX_RECIPIENTS:
        _add(errors, field, "too_many", f"at most {MAX_RECIPIENTS} recipients")
        return [], many is not None
    found: list[str] = []
    for item in items:
        email = _email(item)
        if email is None:
            _add(errors, field, "invalid", "each recipient needs an email address, as {\"email\": \"ada@example.com\"}")
            return [], many is not None
        if email not in found:
            found.append(email)
    return found, many is not None


def _event(value: object, smart_invite_id: str, errors: Errors) -> events.EventInput | None:
    if value is None:
        _add(errors, "event", "required", "event must be specified")
        return None
    if not isinstance(value, dict):
        _add(errors, "event", "invalid", "event must be an object with summary, start and end")
        return None
    fields = {k: value[k] for k in EVENT_FIELDS if k in value}
    try:
        return events.EventInput.from_params({**fields, "event_id": smart_invite_id or "-"})
    except ValidationFailed as exc:
        for name, pairs in exc.errors.items():
            errors.setdefault(f"event.{name}", []).extend(pairs)
        return None


@dataclass(frozen=True)
class InviteInput:
    """A validated ``POST /v1/smart_invites``."""

    smart_invite_id: str
    method: str  # REQUEST or CANCEL
    recipients: list[str]
    many: bool  # the recipients came as a list
    event: events.EventInput | None = None  # None for a cancel
    callback_url: str | None = None
    organizer_name: str | None = None

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "InviteInput":
        errors: Errors = {}
        smart_invite_id = params.get("smart_invite_id")
        if smart_invite_id is None or smart_invite_id == "":
            _add(errors, "smart_invite_id", "required", "smart_invite_id must be specified")
            smart_invite_id = ""
        elif not isinstance(smart_invite_id, str):
            _add(errors, "smart_invite_id", "invalid", "smart_invite_id must be a string")
            smart_invite_id = ""
        elif len(smart_invite_id) > MAX_SMART_INVITE_ID:
            _add(errors, "smart_invite_id", "too_long", f"smart_invite_id must be at most {MAX_SMART_INVITE_ID} characters")
        method = params.get("method") or REQUEST
        if method not in (REQUEST, CANCEL):
            _add(errors, "method", "invalid", "method must be request (the default) or cancel")
        recipients, many = _recipients(params, errors)
        event = _event(params.get("event"), smart_invite_id, errors) if method == REQUEST else None
        callback_url = params.get("callback_url")
        if callback_url is not None and callback_url != "":
            try:
                callback_url = channels.ChannelInput.from_params({"callback_url": callback_url}).callback_url
            except ValidationFailed as exc:
                errors.update(exc.errors)
        else:
            callback_url = None
        organizer = params.get("organizer")
        organizer_name = organizer.get("name") if isinstance(organizer, dict) else None
        if organizer is not None and (
            not isinstance(organizer, dict) or not isinstance(organizer_name, (str, type(None)))
            or len(organizer_name or "") > MAX_ORGANIZER_NAME
        ):
            _add(errors, "organizer", "invalid", f"organizer must be {{\"name\": text of at most {MAX_ORGANIZER_NAME} characters}}")
        if errors:
            raise ValidationFailed(errors)
        return cls(str(smart_invite_id), str(method), recipients, many, event, callback_url, organizer_name or None)


@dataclass(frozen=True)
class Found:
    """An invitation as the API shows it: its recipients, the iTIP object of its current state,
    and whom the answer is about (one ``recipient``, or every one as ``recipients``)."""

    invite: model.SmartInvite
    recipients: list[model.SmartInviteRecipient]
    icalendar: bytes
    shown: str | None  # a recipient's address: the answer names only them
    many: bool


def ical_uid(invite: model.SmartInvite) -> str:
    return f"{invite.id}@{UID_DOMAIN}"


def is_smart_invite_uid(uid: str) -> bool:
    return uid.startswith(f"{ID_PREFIX}_") and uid.endswith(f"@{UID_DOMAIN}")


def _event_data(command: events.EventInput) -> dict[str, Any]:
    data: dict[str, Any] = {
        "summary": command.summary,
        "description": command.description,
        "start": {"time": command.start.wire(), "tzid": command.start.tzid},
        "end": {"time": command.end.wire(), "tzid": command.end.tzid},
        "location": command.location,
        "url": command.url,
        "reminders": command.reminders,
        "transparency": command.transparency,
        "color": command.color,
    }
    return {k: v for k, v in data.items() if v is not None and v != []}


def _fingerprint(invite: model.SmartInvite) -> str:
    content = {"event": invite.event, "organizer_name": invite.organizer_name}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _as_event(invite: model.SmartInvite, attendees: list[model.SmartInviteRecipient], *, deleted: bool) -> model.Event:
    """The invitation as the event ``domain/itip`` writes (never stored as one)."""
    data = invite.event
    start = times.parse_event_time(data["start"], "start", None)
    end = times.parse_event_time(data["end"], "end", None)
    return model.Event(
        id=invite.id, calendar_id="", account_id="", application_id=invite.application_id,
        event_id=invite.smart_invite_id, summary=data["summary"], start=data["start"], end=data["end"],
        start_at=start.instant("Etc/UTC"), end_at=end.instant("Etc/UTC"), description=data.get("description"),
        location=data.get("location"), url=data.get("url"), reminders=list(data.get("reminders", [])),
        transparency=data.get("transparency", "opaque"), color=data.get("color"),
        attendees=[{"email": r.email, "status": _PARTSTAT_KEYS[r.status]} for r in attendees],
        sequence=invite.sequence, deleted=deleted, created_at=invite.created_at, updated_at=invite.updated_at,
    )


def _payload(
    application: model.Application, invite: model.SmartInvite, attendees: list[model.SmartInviteRecipient],
    method: str, to: str, *, whole: bool,
) -> dict[str, Any]:
    """A ``send_invite`` payload (``invites.Invitation.from_payload`` reads it)."""
    return {
        "event": events.snapshot(_as_event(invite, attendees, deleted=method == itip.CANCEL and whole)),
        "method": method,
        "application_id": application.id,
        "application_name": invite.organizer_name or application.name,
        "person": None,
        "to": {"email": to},
    }


def _ical(payload: dict[str, Any], organizer: str) -> bytes:
    return Invitation.from_payload(payload).ical(organizer)


def _send(uow: UnitOfWork, payload: dict[str, Any], invite: model.SmartInvite) -> None:
    # One ordering key per invitation: each person gets its versions in SEQUENCE order.
    uow.jobs.enqueue(SEND_JOB, payload, ordering_key=invite.id)


def _invited(recipients: list[model.SmartInviteRecipient]) -> list[model.SmartInviteRecipient]:
    return [r for r in recipients if r.cancelled_at is None]


def upsert(uow: UnitOfWork, application: model.Application, command: InviteInput, organizer: str, now: dt.datetime) -> Found:
    """Create or update the invitation and queue the messages the change calls for."""
    assert command.method == REQUEST and command.event is not None
    invite = uow.smart_invites.by_smart_invite_id(application.id, command.smart_invite_id, for_update=True)
    created = invite is None
    if invite is None:
        invite = model.SmartInvite(
            id=ids.new_id(ID_PREFIX), application_id=application.id, smart_invite_id=command.smart_invite_id,
            event={}, created_at=now, updated_at=now,
        )
    reopened = invite.cancelled_at is not None
    invite.event, invite.organizer_name = _event_data(command.event), command.organizer_name
    if command.callback_url is not None:
        invite.callback_url = command.callback_url  # where answers go: no news for the recipients
    fingerprint = _fingerprint(invite)
    changed = created or reopened or fingerprint != invite.fingerprint
    if changed:
        if not created:
            invite.sequence += 1
        invite.fingerprint, invite.cancelled_at, invite.updated_at = fingerprint, None, now
    if created:
        uow.smart_invites.add(invite)
    recipients = [] if created else uow.smart_invite_recipients.of_invite(invite.id)
    known = {r.email: r for r in recipients}
    newly: list[model.SmartInviteRecipient] = []
    for email in command.recipients:
        recipient = known.get(email)
        if recipient is None:
            recipient = model.SmartInviteRecipient(
                id=ids.new_id("sir"), invite_id=invite.id, email=email, created_at=now, updated_at=now
            )
            uow.smart_invite_recipients.add(recipient)
            recipients.append(recipient)
            newly.append(recipient)
        elif recipient.cancelled_at is not None:
            recipient.cancelled_at, recipient.status, recipient.updated_at = None, "pending", now
            newly.append(recipient)
    recipients.sort(key=lambda r: (r.created_at, r.email))  # the order the store reads them in
    invited = _invited(recipients)
    for recipient in invited if changed else newly:
        _send(uow, _payload(application, invite, invited, itip.REQUEST, recipient.email, whole=True), invite)
    shown = command.recipients[0] if not command.many else None
    ical = _ical(_payload(application, invite, invited, itip.REQUEST, command.recipients[0], whole=True), organizer)
    return Found(invite, recipients, ical, shown, command.many)


def cancel(uow: UnitOfWork, application: model.Application, command: InviteInput, organizer: str, now: dt.datetime) -> Found:
    """Cancel the invitation for the recipients named (the whole of it when no one is left)."""
    assert command.method == CANCEL
    invite = uow.smart_invites.by_smart_invite_id(application.id, command.smart_invite_id, for_update=True)
    if invite is None:
        raise NotFound("smart invite")
    recipients = uow.smart_invite_recipients.of_invite(invite.id)
    known = {r.email: r for r in recipients}
    unknown = [e for e in command.recipients if e not in known]
    if unknown:
        field = "recipients" if command.many else "recipient"
        raise ValidationFailed.single(field, "not_invited", f"{', '.join(unknown)} was never sent this invitation")
    named = [known[e] for e in command.recipients]
    targets = [r for r in named if r.cancelled_at is None]
    invited = _invited(recipients)
    whole = len(targets) == len(invited)
    if targets:  # (a cancel repeated changes nothing and sends nothing)
        invite.sequence, invite.updated_at = invite.sequence + 1, now
        if whole:
            invite.cancelled_at = now
        for recipient in targets:
            _send(uow, _payload(application, invite, targets if whole else [recipient], itip.CANCEL, recipient.email, whole=whole), invite)
        for recipient in targets:
            recipient.cancelled_at, recipient.updated_at = now, now
    cancelled = targets or named
    ical = _ical_now(application, invite, recipients, organizer, cancelled[0].email, cancelled if not whole else None)
    return Found(invite, recipients, ical, None if command.many else command.recipients[0], command.many)


def _ical_now(
    application: model.Application, invite: model.SmartInvite, recipients: list[model.SmartInviteRecipient],
    organizer: str, email: str, uninvited: list[model.SmartInviteRecipient] | None = None,
) -> bytes:
    """The iTIP object of the invitation's current state, as ``email`` was last sent it: a
    REQUEST while they are invited, otherwise the CANCEL (of the whole, or naming them)."""
    if invite.cancelled_at is not None:
        last = [r for r in recipients if r.cancelled_at == invite.cancelled_at] or recipients
        return _ical(_payload(application, invite, last, itip.CANCEL, email, whole=True), organizer)
    if uninvited is None:
        uninvited = [r for r in recipients if r.email == email and r.cancelled_at is not None]
    if uninvited:
        return itip.build(
            _as_event(invite, uninvited, deleted=False), itip.CANCEL, organizer,
            [itip.Attendee(r.email) for r in uninvited], organizer_name=invite.organizer_name or application.name,
            whole_event=False,
        )
    return _ical(_payload(application, invite, _invited(recipients), itip.REQUEST, email, whole=True), organizer)


def find(
    uow: UnitOfWork, application: model.Application, smart_invite_id: str | None, recipient_email: str | None, organizer: str
) -> Found:
    """``GET /v1/smart_invites``: one recipient's view (``recipient_email``) or, without it,
    every recipient's."""
    errors: Errors = {}
    if not smart_invite_id:
        _add(errors, "smart_invite_id", "required", "smart_invite_id must be specified")
    email = _email({"email": recipient_email}) if recipient_email else None
    if recipient_email and email is None:
        _add(errors, "recipient_email", "invalid", "recipient_email must be an email address")
    if errors:
        raise ValidationFailed(errors)
    assert smart_invite_id
    invite = uow.smart_invites.by_smart_invite_id(application.id, smart_invite_id)
    if invite is None:
        raise NotFound("smart invite")
    recipients = uow.smart_invite_recipients.of_invite(invite.id)
    if email is not None and all(r.email != email for r in recipients):
        raise NotFound("smart invite recipient")
    ical = _ical_now(application, invite, recipients, organizer, email or recipients[0].email) if recipients else b""
    return Found(invite, recipients, ical, email, email is None)


def receive_reply(uow: UnitOfWork, reply: itip.Reply, sender: str, now: dt.datetime) -> ReplyOutcome:
    """Apply one REPLY answer sent by ``sender`` (the mail's From address) to the invitation
    its UID names; the outcomes are those of ``invites.receive_reply``."""
    invite = uow.smart_invites.get(reply.uid.partition("@")[0])
    if invite is None or ical_uid(invite) != reply.uid or invite.cancelled_at is not None:
        return ReplyOutcome.UNKNOWN_EVENT
    recipient = uow.smart_invite_recipients.by_email(invite.id, reply.attendee, for_update=True)
    if recipient is None or recipient.cancelled_at is not None or reply.attendee != sender.strip().lower():
        return ReplyOutcome.FORGED
    if reply.sequence < invite.sequence:
        return ReplyOutcome.STALE
    answer = reply.answer
    if answer is None:
        return ReplyOutcome.NOT_AN_ANSWER
    recipient.status, recipient.replied_at, recipient.updated_at = answer, now, now
    if invite.callback_url:
        application = uow.applications.get(invite.application_id)
        assert application is not None
        recipients = uow.smart_invite_recipients.of_invite(invite.id)
        found = Found(invite, recipients, b"", recipient.email, False)
        body = {"notification": {"type": "smart_invite"}, "smart_invite": wire(found, with_attachments=False)}
        uow.jobs.enqueue(
            CALLBACK_JOB,
            {"application_id": invite.application_id, "callback_url": invite.callback_url, "smart_invite_id": invite.smart_invite_id, "body": body},
            ordering_key=f"{invite.id}:callback",
        )
    return ReplyOutcome.APPLIED


def _recipient_wire(recipient: model.SmartInviteRecipient) -> dict[str, Any]:
    shaped: dict[str, Any] = {"email": recipient.email, "status": recipient.status}
    if recipient.cancelled_at is not None:
        shaped["cancelled"] = True  # calgate's: uninvited by a cancel
    return shaped


def wire(found: Found, *, with_attachments: bool = True) -> dict[str, Any]:
    """The invitation in Cronofy's shape: ``recipient`` or ``recipients`` with each one's
    ``status``, the key, ``callback_url``, ``event`` and ``attachments.icalendar``; calgate adds
    ``status`` (active or cancelled) and a recipient's ``cancelled: true`` once uninvited."""
    invite = found.invite
    body: dict[str, Any] = {"smart_invite_id": invite.smart_invite_id, "callback_url": invite.callback_url}
    if found.shown is not None:
        [recipient] = [r for r in found.recipients if r.email == found.shown]
        body["recipient"] = _recipient_wire(recipient)
    else:
        body["recipients"] = [_recipient_wire(r) for r in found.recipients]
    body["event"] = dict(invite.event)
    if invite.organizer_name:
        body["organizer"] = {"name": invite.organizer_name}
    body["status"] = "cancelled" if invite.cancelled_at is not None else "active"
    if with_attachments:
        body["attachments"] = {"icalendar": found.icalendar.decode("utf-8")}
    return body
