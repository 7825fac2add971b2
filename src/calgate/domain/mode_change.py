# SPDX-License-Identifier: Apache-2.0
"""Changing the access mode of a connected calendar: the person goes through the connect flow
again for the same calendar (same application, same provider account) and chooses another
mode. The profile keeps its id and its calendars keep theirs (``cal_…`` stays valid for the
application); what the change does is the policy's answer (``access_modes.ModeChange``).

Upgrade (free_busy → read_write)
    The connect flow reads the calendar in full, with details and the new credentials, before
    the person is sent back (``first_read_plan``, then ``apply`` with what was read), and the
    mode, the details and the removal of the busy blocks commit in one transaction: the next
    Read Events answers from the full calendar, and Free/Busy and Availability never see a
    moment without the person's busy time. If that read fails, the blocks stay until the sync
    queued at once brings the details (``sync.apply`` removes them then). The application's
    events that went out as invitations stay invitations (``Event.delivery``); the person's
    accepted copies of them are recognised by UID and never stored as their own (``sync``).

Downgrade (read_write → free_busy)
    In the transaction that records the person's choice: every row of the person's own events
    is deleted (summary, description, location, attendees and all), their busy time kept as
    busy blocks until the first busy-only sync replaces them, the calendars' sync tokens
    dropped. The application's events written into the calendar are handed over as
    invitations: they stay in the person's calendar, stay manageable through the API, and
    their later updates and deletions reach the person by email (iMIP, same UID, SEQUENCE
    counting on), since free_busy credentials may not write there (Google ``calendar.freebusy``,
    Graph ``Calendars.ReadBasic``). Deleted rows are overwritten on disk by SQLite's
    ``secure_delete`` (``store/db.py``); on PostgreSQL see docs/guide (backups keep them).

Either way the account's other live authorizations of the application follow the person's
new choice (their ``access_mode``), so an older token cannot read or write in the old mode.
"""

from __future__ import annotations

import datetime as dt

from calgate.domain import access_modes, busyness, ids, model, sync
from calgate.domain.calendar_sources import RemoteCalendar
from calgate.domain.ports import UnitOfWork


def connected_profile(uow: UnitOfWork, account: model.Account, provider: str, identity: str, mode: str) -> model.Profile | None:
    """The account's live profile for this provider account, in whichever mode (one in
    ``mode`` first, then the newest), of those the person connected themselves."""
    found = [
        p for p in uow.profiles.of_account(account.id)
        if p.revoked_at is None and p.provider == provider and p.name == identity
        and p.service_account_id is None  # Enterprise Connect keeps the organization's mode
    ]
    found.sort(key=lambda p: (p.access_mode == mode, p.created_at))
    return found[-1] if found else None


def first_read_plan(
    uow: UnitOfWork, app: model.Application, provider: str, identity: str, email: str, mode: str
) -> sync.Plan | None:
    """What the connect flow must read before the person is sent back, or None: a calendar
    the account already has, connected again in a mode that reads details where the old one
    did not (the upgrade), or a first calendar of an account that had only a hosted one (No
    Access → a provider). ``profile_id`` is empty for a profile not made yet."""
    after = access_modes.policy(mode)
    account = uow.accounts.by_email(app.id, email)
    if account is None or not after.stores_event_details:
        return None
    profile = connected_profile(uow, account, provider, identity, mode)
    if profile is not None:
        if not access_modes.mode_change(profile.access_mode, mode).reads_details:
            return None
        return sync.Plan(profile.id, account.id, True, {}, mode)
    hosted = [p for p in uow.profiles.of_account(account.id) if p.revoked_at is None and p.policy.hosted]
    return sync.Plan("", account.id, True, {}, mode) if hosted else None


def change(uow: UnitOfWork, profile: model.Profile, mode: str, remote: list[RemoteCalendar], now: dt.datetime) -> access_modes.ModeChange:
    """Move ``profile`` to ``mode`` (the caller then stores the new credentials, matches the
    calendars and applies the first read, in this same transaction)."""
    what = access_modes.mode_change(profile.access_mode, mode)
    if not what.changes:
        return what
    calendars = [c for c in uow.calendars.of_profile(profile.id) if c.remote_id]
    _keep_primary(calendars, remote)
    for calendar in calendars:
        calendar.sync_state = None  # the old mode's tokens: the new mode reads in full
        if what.erases_details:
            _erase(uow, calendar)
        if what.hands_over:
            _hand_over(uow, calendar, what.before)
    profile.access_mode = what.after.name
    for grant in uow.grants.of_account(_application_id(uow, profile), profile.account_id):
        if grant.active and grant.service_account_id is None:
            grant.access_mode = what.after.name
    return what


def _application_id(uow: UnitOfWork, profile: model.Profile) -> str:
    account = uow.accounts.get(profile.account_id)
    assert account is not None
    return account.application_id


def _keep_primary(calendars: list[model.Calendar], remote: list[RemoteCalendar]) -> None:
    """Where the provider lists the calendar under another key in the new mode (Graph: the
    address in free_busy, the default calendar's id with details), the primary calendar keeps
    its calgate id and takes the new key, rather than being deleted and made again."""
    listed = {r.remote_id for r in remote}
    held = {c.remote_id for c in calendars}
    primary = next((c for c in calendars if c.primary and not c.deleted), None)
    if primary is None or primary.remote_id in listed or not remote or remote[0].remote_id in held:
        return
    primary.remote_id = remote[0].remote_id


def _erase(uow: UnitOfWork, calendar: model.Calendar) -> None:
    """The person's own events become busy blocks (times and busy or tentative only), then
    their rows go, deleted ones too."""
    blocks = set()
    for event in uow.events.in_calendar(calendar.id):
        status = busyness.event_status(event) if event.event_id is None else None
        if status is not None:
            blocks.add((event.start_at, event.end_at, status))
    uow.events.erase_own(calendar.id)
    uow.busy_blocks.replace(calendar.id, [
        model.BusyBlock(id=ids.new_id("blk"), calendar_id=calendar.id, account_id=calendar.account_id, start_at=start, end_at=end, status=status)
        for start, end, status in sorted(blocks)
    ])


def _hand_over(uow: UnitOfWork, calendar: model.Calendar, before: access_modes.AccessModePolicy) -> None:
    invite = access_modes.WriteDelivery.EMAIL_INVITE
    for event in uow.events.in_calendar(calendar.id):
        if event.event_id is not None and access_modes.event_delivery(event.delivery, before) is not invite:
            event.delivery = invite.value
