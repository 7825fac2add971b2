# SPDX-License-Identifier: Apache-2.0
"""Invitations by email (iMIP, RFC 6047, carrying iTIP, RFC 5546) for the modes that deliver
writes that way. ``send`` queues one message per recipient in the caller's transaction, with
the event's id as ordering key so SEQUENCE order is kept."""

from __future__ import annotations

from calgate.domain import model
from calgate.domain.ports import UnitOfWork


def send(uow: UnitOfWork, account: model.Account, event: model.Event, method: str, removed: list[dict[str, str]]) -> None:
    from calgate.domain.events import snapshot

    recipients = [{"email": account.email, "display_name": account.name}]
    recipients += [a for a in event.attendees if a["email"] != account.email]
    payload = {"event": snapshot(event), "method": method, "application_id": event.application_id}
    for recipient in recipients:
        uow.jobs.enqueue("send_invite", {**payload, "to": recipient}, ordering_key=event.id)
    for recipient in removed:
        uow.jobs.enqueue("send_invite", {**payload, "method": "CANCEL", "to": recipient}, ordering_key=event.id)
