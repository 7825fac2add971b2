# SPDX-License-Identifier: Apache-2.0
"""Linking a person's calendar account while they connect: check what they typed against the
server itself before anything is kept, and say plainly what went wrong.

Only network here, no database: the connect pages call ``link`` when the person submits the
form, keep the sealed credentials in the flow, and call ``calendars`` again on Allow.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from calgate.domain import sync
from calgate.domain.calendar_sources import RemoteCalendar, SourceAuthFailed, SourceError, SourceUnavailable
from calgate.domain.developers import valid_email
from calgate.domain.errors import ValidationFailed
from calgate.providers.caldav import ICLOUD_URL, discover
from calgate.providers.registry import CALDAV_PROVIDERS, Providers

__all__ = ["CALDAV_PROVIDERS", "ICLOUD_URL", "Linked", "calendars", "first_read", "link", "link_oauth"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Linked:
    identity: str  # the address the server vouches for (or the username)
    credentials: dict[str, Any]  # what ``Providers.open`` needs; sealed before it is kept
    calendars: list[RemoteCalendar]


def link(provider: str, address: str, username: str, password: str, timeout: float, email: str = "") -> Linked:
    """``email``: where the person gets invitations, asked for only when neither the server nor
    the username tells it (invitations are how free_busy and no_calendar writes reach people)."""
    errors: dict[str, list[tuple[str, str]]] = {}
    address = address.strip() or (ICLOUD_URL if provider == "apple" else "")
    if not address:
        errors["server_url"] = [("errors.required", "Enter your server's address, or your email address to look it up")]
    if not username.strip():
        errors["username"] = [("errors.required", "Enter your username")]
    if not password:
        errors["password"] = [("errors.required", "Enter the app-specific password")]
    if errors:
        raise ValidationFailed(errors)
    try:
        with discover(address, username.strip(), password, provider_name=provider, timeout=timeout) as source:
            identity = source.identity()
            found = source.calendars()
            server_url = source.server_url
    except SourceAuthFailed:
        raise ValidationFailed.single(
            "password", "refused", "The server refused this username or password. Check both, and use an app-specific password."
        ) from None
    except SourceUnavailable as exc:
        raise ValidationFailed.single("server_url", "unreachable", f"Could not reach a calendar server at {address}: {exc}") from None
    except SourceError as exc:
        raise ValidationFailed.single("server_url", "not_caldav", f"No calendars found at {address}: {exc}") from None
    if not found:
        raise ValidationFailed.single("server_url", "no_calendars", f"The server at {address} has no calendars for {username.strip()}")
    if "@" not in identity:
        identity = email.strip()
        if not valid_email(identity):
            raise ValidationFailed.single("email", "required", "Enter the email address where you get invitations")
    # The address goes with the credentials: it tells which ATTENDEE is the person (their answers
    # to invitations count) where the server names no address of its own.
    credentials = {"server_url": server_url, "username": username.strip(), "password": password, "email": identity.lower()}
    return Linked(identity.lower(), credentials, found)


def link_oauth(
    providers: Providers, provider: str, code: str, redirect_uri: str, verifier: str, stores_event_details: bool
) -> Linked:
    """The provider sent the person back with a code: exchange it, then ask who they are and
    (where the mode may) which calendars they have."""
    try:
        credentials = providers.oauth[provider].exchange(code, redirect_uri, verifier, stores_event_details, providers.timeout)
        with providers.open(provider, credentials, stores_event_details) as source:
            identity, found = source.identity(), source.calendars()
            credentials = getattr(source, "credentials", None) or credentials
    except SourceAuthFailed:
        raise ValidationFailed.single("form", "refused", "The provider did not grant access; try again") from None
    except SourceError as exc:
        raise ValidationFailed.single("form", "unreachable", f"Could not reach the provider: {exc}") from None
    return Linked(identity.lower(), credentials, found)


def calendars(providers: Providers, provider: str, credentials: dict[str, Any], stores_event_details: bool) -> list[RemoteCalendar]:
    """The calendars again, on Allow: the credentials must still work."""
    try:
        with providers.open(provider, credentials, stores_event_details) as source:
            return source.calendars()
    except SourceAuthFailed:
        raise ValidationFailed.single("form", "refused", "Your calendar no longer accepts calgate's access; connect again") from None
    except SourceError as exc:
        raise ValidationFailed.single("form", "unreachable", f"Could not reach your calendar: {exc}") from None


def first_read(providers: Providers, provider: str, credentials: dict[str, Any], plan: sync.Plan, now: dt.datetime) -> sync.Fetched | None:
    """Read the calendar in full before the person is sent back (``mode_change.first_read_plan``).
    None when the provider does not answer now: the sync queued on Allow reads it instead."""
    try:
        with providers.open(provider, credentials, plan.stores_event_details) as source:
            return sync.fetch(source, plan, now)
    except SourceError as exc:
        log.warning("first read of %s before the redirect failed, left to the sync: %s", plan.profile_id or "a new profile", exc)
        return None
