# SPDX-License-Identifier: Apache-2.0
"""The sync job's own promises, on both databases: an unreachable server is retried later with
backoff and the chain of syncs never ends; refused credentials stop it until relinked."""

from __future__ import annotations

import datetime as dt
import json

from calgate.domain import ids, model, sync
from calgate.domain.model import utcnow
from calgate.services import Services
from tests.support.factories import make_application


def caldav_profile(services: Services, server_url: str, password: str = "secret") -> model.Profile:
    app = make_application(services)
    with services.uow() as uow:
        account = model.Account(id=ids.new_id("acc"), application_id=app.application_id, email="ada@example.com", name="Ada")
        uow.accounts.add(account)
        sealed = services.box.seal(json.dumps({"server_url": server_url, "username": "ada", "password": password}))
        profile = model.Profile(id=ids.new_id("pro"), account_id=account.id, provider="caldav", access_mode="read_write",
                                name="ada@example.com", credentials_sealed=sealed)
        uow.profiles.add(profile)
        sync.request_sync(uow, profile, utcnow())
        uow.commit()
    return profile


def pending_syncs(services: Services) -> list[model.Job]:
    with services.uow() as uow:
        return [j for j in uow.session.query(model.Job).filter_by(kind=sync.SYNC_JOB, status="pending")]


def test_an_unreachable_server_is_retried_with_doubling_delays(services):
    profile = caldav_profile(services, "http://127.0.0.1:9/")
    interval = dt.timedelta(seconds=services.settings.sync_interval)
    delays = []
    for attempt in (1, 2, 3):
        before = utcnow()
        assert services.jobs.run_once(now=utcnow() + dt.timedelta(days=attempt))
        [waiting] = pending_syncs(services)  # always exactly one next sync: the chain goes on
        delays.append(waiting.run_after - before)
        with services.uow() as uow:
            stored = uow.profiles.get(profile.id)
            assert stored.sync_failures == attempt and stored.sync_error == "Could not reach the calendar server"
            assert stored.connected  # unreachable is not refused
    for attempt, delay in enumerate(delays):
        expected = interval * 2**attempt
        assert expected <= delay < expected + dt.timedelta(seconds=30)
    with services.uow() as uow:
        assert [j.status for j in uow.session.query(model.Job).filter_by(kind=sync.SYNC_JOB)].count("done") == 3


def test_asking_for_a_sync_again_does_not_queue_a_second_one(services):
    profile = caldav_profile(services, "http://127.0.0.1:9/")
    with services.uow() as uow:
        sync.request_sync(uow, uow.profiles.get(profile.id), utcnow())  # asked again: still one
        uow.commit()
    assert len(pending_syncs(services)) == 1
