# SPDX-License-Identifier: Apache-2.0
"""The one busy-ness rule: what the provider boundary decides for an occurrence is what Read
Events, Free/Busy and Availability read back from the stored event, for every combination."""

import itertools
from dataclasses import dataclass

import pytest

from calgate.domain import busyness

TRANSPARENCIES = ("opaque", "transparent")
STATUSES = ("confirmed", "tentative", "cancelled")
ANSWERS = ("accepted", "tentative", "declined", "needs_action")


@dataclass
class Stored:
    transparency: str
    participation_status: str
    deleted: bool = False


@pytest.mark.parametrize("transparency, status, answer", list(itertools.product(TRANSPARENCIES, STATUSES, ANSWERS)))
def test_what_is_stored_reads_back_as_the_rule_decided(transparency, status, answer):
    decided = busyness.occurrence_status(transparency, status, answer)
    if status == "cancelled":
        assert decided is None  # cancelled occurrences are free, and sync stores none of them
        return
    stored = Stored(transparency, busyness.stored_participation(status, answer))
    assert busyness.event_status(stored) == decided


@pytest.mark.parametrize(
    "transparency, status, answer, expected",
    [
        ("transparent", "confirmed", "accepted", None),
        ("opaque", "cancelled", "accepted", None),
        ("opaque", "confirmed", "declined", None),
        ("opaque", "tentative", "accepted", "tentative"),
        ("opaque", "confirmed", "needs_action", "tentative"),
        ("opaque", "confirmed", "tentative", "tentative"),
        ("opaque", "confirmed", "accepted", "busy"),
    ],
)
def test_the_rule(transparency, status, answer, expected):
    assert busyness.occurrence_status(transparency, status, answer) == expected


def test_the_applications_own_unanswered_invitation_stays_busy():
    assert busyness.event_status(Stored("opaque", "needs_action")) == "busy"
    assert busyness.event_status(Stored("opaque", "accepted", deleted=True)) is None
