# SPDX-License-Identifier: Apache-2.0
"""Turn a ``send_mail`` job payload into an RFC 5322 message."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any

from calgate.domain.model import utcnow


APPLICATION_HEADER = "X-Calgate-Application"


def compose(payload: dict[str, Any], sender: str, message_key: str) -> EmailMessage:
    """``message_key`` (the job id) makes the Message-ID stable across retries."""
    message = EmailMessage()
    message["From"] = formataddr(("calgate", sender))
    message["To"] = formataddr((payload.get("to_name") or "", payload["to"]))
    message["Subject"] = payload["subject"]
    message["Date"] = format_datetime(utcnow())
    domain = sender.partition("@")[2] or "calgate.localhost"
    # The same id on every retry: receivers (and the mail folder) see one message, not several.
    message["Message-ID"] = f"<{message_key}@{domain}>"
    if payload.get("application_id"):
        # Lets the dashboard's outbox show each developer only their applications' mail.
        message[APPLICATION_HEADER] = payload["application_id"]
    message.set_content(payload["text"])
    if payload.get("html"):
        message.add_alternative(payload["html"], subtype="html")
    return message
