# SPDX-License-Identifier: Apache-2.0
"""The mail outbox: what calgate wrote to its local mail folder, for embedded deployments.

Without ``CALGATE_SMTP_URL`` every message (verification codes, invitations) lands as a
``.eml`` file in ``CALGATE_MAIL_DIR``; this page lets a developer read them, newest first,
only those sent for the developer's own applications.
"""

from __future__ import annotations

from email.message import EmailMessage

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calgate.api.deps import ServicesDep
from calgate.mail.message import APPLICATION_HEADER
from calgate.mail.senders import read_mail_dir
from calgate.web.dashboard._session import DeveloperDep, page, to_sign_in

router = APIRouter()


def _entry(message: EmailMessage) -> dict[str, str]:
    body = message.get_body(preferencelist=("plain",))
    return {
        "date": str(message["Date"] or ""),
        "to": str(message["To"] or ""),
        "subject": str(message["Subject"] or "(no subject)"),
        "text": str(body.get_content()) if body is not None else "",
    }


@router.get("/dashboard/outbox")
def outbox(request: Request, developer: DeveloperDep, services: ServicesDep) -> Response:
    if developer is None:
        return to_sign_in()
    settings = services.settings
    smtp = settings.smtp_url is not None
    with services.uow() as uow:
        own = {a.id for a in uow.applications.of_developer(developer.id)}
    mail = [] if smtp else read_mail_dir(settings.mail_dir)
    messages = [_entry(m) for m in mail if m[APPLICATION_HEADER] in own]
    return page(request, "outbox.html", developer, smtp=smtp, mail_dir=settings.mail_dir, messages=messages)
