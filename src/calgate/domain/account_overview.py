# SPDX-License-Identifier: Apache-2.0
"""The dashboard's answer to "is this person connected, and is their calendar synced?".

An application's accounts (people and application calendars), each with its access mode and
its profiles (one per connected calendar source). A profile is in one of four states:

- ``connected``: synced at least once and calgate may still read it;
- ``initial_sync_pending``: connected, but the first full read has not finished;
- ``needs_relink``: the provider refused calgate's access (the person must connect again);
- ``revoked``: the person or the application ended it.

Beside the state, ``source`` is the availability engine's own verdict on the profile
(``domain/source_states``: fresh, failing, stale, needs_relink), so what the dashboard shows
is what availability believes. ``sync_lag`` is the time since the last full read. Only the
application's own accounts are reachable; anything else is NotFound, like an unknown id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from calgate.domain import access_modes, busyness, model, source_states, times
from calgate.domain.authorization import revoke_grant, revoke_service_account
from calgate.domain.errors import NotFound
from calgate.domain.ports import UnitOfWork

CONNECTED, INITIAL_SYNC_PENDING, NEEDS_RELINK, REVOKED = "connected", "initial_sync_pending", "needs_relink", "revoked"
STATE_LABELS = {
    CONNECTED: "Connected",
    INITIAL_SYNC_PENDING: "Initial sync pending",
    NEEDS_RELINK: "Needs relink",
    REVOKED: "Revoked",
}
_ORDER = (CONNECTED, INITIAL_SYNC_PENDING, NEEDS_RELINK, REVOKED)


@dataclass(frozen=True)
class ProfileSummary:
    id: str
    provider: str  # calgate's name: cronofy (hosted), google, ms_graph, apple, caldav
    provider_label: str
    access_mode: str
    name: str
    state: str
    source: source_states.SourceState
    last_synced_at: dt.datetime | None
    sync_lag: dt.timedelta | None
    sync_error: str | None
    hosted: bool
    calendars: tuple[model.Calendar, ...] = ()
    service_account_id: str | None = None  # reached through Enterprise Connect


@dataclass(frozen=True)
class AccountSummary:
    id: str  # the sub: acc_… or apc_…
    email: str
    name: str
    application_calendar_id: str | None
    access_mode: str  # of the live authorization (or of its newest profile when none is live)
    authorized: bool  # the application holds a live grant (application calendars: always)
    profiles: tuple[ProfileSummary, ...]
    created_at: dt.datetime
    default_tzid: str = "Etc/UTC"

    @property
    def state(self) -> str:
        """The state of its least healthy live profile (revoked when it has none)."""
        live = [p.state for p in self.profiles if p.state != REVOKED]
        if not self.authorized or not live:
            return REVOKED
        return max(live, key=_ORDER.index)

    @property
    def providers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.provider for p in self.profiles if p.state != REVOKED))

    @property
    def last_synced_at(self) -> dt.datetime | None:
        """The oldest last full read among live connected profiles: how far behind it may be."""
        synced = [p.last_synced_at for p in self.profiles if p.state == CONNECTED and not p.hosted]
        return min((s for s in synced if s is not None), default=None)

    @property
    def sync_lag(self) -> dt.timedelta | None:
        lags = [p.sync_lag for p in self.profiles if p.state == CONNECTED and p.sync_lag is not None]
        return max(lags, default=None)


def profile_state(profile: model.Profile) -> str:
    if profile.revoked_at is not None:
        return REVOKED
    if not profile.connected:
        return NEEDS_RELINK
    if profile.credentials_sealed is not None and not profile.initial_sync_done:
        return INITIAL_SYNC_PENDING
    return CONNECTED


def _profile(uow: UnitOfWork, profile: model.Profile, now: dt.datetime, stale_after: dt.timedelta, calendars: bool) -> ProfileSummary:
    hosted = profile.credentials_sealed is None
    last = profile.last_synced_at
    return ProfileSummary(
        id=profile.id,
        provider=profile.provider,
        provider_label="Hosted by calgate" if hosted else access_modes.PROVIDERS.get(profile.provider, profile.provider),
        access_mode=profile.access_mode,
        name=profile.name,
        state=profile_state(profile),
        source=source_states.of_profile(profile, now, stale_after),
        last_synced_at=last,
        sync_lag=None if hosted or last is None else max(now - last, dt.timedelta(0)),
        sync_error=profile.sync_error,
        hosted=hosted,
        calendars=tuple(c for c in uow.calendars.of_profile(profile.id) if not c.deleted) if calendars else (),
        service_account_id=profile.service_account_id,
    )


def _summary(
    uow: UnitOfWork, account: model.Account, now: dt.datetime, stale_after: dt.timedelta, calendars: bool = False
) -> AccountSummary:
    grants = sorted(uow.grants.of_account(account.application_id, account.id), key=lambda g: g.created_at)
    live = [g for g in grants if g.active]
    profiles = tuple(_profile(uow, p, now, stale_after, calendars) for p in uow.profiles.of_account(account.id))
    if live:
        mode = live[-1].access_mode
    elif profiles:
        mode = profiles[-1].access_mode
    else:
        mode = grants[-1].access_mode if grants else access_modes.READ_WRITE.name
    return AccountSummary(
        id=account.id,
        email=account.email,
        name=account.name,
        application_calendar_id=account.application_calendar_id,
        access_mode=mode,
        authorized=bool(live) or account.is_application_calendar,
        profiles=profiles,
        created_at=account.created_at,
        default_tzid=account.default_tzid or "Etc/UTC",
    )


def of_application(
    uow: UnitOfWork,
    application_id: str,
    now: dt.datetime,
    stale_after: dt.timedelta = source_states.DEFAULT_STALE_AFTER,
    access_mode: str | None = None,
    provider: str | None = None,
) -> list[AccountSummary]:
    """The application's accounts, newest first, optionally only those in ``access_mode`` or
    with a live profile at ``provider``."""
    found = []
    for account in reversed(uow.accounts.of_application(application_id)):
        summary = _summary(uow, account, now, stale_after)
        if access_mode and summary.access_mode != access_mode:
            continue
        if provider and provider not in summary.providers:
            continue
        found.append(summary)
    return found


def one(
    uow: UnitOfWork,
    application_id: str,
    account_id: str,
    now: dt.datetime,
    stale_after: dt.timedelta = source_states.DEFAULT_STALE_AFTER,
) -> AccountSummary:
    """One of the application's accounts, with its profiles' live calendars."""
    account = uow.accounts.get(account_id)
    if account is None or account.application_id != application_id:
        raise NotFound("account")
    return _summary(uow, account, now, stale_after, calendars=True)


def revoke(uow: UnitOfWork, application_id: str, account_id: str, now: dt.datetime) -> None:
    """End the application's access to the account: every grant and its tokens, as
    ``/oauth/token/revoke`` with its sub does, and every profile, so calgate stops reading the
    person's calendars too (connecting again makes new ones)."""
    account = uow.accounts.get(account_id)
    if account is None or account.application_id != application_id:
        raise NotFound("account")
    for grant in uow.grants.of_account(application_id, account_id):
        revoke_grant(uow, grant, now)
    for profile in uow.profiles.of_account(account_id):
        if profile.revoked_at is None:
            profile.revoked_at, profile.connected = now, False


