# SPDX-License-Identifier: Apache-2.0
"""What the access-mode change tests share: the marker scan (``tests.support.stored``), the
application's event as Read Events shows it, and the invitations the person was sent."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.api import Connected
from tests.support.mail import mail_to
from tests.support.server import LiveServer


def events(calgate: LiveServer, person: Connected, window: dict[str, str], **extra: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{calgate.url}/v1/events", params={**window, **extra}, headers=person.headers)
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


def calendar_ids(calgate: LiveServer, person: Connected) -> list[str]:
    response = httpx.get(f"{calgate.url}/v1/calendars", headers=person.headers)
    assert response.status_code == 200, response.text
    return [c["calendar_id"] for c in response.json()["calendars"]]


def invitation_methods(calgate: LiveServer, email: str) -> list[str]:
    """The iTIP METHOD of each invitation mailed to ``email``, oldest first."""
    found = []
    for message in reversed(mail_to(calgate.mail_dir, email)):
        part = next((p for p in message.walk() if p.get_content_type() == "text/calendar"), None)
        if part is not None:
            found.append(next(line.split(":", 1)[1] for line in part.get_content().splitlines() if line.startswith("METHOD:")))
    return found


def profiles(calgate: LiveServer, account_id: str) -> list[tuple[str, str]]:
    with calgate.services.uow() as uow:
        return [(p.provider, p.access_mode) for p in uow.profiles.of_account(account_id) if p.revoked_at is None]
