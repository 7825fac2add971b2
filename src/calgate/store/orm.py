# SPDX-License-Identifier: Apache-2.0
"""Maps the domain's dataclasses onto the tables (SQLAlchemy imperative mapping), so the
domain stays free of SQLAlchemy (Cosmic Python's classical mapping)."""

from __future__ import annotations

from sqlalchemy.orm import registry

from calgate.domain import model
from calgate.store import tables

mapper_registry = registry(metadata=tables.metadata)
_MAPPED = {
    model.Developer: tables.developers,
    model.Application: tables.applications,
    model.Account: tables.accounts,
    model.Profile: tables.profiles,
    model.Calendar: tables.calendars,
    model.Event: tables.events,
    model.BusyBlock: tables.busy_blocks,
    model.Channel: tables.channels,
    model.SmartInvite: tables.smart_invites,
    model.SmartInviteRecipient: tables.smart_invite_recipients,
    model.CalendarSubscription: tables.calendar_subscriptions,
    model.AvailabilityRule: tables.availability_rules,
    model.AvailablePeriod: tables.available_periods,
    model.ServiceAccount: tables.service_accounts,
    model.Grant: tables.grants,
    model.Token: tables.tokens,
    model.AuthorizationCode: tables.authorization_codes,
    model.ElementToken: tables.element_tokens,
    model.SchedulingLink: tables.scheduling_links,
    model.EmailVerification: tables.email_verifications,
    model.Job: tables.jobs,
}


def start_mappers() -> None:
    """Idempotent: map every domain class once per process."""
    for cls, table in _MAPPED.items():
        if not hasattr(cls, "__mapper__"):
            mapper_registry.map_imperatively(cls, table)
