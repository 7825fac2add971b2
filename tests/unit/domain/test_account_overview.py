# SPDX-License-Identifier: Apache-2.0
"""A profile's state on the dashboard (domain/account_overview.profile_state) and an
account's overall state, from the fields sync and connect set."""

from __future__ import annotations

import datetime as dt

import pytest

from calgate.domain import account_overview as overview
from calgate.domain import source_states
from calgate.domain.model import Profile

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


def profile(**fields: object) -> Profile:
    base: dict[str, object] = {"id": "pro_1", "account_id": "acc_1", "provider": "caldav", "access_mode": "read_write", "name": "a"}
    return Profile(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({"credentials_sealed": None}, overview.CONNECTED),  # hosted: nothing to sync
        ({"credentials_sealed": "x", "initial_sync_done": False}, overview.INITIAL_SYNC_PENDING),
        ({"credentials_sealed": "x", "initial_sync_done": True, "last_synced_at": NOW}, overview.CONNECTED),
        ({"credentials_sealed": "x", "initial_sync_done": True, "connected": False}, overview.NEEDS_RELINK),
        ({"credentials_sealed": "x", "initial_sync_done": False, "connected": False}, overview.NEEDS_RELINK),
        ({"credentials_sealed": "x", "revoked_at": NOW, "connected": False}, overview.REVOKED),
    ],
)
def test_profile_state(fields: dict[str, object], state: str) -> None:
    assert overview.profile_state(profile(**fields)) == state


def summary(states: list[str], authorized: bool = True) -> overview.AccountSummary:
    profiles = tuple(
        overview.ProfileSummary(
            id=f"pro_{i}", provider="caldav", provider_label="CalDAV", access_mode="read_write", name="a", state=s,
            source=source_states.SourceState(source_states.FRESH), last_synced_at=NOW - dt.timedelta(minutes=i),
            sync_lag=dt.timedelta(minutes=i), sync_error=None, hosted=False,
        )
        for i, s in enumerate(states)
    )
    return overview.AccountSummary("acc_1", "a@example.com", "A", None, "read_write", authorized, profiles, NOW)


def test_an_account_is_as_healthy_as_its_least_healthy_live_profile() -> None:
    assert summary([overview.CONNECTED, overview.INITIAL_SYNC_PENDING]).state == overview.INITIAL_SYNC_PENDING
    assert summary([overview.CONNECTED, overview.NEEDS_RELINK, overview.REVOKED]).state == overview.NEEDS_RELINK
    assert summary([overview.REVOKED]).state == overview.REVOKED
    assert summary([]).state == overview.REVOKED
    assert summary([overview.CONNECTED], authorized=False).state == overview.REVOKED


def test_sync_lag_is_that_of_the_stalest_connected_profile() -> None:
    account = summary([overview.CONNECTED, overview.CONNECTED, overview.NEEDS_RELINK])
    assert account.sync_lag == dt.timedelta(minutes=1)
    assert account.last_synced_at == NOW - dt.timedelta(minutes=1)
