# SPDX-License-Identifier: Apache-2.0
"""A person connected in No Access mode through the domain's own connect functions, for tests
that call the domain directly (no HTTP server): the caller and their hosted calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from calgate.domain import authorization, connect, events
from calgate.domain.authorization import Caller
from calgate.domain.model import Event, Job, utcnow
from calgate.services import Services
from tests.support.connect import authorize_params
from tests.support.factories import AppCredentials


@dataclass
class Person:
    caller: Caller
    calendar_id: str

    @property
    def email(self) -> str:
        return self.caller.account.email


def _emailed_code(services: Services, email: str) -> str:
    """The code in the newest send_mail job to ``email`` (whether or not it went out yet)."""
    with services.uow() as uow:
        jobs = uow.session.scalars(select(Job).where(Job.kind == "send_mail").order_by(Job.created_at.desc()))
        job = next(j for j in jobs if j.payload["to"] == email)
    match = re.search(r"\b(\d{6})\b", job.payload["text"])
    assert match
    return match.group(1)


def connect_no_access(services: Services, creds: AppCredentials, email: str, name: str = "Ada Lovelace") -> Person:
    now = utcnow()
    with services.uow() as uow:
        app, request = connect.validate_request(uow, authorize_params(creds))
        verification = connect.start_email_verification(uow, app, name, email, now, 900)
        uow.commit()
    code = _emailed_code(services, email)
    with services.uow() as uow:
        verified = connect.check_email_code(uow, verification.id, code, now)
        issued_code = connect.allow_hosted(uow, app, request, verified, name, now, 600)
        uow.commit()
    with services.uow() as uow:
        tokens = authorization.exchange_code(
            uow, creds.client_id, creds.client_secret, issued_code, creds.redirect_uri, None, now, 3600
        )
        uow.commit()
    with services.uow() as uow:
        caller = authorization.authenticate(uow, tokens.access_token, now)
        [calendar] = uow.calendars.of_account(caller.account.id)
    return Person(caller=caller, calendar_id=calendar.id)


def upsert(services: Services, person: Person, **fields: Any) -> Event:
    params = {"event_id": "interview-1", "summary": "Interview", "start": "2026-12-01T15:00:00Z", "end": "2026-12-01T16:00:00Z"}
    params.update(fields)
    with services.uow() as uow:
        event = events.upsert(uow, person.caller, person.calendar_id, events.EventInput.from_params(params), utcnow())
        uow.commit()
    return event


def delete(services: Services, person: Person, event_id: str = "interview-1") -> None:
    with services.uow() as uow:
        events.delete(uow, person.caller, person.calendar_id, event_id, utcnow())
        uow.commit()


def stored_event(services: Services, event_uid: str) -> Event:
    with services.uow() as uow:
        event = uow.events.get(event_uid)
    assert event is not None
    return event
