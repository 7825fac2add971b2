# SPDX-License-Identifier: Apache-2.0
"""Job kinds and the functions that run them.

    send_mail     a plain message (verification codes)       mail.message.compose
    send_invite   an iMIP invitation (REQUEST or CANCEL)      mail.invitation.compose_invitation
    push_notification  a signed channel callback              jobs.webhooks.deliverer
    smart_invite_callback  a signed Smart Invite reply callback  jobs.webhooks.application_callback_deliverer
    real_time_scheduling_callback  a signed Real-Time Scheduling callback  (the same)

Both mail kinds use the job id as Message-ID, so a retry after an unclear failure is the same
message.
"""

from __future__ import annotations

from typing import Any

from calgate.domain.ports import SecretBox
from calgate.jobs.runner import Handler
from calgate.jobs.webhooks import application_callback_deliverer, deliverer
from calgate.mail.invitation import compose_invitation
from calgate.mail.message import compose
from calgate.mail.senders import MailSender
from calgate.store.unit_of_work import Database


def handlers(sender: MailSender, organizer_email: str, db: Database, box: SecretBox) -> dict[str, Handler]:
    def send_mail(payload: dict[str, Any], job_id: str) -> None:
        sender.send(compose(payload, organizer_email, job_id))

    def send_invite(payload: dict[str, Any], job_id: str) -> None:
        sender.send(compose_invitation(payload, organizer_email, job_id))

    return {
        "send_mail": send_mail,
        "send_invite": send_invite,
        "push_notification": deliverer(db, box),
        "smart_invite_callback": application_callback_deliverer(db, box),
        "real_time_scheduling_callback": application_callback_deliverer(db, box),
    }
