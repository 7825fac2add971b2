# SPDX-License-Identifier: Apache-2.0
"""Read what calgate mailed, from its mail folder."""

from __future__ import annotations

import re
import time
from email.message import EmailMessage
from pathlib import Path

from calgate.mail.senders import read_mail_dir


def wait_for_mail(directory: Path, to: str, timeout: float = 15.0) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in read_mail_dir(directory):
            if to.lower() in str(message["To"]).lower():
                return message
        time.sleep(0.05)
    raise AssertionError(f"no mail to {to} within {timeout}s")


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def verification_code(message: EmailMessage) -> str:
    match = re.search(r"\b(\d{6})\b", body_text(message))
    assert match, "no 6-digit code in the message"
    return match.group(1)
