# SPDX-License-Identifier: Apache-2.0
"""ICS subscription URLs: calgate's extension to Cronofy's API, not part of it.

A hosted calendar (one calgate keeps itself: a No Access calendar or an application calendar)
can be published as a secret ``.ics`` URL that calendar clients subscribe to (RFC 5545 over
plain HTTP GET, as "webcal" feeds are). The URL's token is the only credential, so calgate
stores its SHA-256 alone. A calendar has at most one live URL: making a new one revokes the
old, and the application can revoke it outright. A URL also stops working when the grant it
was made under is revoked, when the profile is revoked or when the calendar is deleted.

Making or revoking a URL needs ``read_events``: the feed carries every event's details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from calgate.domain import access_modes, accounts, ids, model, scopes
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

SCOPE = scopes.READ_EVENTS


def _hosted_calendar(uow: UnitOfWork, caller: Caller, calendar_id: str) -> model.Calendar:
    calendar, profile = accounts.own_calendar(uow, caller, calendar_id)
    if profile.provider != access_modes.HOSTED_PROVIDER:
        # A connected provider's calendar is the provider's to publish.
        raise ValidationFailed.single("calendar_id", "not_hosted", "Only calendars calgate hosts have ICS subscription URLs")
    return calendar


def _revoke_all(uow: UnitOfWork, calendar_id: str, now: dt.datetime) -> None:
    for subscription in uow.subscriptions.of_calendar(calendar_id):
        subscription.revoked_at = subscription.revoked_at or now


def create(uow: UnitOfWork, caller: Caller, calendar_id: str, now: dt.datetime) -> str:
    """A new secret URL token for the calendar; the previous one stops working."""
    caller.require(SCOPE)
    calendar = _hosted_calendar(uow, caller, calendar_id)
    _revoke_all(uow, calendar.id, now)
    token = ids.new_secret(32)
    uow.subscriptions.add(
        model.CalendarSubscription(
            token_digest=ids.digest(token), calendar_id=calendar.id, grant_id=caller.grant.id, created_at=now
        )
    )
    return token


def revoke(uow: UnitOfWork, caller: Caller, calendar_id: str, now: dt.datetime) -> None:
    """Revoke the calendar's URL (idempotent)."""
    caller.require(SCOPE)
    _revoke_all(uow, _hosted_calendar(uow, caller, calendar_id).id, now)


@dataclass(frozen=True)
class Feed:
    calendar: model.Calendar
    events: list[model.Event]  # not deleted, by start


def feed(uow: UnitOfWork, token: str) -> Feed:
    """What a subscription URL shows. Every reason it cannot is the same NotFound, so the
    answer tells a guesser nothing."""
    subscription = uow.subscriptions.get(ids.digest(token))
    if subscription is None or subscription.revoked_at is not None:
        raise NotFound("subscription")
    calendar = uow.calendars.get(subscription.calendar_id)
    profile = uow.profiles.get(calendar.profile_id) if calendar is not None else None
    if calendar is None or calendar.deleted or profile is None or profile.revoked_at is not None:
        raise NotFound("subscription")
    grant = uow.grants.get(subscription.grant_id)
    if grant is None or not grant.active:
        raise NotFound("subscription")
    return Feed(calendar, [e for e in uow.events.in_calendar(calendar.id) if not e.deleted])
