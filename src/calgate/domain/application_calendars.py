# SPDX-License-Identifier: Apache-2.0
"""Application calendars: calendars an application keeps for itself, for things that are not
people (a meeting room, a rota), through Cronofy's ``POST /v1/application_calendars``
(wire notes §2.7).

Each is an account (``apc_`` + 24 hex) with one hosted profile (provider ``cronofy``) in
Read-Write, one primary calendar and a ``read_write`` grant. Read-Write's policy delivers
writes straight into the calendar (``WriteDelivery.PROVIDER``), and for a hosted calendar
that means the event is stored and nothing is mailed: an application calendar neither invites
nor is invited. ``model.Account`` needs an email address; it gets one under the reserved
``.invalid`` top-level domain (RFC 2606 §2) that no message is ever sent to.

The request is idempotent per (application, ``application_calendar_id``): every call
authenticates the client and issues fresh tokens on the calendar's grant. After a revocation
(``/oauth/token/revoke`` by token or by sub) the next call authorizes the same calendar again
with a new grant; its events are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from calgate.domain import access_modes, accounts, applications, authorization, ids, model
from calgate.domain.errors import ValidationFailed
from calgate.domain.ports import UnitOfWork

# Our limit (Cronofy documents none that we could find): it is the column's width, and the id
# is shown as the profile's and the calendar's name.
MAX_APPLICATION_CALENDAR_ID = 64
SCOPE = "read_write"
EMAIL_DOMAIN = "application-calendars.calgate.invalid"


def check_id(value: object) -> str:
    """A valid ``application_calendar_id``: 1 to 64 characters, none of them control
    characters, no surrounding whitespace. Compared exactly (case matters)."""
    if value is None or value == "":
        raise ValidationFailed.single("application_calendar_id", "required", "application_calendar_id must be specified")
    if (
        not isinstance(value, str)
        or len(value) > MAX_APPLICATION_CALENDAR_ID
        or value != value.strip()
        or not value.isprintable()
    ):
        raise ValidationFailed.single(
            "application_calendar_id",
            "invalid",
            f"application_calendar_id must be 1 to {MAX_APPLICATION_CALENDAR_ID} printable characters "
            "without leading or trailing spaces",
        )
    return value


@dataclass(frozen=True)
class Authorized:
    tokens: authorization.IssuedTokens
    account: model.Account
    profile: model.Profile


def authorize(
    uow: UnitOfWork,
    client_id: str | None,
    client_secret: str | None,
    application_calendar_id: object,
    now: dt.datetime,
    access_ttl: int,
) -> Authorized:
    """Create the application calendar on first use; always issue fresh tokens for it."""
    app = applications.authenticate_client(uow, client_id, client_secret)
    calendar_id = check_id(application_calendar_id)
    account = uow.accounts.by_application_calendar_id(app.id, calendar_id)
    if account is None:
        account_id = ids.new_id("apc")
        account = model.Account(
            id=account_id,
            application_id=app.id,
            email=f"{account_id}@{EMAIL_DOMAIN}",
            name=calendar_id,
            application_calendar_id=calendar_id,
            created_at=now,
        )
        uow.accounts.add(account)
    profile = _hosted_profile(uow, account, now)
    grant = next((g for g in uow.grants.of_account(app.id, account.id) if g.active), None)
    if grant is None:
        grant = model.Grant(
            id=ids.new_id("grt"),
            application_id=app.id,
            account_id=account.id,
            scope=SCOPE,
            access_mode=access_modes.READ_WRITE.name,
            created_at=now,
        )
        uow.grants.add(grant)
    return Authorized(authorization.issue_tokens(uow, grant, now, access_ttl), account, profile)


def _hosted_profile(uow: UnitOfWork, account: model.Account, now: dt.datetime) -> model.Profile:
    """The calendar's live profile; a new one with a new primary calendar if the application
    revoked the old one (``POST /v1/profiles/{id}/revoke``)."""
    name = account.application_calendar_id or account.name
    return accounts.hosted_profile(uow, account, access_modes.READ_WRITE.name, name, name, now)
