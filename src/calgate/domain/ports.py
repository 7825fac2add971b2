# SPDX-License-Identifier: Apache-2.0
"""What the domain needs from the outside world, as protocols.

``store.unit_of_work.SqlUnitOfWork`` implements ``UnitOfWork``; a service function opens one,
loads, calls the domain, enqueues the jobs its change causes and commits once, so a change and
its jobs are durable together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from calgate.domain import model
from calgate.domain.busy_timeline import CalendarBusy

T = TypeVar("T")


class Repository(Protocol[T]):
    def add(self, item: T) -> None: ...
    def get(self, key: str) -> T | None: ...


class Applications(Repository[model.Application], Protocol):
    def by_client_id(self, client_id: str) -> model.Application | None: ...
    def by_secret_digest(self, digest: str) -> model.Application | None: ...
    def of_developer(self, developer_id: str) -> list[model.Application]: ...
    def all(self) -> list[model.Application]: ...


class Developers(Repository[model.Developer], Protocol):
    def by_email(self, email: str) -> model.Developer | None: ...


class Accounts(Repository[model.Account], Protocol):
    def by_email(self, application_id: str, email: str) -> model.Account | None: ...
    def by_application_calendar_id(self, application_id: str, application_calendar_id: str) -> model.Account | None: ...
    def of_application(self, application_id: str) -> list[model.Account]: ...
    def many(self, account_ids: list[str]) -> list[model.Account]:
        """The accounts with these ids (any application's: the caller checks), in one query."""
        ...
    def lock(self, account_ids: list[str]) -> None:
        """Hold these accounts until commit: writers that book their time take turns."""
        ...


class Profiles(Repository[model.Profile], Protocol):
    def of_account(self, account_id: str) -> list[model.Profile]: ...
    def of_accounts(self, account_ids: list[str]) -> list[model.Profile]:
        """Every profile of these accounts, oldest first, in one query."""
        ...
    def lock(self, profile_id: str) -> None:
        """Serialise with other transactions locking the same profile, until commit."""
        ...


class Calendars(Repository[model.Calendar], Protocol):
    def of_account(self, account_id: str) -> list[model.Calendar]: ...
    def of_accounts(self, account_ids: list[str]) -> list[model.Calendar]:
        """Every calendar of these accounts, oldest first, in one query."""
        ...
    def of_profile(self, profile_id: str) -> list[model.Calendar]: ...
    def live_ids(self, account_id: str) -> list[str]:
        """The ids of the account's live calendars on its live profiles, sorted; one query
        (``accounts.profiles``' calendars, without loading them)."""
        ...


class Events(Repository[model.Event], Protocol):
    def busy_rows(
        self, account_id: str, calendar_ids: list[str], ends_from: dt.datetime, starts_before: dt.datetime
    ) -> list[model.BusyRow]: ...
    def by_event_id(self, calendar_id: str, event_id: str) -> model.Event | None: ...
    def managed(self, account_id: str, application_id: str) -> list[model.Event]: ...
    def of_series(self, series_id: str) -> list[model.Event]: ...
    def in_calendar(self, calendar_id: str) -> list[model.Event]: ...
    def at_provider(self, calendar_id: str) -> list[model.Event]: ...
    def insert_many(self, rows: list[dict[str, Any]]) -> None: ...
    def erase_own(self, calendar_id: str) -> int:
        """Delete every row of the person's own events (no ``event_id``) in the calendar."""
        ...
    def in_window(
        self,
        account_id: str,
        calendar_ids: list[str],
        ends_from: dt.datetime | None,
        starts_before: dt.datetime | None,
        include_deleted: bool,
        updated_since: dt.datetime | None,
        include_moved: bool = False,
    ) -> list[model.Event]:
        """Events of ``account_id`` in ``calendar_ids`` with ``end_at >= ends_from`` and
        ``start_at < starts_before`` (a None bound is open), or with ``include_moved`` whose
        place before their last move was so, not deleted unless ``include_deleted``, updated
        at or after ``updated_since`` when given; by start_at."""
        ...


class BusyBlocks(Repository[model.BusyBlock], Protocol):
    def of_calendar(self, calendar_id: str) -> list[model.BusyBlock]: ...
    def replace(self, calendar_id: str, blocks: list[model.BusyBlock]) -> None: ...
    def in_window(
        self, account_id: str, calendar_ids: list[str], ends_from: dt.datetime, starts_before: dt.datetime
    ) -> list[model.BusyBlock]:
        """Blocks overlapping ``(ends_from, starts_before)``, by start."""
        ...


class BusyTimelines(Protocol):
    """Each calendar's busy time, kept ready to read (``domain/busy_timeline``): the store
    keeps it in step with the calendar's events and busy blocks in every transaction."""

    def of_calendars(self, calendar_ids: Sequence[str], *, refs: bool = False, details: bool = False) -> dict[str, CalendarBusy]:
        """The calendars' timelines in one query: their index, and with ``details`` their
        ends, times and flags, with ``refs`` the event behind each entry (``refs`` implies
        ``details``)."""
        ...
    def from_rows(self, calendar_ids: Sequence[str]) -> dict[str, CalendarBusy]:
        """The timelines as they would be rebuilt from the rows now (consistency checks)."""
        ...


class CalendarSubscriptions(Repository[model.CalendarSubscription], Protocol):
    def of_calendar(self, calendar_id: str) -> list[model.CalendarSubscription]: ...


class AvailabilityRules(Repository[model.AvailabilityRule], Protocol):
    def by_rule_id(self, account_id: str, availability_rule_id: str) -> model.AvailabilityRule | None: ...
    def of_account(self, account_id: str) -> list[model.AvailabilityRule]:
        """By availability_rule_id."""
        ...
    def of_accounts(self, account_ids: list[str]) -> list[model.AvailabilityRule]:
        """The rules of any of these accounts, by availability_rule_id, in one query."""
        ...
    def remove(self, rule: model.AvailabilityRule) -> None: ...


class AvailablePeriods(Repository[model.AvailablePeriod], Protocol):
    def by_period_id(self, account_id: str, available_period_id: str) -> model.AvailablePeriod | None: ...
    def in_window(
        self, account_id: str, ends_from: dt.datetime | None, starts_before: dt.datetime | None
    ) -> list[model.AvailablePeriod]:
        """Periods of ``account_id`` with ``end_at >= ends_from`` and ``start_at <
        starts_before`` (a None bound is open), by start_at."""
        ...
    def near_window(self, account_ids: list[str], ends_from: dt.datetime, starts_before: dt.datetime) -> list[model.AvailablePeriod]:
        """``in_window`` for several accounts at once, in one query."""
        ...
    def remove(self, period: model.AvailablePeriod) -> None: ...
    def remove_all(self, account_id: str) -> int: ...


class Grants(Repository[model.Grant], Protocol):
    def of_account(self, application_id: str, account_id: str) -> list[model.Grant]: ...
    def of_accounts(self, application_id: str, account_ids: list[str]) -> list[model.Grant]:
        """The application's grants over any of these accounts, in one query."""
        ...
    def of_service_account(self, service_account_id: str) -> list[model.Grant]:
        """The grants a service account gave: its own, and those over the people it authorized."""
        ...


class ServiceAccounts(Repository[model.ServiceAccount], Protocol):
    def of_application(self, application_id: str) -> list[model.ServiceAccount]: ...
    def profiles(self, service_account_id: str) -> list[model.Profile]:
        """Profiles whose access comes from the service account, revoked ones too."""
        ...


class Tokens(Repository[model.Token], Protocol):
    def of_grant(self, grant_id: str) -> list[model.Token]: ...


class Access(Protocol):
    """What a request may reach, read in one query each (``store/auth_queries``)."""

    def token(self, digest: str) -> model.TokenContext | None:
        """The token with this digest and what it hangs on; None when no token has it."""
        ...
    def calendar(self, calendar_id: str) -> tuple[model.Calendar, model.Profile | None] | None:
        """The calendar with this id (any account's: the caller checks) and its profile."""
        ...


class Codes(Repository[model.AuthorizationCode], Protocol):
    def get_for_update(self, digest: str) -> model.AuthorizationCode | None: ...


class ElementTokens(Repository[model.ElementToken], Protocol):
    """UI Element tokens by digest (``domain/element_tokens``)."""


class Verifications(Repository[model.EmailVerification], Protocol):
    def sent_since(self, email: str, since: dt.datetime) -> int: ...


class Jobs(Protocol):
    def enqueue(
        self, kind: str, payload: dict[str, Any], ordering_key: str | None = None, run_after: dt.datetime | None = None
    ) -> model.Job: ...
    def pending(self, kind: str, ordering_key: str) -> list[model.Job]: ...
    def get(self, key: str) -> model.Job | None: ...
    def troubled(self, application_ids: list[str], limit: int = 200) -> list[model.Job]:
        """Failed jobs, and pending ones that failed at least once, whose payload names one of
        ``application_ids``; newest first."""
        ...
    def queue(self, application_ids: list[str], now: dt.datetime) -> list[model.QueueRow]:
        """Per kind, the pending and failed jobs whose payload names one of ``application_ids``."""
        ...


class Channels(Repository[model.Channel], Protocol):
    def open_of_account(self, account_id: str) -> list[model.Channel]:
        """Channels of the account not closed, oldest first."""
        ...


class SmartInvites(Repository[model.SmartInvite], Protocol):
    def by_smart_invite_id(self, application_id: str, smart_invite_id: str, *, for_update: bool = False) -> model.SmartInvite | None:
        """The application's invitation with this key; ``for_update`` locks it until commit."""
        ...


class SmartInviteRecipients(Repository[model.SmartInviteRecipient], Protocol):
    def of_invite(self, invite_id: str) -> list[model.SmartInviteRecipient]:
        """In the order they were first invited (those invited together: by address)."""
        ...
    def by_email(self, invite_id: str, email: str, *, for_update: bool = False) -> model.SmartInviteRecipient | None: ...


class SchedulingLinks(Repository[model.SchedulingLink], Protocol):
    def by_token(self, token_digest: str, *, for_update: bool = False) -> model.SchedulingLink | None:
        """The link whose URL token has this digest; ``for_update`` locks it until commit."""
        ...


class UnitOfWork(Protocol):
    developers: Developers
    applications: Applications
    accounts: Accounts
    profiles: Profiles
    calendars: Calendars
    events: Events
    busy_blocks: BusyBlocks
    busy_timelines: BusyTimelines
    subscriptions: CalendarSubscriptions
    availability_rules: AvailabilityRules
    available_periods: AvailablePeriods
    grants: Grants
    service_accounts: ServiceAccounts
    tokens: Tokens
    access: Access
    codes: Codes
    element_tokens: ElementTokens
    verifications: Verifications
    jobs: Jobs
    channels: Channels
    smart_invites: SmartInvites
    smart_invite_recipients: SmartInviteRecipients
    scheduling_links: SchedulingLinks

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def flush(self) -> None: ...


class SecretBox(Protocol):
    """Encrypts secrets that must be readable again (client secrets, provider credentials)."""

    def seal(self, plaintext: str) -> str: ...
    def open(self, sealed: str) -> str: ...
