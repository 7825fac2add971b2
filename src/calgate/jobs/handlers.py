# SPDX-License-Identifier: Apache-2.0
"""Job kinds and the functions that run them."""

from __future__ import annotations

from typing import Any

from calgate.jobs.runner import Handler
from calgate.mail.message import compose
from calgate.mail.senders import MailSender


def handlers(sender: MailSender, organizer_email: str) -> dict[str, Handler]:
    def send_mail(payload: dict[str, Any], job_id: str) -> None:
        sender.send(compose(payload, organizer_email, job_id))

    return {"send_mail": send_mail}
