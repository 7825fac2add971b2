# SPDX-License-Identifier: Apache-2.0
"""What one occurrence's own properties say, read the same way whichever reader parsed them
(``ical_fast`` or icalendar, in ``ical_reader``): its texts, attendees and organizer as
``Fields``, and from them the owner's answer and whether it makes the owner busy.

**Busy-ness (one rule).** From each occurrence's own properties:

- ``transparency`` is "transparent" for TRANSP:TRANSPARENT, else "opaque";
- ``status`` is STATUS (CONFIRMED, TENTATIVE, CANCELLED → confirmed, tentative, cancelled;
  absent or anything else → confirmed);
- ``participation_status`` is the owner's answer: "accepted" when one of ``owner_emails``
  is the ORGANIZER or none of them is an ATTENDEE; otherwise that ATTENDEE's PARTSTAT
  (ACCEPTED, TENTATIVE, DECLINED → accepted, tentative, declined; NEEDS-ACTION, absent or
  anything else → needs_action), the most committed one if several owner addresses are
  invited.

From these, ``domain.busyness.occurrence_status`` (the one rule, for every provider) decides:
**free** (no busy block) when transparent, cancelled or declined; **tentative** when its
status is tentative or the owner's answer is tentative or needs_action; **busy** otherwise.
Vendor properties such as X-MICROSOFT-CDO-BUSYSTATUS are not read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from calgate.domain import busyness

_STATUSES = {"CONFIRMED": "confirmed", "TENTATIVE": "tentative", "CANCELLED": "cancelled"}
_PARTSTATS = {"ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined", "NEEDS-ACTION": "needs_action"}
_COMMITMENT = ("declined", "needs_action", "tentative", "accepted")  # weakest first


class Fields(NamedTuple):
    """What an occurrence takes from its own properties besides its times (module docstring)."""

    start_tzid: str
    end_tzid: str
    summary: str | None
    description: str | None
    location: str | None
    url: str | None
    transparency: str
    status: str
    attendees: list[tuple[str, str | None, str]]  # (email, CN, PARTSTAT)
    organizer: str | None


def answer(partstat: str) -> str:
    """An ATTENDEE's PARTSTAT as calgate says it (anything unknown: needs_action)."""
    return _PARTSTATS.get(partstat, "needs_action")


def busy_status(fields: Fields, owners: frozenset[str]) -> str | None:
    """The occurrence's busy block status: "busy", "tentative", or None when it is free (the
    module's rule)."""
    return busyness.occurrence_status(fields.transparency, fields.status, participation(fields, owners))


def transparency(transp: str) -> str:
    return "transparent" if transp.strip().upper() == "TRANSPARENT" else "opaque"


def status(status: str) -> str:
    return _STATUSES.get(status.strip().upper(), "confirmed")


def participation(fields: Fields, owners: frozenset[str]) -> str:
    if not owners or fields.organizer in owners:
        return "accepted"
    answers = [answer(partstat) for email, _, partstat in fields.attendees if email in owners]
    return max(answers, key=_COMMITMENT.index) if answers else "accepted"


def owners(owner_emails: Iterable[str]) -> frozenset[str]:
    return frozenset(_email(address) for address in owner_emails if address)


def attendees(props: Iterable[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, str | None, str]]:
    """(email, CN, PARTSTAT) of each ATTENDEE (its value and parameters) with an email address."""
    people = []
    for value, params in props:
        email = address(value, params)
        if email:
            name = str(params.get("CN", "")).strip() or None
            people.append((email, name, str(params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()))
    return people


def address(value: str, params: Mapping[str, Any]) -> str | None:
    """The email of a CAL-ADDRESS: a mailto: value, else its EMAIL parameter (iCloud writes
    ``urn:uuid:`` values with EMAIL=); None when it has neither."""
    value = value.strip()
    if value[:7].lower() == "mailto:":
        return _email(value) or None
    email = str(params.get("EMAIL", "")).strip()
    return _email(email) or None


def _email(text: str) -> str:
    text = text.strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.strip().lower()
