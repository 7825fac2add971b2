# SPDX-License-Identifier: Apache-2.0
"""Replies in: an SMTP receiver (aiosmtpd) for the organizer address.

Attendees' calendar apps answer an invitation by mailing an iTIP REPLY (RFC 5546 §3.2.3,
carried as in RFC 6047) to its ORGANIZER, ``CALGATE_ORGANIZER_EMAIL``; that address's MX
points here (``calgate inbound-smtp``).

- RCPT TO anything but the organizer address: ``550`` (calgate is no open relay and has
  no other mailboxes).
- Every message accepted at DATA gets ``250``, whatever is in it. Each ``text/calendar`` (or
  ``.ics``) part is read as a REPLY and applied by ``domain.invites.receive_reply`` (or, for
  a Smart Invite's UID, ``domain.smart_invites.receive_reply``);
  garbage, other methods, unknown UIDs, forged and stale answers are logged and dropped.
  Rejecting them after DATA would only make the sending server bounce a message to a From
  address that may be forged (backscatter), and would tell a prober which UIDs exist.
- Nothing a message contains stops the receiver: every failure is caught and logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from email.message import Message
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses
from typing import Any

from aiosmtpd.controller import Controller

from calgate.domain import invites, itip, smart_invites
from calgate.domain.model import utcnow
from calgate.domain.ports import UnitOfWork

log = logging.getLogger(__name__)

CALENDAR_TYPES = ("text/calendar", "application/ics")
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


def calendar_parts(message: Message) -> list[bytes]:
    """The iCalendar objects a message carries, each once (a reply may repeat it as a file)."""
    found: list[bytes] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = (part.get_filename() or "").lower()
        if part.get_content_type() not in CALENDAR_TYPES and not filename.endswith(".ics"):
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data.strip() and data not in found:
            found.append(data)
    return found


def sender_address(message: Message) -> str:
    """The one address in From, lower case; empty when there is none or several."""
    addresses = [address for _, address in getaddresses([str(v) for v in message.get_all("From", [])]) if address]
    return addresses[0].strip().lower() if len(addresses) == 1 else ""


class ReplyReceiver:
    """Applies the REPLY answers of one message; the SMTP side is ``InboundHandler``."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self.uow = uow

    def receive(self, content: bytes) -> list[invites.ReplyOutcome]:
        message = BytesParser(policy=default_policy).parsebytes(content)
        message_id = str(message.get("Message-ID", "")).strip() or "(no Message-ID)"
        sender = sender_address(message)
        parts = calendar_parts(message)
        if not parts:
            log.warning("inbound %s from %r: no calendar part; dropped", message_id, sender)
            return []
        if not sender:
            log.warning("inbound %s: no single From address; dropped", message_id)
            return []
        outcomes: list[invites.ReplyOutcome] = []
        for data in parts:
            try:
                replies = itip.parse_reply(data)
            except itip.ItipError as exc:
                log.warning("inbound %s from %r: %s; dropped", message_id, sender, exc)
                continue
            for reply in replies:
                outcome = self._apply(reply, sender)
                level = logging.INFO if outcome is invites.ReplyOutcome.APPLIED else logging.WARNING
                log.log(
                    level, "inbound %s from %r: REPLY %s for %s (SEQUENCE %d) by %s: %s",
                    message_id, sender, reply.partstat, reply.uid, reply.sequence, reply.attendee, outcome.value,
                )
                outcomes.append(outcome)
        return outcomes

    def _apply(self, reply: itip.Reply, sender: str) -> invites.ReplyOutcome:
        with self.uow() as uow:
            apply = smart_invites.receive_reply if smart_invites.is_smart_invite_uid(reply.uid) else invites.receive_reply
            outcome = apply(uow, reply, sender, utcnow())
            if outcome is invites.ReplyOutcome.APPLIED:
                uow.commit()
        return outcome


class InboundHandler:
    """aiosmtpd's handler: the organizer address only, and every DATA answered 250."""

    def __init__(self, receiver: ReplyReceiver, organizer_email: str) -> None:
        self.receiver = receiver
        self.organizer = organizer_email.strip().lower()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.strip().lower() != self.organizer:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        try:
            # The database is synchronous: keep it off the event loop that serves SMTP.
            await asyncio.to_thread(self.receiver.receive, bytes(content))
        except Exception:  # a message must never take the receiver down
            log.exception("inbound message from %r could not be processed; dropped", envelope.mail_from)
        return "250 OK"


class InboundServer:
    """The receiver on ``host:port``, served from a background thread."""

    def __init__(self, uow: Callable[[], UnitOfWork], organizer_email: str, host: str, port: int) -> None:
        self.handler = InboundHandler(ReplyReceiver(uow), organizer_email)
        self.controller = Controller(
            self.handler, hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES
        )

    @property
    def host(self) -> str:
        return str(self.controller.hostname)

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def start(self) -> "InboundServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

