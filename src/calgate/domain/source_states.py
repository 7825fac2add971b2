# SPDX-License-Identifier: Apache-2.0
"""Can a person's calendars vouch for their free time right now? (Availability never treats
an unreadable source as free.)

A connected profile is

- ``fresh``: its last sync read every calendar, within the bound, and nothing failed since;
- ``failing``: the syncs since the last good read failed (a server down, a per-calendar
  error inside a 200 such as Google's freeBusy reports), but that read is within the bound;
- ``stale``: no good read within the bound (``CALGATE_STALE_AFTER``, one hour by default),
  or none at all yet (the first sync has not finished);
- ``needs_relink``: the provider refused calgate's access; the person must connect again.

Cronofy reports a member's ``sync_status`` in three words, which ``SourceState.sync_status``
gives beside calgate's status: ``pending`` (the first sync has not finished), ``disconnected``
(needs_relink), ``active`` (everything else: fresh, failing, and stale after a good read).

A hosted calendar (No Access mode, application calendars) is always fresh: calgate holds it.
Fresh and failing sources count with their last good data; stale and needs_relink ones cannot
vouch for any time, so the member is unavailable throughout the query, never free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from calgate.domain import model

FRESH, FAILING, STALE, NEEDS_RELINK = "fresh", "failing", "stale", "needs_relink"
_SEVERITY = (FRESH, FAILING, STALE, NEEDS_RELINK)
DEFAULT_STALE_AFTER = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SourceState:
    status: str
    last_synced_at: dt.datetime | None = None
    detail: str | None = None

    @property
    def vouches(self) -> bool:
        """Whether the source's data may be taken as the truth about the person's time."""
        return self.status in (FRESH, FAILING)

    @property
    def sync_status(self) -> str:
        """Cronofy's word for the source: ``active``, ``pending`` or ``disconnected``."""
        if self.status == NEEDS_RELINK:
            return "disconnected"
        if self.status == STALE and self.last_synced_at is None:
            return "pending"
        return "active"


def of_profile(profile: model.Profile, now: dt.datetime, stale_after: dt.timedelta = DEFAULT_STALE_AFTER) -> SourceState:
    if profile.credentials_sealed is None:
        return SourceState(FRESH, None, None)  # hosted by calgate
    last = profile.last_synced_at
    if not profile.connected:
        return SourceState(NEEDS_RELINK, last, profile.sync_error or "The provider refused calgate's access: connect again")
    if last is None:
        return SourceState(STALE, None, profile.sync_error or "The first sync has not finished yet")
    if now - last > stale_after:
        minutes = int((now - last).total_seconds() // 60)
        detail = f"Not read for {minutes} minutes" + (f": {profile.sync_error}" if profile.sync_error else "")
        return SourceState(STALE, last, detail)
    if profile.sync_failures:
        return SourceState(FAILING, last, profile.sync_error)
    return SourceState(FRESH, last, None)


def worst(states: Iterable[SourceState]) -> SourceState:
    """One member's state: that of its least trustworthy source (fresh when it has none)."""
    found = list(states)
    if not found:
        return SourceState(FRESH)
    return max(found, key=lambda s: (_SEVERITY.index(s.status), -(s.last_synced_at.timestamp() if s.last_synced_at else 0)))
