# SPDX-License-Identifier: Apache-2.0
"""Read what calgate mailed, from its mail folder."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from pathlib import Path

from calgate.mail.senders import read_mail_dir


def mail_to(directory: Path, to: str) -> list[EmailMessage]:
    """Messages to ``to`` in the mail folder, newest first."""
    return [m for m in read_mail_dir(directory) if to.lower() in str(m["To"]).lower()]


def wait_for_mail(directory: Path, to: str, timeout: float = 15.0, skip: int = 0) -> EmailMessage:
    """The newest message to ``to`` once there are more than ``skip`` of them.

    Mail goes out from the job queue, after the request that caused it: when an address was
    already mailed, pass ``skip=len(mail_to(...))`` taken beforehand, or the old message wins.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = mail_to(directory, to)
        if len(messages) > skip:
            return messages[0]
        time.sleep(0.05)
    raise AssertionError(f"no new mail to {to} within {timeout}s")


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def verification_code(message: EmailMessage) -> str:
    match = re.search(r"\b(\d{6})\b", body_text(message))
    assert match, "no 6-digit code in the message"
    return match.group(1)
