# SPDX-License-Identifier: Apache-2.0
"""An account's profiles and calendars, as the calling application may see them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from calgate.domain import access_modes, ids, model, scopes
from calgate.domain.authorization import Caller
from calgate.domain.errors import NotFound, ValidationFailed
from calgate.domain.ports import UnitOfWork

MAX_CALENDAR_NAME = 255


def new_calendar(profile: model.Profile, name: str, now: dt.datetime, *, primary: bool = False, color: str | None = None) -> model.Calendar:
    """A calendar of ``profile``; ids look like Cronofy's ``cal_{profile part}_{calendar part}``."""
    return model.Calendar(
        id=f"cal_{profile.id[4:]}_{ids.new_secret(12)}",
        account_id=profile.account_id,
        profile_id=profile.id,
        name=name,
        primary=primary,
        color=color,
        created_at=now,
    )


def hosted_profile(
    uow: UnitOfWork, account: model.Account, access_mode: str, name: str, calendar_name: str, now: dt.datetime
) -> model.Profile:
    """The account's live hosted profile, or a new one with a new primary calendar (the first
    connection, or after the application revoked the old profile)."""
    for profile in uow.profiles.of_account(account.id):
        if profile.provider == access_modes.HOSTED_PROVIDER and profile.revoked_at is None:
            return profile
    profile = model.Profile(
        id=ids.new_id("pro"),
        account_id=account.id,
        provider=access_modes.HOSTED_PROVIDER,
        access_mode=access_modes.policy(access_mode).name,
        name=name,
        created_at=now,
    )
    uow.profiles.add(profile)
    uow.calendars.add(new_calendar(profile, calendar_name, now, primary=True))
    return profile


def own_calendar(uow: UnitOfWork, caller: Caller, calendar_id: str) -> tuple[model.Calendar, model.Profile]:
    """A live calendar of the caller's account with its live profile, else NotFound (one query)."""
    calendar, profile = uow.access.calendar(calendar_id) or (None, None)
    if calendar is None or calendar.account_id != caller.account.id or calendar.deleted:
        raise NotFound("calendar")
    if profile is None or profile.revoked_at is not None:
        raise NotFound("calendar")
    return calendar, profile


@dataclass(frozen=True)
class ProfileView:
    profile: model.Profile
    calendars: list[model.Calendar]


def profiles(uow: UnitOfWork, caller: Caller) -> list[ProfileView]:
    """Live profiles with their live calendars, oldest first."""
    return views(uow.profiles.of_account(caller.account.id), uow.calendars.of_account(caller.account.id))


def views(profiles: list[model.Profile], calendars: list[model.Calendar]) -> list[ProfileView]:
    """``profiles``' live ones with their live calendars among ``calendars``, oldest first."""
    return [
        ProfileView(p, [c for c in calendars if c.profile_id == p.id and not c.deleted])
        for p in sorted(profiles, key=lambda p: p.created_at)
        if p.revoked_at is None
    ]


def create_calendar(uow: UnitOfWork, caller: Caller, profile_id: str | None, name: str | None, color: str | None) -> tuple[model.Profile, model.Calendar]:
    caller.require(scopes.CREATE_CALENDAR)
    errors: dict[str, list[tuple[str, str]]] = {}
    if not profile_id:
        errors["profile_id"] = [("errors.required", "profile_id must be specified")]
    name = (name or "").strip()
    if not name:
        errors["name"] = [("errors.required", "name must be specified")]
    elif len(name) > MAX_CALENDAR_NAME:
        errors["name"] = [("errors.too_long", f"name must be at most {MAX_CALENDAR_NAME} characters")]
    if errors:
        raise ValidationFailed(errors)
    view = next((v for v in profiles(uow, caller) if v.profile.id == profile_id), None)
    if view is None:
        raise NotFound("profile")
    if any(c.name == name for c in view.calendars):
        raise ValidationFailed.single("name", "duplicate_calendar_name", f"A calendar named {name!r} already exists")
    calendar = new_calendar(view.profile, name, model.utcnow(), color=color)
    uow.calendars.add(calendar)
    return view.profile, calendar


def revoke_profile(uow: UnitOfWork, caller: Caller, profile_id: str, now: dt.datetime) -> None:
    profile = uow.profiles.get(profile_id)
    if profile is None or profile.account_id != caller.account.id or profile.revoked_at is not None:
        raise NotFound("profile")
    profile.revoked_at = now
    profile.connected = False
