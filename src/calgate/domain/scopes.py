# SPDX-License-Identifier: Apache-2.0
"""Scopes an application may request for an account, and what each lets it do.

Cronofy's individual scopes, plus its bundles (``read_write``, ``read_only``, ``write_only``,
``free_busy``, ``free_busy_write``). Requesting ``free_busy_write`` is what offers the person the
access mode chooser (see ``access_modes``). A bundle's reach can depend on the access mode the
person chose; ``access_modes.AccessModePolicy.grants`` answers that, so this module stays a table.
"""

from __future__ import annotations

from dataclasses import dataclass

READ_ACCOUNT = "read_account"
LIST_CALENDARS = "list_calendars"
CREATE_CALENDAR = "create_calendar"
READ_EVENTS = "read_events"
CREATE_EVENT = "create_event"
DELETE_EVENT = "delete_event"
READ_FREE_BUSY = "read_free_busy"
CHANGE_PARTICIPATION_STATUS = "change_participation_status"
FREE_BUSY_WRITE = "free_busy_write"


@dataclass(frozen=True)
class ScopeInfo:
    name: str
    description: str  # what it lets the application do, in the consent screen's words


INDIVIDUAL: dict[str, ScopeInfo] = {
    s.name: s
    for s in (
        ScopeInfo(READ_ACCOUNT, "See your name, email address and time zone"),
        ScopeInfo(LIST_CALENDARS, "See the list of your calendars"),
        ScopeInfo(CREATE_CALENDAR, "Create new calendars"),
        ScopeInfo(READ_EVENTS, "Read the events in your calendars"),
        ScopeInfo(CREATE_EVENT, "Create and update the events it makes for you"),
        ScopeInfo(DELETE_EVENT, "Delete the events it made for you"),
        ScopeInfo(READ_FREE_BUSY, "See when you are free or busy"),
        ScopeInfo(CHANGE_PARTICIPATION_STATUS, "Accept or decline invitations for you"),
    )
}

BUNDLES: dict[str, frozenset[str]] = {
    "read_write": frozenset(INDIVIDUAL),
    "read_only": frozenset({READ_ACCOUNT, LIST_CALENDARS, READ_EVENTS, READ_FREE_BUSY}),
    "write_only": frozenset({READ_ACCOUNT, LIST_CALENDARS, CREATE_EVENT, DELETE_EVENT}),
    "free_busy": frozenset({READ_ACCOUNT, LIST_CALENDARS, READ_FREE_BUSY}),
    # Read Events with this bundle depends on the access mode: see AccessModePolicy.grants.
    FREE_BUSY_WRITE: frozenset({READ_ACCOUNT, LIST_CALENDARS, READ_FREE_BUSY, CREATE_EVENT, DELETE_EVENT}),
}

# read_events implies read_free_busy (Cronofy's scope documentation).
IMPLIED: dict[str, frozenset[str]] = {READ_EVENTS: frozenset({READ_FREE_BUSY})}

KNOWN = frozenset(INDIVIDUAL) | frozenset(BUNDLES)


def parse(scope: str | None) -> list[str]:
    """Split a space-separated scope string, keeping order and dropping repeats."""
    seen: list[str] = []
    for item in (scope or "").split():
        if item not in seen:
            seen.append(item)
    return seen


def unknown(requested: list[str]) -> list[str]:
    return [s for s in requested if s not in KNOWN]


def expand(requested: list[str], extra: dict[str, frozenset[str]] | None = None) -> frozenset[str]:
    """The individual scopes a granted list amounts to. ``extra`` adds per-bundle scopes."""
    result: set[str] = set()
    for item in requested:
        result |= BUNDLES.get(item, {item})
        if extra and item in extra:
            result |= extra[item]
    for scope, implied in IMPLIED.items():
        if scope in result:
            result |= implied
    return frozenset(result & frozenset(INDIVIDUAL))


def describe(requested: list[str], extra: dict[str, frozenset[str]] | None = None) -> list[ScopeInfo]:
    """What the consent screen lists, in a stable order."""
    granted = expand(requested, extra)
    return [info for name, info in INDIVIDUAL.items() if name in granted]
