# SPDX-License-Identifier: Apache-2.0
"""The one busy-ness rule: when does an event make its owner busy, tentative, or leave them free?

For an occurrence read from any calendar (CalDAV, Google, Graph, an .ics), from its
transparency, its status and its owner's answer (``participation``):

- **free** (None): transparent (TRANSP:TRANSPARENT, Google ``transparency: transparent``,
  Graph ``showAs: free``), cancelled, or declined by the owner;
- **tentative**: its status is tentative (Graph ``showAs: tentative``), or the owner answered
  tentative or has not answered yet (``needs_action``);
- **busy** otherwise. Graph's ``oof`` and ``workingElsewhere`` are busy.

What calgate stores of a synced occurrence (``stored_participation``) keeps exactly that
outcome, so Read Events, Free/Busy and Availability, which read the stored event
(``event_status``), agree with the provider boundary (``occurrence_status``) by construction.
The application's own events carry its invitation's answer: unanswered (``needs_action``)
they stay busy, since the application booked the time.
"""

from __future__ import annotations

from typing import Protocol

BUSY, TENTATIVE = "busy", "tentative"


def occurrence_status(transparency: str, status: str, participation: str) -> str | None:
    """busy, tentative, or None (free) for an occurrence as a provider holds it."""
    if transparency == "transparent" or status == "cancelled" or participation == "declined":
        return None
    if status == "tentative" or participation in ("tentative", "needs_action"):
        return TENTATIVE
    return BUSY


def stored_participation(status: str, participation: str) -> str:
    """The participation_status a synced occurrence is stored with (its transparency is kept as
    it is; cancelled occurrences are not stored)."""
    if participation == "declined":
        return "declined"
    if status == "tentative" or participation in ("tentative", "needs_action"):
        return "tentative"
    return "accepted"


class StoredEvent(Protocol):
    transparency: str
    participation_status: str


def event_status(event: StoredEvent) -> str | None:
    """busy, tentative, or None (free) for an event as calgate stores it."""
    if getattr(event, "deleted", False) or event.transparency == "transparent" or event.participation_status == "declined":
        return None
    return TENTATIVE if event.participation_status == "tentative" else BUSY
