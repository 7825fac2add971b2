# SPDX-License-Identifier: Apache-2.0
"""The domain's objects. Plain dataclasses: ``store.orm`` maps them to tables imperatively.

Times are timezone-aware UTC datetimes. Secrets never live here in clear: tokens, codes and
client secrets appear as their digests (``ids.digest``); the client secret is also kept
encrypted because push notifications are signed with it.

One module past 400 lines on purpose: every table's dataclass in one place, which
``store.orm`` maps one to one; split by feature it would only scatter that map.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from calgate.domain import access_modes


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(eq=False)
class Developer:
    id: str
    email: str
    password_hash: str
    created_at: dt.datetime = field(default_factory=utcnow)
    session_epoch: int = 0  # sessions carry it; signing out moves it on, ending every copy of them
    failed_sign_ins: int = 0  # wrong passwords in a row
    locked_until: dt.datetime | None = None  # sign-in refused until then after too many


@dataclass(eq=False)
class Application:
    id: str
    developer_id: str
    name: str
    client_id: str
    client_secret_digest: str
    client_secret_sealed: str  # encrypted with the server key; signs push notifications
    redirect_uris: list[str] = field(default_factory=list)
    free_busy_enabled: bool = False
    no_calendar_enabled: bool = False
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def features(self) -> set[str]:
        enabled = {"free_busy": self.free_busy_enabled, "no_calendar": self.no_calendar_enabled}
        return {name for name, on in enabled.items() if on}

    def set_feature(self, feature: str, on: bool) -> None:
        if feature not in access_modes.FEATURES:
            raise ValueError(f"unknown feature {feature!r}")
        setattr(self, f"{feature}_enabled", on)

    def offered_modes(self) -> list[access_modes.AccessModePolicy]:
        return access_modes.enabled_modes(self.features)


@dataclass(eq=False)
class Account:
    """A person (``acc_``) or an application calendar (``apc_``) an application may act for."""

    id: str
    application_id: str
    email: str
    name: str
    default_tzid: str = "Etc/UTC"
    application_calendar_id: str | None = None  # set for application calendars only
    created_at: dt.datetime = field(default_factory=utcnow)

    @property
    def is_application_calendar(self) -> bool:
        return self.application_calendar_id is not None


@dataclass(eq=False)
class Profile:
    """One connected calendar source of an account, in one access mode."""

    id: str
    account_id: str
    provider: str  # calgate's provider: "cronofy" (hosted), google, ms_graph, apple, caldav
    access_mode: str
    name: str  # usually the email address
    connected: bool = True
    revoked_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    # A connected provider's side (None for hosted profiles). ``credentials_sealed``: the
    # provider credentials as JSON, encrypted with the server key (``SecretBox``), never clear.
    credentials_sealed: str | None = None
    initial_sync_done: bool = False
    last_synced_at: dt.datetime | None = None  # the last sync that read every calendar
    sync_error: str | None = None  # the last failure, safe to show (no secrets, no event text)
    sync_failures: int = 0  # failures in a row; reset by a successful sync
    # Set when an organization's service account (Enterprise Connect) gives access to this
    # calendar: its credentials are the organization's, ``credentials_sealed`` only caches a token.
    service_account_id: str | None = None

    @property
    def policy(self) -> access_modes.AccessModePolicy:
        return access_modes.policy(self.access_mode)

    @property
    def wire_provider_name(self) -> str:
        return self.policy.wire_provider_name(self.provider)


@dataclass(eq=False)
class Calendar:
    id: str
    account_id: str
    profile_id: str
    name: str
    primary: bool = False
    readonly: bool = False
    deleted: bool = False
    color: str | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    remote_id: str | None = None  # the provider's key (a CalDAV collection URL); None: hosted
    sync_state: str | None = None  # the provider's token for "changes since" (sync token, ctag)


@dataclass(eq=False)
class Event:
    """An event in a calendar. ``event_id`` is the managing application's key (managed events);
    ``id`` is calgate's ``event_uid``. Start and end keep their own zones (``times.EventTime``);
    ``start_at``/``end_at`` are the UTC instants used to query (midnight UTC for all-day)."""

    id: str
    calendar_id: str
    account_id: str
    application_id: str | None
    event_id: str | None
    summary: str
    start: dict[str, str]  # {"time": Time|Date, "tzid": zone}
    end: dict[str, str]
    start_at: dt.datetime
    end_at: dt.datetime
    description: str | None = None
    location: dict[str, str] | None = None
    url: str | None = None
    reminders: list[dict[str, int]] = field(default_factory=list)
    transparency: str = "opaque"
    color: str | None = None
    attendees: list[dict[str, str]] = field(default_factory=list)
    participation_status: str = "accepted"
    sequence: int = 0
    fingerprint: str = ""  # digest of the content, to tell a change from a repeated upsert
    deleted: bool = False
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)
    # Where the event lives at a provider (read_write profiles): the resource URL, its ETag as
    # last written or read, and which occurrence of it this row is (None: not recurring).
    remote_id: str | None = None
    etag: str | None = None
    recurrence_id: str | None = None
    remote_uid: str | None = None  # the iCalendar UID of a synced (not managed) event
    # Where it was before its times last changed (Read Events' ``include_moved``).
    moved_from_start_at: dt.datetime | None = None
    moved_from_end_at: dt.datetime | None = None
    tags: list[str] = field(default_factory=list)  # the application's private tags (values)
    # A recurring managed event: its rules (``recurrence.Recurrence.to_data``) on the series'
    # row, which is also its first occurrence; the other stored occurrences name that row.
    recurrence: dict[str, Any] | None = None
    series_id: str | None = None
    conferencing: dict[str, str] | None = None  # {"provider_description", "join_url"}
    event_private: bool = False
    extended_transparency: str | None = None  # Cronofy's, when it says more than transparency
    # How the application's event reaches the person (``access_modes.WriteDelivery`` value):
    # set with its first version, kept across mode changes (``access_modes.event_delivery``).
    # None for the person's own events.
    delivery: str | None = None

    def move(self, start_at: dt.datetime, end_at: dt.datetime) -> None:
        """New instants; the old ones are remembered when the event had any and they differ."""
        if self.start and (start_at, end_at) != (self.start_at, self.end_at):
            self.moved_from_start_at, self.moved_from_end_at = self.start_at, self.end_at
        self.start_at, self.end_at = start_at, end_at

    @property
    def ical_uid(self) -> str:
        """Stable per (calendar, event_id): invitations for one event always share it."""
        return self.remote_uid or f"{self.id}@calgate"


@dataclass(eq=False)
class AvailabilityRule:
    """A weekly pattern of when an account is available (Cronofy's Availability Rules), kept
    as the application sent it: ``weekly_periods`` are ``{"day", "start_time", "end_time"}``
    in ``tzid``; ``calendar_ids`` None means every calendar counts."""

    id: str
    account_id: str
    availability_rule_id: str  # the application's key, unique per account
    tzid: str
    weekly_periods: list[dict[str, str]]
    calendar_ids: list[str] | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class AvailablePeriod:
    """A one-off period when an account is available (Cronofy's Available Periods); ``tzid``
    is only how its times are shown with ``localized_times``."""

    id: str
    account_id: str
    available_period_id: str  # the application's key, unique per account
    start_at: dt.datetime
    end_at: dt.datetime
    tzid: str = "Etc/UTC"
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class CalendarSubscription:
    """A secret ICS feed URL of one hosted calendar (calgate's extension, ``subscriptions``).
    Only the token's digest is kept; a calendar has at most one live subscription."""

    token_digest: str
    calendar_id: str
    grant_id: str  # the authorization it was made under: revoking that ends it
    revoked_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class BusyBlock:
    """Busy time read from a free_busy profile's calendar: when, and busy or tentative. By
    design nothing else of the person's own event exists in calgate (no summary, no UID)."""

    id: str
    calendar_id: str
    account_id: str
    start_at: dt.datetime
    end_at: dt.datetime
    status: str = "busy"  # or "tentative"


@dataclass(eq=False)
class Channel:
    """A push notification channel (Cronofy's ``chn_``): the application's callback for one
    account, with filters ``{"calendar_ids": [...], "only_managed": bool}`` as given."""

    id: str
    application_id: str
    account_id: str
    callback_url: str
    filters: dict[str, Any] = field(default_factory=dict)
    closed_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class SmartInvite:
    """An invitation an application sends to people who connect no calendar (Cronofy's Smart
    Invites): ``smart_invite_id`` is the application's key; ``event`` the event as validated
    (summary, description, start and end as ``{time, tzid}``, location, url, reminders,
    transparency, color); ``sequence`` the iTIP SEQUENCE of its current version."""

    id: str  # calgate's (``smi_``); the iTIP UID is ``<id>@calgate``
    application_id: str
    smart_invite_id: str
    event: dict[str, Any]
    callback_url: str | None = None
    organizer_name: str | None = None
    sequence: int = 0
    fingerprint: str = ""  # digest of event and organizer, to tell a change from a repeat
    cancelled_at: dt.datetime | None = None  # the whole invitation was cancelled
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class SmartInviteRecipient:
    """One person a Smart Invite went to, and their answer: ``status`` is pending, accepted,
    declined or tentative (learnt from their iTIP REPLY)."""

    id: str
    invite_id: str
    email: str  # lower case
    status: str = "pending"
    cancelled_at: dt.datetime | None = None  # uninvited (a cancel that named them)
    replied_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)


class BusyRow(NamedTuple):
    """Just what free/busy needs of an event (the availability engine reads thousands)."""

    start: dict[str, str]
    end: dict[str, str]
    start_at: dt.datetime
    end_at: dt.datetime
    transparency: str
    participation_status: str
    id: str = ""  # the event_uid
    event_id: str | None = None  # the managing application's key, for its own events
    application_id: str | None = None


class QueueRow(NamedTuple):
    """The job queue for one kind of job (the dashboard's Jobs page)."""

    kind: str
    pending: int  # not finished, including those running and those waiting to retry
    running: int  # held by a worker right now
    due: int  # may run now and nobody holds them
    oldest_due: dt.datetime | None  # when the longest-waiting due job became due
    failed: int  # given up after their last attempt


@dataclass(eq=False)
class ServiceAccount:
    """An organization connected through Enterprise Connect (``ser_``): its administrator let
    the application reach people's calendars at ``provider`` in ``access_mode``, within
    ``delegated_scope``, with the organization's own credentials (sealed, never clear)."""

    id: str
    application_id: str
    provider: str  # google | ms_graph
    access_mode: str  # read_write | free_busy: how every person it authorizes is connected
    scope: str  # the service_account/* scopes granted
    delegated_scope: str  # what may be granted over people, space separated
    domain: str
    email: str  # the administrator's address the credentials were checked with
    credentials_sealed: str
    revoked_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Grant:
    """An application's authorization over an account, or a service account's own (then
    ``account_id`` is None): what the tokens it issued hang on. ``service_account_id`` names
    the service account that gave it (revoking that revokes this)."""

    id: str
    application_id: str
    account_id: str | None
    scope: str
    access_mode: str
    revoked_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    service_account_id: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


@dataclass(eq=False)
class Token:
    digest: str
    kind: str  # "access" or "refresh"
    grant_id: str
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)


class TokenContext(NamedTuple):
    """A token and what it hangs on, read together (``ports.Access``): its grant, and the
    grant's account, application and service account (None when it has none, or it is gone)."""

    token: Token
    grant: Grant | None
    account: Account | None
    application: Application | None
    service_account: ServiceAccount | None


@dataclass(eq=False)
class AuthorizationCode:
    digest: str
    application_id: str
    grant_id: str
    redirect_uri: str
    expires_at: dt.datetime
    code_challenge: str | None = None
    used_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class EmailVerification:
    id: str
    email: str
    code_digest: str
    expires_at: dt.datetime
    attempts: int = 0
    verified_at: dt.datetime | None = None
    created_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class Job:
    """A unit of background work. Jobs sharing an ``ordering_key`` run one at a time, oldest
    first (an event's invitations reach the person in SEQUENCE order)."""

    id: str
    kind: str
    payload: dict[str, Any]
    ordering_key: str | None = None
    status: str = "pending"  # pending, done, failed
    attempts: int = 0
    run_after: dt.datetime = field(default_factory=utcnow)
    locked_until: dt.datetime | None = None
    last_error: str | None = None
    created_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None


@dataclass(eq=False)
class ElementToken:
    """A UI Element token (``domain/element_tokens``): short-lived, kept only as its digest,
    bound to one application, the ``subs`` it may act for, its ``permissions`` and the
    ``origin`` of the page that uses it."""

    digest: str
    application_id: str
    permissions: list[str]
    subs: list[str]
    origin: str
    expires_at: dt.datetime
    created_at: dt.datetime = field(default_factory=utcnow)


@dataclass(eq=False)
class SchedulingLink:
    """A Real-Time Scheduling link (``domain/scheduling_links``): a page where one person picks
    a time the ``availability`` query offers, and the ``event`` is written into the
    ``target_calendars``. The URL's token is kept as its digest (found by it) and sealed (the
    status answer repeats the URL). ``request`` holds the validated body: ``availability`` (as
    the Availability API reads it), ``event``, ``target_calendars``, ``minimum_notice_minutes``,
    ``callback_urls``, ``redirect_urls``, ``oauth``, ``tzid`` and ``event_creation``.
    ``status``: open, completed or disabled; ``booking``: the slot chosen and who chose it."""

    id: str  # ``sch_``: the real_time_scheduling_id
    application_id: str
    token_digest: str
    token_sealed: str
    request: dict[str, Any]
    status: str = "open"
    display_message: str | None = None
    booking: dict[str, Any] | None = None
    no_times_displayed_at: dt.datetime | None = None  # its callback is sent once
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime = field(default_factory=utcnow)
