# SPDX-License-Identifier: Apache-2.0
"""Whether a person's calendar source can vouch for their time (``domain.source_states``)."""

import datetime as dt

import pytest

from calgate.domain import model
from calgate.domain.source_states import FAILING, FRESH, NEEDS_RELINK, STALE, SourceState, of_profile, worst

NOW = dt.datetime(2027, 1, 11, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def profile(**fields) -> model.Profile:
    defaults = {"credentials_sealed": "sealed", "last_synced_at": NOW - dt.timedelta(minutes=5)}
    return model.Profile(id="pro_1", account_id="acc_1", provider="caldav", access_mode="read_write", name="a@b.c", **{**defaults, **fields})


@pytest.mark.parametrize(
    "fields, status, vouches, sync_status",
    [
        ({}, FRESH, True, "active"),
        ({"credentials_sealed": None, "last_synced_at": None}, FRESH, True, "active"),  # hosted by calgate
        ({"sync_failures": 2, "sync_error": "HTTP 503"}, FAILING, True, "active"),
        ({"last_synced_at": NOW - HOUR - dt.timedelta(seconds=1)}, STALE, False, "active"),
        ({"last_synced_at": NOW - HOUR}, FRESH, True, "active"),  # the bound itself still vouches
        ({"last_synced_at": None}, STALE, False, "pending"),  # the first sync has not finished
        ({"connected": False, "sync_error": "refused"}, NEEDS_RELINK, False, "disconnected"),
        ({"connected": False, "last_synced_at": NOW - 3 * HOUR}, NEEDS_RELINK, False, "disconnected"),
    ],
)
def test_each_state(fields, status, vouches, sync_status):
    state = of_profile(profile(**fields), NOW, HOUR)
    assert (state.status, state.vouches, state.sync_status) == (status, vouches, sync_status)
    assert state.detail is None if status == FRESH else state.detail


def test_stale_says_for_how_long_and_why():
    state = of_profile(profile(last_synced_at=NOW - 2 * HOUR, sync_failures=9, sync_error="HTTP 503"), NOW, HOUR)
    assert state.detail == "Not read for 120 minutes: HTTP 503"


def test_a_member_is_as_trustworthy_as_its_worst_source():
    fresh, failing, stale = SourceState(FRESH, NOW), SourceState(FAILING, NOW, "x"), SourceState(STALE, NOW - HOUR, "y")
    assert worst([fresh, failing]) == failing
    assert worst([stale, fresh, failing]) == stale
    assert worst([]) == SourceState(FRESH)