@dataclass(frozen=True)
class WeekItem:
    """Something on an account's week view: an event (``summary`` set, for profiles whose mode
    stores event details) or a busy/tentative block (``summary`` None: free_busy profiles)."""

    start: dt.datetime
    end: dt.datetime
    status: str  # busy, tentative, or free (an event that leaves the time free)
    calendar_id: str
    summary: str | None = None
    event_uid: str | None = None


def _instant(value: dict[str, str], name: str, tzid: str, stored: dt.datetime) -> dt.datetime:
    """A Time's stored instant; a Date's midnight in the account's zone."""
    return stored if "T" in value["time"] else times.parse_event_time(value, name, None).instant(tzid)


def week(uow: UnitOfWork, summary: AccountSummary, start: dt.datetime, end: dt.datetime, tzid: str) -> list[WeekItem]:
    """What the account's live calendars hold between ``start`` and ``end``. In a mode that
    stores event details, the events with their summaries; in free_busy mode only the busy
    and tentative time, read from rows that have no text columns at all (``busy_rows`` and
    busy blocks), so no event detail can reach the page."""
    items: list[WeekItem] = []
    margin = dt.timedelta(days=1)  # all-day events are stored at midnight UTC
    for profile in summary.profiles:
        if profile.state == REVOKED or not profile.calendars:
            continue
        calendar_ids = [c.id for c in profile.calendars]
        if access_modes.policy(profile.access_mode).stores_event_details:
            for event in uow.events.in_window(summary.id, calendar_ids, start - margin, end + margin, False, None):
                status = busyness.event_status(event) or "free"
                a, b = _instant(event.start, "start", tzid, event.start_at), _instant(event.end, "end", tzid, event.end_at)
                if a < end and b > start:
                    items.append(WeekItem(a, b, status, event.calendar_id, event.summary or "(no title)", event.id))
            continue
        for row in uow.events.busy_rows(summary.id, calendar_ids, start - margin, end + margin):
            status = busyness.event_status(row)
            a, b = _instant(row.start, "start", tzid, row.start_at), _instant(row.end, "end", tzid, row.end_at)
            if status is not None and a < end and b > start:
                items.append(WeekItem(a, b, status, ""))
        for block in uow.busy_blocks.in_window(summary.id, calendar_ids, start, end):
            items.append(WeekItem(block.start_at, block.end_at, block.status, block.calendar_id))
    items.sort(key=lambda i: (i.start, i.end))
    return items


@dataclass(frozen=True)
class ServiceAccountSummary:
    """An organization connected through Enterprise Connect, as the dashboard lists it."""

    id: str  # ser_…
    provider: str
    provider_label: str
    access_mode: str
    domain: str
    admin_email: str
    people: int  # live profiles it gave
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def service_accounts(uow: UnitOfWork, application_id: str) -> list[ServiceAccountSummary]:
    """The application's service accounts, newest first (never their credentials)."""
    found = []
    for account in reversed(uow.service_accounts.of_application(application_id)):
        people = sum(1 for p in uow.service_accounts.profiles(account.id) if p.revoked_at is None)
        found.append(
            ServiceAccountSummary(
                id=account.id, provider=account.provider,
                provider_label=access_modes.PROVIDERS.get(account.provider, account.provider),
                access_mode=account.access_mode, domain=account.domain, admin_email=account.email, people=people,
                created_at=account.created_at, revoked_at=account.revoked_at,
            )
        )
    return found


def revoke_organization(uow: UnitOfWork, application_id: str, service_account_id: str, now: dt.datetime) -> None:
    """End a service account, its tokens and every person's access it gave, as revoking its
    token does (``authorization.revoke_service_account``)."""
    account = uow.service_accounts.get(service_account_id)
    if account is None or account.application_id != application_id:
        raise NotFound("service account")
    revoke_service_account(uow, account, now)
