# SPDX-License-Identifier: Apache-2.0
"""Turn a ``send_mail`` job payload into an RFC 5322 message; the headers every message of
calgate shares (``envelope``)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from calgate.domain.model import utcnow


APPLICATION_HEADER = "X-Calgate-Application"


def envelope(
    *, sender: str, sender_name: str, to: str, to_name: str | None, subject: str, message_key: str, application_id: str | None
) -> EmailMessage:
    """An empty message with From, To, Subject, Date, Message-ID and the application header.

    ``message_key`` (the job id) makes the Message-ID stable across retries.
    """
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender))
    message["To"] = formataddr((to_name or "", to))
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    domain = sender.partition("@")[2] or "calgate.localhost"
    # The same id on every retry: receivers (and the mail folder) see one message, not several.
    message["Message-ID"] = f"<{message_key}@{domain}>"
    if application_id:
        # Lets the dashboard's outbox show each developer only their applications' mail.
        message[APPLICATION_HEADER] = application_id
    return message


def compose(payload: dict[str, Any], sender: str, message_key: str) -> EmailMessage:
    """``message_key`` (the job id) makes the Message-ID stable across retries."""
    message = envelope(
        sender=sender,
        sender_name="calgate",
        to=payload["to"],
        to_name=payload.get("to_name"),
        subject=payload["subject"],
        message_key=message_key,
        application_id=payload.get("application_id"),
    )
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message
